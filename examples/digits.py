"""Train a 64-128-10 network on scikit-learn's handwritten digits to >= 97% test accuracy.

    python examples/digits.py [--seed N] [--epochs N]

A quarter of the 1,797 digits is held out for the test. The training images
are augmented with copies shifted by one pixel up, down, left and right (five
times the data), which lifts test accuracy from about 97.5% to about 98.5%.
Plain SGD with momentum and a cosine learning-rate schedule, 15 epochs, float32:
under a second on one core. Needs the ``datasets`` extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from chainrule import SGD, Network
from chainrule.datasets import load_digits, one_hot
from chainrule.optim import CosineAnnealingLR


def shifted_copies(X: np.ndarray, y: np.ndarray, side: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """``X`` ``(n, side*side)`` plus its images moved one pixel in each of 4 directions: ``(5n, side*side)``."""
    images = X.reshape(-1, side, side)
    copies = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(images, step, axis=axis)
        # The row or column that wrapped around is blanked: a shift, not a rotation.
        edge = 0 if step == 1 else side - 1
        if axis == 1:
            moved[:, edge, :] = 0
        else:
            moved[:, :, edge] = 0
        copies.append(moved)
    return np.concatenate(copies).reshape(len(copies) * len(X), -1), np.tile(y, len(copies))


def train_digits(seed: int = 0, epochs: int = 15, progress: bool | None = None):
    """Returns ``(network, history, test_accuracy)``."""
    train, test = load_digits(dtype=np.float32).split(test_fraction=0.25, seed=seed)
    X, y = shifted_copies(train.X, train.y)
    net = Network.from_sizes(
        [64, 128, 10],
        "relu",
        output_activation="softmax",
        loss="cross_entropy",
        init="he_uniform",
        seed=seed,
        dtype=np.float32,
    )
    history = net.fit(
        X,
        one_hot(y, 10, np.float32),
        optimizer=SGD(learning_rate=0.1, momentum=0.9),
        schedule=CosineAnnealingLR(epochs),
        epochs=epochs,
        batch_size=32,
        seed=seed,
        validation_data=(test.X, test.Y),
        metrics=["accuracy"],
        progress=progress,
    )
    return net, history, history.val_accuracy[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    start = time.perf_counter()
    _, history, accuracy = train_digits(args.seed, args.epochs)
    seconds = time.perf_counter() - start
    for epoch, loss, acc in zip(history.epoch, history.loss, history.val_accuracy):
        print(f"epoch {epoch:2d}  training loss {loss:.4f}  test accuracy {acc:.2%}")
    print(f"test accuracy: {accuracy:.2%} after {seconds:.2f} s")


if __name__ == "__main__":
    main()

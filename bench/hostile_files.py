"""Hostile files refused before any work, and what the model-file consistency checks cost.

    python bench/hostile_files.py             # the table (median of 7 runs each, in this process)
    python bench/hostile_files.py --repeat 21

Part 1, the time from text (or bytes) to the library's refusal, for the inputs
issue 11 found crashing, hanging or expanding: a 1 KB YAML "billion laughs"
(9^9 strings once expanded), a 140-byte network file claiming a million
weights, ``sizes: [1000000, 1000000]``, JSON nested 100,000 deep, a 400-digit
number, an activation given as a list. Each is read as ``chainrule explain``
reads it (:func:`chainrule.explain.config.parse_config_text`, then
:func:`~chainrule.explain.config.setup_from_config`).

Part 2, loading a model file (:func:`chainrule.io.model_from_bytes`) of a
784-256-10 classifier with its preprocessing, and of an Adam checkpoint of
it: the whole load, and the consistency checks alone
(:mod:`chainrule.io.consistency`), so their share can be read off.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from chainrule import Network, ValidationError
from chainrule.explain.config import parse_config_text, setup_from_config


def laughs() -> str:
    lines = [
        "sizes: [2, 2]",
        "activations: sigmoid",
        "input: [1, 2]",
        "target: [0.5, 0.5]",
        "learning_rate: 0.5",
        "weights: [&a [lol, lol, lol, lol, lol, lol, lol, lol, lol],",
    ]
    lines += [f"  &{b} [{', '.join([f'*{a}'] * 9)}]," for a, b in zip("abcdefgh", "bcdefghi")]
    return "\n".join(lines + ["  *i]"]) + "\n"


LEGACY = {"activations": "sigmoid", "input": [1], "target": [1], "learning_rate": 0.5}
CASES = [
    ("YAML billion laughs", laughs(), ".yaml"),
    (
        "sizes [1000, 1000, 2], no weights",
        "sizes: [1000, 1000, 2]\nactivations: sigmoid\nweights: {}\ninput: [1]\ntarget: [1]\nlearning_rate: 0.5\n",
        ".yaml",
    ),
    ("sizes [1000000, 1000000]", json.dumps({**LEGACY, "sizes": [1_000_000, 1_000_000], "weights": {}}), ".json"),
    ("JSON nested 100,000 deep", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", ".json"),
    (
        "400-digit number (JSON)",
        json.dumps({**LEGACY, "sizes": [1, 1], "weights": {}})[:-1] + ', "learning_rate": 1' + "0" * 400 + "}",
        ".json",
    ),
    ("400-digit number (TOML)", "sizes = [1, 1]\nlearning_rate = 1" + "0" * 400 + "\n", ".toml"),
    (
        "activation given as a list",
        json.dumps(
            {
                **LEGACY,
                "sizes": [2, 2],
                "activations": [["sigmoid"]],
                "weights": [[[1, 2], [3, 4]]],
                "input": [1, 2],
                "target": [0.5, 0.5],
            }
        ),
        ".json",
    ),
]


def refusal_time(text: str, suffix: str) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        setup_from_config(parse_config_text(text, suffix))
    except ValidationError as err:
        return time.perf_counter() - start, err.field
    raise AssertionError("accepted")


def model_files() -> tuple[bytes, bytes]:
    from chainrule.io import Checkpoint, model_to_bytes
    from chainrule.tabular import Preprocessor, table_from_columns

    rng = np.random.default_rng(0)
    n = 256
    table = table_from_columns(
        {**{f"p{k}": rng.normal(size=n) for k in range(784)}, "y": [str(v) for v in rng.integers(0, 10, size=n)]}
    )
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([784, 256, 10], ["relu", "softmax"], loss="categorical_cross_entropy", seed=0)
    X, Y = pre.features_of(table), pre.encode_target(table)
    path = Path(".hostile_files_bench.ckpt.safetensors")
    try:
        net.fit(X, Y, epochs=1, optimizer="adam", seed=1, callbacks=[Checkpoint(path, preprocessing=pre.to_config())])
        checkpoint = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    return model_to_bytes(net, preprocessing=pre), checkpoint


def checks_only(data: bytes) -> None:
    """The consistency checks of a loaded file, alone (what model_from_bytes adds to reading)."""
    from chainrule.io import consistency, model_from_bytes

    saved = model_from_bytes(data)
    tensors = {f"state.{k}": v for k, v in saved.tensors.items()}
    tensors.update(
        {f"layers.{k}.{p}": getattr(layer, p) for k, layer in enumerate(saved.network.layers) for p in ("W", "b")}
    )
    start = time.perf_counter()
    consistency.check_finite(tensors)
    consistency.check_preprocessing(saved.preprocessing, saved.network.spec())
    consistency.check_training(saved.training)
    consistency.check_checkpoint_state(saved.state, saved.tensors, saved.network)
    return time.perf_counter() - start


def median(f, repeat: int) -> float:
    return statistics.median(f() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{'input':<36} {'bytes':>9} {'refused in':>11}  field")
    for name, text, suffix in CASES:
        seconds = median(lambda: refusal_time(text, suffix)[0], args.repeat)  # noqa: B023 -- timed here
        print(f"{name:<36} {len(text.encode()):>9,} {seconds * 1e3:>8.2f} ms  {refusal_time(text, suffix)[1]}")
    from chainrule.io import model_from_bytes

    model, checkpoint = model_files()
    print(f"\n{'model file (784-256-10, preprocessing)':<40} {'bytes':>11} {'load':>10} {'checks':>10}")
    for name, data in (("model", model), ("Adam checkpoint", checkpoint)):

        def load() -> float:
            start = time.perf_counter()
            model_from_bytes(data)  # noqa: B023 -- timed in this iteration
            return time.perf_counter() - start

        print(
            f"{name:<40} {len(data):>11,} {median(load, args.repeat) * 1e3:>7.1f} ms "
            f"{median(lambda data=data: checks_only(data), args.repeat) * 1e3:>7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the format-1 model files beside this script were made (kept as a record; do not rerun).

They were written by chainrule at commit 165369a (the engine restructuring,
before the network spec), so that tests/test_model_file_compat.py can prove
that files written by that release still load, bit for bit. Rerunning this
script with a later chainrule would test nothing: the files must stay as
they were committed.

``expected.json`` holds, for each file, every tensor's dtype, shape and values
as ``float.hex`` text (exact, and independent of safetensors), the stored
architecture, preprocessing, training and state, and the network's outputs on
a fixed input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from chainrule import Network
from chainrule.core import Dense
from chainrule.io import load_model, save_model

HERE = Path(__file__).resolve().parent


def plain() -> Network:
    """float64; mixed activations, bias modes and bias training; softmax + cross-entropy."""
    rng = np.random.default_rng(11)
    layers = [
        Dense(3, 4, {"name": "leaky_relu", "alpha": 0.2}, bias="shared", train_bias=False, seed=rng),
        Dense(4, 3, "tanh", bias="per_neuron", train_bias=True, seed=rng),
        Dense(3, 2, "softmax", seed=rng),
    ]
    net = Network(layers, loss={"name": "categorical_cross_entropy", "reduction": "sum"})
    for layer in net.layers:
        layer.set_weights(b=rng.normal(size=layer.b.shape))
    return net


def float32() -> Network:
    """float32; sigmoid, identity output; squared error averaged over outputs, summed over samples."""
    net = Network.from_sizes(
        [2, 3, 1],
        ["sigmoid", "identity"],
        seed=5,
        dtype="float32",
        loss={"name": "squared_error", "reduction": "sum", "output_reduction": "mean"},
        bias="shared",
    )
    net.layers[0].set_weights(b=0.25)
    net.layers[1].set_weights(b=-0.5)
    return net


def hexes(array: np.ndarray) -> dict:
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "hex": [float(v).hex() for v in np.ravel(array).astype(np.float64)],
    }


def main() -> None:
    save_model(HERE / "plain-float64.safetensors", plain(), training={"note": "plain model"})
    save_model(HERE / "float32.safetensors", float32())
    rows = ["x1,x2,x3,label"]
    rng = np.random.default_rng(0)
    for _ in range(60):
        x = rng.normal(size=3)
        rows.append(f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f},{'yes' if x[0] + 0.5 * x[1] > 0 else 'no'}")
    csv = HERE / "train.csv"
    csv.write_text("\n".join(rows) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "chainrule",
            "train",
            str(csv),
            "--target",
            "label",
            "--layers",
            "5",
            "--activation",
            "tanh",
            "--epochs",
            "4",
            "--batch-size",
            "8",
            "--patience",
            "10",
            "--checkpoint-every",
            "2",
            "--dtype",
            "float64",
            "--seed",
            "3",
            "-o",
            str(HERE / "trained-with-preprocessing.safetensors"),
            "-q",
        ],
        check=True,
    )
    csv.unlink()
    X = np.random.default_rng(1).normal(size=(5, 3))
    expected = {}
    for path in sorted(HERE.glob("*.safetensors")):
        saved = load_model(path)
        net = saved.network
        tensors = {f"layers.{k}.{p}": hexes(getattr(layer, p)) for k, layer in enumerate(net.layers) for p in "Wb"}
        tensors.update({f"state.{name}": hexes(a) for name, a in saved.tensors.items()})
        x = X[:, : net.n_inputs] if net.n_inputs <= 3 else None
        expected[path.name] = {
            "tensors": tensors,
            "architecture": net.config(),
            "preprocessing": saved.preprocessing,
            "training": saved.training,
            "state": saved.state,
            "input": hexes(x.astype(net.dtype)),
            "outputs": hexes(net.predict(x)),
        }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

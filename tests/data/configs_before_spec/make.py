"""How the files beside this script were made (kept as a record; do not rerun).

examples/ holds copies of the example configs of examples/ at commit 165369a
(the format before the network spec: sizes, activations, error, ...).

Saved by the explorer's "Save" (chainrule.visual.api.save) at commit 165369a,
before the network spec, so that tests can prove such files still open.
``expected.json`` records what they opened as then: for each explorer file the
page's state, and for each example config the network's
architecture, weights (``float.hex``), sample, learning rate and convention.
"""

from __future__ import annotations

import json
from pathlib import Path

from chainrule.explain.config import load_setup
from chainrule.visual import api

HERE = Path(__file__).resolve().parent


def main() -> None:
    tutorial = api.tutorial()["state"]
    states = {
        "tutorial.json": tutorial,
        "per-neuron-trained-updated.json": api.build(
            {
                "state": {
                    **tutorial,
                    "sizes": [3, 2, 2],
                    "bias": "per_neuron",
                    "train_bias": True,
                    "hidden_deltas": "updated",
                    "error": "mean",
                    "activations": ["tanh", "sigmoid"],
                },
                "seed": 4,
            }
        )["state"],
        "softmax-cross-entropy.json": api.build(
            {
                "state": {
                    **tutorial,
                    "sizes": [2, 3, 2],
                    "activations": ["relu", "softmax"],
                    "loss": "categorical_cross_entropy",
                },
                "seed": 9,
            }
        )["state"],
    }
    for name, state in states.items():
        (HERE / name).write_text(api.save({"state": state})["text"])
    expected: dict = {"explorer": {}, "examples": {}}
    for name in states:
        text = (HERE / name).read_text()
        expected["explorer"][name] = api.load({"text": text, "filename": name})["state"]
    for path in sorted((HERE / "examples").iterdir()):
        if path.suffix not in (".json", ".toml", ".yaml"):
            continue
        setup = load_setup(path)
        net = setup.network
        expected["examples"][path.name] = {
            "architecture": net.config(),
            "W": [[float(v).hex() for v in layer.W.ravel()] for layer in net.layers],
            "b": [[float(v).hex() for v in layer.b.ravel()] for layer in net.layers],
            "x": [float(v).hex() for v in setup.x],
            "y": [float(v).hex() for v in setup.y],
            "learning_rate": setup.learning_rate,
            "hidden_deltas": setup.hidden_deltas,
        }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

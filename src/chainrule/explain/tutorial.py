"""The tutorial's worked example: a 2-2-2 sigmoid network, one sample, eta = 0.5.

Every number is restored in ``shared/spec/worked-example.md``; this module
builds the network, runs one step with every quantity named, then repeats the
update and reports the error along the way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.layers import Dense
from ..core.network import Network
from .naming import Naming
from .prose import Math, Prose
from .quantities import step_quantities

__all__ = [
    "TUTORIAL_WEIGHTS",
    "TUTORIAL_BIASES",
    "TUTORIAL_INPUT",
    "TUTORIAL_TARGET",
    "TUTORIAL_LEARNING_RATE",
    "TUTORIAL_MISPRINTS",
    "annotate_misprints",
    "tutorial_network",
    "worked_example",
]

TUTORIAL_WEIGHTS = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55}
TUTORIAL_BIASES = {"b1": 0.35, "b2": 0.60}
TUTORIAL_INPUT = (0.05, 0.10)
TUTORIAL_TARGET = (0.01, 0.99)
TUTORIAL_LEARNING_RATE = 0.5
#: Values the tutorial's text prints wrongly: name -> (printed, correct to the same digits).
TUTORIAL_MISPRINTS = {"out_o1": ("0.75136079", "0.75136507")}


def tutorial_network(dtype: Any = np.float64) -> Network:
    """The tutorial's network: 2 inputs, 2 sigmoid hidden, 2 sigmoid outputs.

    Each layer has one shared, frozen bias (b1 = 0.35, b2 = 0.60); the loss is
    the squared error ``E_total = sum 1/2 (target - out)^2``.
    """
    layers = [
        Dense(2, 2, "sigmoid", bias="shared", train_bias=False, init="zeros", dtype=dtype, name="hidden"),
        Dense(2, 2, "sigmoid", bias="shared", train_bias=False, init="zeros", dtype=dtype, name="output"),
    ]
    network = Network(layers, loss="squared_error")
    Naming.of(network).assign(network, {**TUTORIAL_WEIGHTS, **TUTORIAL_BIASES})
    return network


def annotate_misprints(trace: Any) -> None:
    """Attach to a trace of the tutorial's first step a note on each value the tutorial prints wrongly.

    The note is a translated sentence (``the tutorial prints out_o1 = 0.75136079, ...``).
    """
    for name, (printed, correct) in TUTORIAL_MISPRINTS.items():
        trace.annotate(
            name,
            Prose(
                "the tutorial prints {printed}, a transposition typo; the correct value is {correct}.",
                printed=Math(name, float(printed)),
                correct=correct,
            ),
        )


def _checkpoints(updates: int) -> list[int]:
    """1, 10, 100, ... up to ``updates``, always ending with ``updates``."""
    marks, k = [], 1
    while k < updates:
        marks.append(k)
        k *= 10
    return marks + [updates]


def worked_example(updates: int = 10_000, dtype: Any = np.float64) -> dict[str, Any]:
    """Run the worked example; return the named values of the first step and the training record.

    Keys: every name from :func:`~chainrule.explain.quantities.step_quantities`
    (``net_h1`` ... ``w8+``), ``E_total_after_first_update``, and ``repeated``:
    ``{"updates": N, "E_total": .., "out_o1": .., "out_o2": .., "history": [...]}``
    where ``history`` lists the error and outputs after 1, 10, 100, ... updates.
    """
    network = tutorial_network(dtype)
    x = np.array([TUTORIAL_INPUT])
    y = np.array([TUTORIAL_TARGET])
    result: dict[str, Any] = dict(step_quantities(network, x, y, TUTORIAL_LEARNING_RATE))
    history = []
    done = 0
    for mark in _checkpoints(updates) if updates > 0 else []:
        network.train(x, y, learning_rate=TUTORIAL_LEARNING_RATE, epochs=mark - done)
        done = mark
        out = network.predict(x)[0]
        history.append(
            {"updates": mark, "E_total": network.loss(x, y), "out_o1": float(out[0]), "out_o2": float(out[1])}
        )
    if history:
        result["E_total_after_first_update"] = history[0]["E_total"]
    final = (
        history[-1]
        if history
        else {"E_total": result["E_total"], "out_o1": result["out_o1"], "out_o2": result["out_o2"]}
    )
    result["repeated"] = {
        "updates": updates,
        "learning_rate": TUTORIAL_LEARNING_RATE,
        "E_total": final["E_total"],
        "out_o1": final["out_o1"],
        "out_o2": final["out_o2"],
        "history": history,
    }
    return result

"""An exercise: a random small network from a seed, questions on one training step, their answers.

:func:`make_exercise` draws the network, the sample and the targets from one
seed (weights and inputs on a grid of hundredths, so that a learner can work
them by hand), traces one step with :func:`chainrule.explain.build_trace`
and picks the questions among the step's named quantities. Every answer is
the trace's value, i.e. the engine's: :meth:`Exercise.answers`.

The same seed and options give the same exercise, so a teacher prints the
sheet and the answer key (:mod:`chainrule.exercise.render`) separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.network import Network
from ..core.validation import check_positive_float, check_positive_int, fail
from ..explain.trace import Trace, build_trace

__all__ = ["KINDS", "MAX_NEURONS", "MAX_LAYERS", "Exercise", "Question", "make_exercise"]

#: What a question can ask: the trace's kinds of quantity (:data:`chainrule.explain.names.KINDS`) for each.
KINDS: dict[str, tuple[str, ...]] = {
    "forward": ("net", "out"),
    "error": ("error", "error_total"),
    "delta": ("dE_dout", "dout_dnet", "delta"),
    "path": ("path",),
    "gradient": ("gradient",),
    "update": ("update",),
}
#: Largest layer and most layers of weights a sheet's network may have (a hand computation).
MAX_NEURONS = 4
MAX_LAYERS = 3
_GRID = 100  # values are whole hundredths


@dataclass(frozen=True)
class Question:
    """Question ``number``: compute the quantity ``name`` of the trace (its ``kind``, its ``stage`` id)."""

    number: int
    name: str
    kind: str
    stage: str


@dataclass
class Exercise:
    """A network, one sample, the traced step and the questions on it."""

    seed: int
    network: Network
    x: list[float]
    y: list[float]
    learning_rate: float
    trace: Trace
    questions: list[Question]

    def answers(self) -> dict[str, float]:
        """``{name: value}`` of every question, from the trace."""
        return {q.name: self.trace[q.name].value for q in self.questions}


def _grid(rng: np.random.Generator, low: float, high: float, size: Any) -> np.ndarray:
    """Whole hundredths in ``[low, high]``, never 0 (a zero weight hides its path)."""
    values = rng.integers(round(low * _GRID), round(high * _GRID) + 1, size=size)
    values[values == 0] = 1
    grid: np.ndarray = values / _GRID
    return grid


def _targets(rng: np.random.Generator, network: Network) -> np.ndarray:
    n = network.sizes[-1]
    if not network.layers[-1].activation.elementwise:  # softmax: a one-hot class
        one_hot: np.ndarray = np.eye(n)[rng.integers(n)]
        return one_hot
    return np.round(rng.uniform(0.01, 0.99, n), 2)


def _clear_of_kinks(network: Network, x: np.ndarray) -> bool:
    """Every net at least 0.05 from its activation's kinks (ReLU at 0): one derivative, no ambiguity."""
    seen = network.infer(x[None, :], return_layers=True).layers
    assert seen is not None
    return all(
        np.all(np.abs(layer.z[0][:, None] - np.asarray(dense.activation.kinks or [np.inf])) >= 0.05)
        for layer, dense in zip(seen, network.layers)
    )


def make_exercise(
    seed: int = 0,
    sizes: Sequence[int] = (2, 2, 2),
    activation: str | Sequence[str] = "sigmoid",
    *,
    output_activation: str | None = None,
    loss: str = "squared_error",
    learning_rate: float = 0.5,
    bias: str = "per_neuron",
    kinds: Sequence[str] = tuple(KINDS),
    per_kind: int | None = 2,
) -> Exercise:
    """A random exercise on one training step.

    Parameters
    ----------
    seed : int
        Draws the weights, biases (in [-1, 1]), the inputs (in [0, 1]) and the
        targets, all whole hundredths, and the questions.
    sizes : sequence of int
        Layer sizes, inputs first: at most :data:`MAX_LAYERS` layers of weights
        and :data:`MAX_NEURONS` neurons per layer.
    activation, output_activation, loss, bias
        As :meth:`chainrule.Network.from_sizes`; biases are trained.
    learning_rate : float
    kinds : sequence of str
        What to ask, among :data:`KINDS`: ``forward``, ``error``, ``delta``,
        ``path``, ``gradient``, ``update`` (``path`` needs a hidden layer).
    per_kind : int or None
        Questions per kind, drawn from the seed (None: every quantity of the kind).
    """
    seed = check_positive_int(seed, "seed", minimum=0)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not 2 <= len(sizes) <= MAX_LAYERS + 1:
        raise fail("sizes", f"2 to {MAX_LAYERS + 1} layer sizes (inputs, ..., outputs)", sizes)
    for k, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_NEURONS:
            raise fail(f"sizes[{k}]", f"an integer from 1 to {MAX_NEURONS} (a sheet is worked by hand)", size)
    eta = check_positive_float(learning_rate, "learning_rate")
    kinds = list(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise fail("kinds", f"some of {list(KINDS)}", kinds)
    if per_kind is not None:
        per_kind = check_positive_int(per_kind, "per_kind")
    rng = np.random.default_rng(seed)
    network = Network.from_sizes(
        list(sizes),
        activation,
        output_activation=output_activation,
        loss=loss,
        bias=bias,
        train_bias=True,
        init="zeros",
    )
    for _ in range(100):
        for layer in network.layers:
            layer.W[...] = _grid(rng, -1.0, 1.0, layer.W.shape)
            layer.b[...] = _grid(rng, -1.0, 1.0, layer.b.shape)
        x = _grid(rng, 0.0, 1.0, sizes[0])
        if _clear_of_kinks(network, x):
            break
    else:  # pragma: no cover - 100 draws all near a kink
        raise fail("seed", "a seed whose network keeps its nets away from the activations' kinks", seed)
    y = _targets(rng, network)
    trace = build_trace(network, x, y, eta)
    questions: list[Question] = []
    for kind in kinds:
        wanted = KINDS[kind]
        names = [q.name for q in trace if q.kind in wanted]
        if not names:
            raise fail("kinds", f"kinds this network has ({kind!r} needs a hidden layer)", kinds)
        if per_kind is not None and per_kind < len(names):
            picked = set(rng.choice(len(names), size=per_kind, replace=False).tolist())
            names = [n for k, n in enumerate(names) if k in picked]
        questions += [Question(0, n, trace[n].kind, trace.stage_of(n)) for n in names]
    # Numbered in the order the step computes them, whatever the order of `kinds`.
    order = {name: k for k, name in enumerate(trace.quantities)}
    questions.sort(key=lambda q: order[q.name])
    questions = [Question(k, q.name, q.kind, q.stage) for k, q in enumerate(questions, 1)]
    return Exercise(seed, network, x.tolist(), y.tolist(), eta, trace, questions)

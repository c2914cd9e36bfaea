"""The trace: one training step on one sample, every quantity named, with its formula.

:func:`build_trace` returns a :class:`~chainrule.explain.model.Trace`: the
tutorial's derivation for any small fully connected network. It is built in
one walk through the step (:class:`~chainrule.explain.walk.StepWalk`), each
stage by its own builder (:mod:`chainrule.explain.stages`), each quantity
computed once, from the engine's arrays, together with its formula in names
(:mod:`chainrule.explain.names`) and the same formula with the numbers
substituted (:mod:`chainrule.explain.formula`):

===================  ==========================================================
stage id             what it holds
===================  ==========================================================
``given``            inputs ``i1..``, targets ``target_o1..``, weights, biases, ``eta``
``forward``          ``net_*`` and ``out_*``, layer by layer
``error``            ``E_o1..`` and ``E_total``
``backward_output``  per output neuron: dE_total/dout, dout/dnet (softmax: the
                     whole Jacobian row), delta; per weight into it: dnet/dw and
                     dE_total/dw as the product of the chain-rule factors
``backward_hidden``  per hidden neuron, last hidden layer first: every path
                     ``dE_o1/dout_h1 = delta_o1 * w5``, their sum dE_total/dout_h1,
                     dout/dnet, delta, and per weight dnet/dw and dE_total/dw
``update``           ``w5+ = w5 - eta * dE_total/dw5`` (and trainable biases)
===================  ==========================================================

A network without hidden layers has no ``backward_hidden`` stage. The JSON
form is documented in ``docs/trace-schema.md``.

Size limit: a trace is for a network a person can read. Past
:data:`MAX_TRACE_PARAMETERS` weights and biases (each weight takes three lines
of derivation) :func:`build_trace` refuses with :class:`TraceTooLarge`, whose
message points to :func:`~chainrule.explain.summary.layer_summary`, the
per-layer summary that works for any size. To run many updates under a
hidden-deltas convention without tracing them, use
:func:`~chainrule.explain.convention.train_with_convention`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.validation import check_positive_float, check_positive_int, fail
from .convention import HIDDEN_DELTAS
from .model import STAGES, Form, Group, Quantity, Stage, Trace
from .naming import Naming
from .prose import Prose
from .stages import build_backward, build_error, build_forward, build_given, build_update
from .walk import StepWalk

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = [
    "Form",
    "Quantity",
    "Group",
    "Stage",
    "Trace",
    "TraceTooLarge",
    "MAX_TRACE_PARAMETERS",
    "STAGES",
    "HIDDEN_DELTAS",
    "build_trace",
    "trace_steps",
]

#: Largest number of weights and biases :func:`build_trace` accepts by default.
MAX_TRACE_PARAMETERS = 128


class TraceTooLarge(ValueError):
    """The network has more parameters than a readable trace allows."""


def build_trace(
    network: Network,
    x: Any,
    y: Any,
    learning_rate: float,
    *,
    hidden_deltas: str = "original",
    step: int = 1,
    max_parameters: int | None = MAX_TRACE_PARAMETERS,
) -> Trace:
    """The whole derivation of one training step of ``network`` on one sample.

    Parameters
    ----------
    network : Network
        Left unchanged.
    x : array ``(n_inputs,)`` or ``(1, n_inputs)``
    y : array ``(n_outputs,)`` or ``(1, n_outputs)``
    learning_rate : float
        The plain gradient-descent step ``eta`` of ``w+ = w - eta * dE_total/dw``.
    hidden_deltas : {"original", "updated"}
        ``"original"`` (the chain rule, the tutorial): the paths into a hidden
        neuron use the following layer's weights before the update.
        ``"updated"`` reproduces a published mistake: they use the updated ones.
    step : int
        The number this step gets in a sequence (see :func:`trace_steps`).
    max_parameters : int or None
        Refuse networks with more weights and biases (None: no limit).

    Raises
    ------
    TraceTooLarge
        When the network has more than ``max_parameters`` weights and biases.
    """
    eta = check_positive_float(learning_rate, "learning_rate")
    step = check_positive_int(step, "step")
    if hidden_deltas not in HIDDEN_DELTAS:
        raise fail("hidden_deltas", f"one of {list(HIDDEN_DELTAS)}", hidden_deltas)
    n_params = network.n_parameters()
    if max_parameters is not None and n_params > max_parameters:
        raise TraceTooLarge(
            f"network: expected at most {max_parameters} weights and biases for a step-by-step trace "
            f"(each weight takes three lines of derivation), received: {n_params} "
            f"(sizes {network.sizes}). Use the per-layer summary instead "
            f"(`chainrule explain --summary`, or chainrule.explain.layer_summary), "
            f"or raise the limit with --max-parameters."
        )
    x_row = network.check_inputs(np.reshape(np.asarray(x, dtype=float), (1, -1)), "x")
    y_row = network.check_targets(np.reshape(np.asarray(y, dtype=float), (1, -1)), 1, "y")

    # One walk, in the order the step computes: each layer's update right after its
    # backward pass, so that the layer before can use W+ under hidden_deltas="updated".
    walk = StepWalk(network, x_row, y_row, eta, hidden_deltas)
    build_given(walk)
    build_forward(walk)
    build_error(walk)
    for l in range(walk.n_layers - 1, -1, -1):
        build_backward(walk, l)
        build_update(walk, l)

    updated = network.copy()
    walk.naming.assign(updated, walk.updated_parameters)
    notes: list[str] = []  # Prose (a str) here; plain text once localised
    if network.dtype != np.float64:
        notes.append(
            Prose(
                "The network computes in {dtype}; the trace shows its values as float64 numbers.",
                dtype=network.dtype.name,
            )
        )
    return Trace(
        step=step,
        sizes=network.sizes,
        neurons=[list(n) for n in walk.naming.neurons],
        layers=_layers(network, walk.naming),
        loss=network.loss_function.config(),
        dtype=network.dtype.name,
        learning_rate=eta,
        conventions=_conventions(network, hidden_deltas),
        quantities=walk.quantities(),
        stages=walk.stages(),
        error_after_update=float(updated.loss(x_row, y_row)),
        notes=notes,
    )


def _conventions(network: Network, hidden_deltas: str) -> dict[str, Any]:
    """The trace's ``conventions``: one value per convention, ``"mixed"`` where the layers differ."""
    bias_modes = {layer.bias_mode for layer in network.layers}
    trains = {layer.train_bias for layer in network.layers}
    return {
        "bias": bias_modes.pop() if len(bias_modes) == 1 else "mixed",
        "train_bias": trains.pop() if len(trains) == 1 else "mixed",
        "error": getattr(network.loss_function, "output_reduction", None),
        "hidden_deltas": hidden_deltas,
    }


def _layers(network: Network, naming: Naming) -> list[dict[str, Any]]:
    """The trace's ``layers``: each layer's activation, bias convention and parameter names."""
    return [
        {
            "activation": layer.activation.config(),
            "bias": layer.bias_mode,
            "train_bias": layer.train_bias,
            "weights": [p.name for p in naming.weights if p.layer == l],
            "biases": [p.name for p in naming.biases if p.layer == l],
        }
        for l, layer in enumerate(network.layers)
    ]


def trace_steps(
    network: Network,
    x: Any,
    y: Any,
    learning_rate: float,
    steps: int = 1,
    *,
    hidden_deltas: str = "original",
    max_parameters: int | None = MAX_TRACE_PARAMETERS,
) -> list[Trace]:
    """``steps`` successive updates on the same sample, each traced; ``network`` is left unchanged.

    Each step starts from the previous step's updated values (``w5+``...), so
    with ``hidden_deltas="updated"`` the mistake carries on as it would by hand.
    For many steps without their traces, see
    :func:`~chainrule.explain.convention.train_with_convention`.
    """
    steps = check_positive_int(steps, "steps")
    current = network.copy()
    naming = Naming.of(current)
    traces = []
    for k in range(1, steps + 1):
        trace = build_trace(
            current, x, y, learning_rate, hidden_deltas=hidden_deltas, step=k, max_parameters=max_parameters
        )
        traces.append(trace)
        naming.assign(current, {q.refs["parameter"]: q.value for q in trace if q.kind == "update"})
    return traces

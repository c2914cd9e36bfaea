"""Every named value of one training step on one sample, as a flat ``{name: value}`` dict.

:func:`step_quantities` is the values of :func:`~chainrule.explain.trace.build_trace`'s
walk without the formulas' presentation: the inputs, the forward pass, the
error, the backward pass and the updated parameters (the names are those of
:mod:`chainrule.explain.names`; the given targets, weights, biases and ``eta``
are left out, as they were given). ``hidden_deltas="updated"`` reproduces the
published mistake (see :mod:`chainrule.explain.convention`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .convention import HIDDEN_DELTAS
from .trace import build_trace

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = ["HIDDEN_DELTAS", "step_quantities"]

#: Kinds of the given values, which step_quantities leaves out.
_GIVEN = ("target", "weight", "bias", "learning_rate")


def step_quantities(
    network: Network, x: Any, y: Any, learning_rate: float, hidden_deltas: str = "original"
) -> dict[str, float]:
    """Named values of one forward pass, error, backward pass and update.

    ``x``: one sample, shape ``(n_inputs,)`` or ``(1, n_inputs)``; ``y``: its
    targets. ``hidden_deltas``: ``"original"`` (the chain rule) or ``"updated"``
    (the published mistake). Nothing in ``network`` is changed; any size is
    accepted.
    """
    trace = build_trace(network, x, y, learning_rate, hidden_deltas=hidden_deltas, max_parameters=None)
    return {q.name: q.value for q in trace if q.kind not in _GIVEN}

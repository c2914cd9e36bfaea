"""One walk through a training step: the engine's arrays, and every quantity named so far.

:func:`~chainrule.explain.trace.build_trace` creates a :class:`StepWalk` and
hands it to the stage builders (:mod:`chainrule.explain.stages`) in the order
the step computes: given, forward, error, then layer by layer from the output
the backward pass and that layer's update. Each builder computes a value and
states its formula in the same call, :meth:`StepWalk.add`; the formula's
numbers are substituted there and then, from quantities already computed, so
a formula can only use what the walk has already named, and no name is ever
computed twice.

The arrays are the engine's: ``outs`` and ``nets`` come from one
:meth:`Network.infer` pass (``return_layers=True``), the weights and biases
are the network's, and the builders take the factors of the chain rule from
the engine's functions (the loss's ``per_output`` and ``gradient``, the
activation's ``derivative`` and ``jacobian``). They are held as float64
copies (the trace shows float64 numbers whatever the network's dtype); the
network is never changed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.validation import fail
from .formula import Expr, substitute
from .model import STAGES, Form, Group, Quantity, Stage
from .naming import Naming
from .prose import Prose

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = ["StepWalk"]


@functools.cache
def _layer_title(l: int, n_layers: int) -> Prose:
    if l == n_layers - 1:
        return Prose("output layer")
    return Prose("hidden layer") if n_layers == 2 else Prose("hidden layer {number}", number=l + 1)


def edge(source: str | None, target: str) -> dict[str, Any]:
    """A weight's ``from``/``to`` references for :meth:`StepWalk.add` (keywords Python reserves)."""
    return {"from": source, "to": target}


class StepWalk:
    """The state the stage builders share while they walk one step of ``network`` on one sample.

    Attributes
    ----------
    network : Network
        The network traced (read only).
    naming : Naming
        Its neurons' and parameters' names.
    eta : float
        The learning rate.
    hidden_deltas : {"original", "updated"}
        Which weights the paths into a hidden neuron use.
    x, y : arrays ``(n_inputs,)``, ``(n_outputs,)``, float64
        The sample and its targets, as the network's dtype holds them.
    outs : list of arrays, float64
        ``outs[0]`` is ``x``, ``outs[l + 1]`` layer ``l``'s activations ``(n_out,)``.
    nets : list of arrays, float64
        ``nets[l]`` is layer ``l``'s pre-activations ``(n_out,)``.
    weights : list of arrays, float64
        ``weights[l]`` is layer ``l``'s ``W`` ``(n_in, n_out)`` before the update.
    deltas, weight_gradients, bias_gradients, updated_weights : list
        Per layer, filled by the backward and update builders as the walk
        reaches the layer (None before): ``delta`` ``(n_out,)``, ``dE/dW``
        ``(n_in, n_out)``, ``dE/db`` (``(n_out,)``, ``(1,)`` shared, or None when
        frozen) and ``W+`` ``(n_in, n_out)``.
    updated_parameters : dict of str to float
        ``{"w5": value of w5+, ...}`` for every parameter the update changes.
    values : dict of str to float
        Every quantity's value so far, by name.
    """

    def __init__(self, network: Network, x: np.ndarray, y: np.ndarray, eta: float, hidden_deltas: str) -> None:
        self.network = network
        self.naming = Naming.of(network)
        self.eta = eta
        self.hidden_deltas = hidden_deltas
        # The engine's one inference pass; float64 copies, so the network's caches stay untouched.
        seen = network.infer(x, return_layers=True).layers
        assert seen is not None
        self.x = x[0].astype(np.float64)
        self.y = y[0].astype(np.float64)
        self.outs = [self.x] + [layer.a[0].astype(np.float64) for layer in seen]
        self.nets = [layer.z[0].astype(np.float64) for layer in seen]
        self.weights = [layer.W.astype(np.float64) for layer in network.layers]
        n = len(network.layers)
        self.deltas: list[np.ndarray | None] = [None] * n
        self.weight_gradients: list[np.ndarray | None] = [None] * n
        self.bias_gradients: list[np.ndarray | None] = [None] * n
        self.updated_weights: list[np.ndarray | None] = [None] * n
        self.updated_parameters: dict[str, float] = {}
        self.values: dict[str, float] = {}
        self._quantities: dict[str, Quantity] = {}
        self._stages: dict[str, Stage] = {}

    @property
    def n_layers(self) -> int:
        return len(self.network.layers)

    def layer_title(self, l: int) -> Prose:
        """``"output layer"``, ``"hidden layer"`` (one hidden layer) or ``"hidden layer 2"``."""
        return _layer_title(l, self.n_layers)

    # -- stages ------------------------------------------------------------------------------
    def stage(self, stage_id: str, description: Prose) -> Stage:
        """The stage ``stage_id``, created (empty, with ``description``) on first use."""
        stage = self._stages.get(stage_id)
        if stage is None:
            stage = self._stages[stage_id] = Stage(stage_id, STAGES[stage_id], description, [])
        return stage

    def has_stage(self, stage_id: str) -> bool:
        return stage_id in self._stages

    def stages(self) -> list[Stage]:
        """Every stage, in the order of :data:`~chainrule.explain.model.STAGES` (not the order computed)."""
        return [self._stages[s] for s in STAGES if s in self._stages]

    def quantities(self) -> dict[str, Quantity]:
        """Every quantity, in the order the stages list them."""
        return {name: self._quantities[name] for stage in self.stages() for name in stage.names}

    # -- quantities ----------------------------------------------------------------------------
    def add(
        self,
        group: Group | None,
        name: str,
        kind: str,
        value: float,
        forms: Sequence[tuple[Expr, bool]] = (),
        note: Prose | None = None,
        **refs: Any,
    ) -> float:
        """Name ``value`` as quantity ``name`` of ``group``, with its formulas; return the value as a float.

        Each form is ``(formula, show_numbers)``: the numbers are substituted
        now, from the quantities named before, so a formula that uses a name
        the walk has not reached yet is an error here rather than a wrong page.
        ``group`` None leaves the listing to the caller (when reading order and
        the order of computing differ, as for a softmax layer's outs).
        """
        if name in self._quantities:
            raise fail("trace quantity", "a name not yet computed in this step", name)
        built = tuple(Form(f, substitute(f, self.values) if show else None) for f, show in forms)
        number = self.values[name] = float(value)
        self._quantities[name] = Quantity(name, kind, number, built, dict(refs), note)
        if group is not None:
            group.names.append(name)
        return number

    def extend(self, name: str, form: Expr, note: Prose) -> None:
        """Add one more form (with numbers) and a note to quantity ``name`` (e.g. a fused delta)."""
        q = self._quantities[name]
        q.forms = q.forms + (Form(form, substitute(form, self.values)),)
        q.note = note

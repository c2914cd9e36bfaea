"""The trace's data model: quantities, the groups and stages that list them, and the trace.

A :class:`Trace` is plain data, built by :func:`~chainrule.explain.trace.build_trace`
and read by the renderers (:mod:`chainrule.explain.render`), the diagram and
the explorer. Each :class:`Quantity` holds its value and its formulas
together; stages list quantity names in reading order. The JSON form is
documented in ``docs/trace-schema.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.validation import fail
from ..i18n import N_
from .formula import Expr
from .prose import Prose

__all__ = ["Form", "Quantity", "Group", "Stage", "Trace", "STAGES"]

#: Stage ids in the order a trace lists them, with their titles (English; the renderers translate them).
STAGES = {
    "given": N_("Given"),
    "forward": N_("Forward pass"),
    "error": N_("Error"),
    "backward_output": N_("Backward pass, output layer"),
    "backward_hidden": N_("Backward pass, hidden layers"),
    "update": N_("Update"),
}


@dataclass(frozen=True)
class Form:
    """One right-hand side of a quantity's equation.

    ``formula`` is in names (``w1*i1 + w2*i2 + b1``); ``numbers`` is the same
    tree with every name replaced by its value, or None where substituting
    would add nothing (a form followed by a more explicit one).
    """

    formula: Expr
    numbers: Expr | None


@dataclass
class Quantity:
    """A named value of the step: ``name = forms[0] = forms[1] ... = value``.

    ``kind`` says what it is (:data:`chainrule.explain.names.KINDS` and
    ``docs/trace-schema.md``: ``input``, ``net``, ``out``, ``dE_dout``, ``delta``,
    ``path``, ``gradient``, ``update``...); ``name`` is built by
    :mod:`chainrule.explain.names`;
    ``refs`` names the neurons and parameters it belongs to (``{"neuron": "h1"}``,
    ``{"weight": "w5", "from": "h1", "to": "o1"}``); ``note`` is an optional remark
    (a :class:`~chainrule.explain.prose.Prose`, translated where it is shown).
    """

    name: str
    kind: str
    value: float
    forms: tuple[Form, ...] = ()
    refs: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


@dataclass
class Group:
    """A titled run of quantities inside a stage (one layer, or one neuron); the title is a Prose."""

    title: str
    names: list[str]


@dataclass
class Stage:
    """One stage of the step (an id of :data:`STAGES`): its groups in reading order, and remarks.

    ``title``, ``description`` and ``notes`` are English text (``description``
    and ``notes`` are :class:`~chainrule.explain.prose.Prose`); the renderers
    show them in the language asked for.
    """

    id: str
    title: str
    description: str
    groups: list[Group]
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for group in self.groups for name in group.names]


@dataclass
class Trace:
    """One training step of one network on one sample, every quantity named.

    Attributes
    ----------
    step : int
        1 for the first update, 2 for the next one (see :func:`~chainrule.explain.trace.trace_steps`).
    sizes : list of int
        Layer sizes, inputs first.
    neurons : list of list of str
        Neuron names per layer, ``neurons[0]`` the inputs.
    layers : list of dict
        Per layer: ``activation`` (config), ``bias`` (``"shared"``/``"per_neuron"``),
        ``train_bias``, ``weights`` and ``biases`` (their names).
    loss : dict
        The loss's config (``name``, ``reduction``, for squared error ``output_reduction``).
    learning_rate : float
    conventions : dict
        ``bias``, ``train_bias``, ``error`` and ``hidden_deltas`` (see :mod:`chainrule.explain.config`).
    quantities : dict of str to Quantity
        Every quantity, in the order of the stages.
    stages : list of Stage
    error_after_update : float
        E_total after applying this step's update (one more forward pass).
    notes : list of str
        Remarks about the whole step.
    """

    step: int
    sizes: list[int]
    neurons: list[list[str]]
    layers: list[dict[str, Any]]
    loss: dict[str, Any]
    dtype: str
    learning_rate: float
    conventions: dict[str, Any]
    quantities: dict[str, Quantity]
    stages: list[Stage]
    error_after_update: float
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        acts = ", ".join(layer["activation"]["name"] for layer in self.layers)
        return (
            f"<Trace step {self.step}: {'-'.join(map(str, self.sizes))} network ({acts}), "
            f"loss {self.loss['name']}, eta = {self.learning_rate:g}; {len(self.quantities)} quantities "
            f"in {len(self.stages)} stages; E_total {self.quantities['E_total'].value:.9g} -> "
            f"{self.error_after_update:.9g}>"
        )

    def __getitem__(self, name: str) -> Quantity:
        try:
            return self.quantities[name]
        except KeyError:
            raise fail("trace quantity", "a name of this trace (e.g. 'net_h1', 'dE_total/dw5')", name) from None

    def __iter__(self) -> Iterator[Quantity]:
        return iter(self.quantities.values())

    def __len__(self) -> int:
        return len(self.quantities)

    def values(self) -> dict[str, float]:
        """Every quantity's value by name."""
        return {name: q.value for name, q in self.quantities.items()}

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise fail("stage", f"one of {[s.id for s in self.stages]}", stage_id)

    def stage_of(self, name: str) -> str:
        """The id of the stage that lists ``name``."""
        for stage in self.stages:
            if name in stage.names:
                return stage.id
        raise fail("trace quantity", "a name of this trace", name)

    def annotate(self, name: str, note: str) -> None:
        """Attach a remark to a quantity (e.g. the tutorial's misprint of out_o1)."""
        q = self[name]
        # Each part keeps its own message, so that both are translated.
        parts = [n if isinstance(n, Prose) else Prose(n) for n in (q.note, note) if n is not None]
        q.note = parts[0] if len(parts) == 1 else Prose.join(" ", parts)

"""The trace: one training step on one sample, every quantity named, with its formula.

:func:`build_trace` returns a :class:`Trace`: the tutorial's derivation for any
small fully connected network. Every value comes from
:func:`~chainrule.explain.quantities.step_quantities` (the engine's forward
pass, then the chain rule scalar by scalar); this module adds to each value its
formula in names and the same formula with the numbers substituted
(:mod:`chainrule.explain.formula`), and groups the quantities in stages:

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

A network without hidden layers has no ``backward_hidden`` stage. Names are
those of :mod:`chainrule.explain.naming` (neurons, weights, biases) and
:mod:`chainrule.explain.quantities` (derived values); the JSON form is
documented in ``docs/trace-schema.md``.

Size limit: a trace is for a network a person can read. Past
:data:`MAX_TRACE_PARAMETERS` weights and biases (each weight takes three lines
of derivation) :func:`build_trace` refuses with :class:`TraceTooLarge`, whose
message points to :func:`~chainrule.explain.summary.layer_summary`, the
per-layer summary that works for any size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from ..core.validation import check_positive_float, check_positive_int, fail
from .formula import Add, Expr, Neg, Num, Pow, Sym, add, call, div, mul, sub, substitute
from .naming import Naming
from .quantities import HIDDEN_DELTAS, step_quantities

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
    "build_trace",
    "trace_steps",
]

#: Largest number of weights and biases :func:`build_trace` accepts by default.
MAX_TRACE_PARAMETERS = 128

#: Stage ids in the order a trace lists them, with their titles.
STAGES = {
    "given": "Given",
    "forward": "Forward pass",
    "error": "Error",
    "backward_output": "Backward pass, output layer",
    "backward_hidden": "Backward pass, hidden layers",
    "update": "Update",
}


class TraceTooLarge(ValueError):
    """The network has more parameters than a readable trace allows."""


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

    ``kind`` says what it is (see ``docs/trace-schema.md``: ``input``, ``net``,
    ``out``, ``dE_dout``, ``delta``, ``path``, ``gradient``, ``update``...);
    ``refs`` names the neurons and parameters it belongs to (``{"neuron": "h1"}``,
    ``{"weight": "w5", "from": "h1", "to": "o1"}``); ``note`` is an optional remark.
    """

    name: str
    kind: str
    value: float
    forms: tuple[Form, ...] = ()
    refs: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


@dataclass
class Group:
    """A titled run of quantities inside a stage (one layer, or one neuron)."""

    title: str
    names: list[str]


@dataclass
class Stage:
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
        1 for the first update, 2 for the next one (see :func:`trace_steps`).
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
        q.note = note if q.note is None else f"{q.note} {note}"


def _neuron_title(name: str) -> str:
    return f"neuron {name}"


def _layer_title(l: int, n_layers: int) -> str:
    if l == n_layers - 1:
        return "output layer"
    return "hidden layer" if n_layers == 2 else f"hidden layer {l + 1}"


class _Builder:
    """Collects quantities and stages; ``values`` must already hold every value."""

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values
        self.quantities: dict[str, Quantity] = {}
        self.stages: list[Stage] = []

    def stage(self, stage_id: str, description: str) -> Stage:
        stage = Stage(stage_id, STAGES[stage_id], description, [])
        self.stages.append(stage)
        return stage

    def add(
        self,
        group: Group,
        name: str,
        kind: str,
        forms: Sequence[tuple[Expr, bool]] = (),
        note: str | None = None,
        **refs: Any,
    ) -> None:
        """Add quantity ``name``; each form is ``(formula, show_numbers)``."""
        built = tuple(Form(f, substitute(f, self.values) if show else None) for f, show in forms)
        self.quantities[name] = Quantity(name, kind, float(self.values[name]), built, dict(refs), note)
        group.names.append(name)


def _activation_forms(activation: Any, net: str, names: list[str]) -> list[tuple[Expr, bool]]:
    """out = f(net): the function by name, then written out, with numbers."""
    from . import facts

    return facts.activation_forms(activation, net, [f"net_{n}" for n in names])


def _derivative_form(activation: Any, out: str, net: str) -> Expr:
    """dout/dnet as a formula of the cached out (or of net, where that reads better)."""
    from . import facts

    return facts.derivative_form(activation, out, net)


def _loss_forms(loss: Any, o: str, m: int) -> tuple[Expr, Expr]:
    """(E_o, dE_total/dout_o) for output ``o`` of ``m``."""
    from . import facts

    return facts.loss_forms(loss, o, m)


def _error_description(loss: Any, m: int) -> str:
    from . import facts

    return facts.error_description(loss, m)


def build_trace(
    network: "Network",
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
    naming = Naming.of(network)
    q = step_quantities(network, x_row, y_row, eta, hidden_deltas=hidden_deltas)

    values: dict[str, float] = dict(q)
    for name, value in zip(naming.outputs, y_row[0]):
        values[f"target_{name}"] = float(value)
    for p in naming.weights + naming.biases:
        values[p.name] = naming.get(network, p.name)
    values["eta"] = eta
    b = _Builder(values)
    layers = network.layers
    n_layers = len(layers)
    loss = network.loss_function
    m = network.n_outputs
    neurons = naming.neurons

    # -- given -----------------------------------------------------------------------
    given = b.stage("given", "The sample, the targets, the parameters before the update, and the learning rate.")
    group = Group("inputs", [])
    for name in naming.inputs:
        b.add(group, name, "input", neuron=name)
    given.groups.append(group)
    group = Group("targets", [])
    for name in naming.outputs:
        b.add(group, f"target_{name}", "target", neuron=name)
    given.groups.append(group)
    for l in range(n_layers):
        group = Group(f"parameters of the {_layer_title(l, n_layers)}", [])
        for p in naming.weights:
            if p.layer == l:
                b.add(group, p.name, "weight", layer=l, index=list(p.index), **{"from": p.source, "to": p.targets[0]})
        for p in naming.biases:
            if p.layer == l:
                b.add(group, p.name, "bias", layer=l, index=list(p.index), targets=list(p.targets),
                      trainable=layers[l].train_bias)
        given.groups.append(group)
    group = Group("learning rate", [])
    b.add(group, "eta", "learning_rate")
    given.groups.append(group)

    # -- forward -----------------------------------------------------------------------
    forward = b.stage("forward", "net = weighted sum of the layer's inputs + bias; out = activation(net).")
    for l, layer in enumerate(layers):
        group = Group(f"{_layer_title(l, n_layers)} ({layer.activation.name})", [])
        targets = neurons[l + 1]
        for j, t in enumerate(targets):
            terms: list[Expr] = []
            for i, s in enumerate(neurons[l]):
                w = naming.weight_between(l, i, j).name
                terms.append(mul(w, s if l == 0 else f"out_{s}"))
            bias = naming.bias_of(l, j)
            if bias is not None:
                terms.append(Sym(bias.name))
            b.add(group, f"net_{t}", "net", [(Add(tuple(terms)), True)], neuron=t, layer=l)
            b.add(group, f"out_{t}", "out", _activation_forms(layer.activation, f"net_{t}", targets),
                  neuron=t, layer=l, activation=layer.activation.name)
        forward.groups.append(group)

    # -- error ---------------------------------------------------------------------------
    error = b.stage("error", _error_description(loss, m) + ".")
    group = Group("error per output and in total", [])
    loss_forms = {o: _loss_forms(loss, o, m) for o in naming.outputs}
    for o in naming.outputs:
        b.add(group, f"E_{o}", "error", [(loss_forms[o][0], True)], neuron=o)
    b.add(group, "E_total", "error_total", [(add(*[f"E_{o}" for o in naming.outputs]), True)])
    error.groups.append(group)
    if loss.name == "categorical_cross_entropy":
        error.notes.append("E_o is computed from net as target * (logsumexp(net) - net_o), which equals "
                           "-target * log(out_o) without ever taking log(0).")

    # -- backward ------------------------------------------------------------------------
    def layer_backward(stage: Stage, l: int) -> None:
        layer = layers[l]
        act = layer.activation
        names = neurons[l + 1]
        is_output = l == n_layers - 1
        for j, t in enumerate(names):
            group = Group(_neuron_title(t), [])
            if is_output:
                b.add(group, f"dE_total/dout_{t}", "dE_dout", [(loss_forms[t][1], True)], neuron=t)
            else:
                paths = []
                for k, target in enumerate(neurons[l + 2]):
                    w = naming.weight_between(l + 1, j, k).name
                    w_used = f"{w}+" if hidden_deltas == "updated" else w
                    name = f"dE_{target}/dout_{t}"
                    b.add(group, name, "path", [(mul(f"delta_{target}", w_used), True)],
                          neuron=t, through=target, weight=w_used)
                    paths.append(name)
                b.add(group, f"dE_total/dout_{t}", "dE_dout", [(add(*paths), True)], neuron=t, paths=paths)
            b.add(group, f"dout_{t}/dnet_{t}", "dout_dnet", [(_derivative_form(act, f"out_{t}", f"net_{t}"), True)],
                  neuron=t, out=t, net=t)
            if act.elementwise:
                b.add(group, f"delta_{t}", "delta", [(mul(f"dE_total/dout_{t}", f"dout_{t}/dnet_{t}"), True)],
                      neuron=t, factors=[f"dE_total/dout_{t}", f"dout_{t}/dnet_{t}"])
            else:
                # Softmax couples its neurons: dout_k/dnet_j = -out_k out_j off the diagonal.
                for k, other in enumerate(names):
                    if k != j:
                        b.add(group, f"dout_{other}/dnet_{t}", "dout_dnet",
                              [(Neg(mul(f"out_{other}", f"out_{t}")), True)], neuron=t, out=other, net=t)
                factors = [(f"dE_total/dout_{k}", f"dout_{k}/dnet_{t}") for k in names]
                forms: list[tuple[Expr, bool]] = [(add(*[mul(a, c) for a, c in factors]), True)]
                note = None
                if is_output and loss.name == "categorical_cross_entropy":
                    total_target = sum(values[f"target_{k}"] for k in names)
                    if abs(total_target - 1.0) < 1e-9:
                        forms.append((sub(f"out_{t}", f"target_{t}"), True))
                    else:
                        forms.append((sub(mul(f"out_{t}", add(*[f"target_{k}" for k in names])), f"target_{t}"), True))
                    note = ("the sum of the factors' products is the fused delta out - target "
                            "(targets summing to 1), which the engine computes directly.")
                b.add(group, f"delta_{t}", "delta", forms, note=note, neuron=t,
                      factors=[name for pair in factors for name in pair])
            if is_output and loss.name == "binary_cross_entropy":
                quantity = b.quantities[f"delta_{t}"]
                fused = sub(f"out_{t}", f"target_{t}")
                quantity.forms = quantity.forms + (Form(fused, substitute(fused, values)),)
                quantity.note = ("the product of the two factors is the fused delta out - target, "
                                 "which the engine computes directly (never dividing by out (1 - out)).")
            for i, s in enumerate(neurons[l]):
                w = naming.weight_between(l, i, j).name
                src = s if l == 0 else f"out_{s}"
                b.add(group, f"dnet_{t}/d{w}", "dnet_dw", [(Sym(src), True)], weight=w, neuron=t)
                if act.elementwise:
                    chain = [f"dE_total/dout_{t}", f"dout_{t}/dnet_{t}", f"dnet_{t}/d{w}"]
                else:
                    chain = [f"delta_{t}", f"dnet_{t}/d{w}"]
                b.add(group, f"dE_total/d{w}", "gradient", [(mul(*chain), True)], weight=w, factors=chain,
                      delta=f"delta_{t}", **{"from": s, "to": t})
            bias = naming.bias_of(l, j)
            if bias is not None and layer.train_bias and layer.bias_mode == "per_neuron":
                b.add(group, f"dE_total/d{bias.name}", "gradient", [(Sym(f"delta_{t}"), True)],
                      bias=bias.name, delta=f"delta_{t}", factors=[f"delta_{t}"])
            stage.groups.append(group)
        if layer.train_bias and layer.bias_mode == "shared":
            bias = naming.bias_of(l, 0)
            assert bias is not None
            group = Group(f"shared bias {bias.name}", [])
            b.add(group, f"dE_total/d{bias.name}", "gradient", [(add(*[f"delta_{t}" for t in names]), True)],
                  bias=bias.name, factors=[f"delta_{t}" for t in names])
            stage.groups.append(group)

    out_stage = b.stage("backward_output", "Chain rule: dE_total/dw = dE_total/dout * dout/dnet * dnet/dw; "
                        "delta = dE_total/dnet = dE_total/dout * dout/dnet; dE_total/db = delta (dnet/db = 1).")
    last = layers[-1]
    if not last.activation.elementwise:
        out_stage.notes.append(
            "softmax couples its outputs: dout_k/dnet_j = out_k (1 - out_k) for k = j and -out_k out_j "
            "otherwise, a full Jacobian, so each delta sums dE_total/dout_k * dout_k/dnet_j over every output k."
        )
    layer_backward(out_stage, n_layers - 1)
    if n_layers > 1:
        hidden = b.stage(
            "backward_hidden",
            "A hidden neuron's out feeds every neuron of the next layer: each path contributes "
            "delta_next * w, and dE_total/dout sums every path.",
        )
        if hidden_deltas == "updated":
            hidden.notes.append(
                "convention hidden_deltas = updated: the paths use the ALREADY UPDATED weights of the next "
                "layer (w+), a mistake some published versions of the tutorial made; the values below are "
                "then not the gradient."
            )
        else:
            hidden.notes.append("The paths use the ORIGINAL weights of the next layer, not the updated ones.")
        for l in range(n_layers - 2, -1, -1):
            before = len(hidden.groups)
            layer_backward(hidden, l)
            title = _layer_title(l, n_layers)
            for group in hidden.groups[before:]:
                group.title = f"{title}, {group.title}"

    # -- update ----------------------------------------------------------------------------
    update = b.stage("update", "Gradient descent: w+ = w - eta * dE_total/dw.")
    for l, layer in enumerate(layers):
        group = Group(_layer_title(l, n_layers), [])
        for p in naming.weights:
            if p.layer == l:
                b.add(group, f"{p.name}+", "update", [(sub(p.name, mul("eta", f"dE_total/d{p.name}")), True)],
                      parameter=p.name)
        for p in naming.biases:
            if p.layer == l and layer.train_bias:
                b.add(group, f"{p.name}+", "update", [(sub(p.name, mul("eta", f"dE_total/d{p.name}")), True)],
                      parameter=p.name)
        update.groups.append(group)
    frozen = [p.name for p in naming.biases if not layers[p.layer].train_bias]
    if frozen:
        update.notes.append(f"The biases {', '.join(frozen)} are frozen: they keep their values.")

    # -- the error after the update ------------------------------------------------------------
    updated = network.copy()
    naming.assign(updated, {name[:-1]: values[name] for name in b.quantities if name.endswith("+")})
    after = updated.loss(x_row, y_row)

    bias_modes = {layer.bias_mode for layer in layers}
    trains = {layer.train_bias for layer in layers}
    conventions = {
        "bias": bias_modes.pop() if len(bias_modes) == 1 else "mixed",
        "train_bias": trains.pop() if len(trains) == 1 else "mixed",
        "error": getattr(loss, "output_reduction", None),
        "hidden_deltas": hidden_deltas,
    }
    layer_info = []
    for l, layer in enumerate(layers):
        layer_info.append({
            "activation": layer.activation.config(),
            "bias": layer.bias_mode,
            "train_bias": layer.train_bias,
            "weights": [p.name for p in naming.weights if p.layer == l],
            "biases": [p.name for p in naming.biases if p.layer == l],
        })
    notes = []
    if network.dtype != np.float64:
        notes.append(f"The network computes in {network.dtype.name}; the trace shows its values as float64 numbers.")
    return Trace(
        step=step,
        sizes=network.sizes,
        neurons=[list(n) for n in neurons],
        layers=layer_info,
        loss=loss.config(),
        dtype=network.dtype.name,
        learning_rate=eta,
        conventions=conventions,
        quantities=b.quantities,
        stages=b.stages,
        error_after_update=float(after),
        notes=notes,
    )


def trace_steps(
    network: "Network",
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
    """
    steps = check_positive_int(steps, "steps")
    current = network.copy()
    naming = Naming.of(current)
    traces = []
    for k in range(1, steps + 1):
        trace = build_trace(current, x, y, learning_rate, hidden_deltas=hidden_deltas, step=k,
                            max_parameters=max_parameters)
        traces.append(trace)
        naming.assign(current, {name[:-1]: q.value for name, q in trace.quantities.items() if q.kind == "update"})
    return traces


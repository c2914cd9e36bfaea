"""The trace's formulas, read from each activation's and loss's own facts.

Activations and losses state their formulas through an expression builder
(:class:`chainrule.core.formulas.FormulaOps`); :data:`OPS` is the one that
builds this package's :mod:`~chainrule.explain.formula` trees. Where a
component states no formula (a user's own, registered without one), the trace
writes a generic form named after it:

======================  ======================================
``out_h1``              ``cube(net_h1)``
``dout_h1/dnet_h1``     ``cube'(net_h1)``
``E_o1``                ``my_loss(target_o1, out_o1)``
``dE_total/dout_o1``    ``my_loss'(target_o1, out_o1)``
======================  ======================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.validation import fail
from .formula import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub, Sym, call
from .prose import Math, Prose

__all__ = [
    "ExprOps",
    "OPS",
    "activation_forms",
    "derivative_form",
    "described",
    "error_description",
    "fused_delta_form",
    "loss_forms",
]


def _expr(value: Any) -> Expr:
    if isinstance(value, (Sym, Num, Add, Sub, Mul, Div, Pow, Neg, Call)):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail("formula term", "an expression or a number", value)
    return Num(float(value))


class ExprOps:
    """The :class:`~chainrule.core.formulas.FormulaOps` that builds :mod:`~chainrule.explain.formula` trees."""

    def num(self, value: float) -> Expr:
        return Num(float(value))

    def add(self, *terms: Any) -> Expr:
        return Add(tuple(_expr(t) for t in terms))

    def sub(self, left: Any, right: Any) -> Expr:
        return Sub(_expr(left), _expr(right))

    def mul(self, *factors: Any) -> Expr:
        return Mul(tuple(_expr(f) for f in factors))

    def div(self, numerator: Any, denominator: Any) -> Expr:
        return Div(_expr(numerator), _expr(denominator))

    def pow(self, base: Any, exponent: Any) -> Expr:
        return Pow(_expr(base), _expr(exponent))

    def neg(self, arg: Any) -> Expr:
        return Neg(_expr(arg))

    def call(self, function: str, *args: Any) -> Expr:
        return call(function, *[_expr(a) for a in args])


#: The builder the trace passes to activations and losses.
OPS = ExprOps()


def _checked(value: Any, what: str) -> Expr:
    try:
        return _expr(value)
    except ValueError:
        raise fail(what, "an expression built with the ops it was given", value) from None


def activation_forms(activation: Any, net: str, layer_nets: Sequence[str]) -> list[tuple[Expr, bool]]:
    """``out = f(net)``: the activation's formulas (numbers substituted into the last), or ``name(net)``.

    Returns ``(formula, show_numbers)`` pairs; ``layer_nets`` names the nets of the whole layer.
    """
    z = Sym(net)
    forms = activation.formula(z, OPS, [Sym(n) for n in layer_nets])
    if forms is None:
        return [(Call(activation.name, (z,)), True)]
    if not isinstance(forms, (list, tuple)):  # one formula, not wrapped in a sequence
        forms = (forms,)
    forms = [_checked(f, f"activation {activation.name!r} formula") for f in forms]
    if not forms:
        raise fail(f"activation {activation.name!r} formula", "at least one formula, or None", forms)
    return [(f, k == len(forms) - 1) for k, f in enumerate(forms)]


def derivative_form(activation: Any, out: str, net: str) -> Expr:
    """dout/dnet: the activation's derivative formula of the cached out and net, or ``name'(net)``."""
    form = activation.derivative_formula(Sym(out), Sym(net), OPS)
    if form is None:
        return Call(f"{activation.name}'", (Sym(net),))
    return _checked(form, f"activation {activation.name!r} derivative_formula")


def loss_forms(loss: Any, o: str, m: int) -> tuple[Expr, Expr]:
    """``(E_o, dE_total/dout_o)`` for output ``o`` of ``m``: the loss's formulas, or generic ones."""
    target, out = Sym(f"target_{o}"), Sym(f"out_{o}")
    error = loss.per_output_formula(target, out, m, OPS)
    gradient = loss.gradient_formula(target, out, m, OPS)
    error = Call(loss.name, (target, out)) if error is None else _checked(error, f"loss {loss.name!r} formula")
    gradient = (
        Call(f"{loss.name}'", (target, out))
        if gradient is None
        else _checked(gradient, f"loss {loss.name!r} gradient_formula")
    )
    return error, gradient


def fused_delta_form(loss: Any, activation: Any, o: str) -> Expr | None:
    """delta_o as the engine computes it directly, when ``loss`` fuses with the output ``activation``; else None."""
    if loss.requires_activation is None or activation.name != loss.requires_activation:
        return None
    form = loss.fused_delta_formula(Sym(f"target_{o}"), Sym(f"out_{o}"), OPS)
    return None if form is None else _checked(form, f"loss {loss.name!r} fused_delta_formula")


class _Count(int):
    """``m`` that prints as ``{n_outputs}``: a description's f-string then spells its own message."""

    def __str__(self) -> str:
        return "{n_outputs}"

    def __format__(self, spec: str) -> str:
        return "{n_outputs}" if not spec else format(int(self), spec)


def described(loss: Any, m: int) -> Prose | None:
    """The loss's own description for ``m`` outputs as a message to translate, or None.

    ``mean over the 2 outputs of ...`` becomes the message ``mean over the
    {n_outputs} outputs of ...`` with ``n_outputs=2``, so one catalogue entry
    serves every network; a description that uses the number otherwise is
    looked up as written.
    """
    description = loss.description(m)
    if description is None:
        return None
    message = loss.description(_Count(m))
    if isinstance(message, str) and message != description and "{n_outputs}" in message:
        said = Prose(message.replace("{", "{{").replace("}", "}}").replace("{{n_outputs}}", "{n_outputs}"), n_outputs=m)
        if str(said) == description:
            return said
    return Prose(description)  # the loss's own words, looked up in the catalogues as written


def error_description(loss: Any, m: int) -> Prose:
    """The sentence that says what E_total is: ``E_total = sum over outputs of 1/2 (target - out)^2.``

    As plain text it quotes the loss's own description (or ``sum over outputs
    of my_loss(target, out)``); typeset, it states the same with the loss's
    formula: E_total is the sum over the outputs o of E_o = (the formula).
    """
    said = described(loss, m)
    if said is None:
        said = Prose("sum over outputs of {name}(target, out)", name=loss.name)
    per_output = loss_forms(loss, "o", m)[0]
    typeset = Prose(
        "{total} is the sum over the outputs {o} of {per_output}.",
        total=Math("E_total"),
        o=Math("o"),
        per_output=Math("E_o", per_output),
    )
    return Prose("{total} = {description}.", total=Math("E_total"), description=said, typeset=typeset)

"""What the trace writes for each activation and loss: ``out = f(net)``, dout/dnet, E_o and dE/dout.

The stage builders (:mod:`chainrule.explain.stages`) take every formula of an
activation or a loss from these four functions; the values come from the
engine. Each function returns formulas in the names of
:mod:`chainrule.explain.names`, as :mod:`chainrule.explain.formula` trees; a
form paired with True is shown again with its numbers substituted.
"""

from __future__ import annotations

from typing import Any

from ..core.validation import fail
from .formula import Expr, Neg, Num, Pow, Sym, add, call, div, mul, sub

__all__: list[str] = []  # private to explain/: the stage builders' formula facts


def _activation_forms(activation: Any, net: str, names: list[str]) -> list[tuple[Expr, bool]]:
    """out = f(net): the function by name, then written out, with numbers."""
    kind = activation.name
    z = Sym(net)
    if kind == "sigmoid":
        return [(call("sigmoid", z), False), (div(1, add(1, call("exp", Neg(z)))), True)]
    if kind == "tanh":
        return [(call("tanh", z), True)]
    if kind == "relu":
        return [(call("max", z, 0), True)]
    if kind == "leaky_relu":
        return [(call("max", z, mul(activation.alpha, z)), True)]
    if kind == "identity":
        return [(z, True)]
    if kind == "softmax":
        return [(div(call("exp", z), add(*[call("exp", Sym(f"net_{n}")) for n in names])), True)]
    raise fail("activation", "an activation the trace knows", kind)


def _derivative_form(activation: Any, out: str, net: str) -> Expr:
    """dout/dnet as a formula of the cached out (or of net, where that reads better)."""
    kind = activation.name
    a = Sym(out)
    if kind in ("sigmoid", "softmax"):
        return mul(a, sub(1, a))
    if kind == "tanh":
        return sub(1, Pow(a, Num(2.0)))
    if kind == "relu":
        return call("step", Sym(net))
    if kind == "leaky_relu":
        return call("step", Sym(net), activation.alpha)
    if kind == "identity":
        return Num(1.0)
    raise fail("activation", "an activation the trace knows", kind)


def _loss_forms(loss: Any, o: str, m: int) -> tuple[Expr, Expr]:
    """(E_o, dE_total/dout_o) for output ``o`` of ``m``."""
    t, a = Sym(f"target_{o}"), Sym(f"out_{o}")
    if loss.name == "squared_error":
        if loss.output_reduction == "half_sum":
            return mul(div(1, 2), Pow(sub(t, a), Num(2.0))), sub(a, t)
        return div(Pow(sub(t, a), Num(2.0)), m), div(mul(2, sub(a, t)), m)
    if loss.name == "categorical_cross_entropy":
        return Neg(mul(t, call("log", a))), Neg(div(t, a))
    if loss.name == "binary_cross_entropy":
        error = Neg(add(mul(t, call("log", a)), mul(sub(1, t), call("log", sub(1, a)))))
        return error, div(sub(a, t), mul(a, sub(1, a)))
    raise fail("loss", "a loss the trace knows", loss.name)


def _error_description(loss: Any, m: int) -> str:
    if loss.name == "squared_error":
        if loss.output_reduction == "half_sum":
            return "E_total = sum over outputs of 1/2 (target - out)^2"
        return f"E_total = mean over the {m} outputs of (target - out)^2"
    if loss.name == "categorical_cross_entropy":
        return "E_total = cross-entropy = - sum over outputs of target * log(out)"
    return "E_total = binary cross-entropy = - sum over outputs of [target log(out) + (1 - target) log(1 - out)]"

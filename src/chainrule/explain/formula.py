"""Formulas as small expression trees, so that every renderer can typeset them.

A trace states each quantity as ``name = formula = formula with numbers = value``.
The formula is a tree of the node types below, never a string: the plain-text
renderer prints ``w1*i1 + w2*i2 + b1``, the LaTeX renderer ``w_1 i_1 + w_2 i_2 + b_1``,
and the JSON renderer the tree itself (see ``docs/trace-schema.md``).

==========  ===================================  ==============================
node        meaning                              JSON
==========  ===================================  ==============================
``Sym``     a named quantity (``net_h1``, ``w5``) ``{"op": "sym", "name": "w5"}``
``Num``     a number                             ``{"op": "num", "value": 0.4}``
``Add``     ``a + b + ...``                      ``{"op": "add", "args": [...]}``
``Sub``     ``a - b``                            ``{"op": "sub", "args": [a, b]}``
``Mul``     ``a * b * ...``                      ``{"op": "mul", "args": [...]}``
``Div``     ``a / b``                            ``{"op": "div", "args": [a, b]}``
``Pow``     ``a ^ b``                            ``{"op": "pow", "args": [a, b]}``
``Neg``     ``-a``                               ``{"op": "neg", "args": [a]}``
``Call``    ``f(a, ...)``, ``f`` in :data:`FUNCTIONS`  ``{"op": "call", "name": "exp", "args": [...]}``
==========  ===================================  ==============================

A ``Call`` may also name an activation or a loss that states no formula of
its own: the trace then writes the generic ``cube(net_h1)`` and its derivative
``cube'(net_h1)`` (see :mod:`chainrule.explain.facts`); :func:`evaluate`
cannot compute those.

:func:`substitute` replaces every symbol by its value (the "numbers" form);
:func:`evaluate` computes a tree, which the tests use to prove that every
formula of a trace really gives the value printed after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.formulas import FUNCTIONS as CORE_FUNCTIONS
from ..core.validation import fail

__all__ = [
    "Expr",
    "Sym",
    "Num",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Neg",
    "Call",
    "FUNCTIONS",
    "substitute",
    "evaluate",
    "symbols",
    "to_json",
    "from_json",
]


@dataclass(frozen=True)
class Sym:
    """A named quantity of the trace, e.g. ``Sym("net_h1")``."""

    name: str


@dataclass(frozen=True)
class Num:
    """A number (a substituted value or a constant such as 1 or 2)."""

    value: float


@dataclass(frozen=True)
class Add:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Sub:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Mul:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Div:
    numerator: Expr
    denominator: Expr


@dataclass(frozen=True)
class Pow:
    base: Expr
    exponent: Expr


@dataclass(frozen=True)
class Neg:
    arg: Expr


@dataclass(frozen=True)
class Call:
    """A function of :data:`FUNCTIONS` applied to its arguments."""

    name: str
    args: tuple[Expr, ...]


Expr = Sym | Num | Add | Sub | Mul | Div | Pow | Neg | Call


def _step(x: float, low: float = 0.0) -> float:
    return 1.0 if x > 0 else low


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x * math.sqrt(0.5))


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi) if abs(x) < 40 else 0.0


_IMPLEMENTATIONS: dict[str, Callable[..., float]] = {
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0,
    "tanh": math.tanh,
    "exp": lambda x: math.exp(x) if x < 700 else math.inf,
    "log": lambda x: math.log(x) if x > 0 else -math.inf,
    "max": max,
    "min": min,
    "step": _step,
    "Phi": _normal_cdf,
    "phi": _normal_pdf,
}

#: The functions a formula may call: name -> (implementation, meaning). The names and
#: meanings are the core's (:data:`chainrule.core.formulas.FUNCTIONS`), which
#: activations and losses write their formulas with.
FUNCTIONS: dict[str, tuple[Callable[..., float], str]] = {
    name: (_IMPLEMENTATIONS[name], meaning) for name, meaning in CORE_FUNCTIONS.items()
}


def _as_expr(value: Any) -> Expr:
    if isinstance(value, (Sym, Num, Add, Sub, Mul, Div, Pow, Neg, Call)):
        return value
    if isinstance(value, str):
        return Sym(value)
    return Num(float(value))


def add(*args: Any) -> Expr:
    """``Add`` of the arguments (strings become symbols, numbers ``Num``)."""
    return Add(tuple(_as_expr(a) for a in args))


def mul(*args: Any) -> Expr:
    return Mul(tuple(_as_expr(a) for a in args))


def sub(a: Any, b: Any) -> Expr:
    return Sub(_as_expr(a), _as_expr(b))


def div(a: Any, b: Any) -> Expr:
    return Div(_as_expr(a), _as_expr(b))


def call(name: str, *args: Any) -> Expr:
    if name not in FUNCTIONS:
        raise fail("function", f"one of {sorted(FUNCTIONS)}", name)
    return Call(name, tuple(_as_expr(a) for a in args))


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``expr``."""
    if isinstance(expr, (Add, Mul, Call)):
        return expr.args
    if isinstance(expr, Sub):
        return (expr.left, expr.right)
    if isinstance(expr, Div):
        return (expr.numerator, expr.denominator)
    if isinstance(expr, Pow):
        return (expr.base, expr.exponent)
    if isinstance(expr, Neg):
        return (expr.arg,)
    return ()


def _rebuild(expr: Expr, args: list[Expr]) -> Expr:
    if isinstance(expr, Add):
        return Add(tuple(args))
    if isinstance(expr, Mul):
        return Mul(tuple(args))
    if isinstance(expr, Call):
        return Call(expr.name, tuple(args))
    if isinstance(expr, Sub):
        return Sub(*args)
    if isinstance(expr, Div):
        return Div(*args)
    if isinstance(expr, Pow):
        return Pow(*args)
    if isinstance(expr, Neg):
        return Neg(args[0])
    return expr


def symbols(expr: Expr) -> list[str]:
    """The names of every symbol in ``expr``, in order of appearance, without repeats."""
    seen: dict[str, None] = {}

    def walk(e: Expr) -> None:
        if isinstance(e, Sym):
            seen.setdefault(e.name)
        for c in children(e):
            walk(c)

    walk(expr)
    return list(seen)


def substitute(expr: Expr, values: Mapping[str, float]) -> Expr:
    """``expr`` with every symbol replaced by ``Num(values[name])``."""
    if isinstance(expr, Sym):
        try:
            return Num(float(values[expr.name]))
        except KeyError:
            raise fail("formula symbol", "a name with a value in the trace", expr.name) from None
    if isinstance(expr, Num):
        return expr
    return _rebuild(expr, [substitute(c, values) for c in children(expr)])


def evaluate(expr: Expr, values: Mapping[str, float] | None = None) -> float:
    """The value of ``expr``; symbols are looked up in ``values``."""
    if isinstance(expr, Sym):
        if values is None or expr.name not in values:
            raise fail("formula symbol", "a name with a value", expr.name)
        return float(values[expr.name])
    if isinstance(expr, Num):
        return expr.value
    args = [evaluate(c, values) for c in children(expr)]
    if isinstance(expr, Add):
        return math.fsum(args)
    if isinstance(expr, Mul):
        return math.prod(args)
    if isinstance(expr, Sub):
        return args[0] - args[1]
    if isinstance(expr, Div):
        return args[0] / args[1]
    if isinstance(expr, Pow):
        power: float = args[0] ** args[1]  # float ** float is typed Any (it may be complex)
        return power
    if isinstance(expr, Neg):
        return -args[0]
    if isinstance(expr, Call):
        if expr.name not in FUNCTIONS:
            # A generic form such as cube(net_h1), of an activation with no formula of its own.
            raise fail(
                "formula function", f"one of {sorted(FUNCTIONS)} (a generic form has no implementation here)", expr.name
            )
        return float(FUNCTIONS[expr.name][0](*args))
    raise fail("formula", "an expression node", expr)


_OPS = {Add: "add", Sub: "sub", Mul: "mul", Div: "div", Pow: "pow", Neg: "neg"}
_NODES = {v: k for k, v in _OPS.items()}


def to_json(expr: Expr) -> dict[str, Any]:
    """The JSON form of ``expr`` (see the module docstring)."""
    if isinstance(expr, Sym):
        return {"op": "sym", "name": expr.name}
    if isinstance(expr, Num):
        return {"op": "num", "value": expr.value}
    if isinstance(expr, Call):
        return {"op": "call", "name": expr.name, "args": [to_json(a) for a in expr.args]}
    return {"op": _OPS[type(expr)], "args": [to_json(c) for c in children(expr)]}


def from_json(data: Mapping[str, Any]) -> Expr:
    """Rebuild an expression from :func:`to_json`'s output."""
    op = data.get("op") if isinstance(data, Mapping) else None
    if op == "sym":
        return Sym(str(data["name"]))
    if op == "num":
        return Num(float(data["value"]))
    if op == "call":
        return Call(str(data["name"]), tuple(from_json(a) for a in data["args"]))
    if op in _NODES:
        args = [from_json(a) for a in data["args"]]
        node = _NODES[op]
        if node in (Add, Mul):
            return node(tuple(args))
        built: Expr = node(*args)
        return built
    raise fail("formula JSON op", f"one of {['sym', 'num', 'call', *_NODES]}", op)

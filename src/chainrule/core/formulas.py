"""How activations and losses state their formulas without knowing who typesets them.

The core cannot build the explain package's expression trees (it imports
nothing above itself), so an activation or a loss writes its formula through
an *expression builder* that the caller passes in: the trace passes one that
builds :mod:`chainrule.explain.formula` trees; another caller could build
strings or SymPy expressions. A formula method receives the symbols it is
about (``net``, ``out``, ``target``) already built, and combines them with the
builder's operations::

    def formula(self, net, ops, layer_nets):       # sigmoid
        return (ops.call("sigmoid", net),
                ops.div(1.0, ops.add(1.0, ops.call("exp", ops.neg(net)))))

Numbers may be passed as plain ``float``; the builder turns them into its own
constants. Function names passed to :meth:`FormulaOps.call` are those of
:data:`FUNCTIONS`, so that every caller can evaluate and typeset them.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["FormulaOps", "FUNCTIONS"]

E = TypeVar("E")

#: The functions a formula may call, with their meaning (every builder must know them).
FUNCTIONS: dict[str, str] = {
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "hyperbolic tangent",
    "exp": "e to the power x",
    "log": "natural logarithm",
    "max": "the largest argument",
    "min": "the smallest argument",
    "step": "step(x) = 1 if x > 0 else 0; step(x, low) = 1 if x > 0 else low",
    "Phi": "the standard normal distribution function, (1 + erf(x / sqrt(2))) / 2",
    "phi": "the standard normal density, exp(-x^2 / 2) / sqrt(2 pi)",
}


class FormulaOps(Protocol[E]):
    """An expression builder: each method returns the caller's expression type ``E``.

    Arguments are expressions already built by the same builder, or ``float``.
    """

    def num(self, value: float) -> E:
        """A number."""

    def add(self, *terms: E | float) -> E:
        """``a + b + ...``"""

    def sub(self, left: E | float, right: E | float) -> E:
        """``a - b``"""

    def mul(self, *factors: E | float) -> E:
        """``a * b * ...``"""

    def div(self, numerator: E | float, denominator: E | float) -> E:
        """``a / b``"""

    def pow(self, base: E | float, exponent: E | float) -> E:
        """``a ^ b``"""

    def neg(self, arg: E | float) -> E:
        """``-a``"""

    def call(self, function: str, *args: E | float) -> E:
        """``f(a, ...)`` for ``function`` in :data:`FUNCTIONS`."""

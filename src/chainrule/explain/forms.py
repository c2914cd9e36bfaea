"""What the trace writes for each activation and loss: ``out = f(net)``, dout/dnet, E_o and dE/dout.

The stage builders (:mod:`chainrule.explain.stages`) take every formula of an
activation or a loss from these four functions; the values come from the
engine. The formulas themselves are facts of each activation and loss class
(:mod:`chainrule.explain.facts` asks them, with explain's expression builder),
so a user's own activation or loss is written out too, or in a generic form.
Each function returns formulas in the names of :mod:`chainrule.explain.names`,
as :mod:`chainrule.explain.formula` trees; a form paired with True is shown
again with its numbers substituted.
"""

from __future__ import annotations

from typing import Any

from . import facts
from .formula import Expr
from .prose import Prose

__all__: list[str] = []  # private to explain/: the stage builders' formula facts


def _activation_forms(activation: Any, net: str, names: list[str]) -> list[tuple[Expr, bool]]:
    """out = f(net): the function by name, then written out, with numbers."""
    return facts.activation_forms(activation, net, [f"net_{n}" for n in names])


def _derivative_form(activation: Any, out: str, net: str) -> Expr:
    """dout/dnet as a formula of the cached out (or of net, where that reads better)."""
    return facts.derivative_form(activation, out, net)


def _loss_forms(loss: Any, o: str, m: int) -> tuple[Expr, Expr]:
    """(E_o, dE_total/dout_o) for output ``o`` of ``m``."""
    return facts.loss_forms(loss, o, m)


def _error_description(loss: Any, m: int) -> Prose:
    """The line under the error stage's title: what E_total is (a sentence, with its full stop)."""
    return facts.error_description(loss, m)

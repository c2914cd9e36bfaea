"""A trace's sentences as HTML, their formulas typeset as MathML (like the equations beside them)."""

from __future__ import annotations

from html import escape

from ..explain.prose import Math, segments
from ..i18n import Translator
from .mathml import expr_mathml, math, op

__all__ = ["math_html", "prose_html"]

#: Digits of a number written inside a sentence.
_DIGITS = 15


def math_html(formula: Math, tr: Translator | None = None) -> str:
    """One inline formula (``w+ = w - eta * dE_total/dw``) as a ``<math>`` element (names in ``tr``'s language)."""
    parts = []
    for k, side in enumerate(formula.sides):
        parts += ([op("=")] if k else []) + [expr_mathml(side, _DIGITS, tr)]
    return math(*parts)


def prose_html(text: object, tr: Translator) -> str:
    """A sentence (Prose or str) in ``tr``'s language as HTML: text escaped, formulas in MathML."""
    return "".join(math_html(item, tr) if isinstance(item, Math) else escape(item) for item in segments(text, tr))

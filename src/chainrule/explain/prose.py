"""The trace's sentences: messages to translate, with formulas inside them kept as formulas.

A stage's description, a note, a group's title is a :class:`Prose`: an
English message with named placeholders (``"Gradient descent: {rule}."``) and
the values that fill them. Each value is a symbol or a word that is not
translated (``"o1"``, ``"sigmoid"``), another :class:`Prose` (translated
too), or a :class:`Math`: a formula, an expression tree of
:mod:`chainrule.explain.formula`, so that a renderer can typeset it instead of
printing ASCII beside typeset equations.

A :class:`Prose` *is* its English text (a ``str``), so everything that reads
a trace as before (the explorer, a ``print``) sees the sentence it always saw;
the renderers translate it with :func:`localize` (plain text in a language)
or :func:`segments` (text and formulas, to typeset). The message, not the
English text, is what a catalogue translates (see :mod:`chainrule.i18n`).

A sentence whose plain wording cannot be its typeset one (the error stage
quotes the loss's own description, ``sum over outputs of 1/2 (target - out)^2``,
which is prose with ASCII formulas in it) carries a ``typeset`` alternative:
the same statement built from formulas, which LaTeX and HTML show instead.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .formula import Expr, Num, Sym

if TYPE_CHECKING:
    from ..i18n import Translator

__all__ = ["Math", "Prose", "Segment", "localize", "segments"]

#: Digits of a number written inside a sentence (enough to show ``0.75136079`` as printed).
_DIGITS = 15


def _side(value: Any) -> Expr:
    if isinstance(value, str):
        return Sym(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Num(float(value))
    expr: Expr = value  # an expression already
    return expr


class Math:
    """An inline formula: one expression, or an equation chain ``a = b = ...``.

    ``Math("w+", sub("w", mul("eta", "dE_total/dw")))`` is ``w+ = w - eta * dE_total/dw``;
    strings become symbols, numbers :class:`~chainrule.explain.formula.Num`.
    """

    __slots__ = ("sides",)

    def __init__(self, *sides: Expr | str | float) -> None:
        if not sides:
            raise ValueError("Math: expected at least one side")
        self.sides: tuple[Expr, ...] = tuple(_side(s) for s in sides)

    @property
    def text(self) -> str:
        """The formula as plain text (``w+ = w - eta * dE_total/dw``)."""
        # Imported here: the renderers import the trace, whose builders import this module.
        from .render.text import expr_text

        return " = ".join(expr_text(s, _DIGITS) for s in self.sides)

    def latex(self) -> str:
        """The formula as LaTeX math, without the surrounding ``$``."""
        from .render.latex import expr_latex

        return " = ".join(expr_latex(s, _DIGITS) for s in self.sides)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Math) and other.sides == self.sides

    def __hash__(self) -> int:
        return hash(self.sides)

    def __repr__(self) -> str:
        return f"Math({self.text!r})"


#: What :func:`segments` yields: text in the language asked for, or a formula.
Segment = str | Math
_FORMATTER = string.Formatter()


class Prose(str):
    """A message to translate, with its placeholders' values; as a ``str``, its English text.

    Parameters
    ----------
    message : str
        The English message, the catalogues' msgid: ``"neuron {name}"``.
        Without params it is used as written (no ``str.format``), so any text,
        such as a loss's own description, can be a Prose looked up as is.
    typeset : Prose, optional
        What LaTeX and HTML show instead (see the module docstring).
    params
        The placeholders' values: ``str`` (never translated), :class:`Prose`,
        :class:`Math` or a number.
    """

    message: str
    params: dict[str, Any]
    typeset: Prose | None
    #: Whether renderers look ``message`` up in the catalogue (``translate=`` of the constructor). Not
    #: named ``translate``: that would hide :meth:`str.translate` on every Prose.
    translatable: bool

    def __new__(cls, message: str, *, typeset: Prose | None = None, translate: bool = True, **params: Any) -> Prose:
        self = super().__new__(cls, _fill(message, params, str, lambda m: m.text))
        self.message, self.params, self.typeset, self.translatable = message, params, typeset, translate
        return self

    def __repr__(self) -> str:
        return f"Prose({str(self)!r})"

    # A constructor on the class, Prose.join(separator, items), where str.join is a method of the
    # separator; mypy rightly sees a different signature (a rename is an API change: see the report).
    @classmethod
    def join(cls, separator: str, items: Iterable[Any]) -> Prose:  # type: ignore[override]
        """``items`` (symbols, Math, Prose) joined by ``separator``, itself not translated: ``b1, b2``."""
        items = list(items)
        message = separator.replace("{", "{{").replace("}", "}}").join(f"{{p{k}}}" for k in range(len(items)))
        return cls(message, translate=False, **{f"p{k}": item for k, item in enumerate(items)})


def _fill(message: str, params: dict[str, Any], prose: Any, math: Any) -> str:
    """``message`` with each placeholder replaced: ``prose(value)`` for text, ``math(value)`` for Math."""
    if not params:
        return message
    out = []
    for literal, field, spec, _conversion in _FORMATTER.parse(message):
        out.append(literal)
        if field is not None:
            value = params[field]
            out.append(
                math(value)
                if isinstance(value, Math)
                else prose(value)
                if isinstance(value, Prose)
                else format(value, spec or "")
            )
    return "".join(out)


def _translate(text: Any, tr: Translator) -> str:
    """The message of ``text`` in ``tr``'s language (a plain ``str`` is looked up as written)."""
    if isinstance(text, Prose):
        return tr.gettext(text.message) if text.translatable else text.message
    return tr.gettext(str(text))


def localize(text: Any, tr: Translator) -> str:
    """``text`` (a :class:`Prose` or any ``str``) as plain text in ``tr``'s language."""
    if not isinstance(text, Prose):
        return tr.gettext(str(text))
    return _fill(_translate(text, tr), text.params, lambda p: localize(p, tr), lambda m: m.text)


def segments(text: Any, tr: Translator) -> list[Segment]:
    """``text`` in ``tr``'s language as runs of text and formulas, to typeset (adjacent text merged)."""
    if not isinstance(text, Prose):
        return [tr.gettext(str(text))]
    if text.typeset is not None:
        return segments(text.typeset, tr)
    out: list[Segment] = []

    def put(item: Segment) -> None:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] += item
        elif item != "":
            out.append(item)

    message = _translate(text, tr)
    if not text.params:
        return [message]
    for literal, field, spec, _ in _FORMATTER.parse(message):
        put(literal)
        if field is None:
            continue
        value = text.params[field]
        if isinstance(value, Math):
            put(value)
        elif isinstance(value, Prose):
            for item in segments(value, tr):
                put(item)
        else:
            put(format(value, spec or ""))
    return out

"""A trace with every sentence in one language: for code that shows a trace's text as it is.

The renderers of :mod:`chainrule.explain.render` translate a trace's sentences
themselves. Code that reads ``stage.title``, ``stage.description``,
``group.title`` or ``quantity.note`` directly (the explorer's formula panels,
a notebook) can instead render :func:`localized` ``(trace, "zh")``: the same
trace, the same numbers, its sentences plain text in that language.
"""

from __future__ import annotations

from dataclasses import replace

from ..i18n import DEFAULT_LANGUAGE, Translator, translator
from .model import Group, Stage, Trace
from .prose import localize

__all__ = ["localized"]


def localized(trace: Trace, lang: str | Translator = DEFAULT_LANGUAGE) -> Trace:
    """A copy of ``trace`` whose titles, descriptions and notes are plain text in ``lang``.

    The quantities' values and formulas are shared with ``trace`` (they are
    not copied); for ``"en"`` the text is the English the trace already holds.
    """
    tr = lang if isinstance(lang, Translator) else translator(lang)
    quantities = {
        name: q if q.note is None else replace(q, note=localize(q.note, tr)) for name, q in trace.quantities.items()
    }
    stages = [
        Stage(
            s.id,
            localize(s.title, tr),
            localize(s.description, tr),
            [Group(localize(g.title, tr), list(g.names)) for g in s.groups],
            [localize(n, tr) for n in s.notes],
        )
        for s in trace.stages
    ]
    return replace(trace, quantities=quantities, stages=stages, notes=[localize(n, tr) for n in trace.notes])

"""A trace's stages as HTML: titled groups of typeset equations, one ``div`` per quantity.

Shared by the explorer's formula panel and the HTML report. Each equation's
``div`` carries ``data-q`` (the quantity's name), ``data-uses`` (the names its
formula uses) and ``data-value`` (the full-precision number), so the page can
light up the quantity and its inputs on the diagram, and a test can read the
number back. An equation is a row of ``<math>`` pieces (see
:func:`~chainrule.visual.mathml.equation_chunks`) that the page wraps between,
so that no line runs off the panel; the prose beside the equations is typeset
too (:mod:`.prose`, in the language of ``tr``).

For the explorer's practice, names in ``hidden`` are shown without their value
anywhere (``= ?``, no ``data-value``), and the numbers of every other formula
keep a hidden name as its symbol.
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from ..explain.formula import symbols
from ..explain.prose import localize
from ..explain.trace import Stage, Trace
from ..i18n import DEFAULT_LANGUAGE, Translator, translator
from .mathml import equation_chunks
from .prose import prose_html

__all__ = ["EXPLORER_STAGES", "stage_html", "explorer_panels", "equation_html"]

#: The explorer's stages and the trace stages each one shows.
EXPLORER_STAGES = {
    "setup": ("given",),
    "forward": ("forward",),
    "error": ("error",),
    "backward": ("backward_output", "backward_hidden"),
    "update": ("update",),
}


def equation_html(
    trace: Trace, name: str, digits: int, hidden: Collection[str] = (), tr: Translator | None = None
) -> str:
    """One quantity's ``div.formula``: its equation pieces and its note."""
    tr = tr or translator(DEFAULT_LANGUAGE)
    q = trace[name]
    uses = sorted({s for form in q.forms for s in symbols(form.formula)})
    values = trace.values() if hidden else None
    chunks = equation_chunks(q, digits, values=values, hidden=hidden, tr=tr)
    value = "" if name in hidden else f' data-value="{q.value!r}"'
    note = f'<span class="qnote">{prose_html(q.note, tr)}</span>' if q.note else ""
    return (
        f'<div class="formula{" hidden" if name in hidden else ""}" data-q="{escape(name)}" '
        f'data-uses="{escape(" ".join(uses))}"{value}><span class="eq">'
        + "".join(f'<span class="piece">{c}</span>' for c in chunks)
        + f"</span>{note}</div>"
    )


def stage_html(
    trace: Trace,
    stage: Stage,
    digits: int,
    heading: str = "h3",
    hidden: Collection[str] = (),
    tr: Translator | None = None,
) -> str:
    """One stage: its title, description and notes (their formulas typeset), then each group's equations."""
    tr = tr or translator(DEFAULT_LANGUAGE)
    hidden = set(hidden)
    parts = [
        f"<{heading}>{escape(localize(stage.title, tr))}</{heading}>",
        f'<p class="description">{prose_html(stage.description, tr)}</p>',
    ]
    parts += [f'<p class="note">{prose_html(note, tr)}</p>' for note in stage.notes]
    for group in stage.groups:
        parts.append(f'<div class="group"><h4>{escape(localize(group.title, tr))}</h4>')
        parts += [equation_html(trace, name, digits, hidden, tr) for name in group.names]
        parts.append("</div>")
    return "\n".join(parts)


def explorer_panels(
    trace: Trace, digits: int, hidden: Collection[str] = (), lang: str | Translator = DEFAULT_LANGUAGE
) -> dict[str, str]:
    """Explorer stage -> HTML of the trace stages it shows (see :data:`EXPLORER_STAGES`), in ``lang``.

    The sentences are translated from the trace's messages (not from a
    :func:`~chainrule.explain.language.localized` copy), so that the formulas
    inside them stay typeset in every language.
    """
    tr = lang if isinstance(lang, Translator) else translator(lang)
    present = {s.id for s in trace.stages}
    return {
        stage: "\n".join(stage_html(trace, trace.stage(i), digits, hidden=hidden, tr=tr) for i in ids if i in present)
        for stage, ids in EXPLORER_STAGES.items()
    }

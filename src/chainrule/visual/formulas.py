"""A trace's stages as HTML: titled groups of typeset equations, one ``div`` per quantity.

Shared by the explorer's formula panel and the HTML report. Each equation's
``div`` carries ``data-q`` (the quantity's name), ``data-uses`` (the names its
formula uses) and ``data-value`` (the full-precision number), so the page can
light up the quantity and its inputs on the diagram, and a test can read the
number back.
"""

from __future__ import annotations

from html import escape

from ..explain.formula import symbols
from ..explain.trace import Stage, Trace
from .mathml import equation

__all__ = ["EXPLORER_STAGES", "stage_html", "explorer_panels"]

#: The explorer's stages and the trace stages each one shows.
EXPLORER_STAGES = {
    "setup": ("given",),
    "forward": ("forward",),
    "error": ("error",),
    "backward": ("backward_output", "backward_hidden"),
    "update": ("update",),
}


def stage_html(trace: Trace, stage: Stage, digits: int, heading: str = "h3") -> str:
    """One stage: its title, description and notes, then each group's equations."""
    parts = [f"<{heading}>{escape(stage.title)}</{heading}>",
             f'<p class="description">{escape(stage.description)}</p>']
    parts += [f'<p class="note">{escape(note)}</p>' for note in stage.notes]
    for group in stage.groups:
        parts.append(f'<div class="group"><h4>{escape(group.title)}</h4>')
        for name in group.names:
            q = trace[name]
            uses = sorted({s for form in q.forms for s in symbols(form.formula)})
            parts.append(
                f'<div class="formula" data-q="{escape(name)}" data-uses="{escape(" ".join(uses))}" '
                f'data-value="{q.value!r}">{equation(q, digits)}'
                + (f'<span class="qnote">{escape(q.note)}</span>' if q.note else "")
                + "</div>"
            )
        parts.append("</div>")
    return "\n".join(parts)


def explorer_panels(trace: Trace, digits: int) -> dict[str, str]:
    """Explorer stage -> HTML of the trace stages it shows (see :data:`EXPLORER_STAGES`)."""
    present = {s.id for s in trace.stages}
    return {
        stage: "\n".join(stage_html(trace, trace.stage(i), digits) for i in ids if i in present)
        for stage, ids in EXPLORER_STAGES.items()
    }

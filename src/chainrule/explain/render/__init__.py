"""Renderers of a :class:`~chainrule.explain.trace.Trace`: plain text, Markdown, LaTeX, JSON.

Each takes a list of traces (one per update, see
:func:`~chainrule.explain.trace.trace_steps`), the number of significant
digits to print and the language (``lang``: ``"en"``, ``"zh"``, any language
of :func:`chainrule.i18n.languages`), and returns a string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..trace import Trace
from .json import render_json, trace_to_dict, traces_to_dict
from .latex import render_latex
from .markdown import render_markdown
from .text import render_text

__all__ = [
    "FORMATS",
    "render",
    "render_text",
    "render_markdown",
    "render_latex",
    "render_json",
    "trace_to_dict",
    "traces_to_dict",
]

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "latex": render_latex,
    "json": render_json,
}


def render(
    traces: Trace | Sequence[Trace], fmt: str = "text", precision: int = 9, lang: str = "en", **options: object
) -> str:
    """Render one trace or a sequence of traces in ``fmt`` (one of :data:`FORMATS`), in language ``lang``.

    The numbers do not depend on the language; the sentences around them do.
    """
    from ...core.validation import check_positive_int, fail
    from ...i18n import check_language

    if fmt not in FORMATS:
        raise fail("format", f"one of {list(FORMATS)}", fmt)
    check_positive_int(precision, "precision")
    options["lang"] = check_language(lang)
    if isinstance(traces, Trace):
        traces = [traces]
    if not traces:
        raise fail("traces", "at least one trace", traces)
    return FORMATS[fmt](list(traces), precision, **options)

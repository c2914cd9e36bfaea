"""A self-contained HTML report of a trace: the diagram, then the whole derivation typeset.

One file, readable offline: the diagrams are inline SVG, the formulas MathML
(rendered natively by Chromium and Firefox, so nothing is vendored and nothing
fetched), the styles inline, and a few lines of inline JavaScript only add
hover highlighting (the page reads fine without them). Every number is the
trace's, i.e. the engine's.

``render_html(traces, precision, lang=...)`` has the signature of the other
renderers in :mod:`chainrule.explain.render`, so ``chainrule explain --format
html`` is one entry in its table. :func:`report_html` is the same report as a
fragment for a page that is not its own (a notebook): one ``div`` whose styles
and script reach nothing outside it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from ..core.validation import check_positive_int, fail
from ..explain.formula import mul, sub
from ..explain.prose import Math, Prose
from ..explain.trace import Trace
from ..i18n import DEFAULT_LANGUAGE, Translator, check_language, translator
from .diagram import MAX_DIAGRAM_NEURONS, trace_svg
from .formulas import stage_html
from .prose import prose_html

__all__ = ["render_html", "report_html", "SCOPE"]

#: The class of the report's outer ``div``: every style rule of the report is scoped under it.
SCOPE = "chainrule-report"
_IDS = itertools.count(1)

_CSS = """
body { font-family: 'DejaVu Sans', Arial, 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC',
                    'PingFang SC', 'Microsoft YaHei', sans-serif; max-width: 1150px; margin: 0 auto; padding: 12px 20px;
       color: #1c2430; line-height: 1.45; }
h1 { font-size: 24px; } h2 { border-bottom: 2px solid #cdd6df; padding-bottom: 3px; margin-top: 28px; }
h3 { margin: 18px 0 4px; } h4 { margin: 10px 0 2px; font-size: 14px; color: #456; }
.facts { font-family: 'DejaVu Sans Mono', monospace; font-size: 13px; background: #f4f6f8; padding: 8px 12px; }
figure { margin: 10px 0; } figcaption { color: #555; font-size: 13px; }
figcaption math { font-size: 15px; }
.diagram { overflow: auto; border: 1px solid #cdd6df; border-radius: 6px; }
.diagram svg { display: block; }
.description { color: #445; margin: 2px 0; }
.note, .qnote { color: #8a5a00; font-size: 13px; }
.qnote { display: block; margin-left: 1em; }
math { math-style: normal; }
.formula { padding: 2px 4px; }
.formula .eq { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: .3em; row-gap: 3px; }
.formula math, .description math, .note math, .qnote math { font-size: 16px; }
.formula.hl { background: #fff3c4; }
"""
# The diagrams are never shrunk (their labels would fall under 11 px): a wide one scrolls. Equations
# wrap between their pieces; fractions are set at full size (math-style: normal).

# Hovering an equation lights up its quantities in the diagrams above (optional sugar).
_JS = """
document.querySelectorAll('.formula').forEach(function (row) {
  var names = [row.dataset.q].concat((row.dataset.uses || '').split(' ').filter(Boolean));
  function items() {
    return Array.prototype.filter.call(document.querySelectorAll('svg [data-q]'), function (el) {
      return el.dataset.q.split(' ').some(function (n) { return names.indexOf(n) >= 0; });
    });
  }
  function mark(on) {
    row.classList.toggle('hl', on);
    items().forEach(function (el) { el.classList.toggle('cr-hl', on); });
  }
  row.addEventListener('mouseenter', function () { mark(true); });
  row.addEventListener('mouseleave', function () { mark(false); });
});
"""


def _scoped(css: str, scope: str) -> str:
    """``css`` with every selector inside ``.scope`` (``body`` becomes the scope itself)."""

    def rule(match: re.Match[str]) -> str:
        selectors = [s.strip() for s in match.group(1).split(",")]
        inside = [f".{scope}" if s == "body" else f".{scope} {s}" for s in selectors]
        return f"{', '.join(inside)} {{{match.group(2)}}}"

    return re.sub(r"([^{}]+?)\s*\{([^}]*)\}", rule, css)


def _facts(trace: Trace, tr: Translator) -> str:
    layers = ", ".join(
        tr("layer {number}: {activation}", number=k + 1, activation=info["activation"]["name"])
        for k, info in enumerate(trace.layers)
    )
    loss = trace.loss.get("name", "?")
    conventions = ", ".join(f"{k} = {v}" for k, v in trace.conventions.items() if v is not None)
    return (
        '<p class="facts">'
        + escape(
            tr(
                "sizes {sizes} ({layers}); loss {loss}; learning rate {eta}",
                sizes=trace.sizes,
                layers=layers,
                loss=loss,
                eta=f"η = {trace.learning_rate:g}",
            )
        )
        + f"; {escape(conventions)}; {escape(trace.dtype)}</p>"
    )


def _caption(overlay: str, deep: bool) -> Prose:
    """A diagram's caption as a sentence whose symbols and rule are typeset like the equations below it."""
    gradient = Math("dE_total/dw")
    if overlay == "error":
        return Prose(
            "Forward pass and error: {net} and {out} at each neuron, each output's error.",
            net=Math("net"),
            out=Math("out"),
        )
    if overlay == "backward" and deep:
        return Prose(
            "Backward pass: each neuron's {delta}, each weight's gradient {gradient}; the highlighted paths "
            "are the ones summed into the first hidden neuron.",
            delta=Math("delta"),
            gradient=gradient,
        )
    if overlay == "backward":
        return Prose(
            "Backward pass: each neuron's {delta} and each weight's gradient {gradient}.",
            delta=Math("delta"),
            gradient=gradient,
        )
    return Prose("Update: each weight before and after ({rule}).", rule=Math("w+", sub("w", mul("eta", "dE_total/dw"))))


def _diagrams(trace: Trace, precision: int, tr: Translator) -> str:
    if max(trace.sizes) > MAX_DIAGRAM_NEURONS:
        return (
            '<p class="note">'
            + escape(
                tr("No diagram: more than {count} neurons in a layer would not be legible.", count=MAX_DIAGRAM_NEURONS)
            )
            + "</p>"
        )
    digits = min(precision, 5)
    parts = []
    for overlay in ("error", "backward", "update"):
        caption = _caption(overlay, deep=len(trace.sizes) >= 3)
        parts.append(
            f'<figure><div class="diagram">{trace_svg(trace, overlay, digits=digits, lang=tr)}</div>'
            f"<figcaption>{prose_html(caption, tr)}</figcaption></figure>"
        )
    return "\n".join(parts)


def _stage(trace: Trace, k: int, precision: int, heading: str, tr: Translator) -> str:
    """Stage ``k`` of ``trace`` in ``tr``'s language, its sentences' formulas typeset (the shared stage HTML)."""
    return stage_html(trace, trace.stages[k], precision, heading=heading, tr=tr)


def _checked(
    traces: Trace | Sequence[Trace], precision: int, options: dict[str, Any]
) -> tuple[list[Trace], int, str, str]:
    if isinstance(traces, Trace):
        traces = [traces]
    traces = list(traces)
    if not traces or not all(isinstance(t, Trace) for t in traces):
        raise fail("traces", "one Trace or a non-empty sequence of them", traces)
    precision = check_positive_int(precision, "precision")
    unknown = set(options) - {"title", "lang"}
    if unknown:
        raise fail("render_html options", "only 'title' and 'lang'", sorted(unknown))
    lang = check_language(options.get("lang", DEFAULT_LANGUAGE))
    title = options.get("title")
    if not title:
        tr = translator(lang)
        title = tr("Backpropagation, step by step: a {sizes} network", sizes="-".join(map(str, traces[0].sizes)))
    return traces, precision, lang, str(title)


def report_html(traces: Trace | Sequence[Trace], precision: int = 9, **options: object) -> str:
    """The report as one HTML fragment (for a notebook or another page): its styles scoped, its script too.

    Parameters and options as :func:`render_html`. The fragment is a
    ``<div class="chainrule-report">`` holding its own ``<style>``, whose every
    rule is scoped under that class, and a script that reaches only the
    elements inside it.
    """
    traces, precision, lang, title = _checked(traces, precision, dict(options))
    return _fragment(traces, precision, lang, title, heading_level=1, own_id=f"{SCOPE}-{next(_IDS)}")


def _fragment(traces: list[Trace], precision: int, lang: str, title: str, heading_level: int, own_id: str) -> str:
    tr = translator(lang)
    first = traces[0]
    body = [f"<h{heading_level}>{escape(title)}</h{heading_level}>", _facts(first, tr)]
    body += [f'<p class="note">{prose_html(n, tr)}</p>' for n in first.notes]
    for trace in traces:
        if len(traces) > 1:
            anchor = f"step-{trace.step}" if own_id == SCOPE else f"{own_id}-step-{trace.step}"
            body.append(f'<h2 id="{anchor}">' + escape(tr("Step {step}", step=trace.step)) + "</h2>")
        body.append(_diagrams(trace, precision, tr))
        for k, stage in enumerate(trace.stages):
            body.append(f'<section class="stage" data-stage="{escape(stage.id)}">')
            body.append(_stage(trace, k, precision, "h3" if len(traces) > 1 else "h2", tr))
            body.append("</section>")
        after = (
            f'<span class="after" data-value="{trace.error_after_update!r}">'
            f"{trace.error_after_update:.{precision}g}</span>"
        )
        body.append(
            "<p>"
            + escape(tr("After the update a new forward pass gives {after}.", after="\x00")).replace(
                "\x00", f"E_total = {after}"
            )
            + "</p>"
        )
    script = _JS.replace("document.querySelectorAll", "root.querySelectorAll")
    return (
        f'<div class="{SCOPE}" id="{own_id}" lang="{escape(lang)}">\n<style>{_scoped(_CSS, SCOPE)}</style>\n'
        + "\n".join(body)
        + f"\n<script>(function (root) {{{script}}})(document.getElementById('{own_id}'));</script>\n</div>"
    )


def render_html(traces: Trace | Sequence[Trace], precision: int = 9, **options: object) -> str:
    """A whole HTML document for one trace or several successive ones.

    Parameters
    ----------
    traces : Trace or sequence of Trace
        From :func:`chainrule.explain.build_trace` or :func:`~chainrule.explain.trace_steps`.
    precision : int
        Significant digits in the formulas (the diagrams show at most 5).
    options
        ``title``: the document's title; ``lang``: the language of its text
        (``"en"``, ``"zh"``, see :func:`chainrule.i18n.languages`).
    """
    traces, precision, lang, title = _checked(traces, precision, dict(options))
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{escape(title)}</title>\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "</head>\n<body>\n"
        + _fragment(traces, precision, lang, title, heading_level=1, own_id=SCOPE)
        + "\n</body>\n</html>\n"
    )

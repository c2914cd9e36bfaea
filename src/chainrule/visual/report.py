"""A self-contained HTML report of a trace: the diagram, then the whole derivation typeset.

One file, readable offline: the diagrams are inline SVG, the formulas MathML
(rendered natively by Chromium and Firefox, so nothing is vendored and nothing
fetched), the styles inline, and a few lines of inline JavaScript only add
hover highlighting (the page reads fine without them). Every number is the
trace's, i.e. the engine's.

``render_html(traces, precision)`` has the signature of the other renderers in
:mod:`chainrule.explain.render`, so ``chainrule explain --format html`` is one
entry in its table.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from ..core.validation import check_positive_int, fail
from ..explain.trace import Trace
from .diagram import MAX_DIAGRAM_NEURONS, trace_svg
from .formulas import stage_html
from .mathml import math, number, symbol
from .prose import prose_html

__all__ = ["CONTAINER", "render_html", "report_fragment"]

#: The class of the element that holds a report; every style rule is scoped to it, so a report
#: placed in another page (a notebook's output cell) restyles nothing around it.
CONTAINER = "chainrule-report"

_CSS = """
.chainrule-report { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; max-width: 1150px; margin: 0 auto;
                    padding: 12px 20px; color: #1c2430; line-height: 1.45; font-size: 14px; }
.chainrule-report h1 { font-size: 24px; }
.chainrule-report h2 { border-bottom: 2px solid #cdd6df; padding-bottom: 3px; margin-top: 28px; }
.chainrule-report h3 { margin: 18px 0 4px; }
.chainrule-report h4 { margin: 10px 0 2px; font-size: 14px; color: #456; }
.chainrule-report .facts { font-family: 'DejaVu Sans Mono', monospace; font-size: 13px; background: #f4f6f8;
                           padding: 8px 12px; }
.chainrule-report figure { margin: 10px 0; }
.chainrule-report figcaption { color: #555; font-size: 13px; }
.chainrule-report .diagram { overflow: auto; border: 1px solid #cdd6df; border-radius: 6px; }
.chainrule-report .diagram svg { display: block; }
.chainrule-report .description { color: #334; margin: 2px 0; }
.chainrule-report .note, .chainrule-report .qnote { color: #7a5000; font-size: 13px; }
.chainrule-report .qnote { display: block; margin-left: 1em; }
.chainrule-report math { math-style: normal; }
.chainrule-report .formula { padding: 2px 4px; }
.chainrule-report .formula .eq { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: .3em; row-gap: 3px; }
.chainrule-report .formula math, .chainrule-report p math, .chainrule-report figcaption math { font-size: 16px; }
.chainrule-report .formula.hl { background: #fff3c4; }
"""

# Hovering an equation lights up its quantities in the report's diagrams (optional sugar; only
# inside the report's own element).
_JS = """
(function (report) {
  if (!report) return;
  report.querySelectorAll('.formula').forEach(function (row) {
    var names = [row.dataset.q].concat((row.dataset.uses || '').split(' ').filter(Boolean));
    function items() {
      return Array.prototype.filter.call(report.querySelectorAll('svg [data-q]'), function (el) {
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
})(document.currentScript && document.currentScript.parentElement);
"""


def _facts(trace: Trace) -> str:
    layers = ", ".join(f"layer {k + 1}: {info['activation']['name']}" for k, info in enumerate(trace.layers))
    loss = trace.loss.get("name", "?")
    conventions = ", ".join(f"{k} = {v}" for k, v in trace.conventions.items() if v is not None)
    return (f'<p class="facts">sizes {trace.sizes} ({layers}); loss {escape(loss)}; '
            f"learning rate η = {trace.learning_rate:g}; {escape(conventions)}; {escape(trace.dtype)}</p>")


def _diagrams(trace: Trace, precision: int) -> str:
    if max(trace.sizes) > MAX_DIAGRAM_NEURONS:
        return (f'<p class="note">No diagram: more than {MAX_DIAGRAM_NEURONS} neurons in a layer '
                "would not be legible.</p>")
    digits = min(precision, 5)
    parts = []
    for overlay, caption in (
        ("error", "Forward pass and error: net and out at each neuron, each output's error."),
        ("backward", "Backward pass: each neuron's delta, each weight's gradient dE_total/dw; the "
                     "highlighted paths are the ones summed into the first hidden neuron."),
        ("update", "Update: each weight before and after (w+ = w - eta * dE_total/dw)."),
    ):
        if overlay == "backward" and len(trace.sizes) < 3:
            caption = "Backward pass: each neuron's delta and each weight's gradient dE_total/dw."
        parts.append(f'<figure><div class="diagram">{trace_svg(trace, overlay, digits=digits)}</div>'
                     f"<figcaption>{prose_html(caption)}</figcaption></figure>")
    return "\n".join(parts)


def report_fragment(traces: Trace | Sequence[Trace], precision: int = 9, *, title: str | None = None) -> str:
    """The report as one element, ``<div class="chainrule-report">``, with its scoped styles and script inside.

    What :func:`render_html` puts in a document's body, and what a page or a
    notebook can embed as it is: every style rule is scoped to the element.
    """
    if isinstance(traces, Trace):
        traces = [traces]
    traces = list(traces)
    if not traces or not all(isinstance(t, Trace) for t in traces):
        raise fail("traces", "one Trace or a non-empty sequence of them", traces)
    precision = check_positive_int(precision, "precision")
    first = traces[0]
    title = title or f"Backpropagation, step by step: a {'-'.join(map(str, first.sizes))} network"
    body = [f"<style>{_CSS}</style>", f"<h1>{escape(title)}</h1>", _facts(first)]
    body += [f'<p class="note">{prose_html(n)}</p>' for n in first.notes]
    for trace in traces:
        if len(traces) > 1:
            body.append(f'<h2 id="step-{trace.step}">Step {trace.step}</h2>')
        body.append(_diagrams(trace, precision))
        for stage in trace.stages:
            body.append(f'<section class="stage" data-stage="{escape(stage.id)}">')
            body.append(stage_html(trace, stage, precision, heading="h3" if len(traces) > 1 else "h2"))
            body.append("</section>")
        body.append(f"<p>After the update a new forward pass gives "
                    f"{math(symbol('E_total'), '<mo>=</mo>', number(trace.error_after_update, precision))} "
                    f'(<span class="after" data-value="{trace.error_after_update!r}">'
                    f"{trace.error_after_update:.{precision}g}</span>).</p>")
    body.append(f"<script>{_JS}</script>")
    return f'<div class="{CONTAINER}">\n' + "\n".join(body) + "\n</div>"


def render_html(traces: Trace | Sequence[Trace], precision: int = 9, **options: object) -> str:
    """A whole HTML document for one trace or several successive ones.

    Parameters
    ----------
    traces : Trace or sequence of Trace
        From :func:`chainrule.explain.build_trace` or :func:`~chainrule.explain.trace_steps`.
    precision : int
        Significant digits in the formulas (the diagrams show at most 5).
    options
        ``title``: the document's title.

    The body holds :func:`report_fragment`; the document adds no style of its own.
    """
    unknown = set(options) - {"title"}
    if unknown:
        raise fail("render_html options", "only 'title'", sorted(unknown))
    fragment = report_fragment(traces, precision, title=options.get("title") or None)  # type: ignore[arg-type]
    first = traces if isinstance(traces, Trace) else list(traces)[0]
    title = str(options.get("title") or f"Backpropagation, step by step: a {'-'.join(map(str, first.sizes))} network")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{escape(title)}</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )

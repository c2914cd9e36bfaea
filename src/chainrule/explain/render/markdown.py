"""Markdown: a heading per stage, a table per group, formulas as ``$...$`` math.

GitHub, GitLab, Jupyter and pandoc typeset the ``$...$`` spans with the same
LaTeX the document renderer uses; each table has the columns quantity,
formula (in names), with numbers, and value.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...i18n import DEFAULT_LANGUAGE, Translator, translator
from ..prose import localize
from ..trace import Quantity, Trace
from .latex import expr_latex, name_latex
from .numbers import number
from .text import describe_conventions, describe_network

__all__ = ["render_markdown"]


def _cells(q: Quantity, precision: int, tr: Translator) -> tuple[str, str]:
    formulas, numbers = [], []
    for form in q.forms:
        formulas.append(expr_latex(form.formula, precision, tr=tr))
        if form.numbers is not None:
            numbers.append(expr_latex(form.numbers, precision, tr=tr))
    formula = f"${' = '.join(formulas)}$" if formulas else ""
    with_numbers = f"${' = '.join(numbers)}$" if numbers else ""
    return formula, with_numbers


def _render_trace(trace: Trace, precision: int, level: str, tr: Translator) -> list[str]:
    out: list[str] = []
    note_label = tr("Note:")
    for k, stage in enumerate(trace.stages, 1):
        out += [f"{level} {k}. {localize(stage.title, tr)}", "", localize(stage.description, tr), ""]
        for note in stage.notes:
            out += [f"> **{note_label}** {localize(note, tr)}", ""]
        for group in stage.groups:
            if not group.names:
                continue
            title = localize(group.title, tr)
            if stage.id == "given":
                items = ", ".join(f"${name_latex(n, tr)} = {number(trace[n].value, precision)}$" for n in group.names)
                out += ["- " + tr("{title}: {values}", title=title, values=items)]
                continue
            out += [f"**{title[0].upper()}{title[1:]}**", ""]
            header = [tr("quantity"), tr("formula"), tr("with numbers"), tr("value")]
            out += ["| " + " | ".join(header) + " |", "|---|---|---|---:|"]
            notes = []
            for name in group.names:
                q = trace[name]
                formula, with_numbers = _cells(q, precision, tr)
                out.append(f"| ${name_latex(name, tr)}$ | {formula} | {with_numbers} | {number(q.value, precision)} |")
                if q.note:
                    notes.append(
                        "- " + tr("{name}: {note}", name=f"${name_latex(name, tr)}$", note=localize(q.note, tr))
                    )
            out.append("")
            if notes:
                out += notes + [""]
        if stage.id == "given":
            out.append("")
    out += [
        tr(
            "After the update: {after} (before: {before}).",
            after=f"$E_{{\\mathit{{total}}}} = {number(trace.error_after_update, precision)}$",
            before=f"${number(trace['E_total'].value, precision)}$",
        ),
        "",
    ]
    for note in trace.notes:
        out += [f"> **{note_label}** {localize(note, tr)}", ""]
    return out


def render_markdown(
    traces: Sequence[Trace], precision: int = 9, title: str | None = None, lang: str = DEFAULT_LANGUAGE
) -> str:
    """Every trace as one Markdown document, in ``lang``."""
    tr = translator(lang)
    first = traces[0]
    out = [f"# {title or tr('Backpropagation step by step')}", ""]
    description = describe_network(first, tr)
    out += [
        tr(
            "{network}; learning rate {eta} ({dtype}).",
            network=f"{description[0].upper()}{description[1:]}",
            eta=f"$\\eta = {number(first.learning_rate, precision)}$",
            dtype=first.dtype,
        ),
        "",
    ]
    out += [tr("Conventions: {conventions}.", conventions=describe_conventions(first, tr)), ""]
    for trace in traces:
        if len(traces) > 1:
            out += ["## " + tr("Update {step} of {steps}", step=trace.step, steps=len(traces)), ""]
            out += _render_trace(trace, precision, "###", tr)
        else:
            out += _render_trace(trace, precision, "##", tr)
    return "\n".join(out).rstrip("\n") + "\n"

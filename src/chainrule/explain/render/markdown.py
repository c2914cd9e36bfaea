"""Markdown: a heading per stage, a table per group, formulas as ``$...$`` math.

GitHub, GitLab, Jupyter and pandoc typeset the ``$...$`` spans with the same
LaTeX the document renderer uses; each table has the columns quantity,
formula (in names), with numbers, and value.
"""

from __future__ import annotations

from typing import Sequence

from ..trace import Quantity, Trace
from .latex import expr_latex, name_latex
from .numbers import number
from .text import describe_conventions, describe_network

__all__ = ["render_markdown"]


def _cells(q: Quantity, precision: int) -> tuple[str, str]:
    formulas, numbers = [], []
    for form in q.forms:
        formulas.append(expr_latex(form.formula, precision))
        if form.numbers is not None:
            numbers.append(expr_latex(form.numbers, precision))
    formula = f"${' = '.join(formulas)}$" if formulas else ""
    with_numbers = f"${' = '.join(numbers)}$" if numbers else ""
    return formula, with_numbers


def _render_trace(trace: Trace, precision: int, level: str) -> list[str]:
    out: list[str] = []
    for k, stage in enumerate(trace.stages, 1):
        out += [f"{level} {k}. {stage.title}", "", stage.description, ""]
        for note in stage.notes:
            out += [f"> **Note:** {note}", ""]
        for group in stage.groups:
            if not group.names:
                continue
            if stage.id == "given":
                items = ", ".join(f"${name_latex(n)} = {number(trace[n].value, precision)}$" for n in group.names)
                out += [f"- {group.title}: {items}"]
                continue
            out += [f"**{group.title[0].upper()}{group.title[1:]}**", ""]
            out += ["| quantity | formula | with numbers | value |", "|---|---|---|---:|"]
            notes = []
            for name in group.names:
                q = trace[name]
                formula, with_numbers = _cells(q, precision)
                out.append(f"| ${name_latex(name)}$ | {formula} | {with_numbers} | {number(q.value, precision)} |")
                if q.note:
                    notes.append(f"- ${name_latex(name)}$: {q.note}")
            out.append("")
            if notes:
                out += notes + [""]
        if stage.id == "given":
            out.append("")
    out += [
        f"After the update: $E_{{\\mathit{{total}}}} = {number(trace.error_after_update, precision)}$ "
        f"(before: ${number(trace['E_total'].value, precision)}$).",
        "",
    ]
    for note in trace.notes:
        out += [f"> **Note:** {note}", ""]
    return out


def render_markdown(traces: Sequence[Trace], precision: int = 9, title: str | None = None) -> str:
    """Every trace as one Markdown document."""
    first = traces[0]
    out = [f"# {title or 'Backpropagation step by step'}", ""]
    description = describe_network(first)
    out += [f"{description[0].upper()}{description[1:]}; learning rate "
            f"$\\eta = {number(first.learning_rate, precision)}$ ({first.dtype}).", ""]
    out += [f"Conventions: {describe_conventions(first)}.", ""]
    for trace in traces:
        if len(traces) > 1:
            out += [f"## Update {trace.step} of {len(traces)}", ""]
            out += _render_trace(trace, precision, "###")
        else:
            out += _render_trace(trace, precision, "##")
    return "\n".join(out).rstrip("\n") + "\n"

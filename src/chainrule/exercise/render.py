"""An exercise as a sheet and as its answer key: LaTeX (for a PDF) or a self-contained HTML page.

Both show the same network, sample and formulas; the sheet leaves a blank
for each question, the key gives each answer as the trace derives it
(``name = formula = numbers = value``). Numbers are the trace's values,
rounded only where printed; the HTML key keeps each full value in a
``data-value`` attribute.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html import escape
from pathlib import Path

from ..core.validation import check_choice, check_positive_int, fail
from ..explain import facts, names
from ..explain.prose import Math, Prose
from ..explain.render.latex import align_rows, document_setup, name_latex, prose_latex
from ..explain.render.latex import escape as tex_escape
from ..explain.render.numbers import number
from ..explain.render.text import describe_conventions, describe_network
from ..i18n import DEFAULT_LANGUAGE, Translator, check_language, translator
from ..visual.diagram import network_svg
from ..visual.mathml import equation, math, op, symbol
from ..visual.mathml import number as mathml_number
from ..visual.prose import math_html, prose_html
from .sheet import Exercise, Question

__all__ = ["FORMATS", "render_exercise", "compile_pdf"]

#: The formats of :func:`render_exercise`.
FORMATS = ("latex", "html")


def _title(exercise: Exercise, key: bool, tr: Translator) -> str:
    if key:
        return tr("Answer key: backpropagation exercise {seed}", seed=exercise.seed)
    return tr("Backpropagation exercise {seed}", seed=exercise.seed)


def _task(exercise: Exercise, digits: int, tr: Translator) -> Prose:
    return Prose(
        "One training step of {network} on one sample, learning rate {eta}. Compute each quantity below "
        "to {digits} significant digits, in the order given.",
        network=describe_network(exercise.trace, tr),
        eta=Math("eta", exercise.learning_rate),
        digits=digits,
    )


def _formulas(exercise: Exercise) -> list[str | Math]:
    """What a learner needs besides the numbers: each activation and its derivative, the error, the rules."""
    out: list[str | Math] = []  # Prose (a str), Math
    seen = set()
    for layer in exercise.network.layers:
        act = layer.activation
        if act.name in seen:
            continue
        seen.add(act.name)
        forms = [f for f, _ in facts.activation_forms(act, "net", ["net"])]
        out.append(Math("out", *forms))
        if act.elementwise:
            out.append(Math("dout/dnet", facts.derivative_form(act, "out", "net")))
    trace = exercise.trace
    out += [stage.description for stage in trace.stages if stage.id != "given"]
    out += [note for stage in trace.stages for note in stage.notes]
    return out


def _asked(exercise: Exercise) -> list[tuple[str, list[Question]]]:
    """``(stage title, questions)`` in the order of the step."""
    groups: list[tuple[str, list[Question]]] = []
    for q in exercise.questions:
        title = exercise.trace.stage(q.stage).title
        if not groups or groups[-1][0] != title:
            groups.append((title, []))
        groups[-1][1].append(q)
    return groups


# -- LaTeX ----------------------------------------------------------------------------------------------
def _latex(exercise: Exercise, key: bool, digits: int, tr: Translator) -> str:
    trace, shown = exercise.trace, digits + 2
    preamble, begin, end = document_setup(tr.lang)
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath}",
        preamble.rstrip(),
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}",
        r"\begin{document}",
        begin,
        r"\section*{" + tex_escape(_title(exercise, key, tr)) + "}",
        prose_latex(_task(exercise, digits, tr), tr),
        "",
        tex_escape(tr("Conventions: {conventions}.", conventions=describe_conventions(trace, tr))),
        "",
        r"\subsection*{" + tex_escape(tr("Given")) + "}",
    ]
    for group in trace.stage("given").groups:
        items = [f"{name_latex(n, tr)} = {number(trace[n].value, 15)}" for n in group.names]
        out += [r"\textbf{" + prose_latex(group.title, tr) + r"}\quad $" + r",\quad ".join(items) + "$", ""]
    out.append(r"\subsection*{" + tex_escape(tr("Formulas")) + "}")
    out.append(r"\begin{itemize}")
    for item in _formulas(exercise):
        out.append(r"\item " + (f"${item.latex()}$" if isinstance(item, Math) else prose_latex(item, tr)))
    out.append(r"\end{itemize}")
    out.append(r"\subsection*{" + tex_escape(tr("Answers") if key else tr("Questions")) + "}")
    for title, questions in _asked(exercise):
        out.append(r"\subsubsection*{" + prose_latex(title, tr) + "}")
        for q in questions:
            meaning = tex_escape(tr.gettext(names.KINDS[q.kind]))
            if key:
                rows = align_rows(trace[q.name], shown, tr)
                out += [rf"\textbf{{{q.number}.}} {meaning}", r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
            else:
                out.append(
                    rf"\textbf{{{q.number}.}} ${name_latex(q.name, tr)} = \underline{{\hspace{{4cm}}}}$"
                    rf"\quad {{\small {meaning}}}" + r"\\[6pt]"
                )
        out.append("")
    out += [end, r"\end{document}", ""]
    return "\n".join(line for line in out if line is not None)


def compile_pdf(tex: str) -> bytes:
    """The PDF of a LaTeX document, compiled by pdflatex in a temporary folder (run twice for references)."""
    if shutil.which("pdflatex") is None:
        raise fail(
            "format",
            "latex or html (the pdf format needs pdflatex: Debian texlive-latex-base, and "
            "latex-cjk-chinese with latex-cjk-chinese-arphic-gbsn00lp for Chinese)",
            "pdf",
        )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "sheet.tex"
        source.write_text(tex, encoding="utf-8")
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
            cwd=folder,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            lines = [line for line in done.stdout.splitlines() if line.startswith("!")] or done.stdout.splitlines()
            raise ValueError(f"pdflatex: expected the sheet to compile, received: {' '.join(lines[-3:])}")
        return (Path(folder) / "sheet.pdf").read_bytes()


# -- HTML -----------------------------------------------------------------------------------------------
_CSS = """
.chainrule-exercise { font-family: 'DejaVu Sans', 'Noto Sans CJK SC', Arial, sans-serif; max-width: 900px;
  margin: 0 auto; padding: 12px 20px; color: #1c2430; line-height: 1.5; }
.chainrule-exercise h2 { border-bottom: 2px solid #cdd6df; padding-bottom: 3px; margin-top: 24px; }
.chainrule-exercise figure { margin: 8px 0; }
.chainrule-exercise figure svg { max-width: 100%; height: auto; border: 1px solid #cdd6df; border-radius: 6px; }
.chainrule-exercise .question { margin: 10px 0; }
.chainrule-exercise .blank { display: inline-block; min-width: 12em; border-bottom: 1px solid #333; }
.chainrule-exercise .meaning { color: #556; font-size: 13px; margin-left: 1em; }
.chainrule-exercise .answer math { font-size: 1.05em; }
@media print { .chainrule-exercise figure svg { border: none; } }
"""


def _html(exercise: Exercise, key: bool, digits: int, tr: Translator) -> str:
    trace, shown = exercise.trace, digits + 2
    title = _title(exercise, key, tr)
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{prose_html(_task(exercise, digits, tr), tr)}</p>",
        "<p>" + escape(tr("Conventions: {conventions}.", conventions=describe_conventions(trace, tr))) + "</p>",
        f"<h2>{escape(tr('Given'))}</h2>",
        f"<figure>{network_svg(exercise.network, digits=2, lang=tr)}</figure>",
    ]
    for group in trace.stage("given").groups:
        items = [math(symbol(n, tr), op("="), mathml_number(trace[n].value, 15)) for n in group.names]
        body.append(f"<p><strong>{prose_html(group.title, tr)}</strong>: " + ", ".join(items) + "</p>")
    body.append(f"<h2>{escape(tr('Formulas'))}</h2><ul>")
    body.extend(
        "<li>" + (math_html(item) if isinstance(item, Math) else prose_html(item, tr)) + "</li>"
        for item in _formulas(exercise)
    )
    body.append("</ul>")
    body.append(f"<h2>{escape(tr('Answers') if key else tr('Questions'))}</h2>")
    for stage_title, questions in _asked(exercise):
        body.append(f"<h3>{prose_html(stage_title, tr)}</h3>")
        for q in questions:
            meaning = f'<span class="meaning">{escape(tr.gettext(names.KINDS[q.kind]))}</span>'
            if key:
                value = trace[q.name].value
                body.append(
                    f'<div class="question answer" data-q="{escape(q.name)}" data-value="{value!r}">'
                    f"<strong>{q.number}.</strong> {equation(trace[q.name], shown, tr)}{meaning}</div>"
                )
            else:
                body.append(
                    f'<div class="question" data-q="{escape(q.name)}"><strong>{q.number}.</strong> '
                    f'{math(symbol(q.name, tr), op("="))} <span class="blank"></span>{meaning}</div>'
                )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(tr.lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<div class="chainrule-exercise">\n' + "\n".join(body) + "\n</div>\n</body>\n</html>\n"
    )


def render_exercise(
    exercise: Exercise, fmt: str = "html", *, key: bool = False, lang: str = DEFAULT_LANGUAGE, digits: int = 4
) -> str:
    """The sheet (``key=False``) or its answer key as ``fmt`` (``"latex"`` or ``"html"``), in ``lang``.

    ``digits``: the significant digits the sheet asks for; the key prints two more.
    """
    fmt = check_choice(fmt, "format", FORMATS)
    digits = check_positive_int(digits, "digits")
    if digits > 15:
        raise fail("digits", "an integer from 1 to 15", digits)
    tr = translator(check_language(lang))
    return _latex(exercise, key, digits, tr) if fmt == "latex" else _html(exercise, key, digits, tr)

"""LaTeX: a whole document (``article``, ``amsmath``, ``geometry``) that pdflatex compiles.

Each stage is a section; each quantity an ``align*`` row per form, so a long
substituted sum breaks over lines instead of running off the page:

.. code-block:: latex

    \\mathit{net}_{h_{1}} &= w_{1} \\cdot i_{1} + w_{2} \\cdot i_{2} + b_{1} \\\\
                         &= 0.15 \\cdot 0.05 + 0.2 \\cdot 0.1 + 0.35 = 0.3775

Names become the tutorial's notation: ``dE_total/dout_o1`` is
:math:`\\frac{\\partial E_{total}}{\\partial out_{o_1}}`, ``delta_h1`` is
:math:`\\delta_{h_1}`, ``w5+`` is :math:`w_5^{+}`, ``eta`` is :math:`\\eta`;
a deeper network's ``h2_3`` is :math:`h_{2,3}`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from ..formula import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub, Sym
from ..prose import Math, segments
from ..trace import Quantity, Trace
from .numbers import number
from .text import describe_conventions, describe_network

__all__ = [
    "name_latex",
    "expr_latex",
    "equation_latex",
    "align_rows",
    "render_latex",
    "escape",
    "prose_latex",
    "document_setup",
]

_NEURON = re.compile(r"^([iho])(\d+)(?:_(\d+))?$")
_INDEXED = re.compile(r"^([wb])(\d+)(\+?)$")
_TERM = re.compile(r"^(.+)\[([^\]]+)\]$")


def escape(text: str) -> str:
    """Plain text made safe for LaTeX."""
    table = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(table.get(c, c) for c in text)


def _neuron(label: str) -> str | None:
    m = _NEURON.match(label)
    if m is None:
        return None
    letter, first, second = m.groups()
    return f"{letter}_{{{first}}}" if second is None else f"{letter}_{{{first},{second}}}"


def name_latex(name: str, tr: Translator | None = None) -> str:
    """The LaTeX of a trace name (see the module docstring); unknown names are set upright.

    A path's share of a sum is written "via o1", in ``tr``'s language (English without ``tr``).
    """
    term = _TERM.match(name)
    if term is not None:  # a path's share of a sum, dE_total/dout_h1[o1]: the derivative via o1
        whole, through = term.groups()
        via = _neuron(through) or rf"\mathrm{{{escape(through)}}}"
        # NOTE: a path's share of a derivative is written "via o1" (the neuron the path goes through).
        word = N_("via")
        word = escape(tr.gettext(word) if tr is not None else word)
        return rf"\left.{name_latex(whole)}\right|_{{\text{{{word} }} {via}}}"
    if "/" in name:
        top, bottom = name.split("/", 1)
        if top.startswith("d") and bottom.startswith("d"):
            return rf"\frac{{\partial {name_latex(top[1:])}}}{{\partial {name_latex(bottom[1:])}}}"
    if name == "eta":
        return r"\eta"
    if name == "E_total":
        return r"E_{\mathit{total}}"
    neuron = _neuron(name)
    if neuron is not None:
        return neuron
    m = _INDEXED.match(name)
    if m is not None:
        letter, index, plus = m.groups()
        return f"{letter}_{{{index}}}" + ("^{+}" if plus else "")
    prefix, _, rest = name.partition("_")
    sub = _neuron(rest)
    if sub is not None:
        if prefix == "delta":
            return rf"\delta_{{{sub}}}"
        if prefix == "E":
            return f"E_{{{sub}}}"
        if prefix in ("net", "out", "target"):
            return rf"\mathit{{{prefix}}}_{{{sub}}}"
    return _generic(name)


def _generic(name: str) -> str:
    """The general names that sentences use: ``w``, ``net``, ``out_k``, ``delta_next``, ``w+``."""
    if name.endswith("+") and len(name) > 1:
        return _generic(name[:-1]) + "^{+}"
    if name == "delta":
        return r"\delta"
    if len(name) == 1 and name.isalpha():
        return name
    if name in ("net", "out", "target"):
        return rf"\mathit{{{name}}}"
    prefix, _, rest = name.partition("_")
    if prefix in ("net", "out", "target", "delta", "E") and rest.isalpha():
        index = rest if len(rest) == 1 else rf"\mathit{{{rest}}}"
        return f"{_generic(prefix)}_{{{index}}}"
    return rf"\mathrm{{{escape(name)}}}"


def _num(value: float, precision: int) -> str:
    text = number(value, precision)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


_ATOM, _POW, _NEG, _MUL, _ADD = 5, 4, 3, 2, 1


def _precedence(e: Expr) -> int:
    if isinstance(e, (Add, Sub)):
        return _ADD
    if isinstance(e, Mul):
        return _MUL
    if isinstance(e, Neg) or (isinstance(e, Num) and e.value < 0):
        return _NEG
    if isinstance(e, Pow):
        return _POW
    return _ATOM  # symbols, numbers, calls and fractions (\frac needs no parentheses)


_FUNCTIONS = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "log": r"\log",
    "max": r"\max",
    "min": r"\min",
    "step": r"\operatorname{step}",
    "Phi": r"\Phi",
    "phi": r"\varphi",
}


def _function_latex(name: str) -> str:
    """A known function's symbol; any other name (a generic ``cube`` or ``cube'``) set upright."""
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    base = name.rstrip("'")
    return rf"\operatorname{{{escape(base)}}}" + "'" * (len(name) - len(base))


def expr_latex(e: Expr, precision: int = 9, *, lead: bool = True, tr: Translator | None = None) -> str:
    """``e`` as LaTeX math (no surrounding ``$``); ``lead`` as in :func:`~.text.expr_text`; ``tr`` as in
    :func:`name_latex`."""

    def wrap(child: Expr, needs: bool, child_lead: bool = False) -> str:
        text = expr_latex(child, precision, lead=child_lead or needs, tr=tr)
        return rf"\left({text}\right)" if needs else text

    def negative(child: Expr) -> bool:
        return _precedence(child) == _NEG

    if isinstance(e, Sym):
        return name_latex(e.name, tr)
    if isinstance(e, Num):
        text = _num(e.value, precision)
        return text if lead or e.value >= 0 else rf"\left({text}\right)"
    if isinstance(e, Add):
        return " + ".join(wrap(t, k > 0 and negative(t), child_lead=k == 0) for k, t in enumerate(e.args))
    if isinstance(e, Sub):
        return f"{wrap(e.left, False, lead)} - {wrap(e.right, _precedence(e.right) in (_ADD, _NEG))}"
    if isinstance(e, Mul):
        return r" \cdot ".join(
            wrap(f, _precedence(f) == _ADD or (k > 0 and negative(f)), child_lead=lead and k == 0)
            for k, f in enumerate(e.args)
        )
    if isinstance(e, Div):
        return rf"\frac{{{expr_latex(e.numerator, precision, tr=tr)}}}{{{expr_latex(e.denominator, precision, tr=tr)}}}"
    if isinstance(e, Pow):
        needs = _precedence(e.base) < _ATOM or isinstance(e.base, Div)
        return f"{wrap(e.base, needs)}^{{{expr_latex(e.exponent, precision, tr=tr)}}}"
    if isinstance(e, Neg):
        text = "-" + wrap(e.arg, _precedence(e.arg) in (_ADD, _NEG), child_lead=True)
        return text if lead else rf"\left({text}\right)"
    if isinstance(e, Call):
        if e.name == "exp":
            return f"e^{{{expr_latex(e.args[0], precision, tr=tr)}}}"
        args = ", ".join(expr_latex(a, precision, tr=tr) for a in e.args)
        return rf"{_function_latex(e.name)}\left({args}\right)"
    raise TypeError(f"not a formula: {e!r}")


def _sides(q: Quantity, precision: int, tr: Translator | None = None) -> list[str]:
    sides = []
    for form in q.forms:
        sides.append(expr_latex(form.formula, precision, tr=tr))
        if form.numbers is not None:
            numbers = expr_latex(form.numbers, precision, tr=tr)
            if numbers != sides[-1]:
                sides.append(numbers)
    value = _num(q.value, precision)
    if not sides or sides[-1] != value:
        sides.append(value)
    return sides


def equation_latex(q: Quantity, precision: int = 9, tr: Translator | None = None) -> str:
    """``name = form = numbers = value`` on one line of LaTeX math."""
    return " = ".join([name_latex(q.name, tr)] + _sides(q, precision, tr))


def align_rows(q: Quantity, precision: int, tr: Translator | None = None) -> list[str]:
    """One row per side: the name and the first side, then ``&= side`` rows."""
    sides = _sides(q, precision, tr)
    rows = [f"{name_latex(q.name, tr)} &= {sides[0]}"]
    # Short sides (a number, a short product) share a row with the one before.
    for side in sides[1:]:
        if len(side) < 40 and len(rows[-1]) + len(side) < 110:
            rows[-1] += f" = {side}"
        else:
            rows.append(f"&= {side}")
    return rows


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
"""

#: Languages written in CJK scripts, and the font of the CJK package (Debian's latex-cjk-chinese with
#: latex-cjk-chinese-arphic-gbsn00lp) that pdflatex sets them in; other languages need nothing more.
CJK_FONTS = {"zh": "gbsn"}


def document_setup(lang: str) -> tuple[str, str, str]:
    """``(preamble lines, begin, end)`` that let pdflatex typeset ``lang`` (empty for Latin scripts).

    Chinese uses the CJK package under pdflatex (``CJKutf8``), the lightest
    CJK support Debian packages: no XeTeX, no system fonts. The ``CJK``
    environment (not ``CJK*``) keeps the spaces the messages put between
    Chinese and the symbols or numbers inside it.
    """
    font = CJK_FONTS.get(lang)
    if font is None:
        return "", "", ""
    return "\\usepackage{CJKutf8}\n", f"\\begin{{CJK}}{{UTF8}}{{{font}}}", "\\end{CJK}"


def prose_latex(text: object, tr: Translator) -> str:
    """A sentence (a :class:`~chainrule.explain.prose.Prose` or a ``str``) in ``tr``'s language, formulas typeset."""
    return "".join(
        f"${_math_latex(item, tr)}$" if isinstance(item, Math) else escape(item) for item in segments(text, tr)
    )


def _math_latex(formula: Math, tr: Translator) -> str:
    """An inline formula of a sentence (as :meth:`Math.latex`), its names in ``tr``'s language."""
    return " = ".join(expr_latex(side, _PROSE_DIGITS, tr=tr) for side in formula.sides)


#: Digits of a number written inside a sentence (as :mod:`chainrule.explain.prose` writes them).
_PROSE_DIGITS = 15


def render_latex(
    traces: Sequence[Trace], precision: int = 9, title: str | None = None, lang: str = DEFAULT_LANGUAGE
) -> str:
    """A complete LaTeX document with every stage of every trace, in ``lang``; pdflatex compiles it."""
    tr = translator(lang)
    first = traces[0]
    preamble, begin, end = document_setup(tr.lang)
    out = [_PREAMBLE + preamble, r"\begin{document}"] + ([begin] if begin else []) + [""]
    out.append(r"\section*{" + escape(title or tr("Backpropagation step by step")) + "}")
    description = describe_network(first, tr)
    out.append(
        tr(
            "{network}; learning rate {eta} ({dtype}).",
            network=escape(description[0].upper() + description[1:]),
            eta=rf"$\eta = {_num(first.learning_rate, precision)}$",
            dtype=escape(first.dtype),
        )
    )
    out.append("")
    out.append(escape(tr("Conventions: {conventions}.", conventions=describe_conventions(first, tr))))
    out.append("")
    note_label = escape(tr("Note:"))
    for trace in traces:
        if len(traces) > 1:
            out.append(r"\section*{" + escape(tr("Update {step} of {steps}", step=trace.step, steps=len(traces))) + "}")
        for k, stage in enumerate(trace.stages, 1):
            out.append(r"\subsection*{" + f"{k}. " + prose_latex(stage.title, tr) + "}")
            out.append(prose_latex(stage.description, tr))
            out.append("")
            for note in stage.notes:
                out.append(rf"\emph{{{note_label}}} " + prose_latex(note, tr))
                out.append("")
            for group in stage.groups:
                if not group.names:
                    continue
                heading = prose_latex(group.title, tr)
                out.append(r"\paragraph{" + heading[0].upper() + heading[1:] + "}")
                if stage.id == "given":
                    items = [f"{name_latex(n, tr)} = {_num(trace[n].value, precision)}" for n in group.names]
                    out.append("$" + r",\quad ".join(items) + "$")
                    out.append("")
                    continue
                out.append(r"\begin{align*}")
                rows = [row for n in group.names for row in align_rows(trace[n], precision, tr)]
                out.append(" \\\\\n".join(rows))
                out.append(r"\end{align*}")
                for name in group.names:
                    remark = trace[name].note
                    if remark:
                        label = escape(tr("Note on {name}:", name="\x00")).replace("\x00", f"${name_latex(name, tr)}$")
                        out.append(rf"\emph{{{label}}} " + prose_latex(remark, tr))
                        out.append("")
        out.append(r"\paragraph{" + escape(tr("After the update")) + "}")
        out.append(
            tr(
                "{after} (before: {before}).",
                after=rf"$E_{{\mathit{{total}}}} = {_num(trace.error_after_update, precision)}$",
                before=f"${_num(trace['E_total'].value, precision)}$",
            )
        )
        out.append("")
        for note in trace.notes:
            out.append(rf"\emph{{{note_label}}} " + prose_latex(note, tr))
            out.append("")
    if end:
        out.append(end)
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"

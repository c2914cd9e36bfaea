"""Plain text for a terminal: one equation per line, the ``=`` of each group aligned.

Formulas print as the tutorial writes them: ``w1*i1 + w2*i2 + b1`` (a weighted
sum's products tight), ``dE_total/dout_o1 * dout_o1/dnet_o1`` (a chain of
factors spaced), negative numbers in parentheses where they follow an operator.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from ..convention import HIDDEN_DELTA_PHRASES
from ..formula import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub, Sym
from ..prose import localize
from ..trace import Quantity, Trace
from .numbers import number

__all__ = ["expr_text", "equation_text", "render_text", "describe_network", "describe_conventions"]

#: The conventions' phrases in the renderers' headers (English; translated where shown).
_BIAS = {"shared": N_("one bias shared per layer"), "per_neuron": N_("one bias per neuron")}
_TRAIN = {True: N_("trained"), False: N_("frozen")}
_ERROR = {"half_sum": N_("error 1/2 sum over outputs"), "mean": N_("error mean over outputs")}

_ATOM, _POW, _NEG, _MUL, _ADD = 5, 4, 3, 2, 1


def _precedence(e: Expr) -> int:
    if isinstance(e, (Add, Sub)):
        return _ADD
    if isinstance(e, (Mul, Div)):
        return _MUL
    if isinstance(e, Neg) or (isinstance(e, Num) and e.value < 0):
        return _NEG
    if isinstance(e, Pow):
        return _POW
    return _ATOM


def expr_text(e: Expr, precision: int = 9, *, tight: bool = False, lead: bool = True) -> str:
    """``e`` as plain text.

    ``tight`` prints a product as ``a*b`` instead of ``a * b``; ``lead`` says
    that nothing precedes ``e``, so a leading minus needs no parentheses
    (``-0.2 * x``, but ``y + (-0.2)*x``).
    """

    def wrap(child: Expr, needs: bool, child_lead: bool = False) -> str:
        text = expr_text(child, precision, lead=child_lead or needs)
        return f"({text})" if needs else text

    def negative(child: Expr) -> bool:
        return _precedence(child) == _NEG

    if isinstance(e, Sym):
        return e.name
    if isinstance(e, Num):
        text = number(e.value, precision)
        return text if lead or e.value >= 0 else f"({text})"
    if isinstance(e, Add):
        parts = []
        for k, term in enumerate(e.args):
            if isinstance(term, Mul):
                parts.append(expr_text(term, precision, tight=True, lead=k == 0))
            else:
                parts.append(wrap(term, k > 0 and negative(term), child_lead=k == 0))
        return " + ".join(parts)
    if isinstance(e, Sub):
        right = e.right
        return f"{wrap(e.left, False, lead)} - {wrap(right, _precedence(right) in (_ADD, _NEG))}"
    if isinstance(e, Mul):
        parts = [
            wrap(f, _precedence(f) == _ADD or (k > 0 and negative(f)), child_lead=lead and k == 0)
            for k, f in enumerate(e.args)
        ]
        return ("*" if tight else " * ").join(parts)
    if isinstance(e, Div):
        top = wrap(e.numerator, _precedence(e.numerator) == _ADD, child_lead=lead)
        bottom = wrap(e.denominator, _precedence(e.denominator) <= _NEG)
        return f"{top}/{bottom}"
    if isinstance(e, Pow):
        return f"{wrap(e.base, _precedence(e.base) < _ATOM)}^{wrap(e.exponent, _precedence(e.exponent) < _ATOM)}"
    if isinstance(e, Neg):
        text = "-" + wrap(e.arg, _precedence(e.arg) in (_ADD, _NEG), child_lead=True)
        return text if lead else f"({text})"
    if isinstance(e, Call):
        return f"{e.name}({', '.join(expr_text(a, precision) for a in e.args)})"
    raise TypeError(f"not a formula: {e!r}")


def equation_text(q: Quantity, precision: int = 9, width: int = 0) -> str:
    """``name = form = numbers = ... = value``, the name padded to ``width``."""
    parts = [q.name.ljust(width)]
    for form in q.forms:
        parts.append(expr_text(form.formula, precision))
        if form.numbers is not None:
            numbers = expr_text(form.numbers, precision)
            if numbers != parts[-1]:
                parts.append(numbers)
    value = number(q.value, precision)
    if parts[-1] != value:
        parts.append(value)
    return " = ".join(parts)


def describe_network(trace: Trace, lang: str | Translator = DEFAULT_LANGUAGE) -> str:
    """``a 2-2-2 network (sigmoid, sigmoid), squared_error`` in ``lang``."""
    tr = lang if isinstance(lang, Translator) else translator(lang)
    acts = ", ".join(layer["activation"]["name"] for layer in trace.layers)
    loss = trace.loss["name"]
    if loss == "squared_error":
        loss = (
            tr("{loss} (1/2 sum over outputs)", loss=loss)
            if trace.loss.get("output_reduction") == "half_sum"
            else tr("{loss} (mean over outputs)", loss=loss)
        )
    return tr(
        "a {sizes} network ({activations}), loss {loss}",
        sizes="-".join(map(str, trace.sizes)),
        activations=acts,
        loss=loss,
    )


def describe_conventions(trace: Trace, lang: str | Translator = DEFAULT_LANGUAGE) -> str:
    """The trace's conventions in one line of ``lang``."""
    tr = lang if isinstance(lang, Translator) else translator(lang)
    c = trace.conventions
    bias = tr.gettext(_BIAS[c["bias"]]) if c["bias"] in _BIAS else tr("mixed biases")
    train = tr.gettext(_TRAIN[c["train_bias"]]) if c["train_bias"] in _TRAIN else tr("some frozen")
    parts = [tr("{bias}, {trained}", bias=bias, trained=train)]
    if c["error"] is not None:
        parts.append(tr.gettext(_ERROR["half_sum" if c["error"] == "half_sum" else "mean"]))
    parts.append(tr.gettext(HIDDEN_DELTA_PHRASES[c["hidden_deltas"]]))
    # NOTE: the separator between the conventions of one line.
    return tr("; ").join(parts)


def _given_line(trace: Trace, names: list[str], precision: int) -> str:
    return ", ".join(f"{n} = {number(trace[n].value, precision)}" for n in names)


def render_trace_text(
    trace: Trace, precision: int = 9, indent: str = "", lang: str | Translator = DEFAULT_LANGUAGE
) -> list[str]:
    """One trace as lines (no header), in ``lang``."""
    tr = lang if isinstance(lang, Translator) else translator(lang)
    lines: list[str] = []
    add = lines.append
    number_of = 0
    for stage in trace.stages:
        number_of += 1
        add(
            indent
            + tr(
                "{number}. {title}: {description}",
                number=number_of,
                title=localize(stage.title, tr),
                description=localize(stage.description, tr),
            )
        )
        for note in stage.notes:
            add(f"{indent}   " + tr("note: {note}", note=localize(note, tr)))
        for group in stage.groups:
            if not group.names:
                continue
            title = localize(group.title, tr)
            if stage.id == "given":
                add(
                    f"{indent}   "
                    + tr("{title}: {values}", title=title, values=_given_line(trace, group.names, precision))
                )
                continue
            add(f"{indent}   {title}")
            width = max(len(n) for n in group.names)
            for name in group.names:
                q = trace[name]
                add(f"{indent}     {equation_text(q, precision, width)}")
                if q.note:
                    add(f"{indent}       " + tr("note: {note}", note=localize(q.note, tr)))
        add("")
    add(
        indent
        + tr(
            "After the update: {after} (before: {before})",
            after=f"E_total = {number(trace.error_after_update, precision)}",
            before=number(trace["E_total"].value, precision),
        )
    )
    for note in trace.notes:
        add(indent + tr("note: {note}", note=localize(note, tr)))
    return lines


def render_text(
    traces: Sequence[Trace], precision: int = 9, title: str | None = None, lang: str = DEFAULT_LANGUAGE
) -> str:
    """Every trace, with a header naming the network and the conventions, in ``lang`` (``"en"``, ``"zh"``...)."""
    tr = translator(lang)
    first = traces[0]
    lines = [
        title
        or tr(
            "Backpropagation step by step: {network}, eta = {eta} ({dtype})",
            network=describe_network(first, tr),
            eta=number(first.learning_rate, precision),
            dtype=first.dtype,
        )
    ]
    lines.append(tr("Conventions: {conventions}", conventions=describe_conventions(first, tr)))
    for trace in traces:
        lines.append("")
        if len(traces) > 1:
            lines.append(tr("=== Update {step} of {steps} ===", step=trace.step, steps=len(traces)))
            lines.append("")
        lines.extend(render_trace_text(trace, precision, lang=tr))
    return "\n".join(lines) + "\n"

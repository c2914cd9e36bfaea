"""MathML for the tutorial's names and formulas: typeset by the browser itself.

Why MathML: Chromium (since 109) and Firefox render MathML Core natively, so
a report works offline with nothing vendored and nothing fetched: no
JavaScript typesetter, no fonts, no CDN. The markup is plain text in the page,
so the numbers stay searchable and testable.

Names follow :mod:`chainrule.explain.naming`: ``net_h1`` becomes net with
subscript h1, ``dE_total/dw5`` a fraction of partial derivatives, ``w5+``
w with subscript 5 and superscript +, ``delta_o1`` a subscripted delta.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from html import escape
from typing import TYPE_CHECKING

from ..explain.formula import Add, Call, Div, Expr, Mul, Neg, Num, Pow, Sub, Sym
from ..explain.trace import Quantity
from ..i18n import N_

if TYPE_CHECKING:
    from ..i18n import Translator

__all__ = ["symbol", "number", "math", "op", "row", "expr_mathml", "equation", "equation_chunks"]

_GREEK = {"delta": "δ", "eta": "η", "sigma": "σ", "Sigma": "Σ", "Phi": "Φ", "phi": "φ"}
_INDEXED = re.compile(r"^([A-Za-z]+?)(\d+(?:_\d+)?)$")  # w5, i1, b2, h1_2 (deep networks)
_TERM = re.compile(r"^(.+)\[([^\]]+)\]$")  # dE_total/dout_h1[o1]: a path's term of a sum


def _via(tr: Translator | None) -> str:
    # NOTE: a path's share of a derivative is written "via o1" (the neuron the path goes through).
    word = N_("via")
    return tr.gettext(word) if tr is not None else word


def _mi(text: str) -> str:
    text = _GREEK.get(text, text)
    # A one-letter identifier is italic by default in MathML; words are upright.
    return f"<mi>{escape(text)}</mi>" if len(text) == 1 else f'<mi mathvariant="normal">{escape(text)}</mi>'


def _index(text: str) -> str:
    """``h1`` -> h with subscript 1 written as one subscript run ``h1``; ``total`` upright."""
    return f'<mi mathvariant="normal">{escape(text)}</mi>' if len(text) > 1 else f"<mi>{escape(text)}</mi>"


def _plain(name: str) -> str:
    """A name without derivatives: ``net_h1``, ``E_total``, ``w5``, ``i1``, ``target_o1``."""
    plus = name.endswith("+")
    base = name[:-1] if plus else name
    if "_" in base and not _INDEXED.match(base):
        head, tail = base.split("_", 1)
        core = f"<msub>{_mi(head)}{_index(tail)}</msub>"
        if plus:
            core = f"<msubsup>{_mi(head)}{_index(tail)}<mo>+</mo></msubsup>"
        return core
    match = _INDEXED.match(base)
    if match:
        head, tail = match.groups()
        if plus:
            return f"<msubsup>{_mi(head)}<mn>{tail}</mn><mo>+</mo></msubsup>"
        return f"<msub>{_mi(head)}<mn>{tail}</mn></msub>"
    return f"<msup>{_mi(base)}<mo>+</mo></msup>" if plus else _mi(base)


def symbol(name: str, tr: Translator | None = None) -> str:
    """MathML (without the ``<math>`` wrapper) for one quantity name.

    A path's term ``dE_total/dout_h1[o1]`` is the derivative restricted to the
    path via o1: the fraction, a bar, and "via o1" under it ("via" in ``tr``'s language;
    English without ``tr``). Every function below takes the same ``tr`` for the names inside formulas.
    """
    term = _TERM.match(name)
    if term is not None:
        whole, through = term.groups()
        return (
            f'<msub><mrow>{symbol(whole, tr)}<mo stretchy="true" fence="true">|</mo></mrow>'
            f"<mrow><mtext>{escape(_via(tr))}\u00a0</mtext>{_index(through)}</mrow></msub>"
        )  # one script level: >= 11 px
    if "/" in name and name.startswith("d"):
        top, bottom = name.split("/", 1)
        if bottom.startswith("d"):
            return f"<mfrac><mrow><mo>∂</mo>{_plain(top[1:])}</mrow><mrow><mo>∂</mo>{_plain(bottom[1:])}</mrow></mfrac>"
    return _plain(name)


def number(value: float, digits: int = 9) -> str:
    """A number to ``digits`` significant digits; negatives with a true minus sign."""
    text = "0" if value == 0 else f"{value:.{digits}g}"  # never "-0"
    if "e" in text:
        mantissa, exponent = text.split("e")
        body = f"<mn>{mantissa.lstrip('-')}</mn><mo>×</mo><msup><mn>10</mn><mn>{int(exponent)}</mn></msup>"
        return f"<mrow><mo>−</mo>{body}</mrow>" if value < 0 else f"<mrow>{body}</mrow>"
    return f"<mrow><mo>−</mo><mn>{text[1:]}</mn></mrow>" if text.startswith("-") else f"<mn>{text}</mn>"


def op(text: str) -> str:
    return f"<mo>{escape(text)}</mo>"


def row(*parts: str) -> str:
    return "<mrow>" + "".join(parts) + "</mrow>"


def math(*parts: str, display: bool = False) -> str:
    """Wrap MathML parts in a ``<math>`` element."""
    mode = ' display="block"' if display else ""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{mode}>' + "".join(parts) + "</math>"


# -- formula trees (chainrule.explain.formula) -------------------------------------------------
_PREC = {"add": 1, "sub": 1, "neg": 2, "mul": 2, "div": 4, "pow": 3, "atom": 5}


def _kind(expr: Expr) -> str:
    if isinstance(expr, Add):
        return "add"
    if isinstance(expr, Sub):
        return "sub"
    if isinstance(expr, Neg):
        return "neg"
    if isinstance(expr, Mul):
        return "mul"
    if isinstance(expr, Div):
        return "div"
    if isinstance(expr, Pow):
        return "pow"
    if isinstance(expr, Num) and expr.value < 0:
        return "neg"
    return "atom"


def _paren(body: str) -> str:
    return f"<mrow><mo>(</mo>{body}<mo>)</mo></mrow>"


def _wrapped(expr: Expr, digits: int, above: int, tr: Translator | None = None) -> str:
    """``expr``, in parentheses when it binds less tightly than the context ``above``."""
    body = expr_mathml(expr, digits, tr)
    return _paren(body) if _PREC[_kind(expr)] <= above else body


def expr_mathml(expr: Expr, digits: int = 9, tr: Translator | None = None) -> str:
    """MathML (no ``<math>`` wrapper) of a formula tree from :mod:`chainrule.explain.formula`."""
    if isinstance(expr, Sym):
        return symbol(expr.name, tr)
    if isinstance(expr, Num):
        return number(expr.value, digits)
    if isinstance(expr, Add):
        parts = [_wrapped(expr.args[0], digits, 0, tr)]
        # A negative term after "+" gets parentheses: "0.055 + (−0.019)", never "+ −".
        parts += [op("+") + _wrapped(a, digits, 2 if _kind(a) == "neg" else 1, tr) for a in expr.args[1:]]
        return row(*parts)
    if isinstance(expr, Sub):
        right = _wrapped(expr.right, digits, 2 if _kind(expr.right) == "neg" else 1, tr)
        return row(_wrapped(expr.left, digits, 0, tr), op("−"), right)
    if isinstance(expr, Mul):
        first = _wrapped(expr.args[0], digits, 1, tr)
        return row(first, *[op("⋅") + _wrapped(a, digits, 2, tr) for a in expr.args[1:]])
    if isinstance(expr, Div):
        return f"<mfrac>{expr_mathml(expr.numerator, digits, tr)}{expr_mathml(expr.denominator, digits, tr)}</mfrac>"
    if isinstance(expr, Pow):
        return f"<msup>{_wrapped(expr.base, digits, 3, tr)}{expr_mathml(expr.exponent, digits, tr)}</msup>"
    if isinstance(expr, Neg):
        return row(op("−"), _wrapped(expr.arg, digits, 2, tr))
    if isinstance(expr, Call):
        args = op(",").join(expr_mathml(a, digits, tr) for a in expr.args)
        return row(_mi(expr.name), op("("), args, op(")"))
    raise TypeError(f"formula: expected an expression node, received: {expr!r}")


def _known(expr: Expr, values: Mapping[str, float], hidden: Collection[str]) -> Expr:
    """``expr`` with every symbol that has a value and is not hidden replaced by its number."""
    if isinstance(expr, Sym):
        return Num(float(values[expr.name])) if expr.name in values and expr.name not in hidden else expr
    if isinstance(expr, (Add, Mul)):
        return type(expr)(tuple(_known(a, values, hidden) for a in expr.args))
    if isinstance(expr, Call):
        return Call(expr.name, tuple(_known(a, values, hidden) for a in expr.args))
    if isinstance(expr, Sub):
        return Sub(_known(expr.left, values, hidden), _known(expr.right, values, hidden))
    if isinstance(expr, Div):
        return Div(_known(expr.numerator, values, hidden), _known(expr.denominator, values, hidden))
    if isinstance(expr, Pow):
        return Pow(_known(expr.base, values, hidden), _known(expr.exponent, values, hidden))
    if isinstance(expr, Neg):
        return Neg(_known(expr.arg, values, hidden))
    return expr


def _pieces(expr: Expr, digits: int, tr: Translator | None = None) -> list[str]:
    """A right-hand side cut where a line may break: before each top-level term or factor.

    ``a + b + c`` gives ``a``, ``+ b``, ``+ c``; a product ``x ⋅ y`` gives ``x``,
    ``⋅ y``, so that a softmax delta's long sum wraps term by term.
    """
    if isinstance(expr, Add):
        out = [_wrapped(expr.args[0], digits, 0, tr)]
        out += [op("+") + _wrapped(a, digits, 2 if _kind(a) == "neg" else 1, tr) for a in expr.args[1:]]
        return out
    if isinstance(expr, Sub):
        right = _wrapped(expr.right, digits, 2 if _kind(expr.right) == "neg" else 1, tr)
        return [_wrapped(expr.left, digits, 0, tr), op("−") + right]
    if isinstance(expr, Mul) and len(expr.args) > 2:
        return [_wrapped(expr.args[0], digits, 1, tr)] + [op("⋅") + _wrapped(a, digits, 2, tr) for a in expr.args[1:]]
    if isinstance(expr, Div) and isinstance(expr.denominator, Add) and len(expr.denominator.args) > 2:
        # A fraction over a long sum (softmax: exp(net_o1) over the sum of every exp) cannot wrap
        # as a fraction: it is written a / (b + c + ...), which wraps term by term.
        terms = _pieces(expr.denominator, digits, tr)
        first = _wrapped(expr.numerator, digits, 3, tr) + op("/") + op("(") + terms[0]
        return [first] + terms[1:-1] + [terms[-1] + op(")")]
    return [expr_mathml(expr, digits, tr)]


def equation_chunks(
    quantity: Quantity,
    digits: int = 9,
    *,
    values: Mapping[str, float] | None = None,
    hidden: Collection[str] = (),
    tr: Translator | None = None,
) -> list[str]:
    """The equation of :func:`equation` as separate ``<math>`` elements that a page may wrap between.

    Each right-hand side starts a chunk with its ``=``; long sums and products
    break into one chunk per term or factor (see :func:`_pieces`). With
    ``values`` and ``hidden``: the numbers forms are substituted from
    ``values``, keeping every hidden name as its symbol, and when the quantity
    itself is hidden its numbers and value are left out and the equation ends
    with ``= ?``.
    """
    hidden = set(hidden)
    own_hidden = quantity.name in hidden
    chunks = [[symbol(quantity.name, tr)]]
    for form in quantity.forms:
        chunks.append([op("=")])
        for k, piece in enumerate(_pieces(form.formula, digits, tr)):
            if k:
                chunks.append([])
            chunks[-1].append(piece)
        if own_hidden or form.numbers is None:
            continue
        numbers = form.numbers if values is None else _known(form.formula, values, hidden)
        if isinstance(numbers, Num) or numbers == form.formula:
            continue
        chunks.append([op("=")])
        for k, piece in enumerate(_pieces(numbers, digits, tr)):
            if k:
                chunks.append([])
            chunks[-1].append(piece)
    chunks.append([op("="), op("?") if own_hidden else number(quantity.value, digits)])
    # The name and its first "=" stay together, as do an "=" and what follows it.
    merged = [chunks[0] + chunks[1]] + chunks[2:] if len(chunks) > 1 else chunks
    return [math(*parts) for parts in merged]


def equation(quantity: Quantity, digits: int = 9, tr: Translator | None = None) -> str:
    """``name = formula = numbers = ... = value`` as one ``<math>`` element.

    A numbers form that is a single number is left out: the value follows.
    """
    parts = [symbol(quantity.name, tr)]
    for form in quantity.forms:
        parts += [op("="), expr_mathml(form.formula, digits, tr)]
        if form.numbers is not None and not isinstance(form.numbers, Num):
            parts += [op("="), expr_mathml(form.numbers, digits, tr)]
    parts += [op("="), number(quantity.value, digits)]
    return math(*parts)

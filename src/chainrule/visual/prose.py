"""Prose beside the equations, typeset: the formulas inside a sentence become MathML.

The trace's descriptions and notes are plain text with formulas written the
way the text renderer prints them ("E_total = sum over outputs of 1/2 (target
- out)^2", "w+ = w - eta * dE_total/dw"). :func:`prose_html` finds those
formulas and sets them as MathML, like the equations beside them; the words
stay text. A formula is a run of names (``dE_total/dw``, ``out_o1``, ``w5+``,
``delta``, ``eta``...), numbers, operators and bracketed groups that contains
an operator or a name with a subscript; an English word, a bracket holding
words, or two plain words side by side ("fused delta out - target") ends it.
A run that does not parse stays text, so nothing is ever lost.
"""

from __future__ import annotations

import re
from html import escape

from .mathml import math, symbol

__all__ = ["prose_html"]

#: Names that may stand alone in a formula without a subscript.
_PLAIN = {"out", "net", "target", "delta", "eta", "w", "b", "k", "j", "E", "w+", "b+"}
#: Function names, set upright and applied to a bracketed argument.
_FUNCTIONS = {"log", "exp", "logsumexp", "activation", "tanh", "sigmoid", "softmax", "max", "min"}
#: Configuration keys: set as code, never as a subscripted product.
_CODE = {"hidden_deltas", "train_bias", "output_reduction", "max_parameters"}

_TOKEN = re.compile(r"""
    (?P<sum>sum\ over\ outputs\ of|mean\ over\ the\ (?P<m>\d+)\ outputs\ of)
  | (?P<dfrac>d[A-Za-z]+(?:_[A-Za-z0-9]+)*/d[A-Za-z]+(?:_[A-Za-z0-9]+)*)
  | (?P<code>hidden_deltas|train_bias|output_reduction|max_parameters)
  | (?P<name>[A-Za-z]+(?:_[A-Za-z0-9]+)+\+?|[wbiho]\d+(?:_\d+)?\+?|[wb]\+)
  | (?P<word>[A-Za-z]+(?:['\u2019-][A-Za-z]+)*)
  | (?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)
  | (?P<op>[=+\-*/^,])
  | (?P<open>[(\[])
  | (?P<close>[)\]])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)


class _Unparsed(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str, str | None]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "m":  # the inner group of "mean over the N outputs of"
            kind = "sum"
        value = m.group(0)
        if kind == "word" and value in _PLAIN:
            kind = "name"
        if kind == "word" and value in _FUNCTIONS:
            kind = "function"
        out.append((kind, value, m.group("m") if kind == "sum" else None))
    return out


_OPERAND_START = ("name", "dfrac", "number", "open", "function", "sum")


def _is_math(kind: str) -> bool:
    return kind in ("name", "dfrac", "number", "op", "open", "close", "function", "sum", "space")


def _subscripted(value: str) -> bool:
    return "_" in value or bool(re.match(r"^[wbiho]\d", value))


def _implicit_ok(left: tuple[str, str, str | None], right: tuple[str, str, str | None]) -> bool:
    """Whether two operands side by side read as a product (``1/2 (t - o)``, ``out_k out_j``)."""
    lk, lv, _ = left
    rk, rv, _ = right
    if rk in ("open", "function", "sum") or lk == "sum":  # a sum applies to what follows it
        return True
    if lk in ("close", "number"):
        return rk in ("name", "dfrac", "open", "function")
    if lk in ("name", "dfrac"):
        return _subscripted(lv) and rk in ("name", "dfrac") and _subscripted(rv)
    return False


def _spans(tokens: list[tuple[str, str, str | None]]) -> list[tuple[int, int]]:
    """Candidate formula runs ``[start, end)`` of math tokens (see the module docstring)."""
    spans = []
    i, n = 0, len(tokens)
    while i < n:
        kind, value, _ = tokens[i]
        after = next((t for t in tokens[i + 1:] if t[0] != "space"), None)
        starts = kind in _OPERAND_START or (kind == "op" and value == "-" and after is not None
                                            and after[0] in _OPERAND_START)
        if not starts:
            i += 1
            continue
        j, depth, last = i, 0, None
        while j < n:
            kind, value, _ = tokens[j]
            if not _is_math(kind):
                break
            if kind == "open":
                # A bracket starts a group only if everything up to its match is math.
                k, d = j, 0
                while k < n:
                    if tokens[k][0] == "open":
                        d += 1
                    elif tokens[k][0] == "close":
                        d -= 1
                        if d == 0:
                            break
                    elif not _is_math(tokens[k][0]):
                        break
                    k += 1
                if k >= n or tokens[k][0] != "close" or d != 0:
                    break
                depth += 1
            elif kind == "close":
                if depth == 0:
                    break
                depth -= 1
            elif kind == "op" and value == "," and depth == 0:
                break
            if kind not in ("space", "op", "close") and last is not None and last[0] not in ("op", "open"):
                if not _implicit_ok(last, tokens[j]):
                    break
            if kind != "space":
                last = tokens[j]
            j += 1
        # Trim trailing spaces and operators (a sentence's "net = weighted ..." keeps its words).
        while j > i and tokens[j - 1][0] in ("space", "op"):
            j -= 1
        if j > i:
            spans.append((i, j))
        i = max(j, i + 1)
    return spans


def _worth_typesetting(tokens: list[tuple[str, str, str | None]]) -> bool:
    kinds = [k for k, _, _ in tokens if k != "space"]
    if len(kinds) == 1:  # a lone dE/dw, out_o1 or w5 is a symbol; a lone "delta" or "k" a word
        kind, value, _ = next(t for t in tokens if t[0] != "space")
        return kind == "dfrac" or (kind == "name" and (_subscripted(value) or value.endswith("+")))
    return any(k in ("op", "sum", "dfrac", "function") for k in kinds) or any(
        k == "name" and (_subscripted(v) or v.endswith("+")) for k, v, _ in tokens)


class _Parser:
    """Recursive descent over one run: relations of sums of products of powers."""

    def __init__(self, tokens: list[tuple[str, str, str | None]]) -> None:
        self.tokens = [t for t in tokens if t[0] != "space"]
        self.i = 0

    def peek(self) -> tuple[str, str, str | None] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, str | None]:
        token = self.peek()
        if token is None:
            raise _Unparsed
        self.i += 1
        return token

    def parse(self) -> str:
        out = self.relation()
        if self.peek() is not None:
            raise _Unparsed
        return out

    def relation(self) -> str:
        parts = [self.expr()]
        while (t := self.peek()) is not None and t[:2] == ("op", "="):
            self.take()
            parts += ["<mo>=</mo>", self.expr()]
        return "<mrow>" + "".join(parts) + "</mrow>"

    def expr(self) -> str:
        parts = [self.term()]
        while (t := self.peek()) is not None and t[0] == "op" and t[1] in "+-":
            self.take()
            parts += ["<mo>+</mo>" if t[1] == "+" else "<mo>−</mo>", self.term()]
        return "<mrow>" + "".join(parts) + "</mrow>"

    def term(self) -> str:
        parts = [self.unary()]
        while (t := self.peek()) is not None:
            if t[:2] == ("op", "*"):
                self.take()
                parts += ["<mo>⋅</mo>", self.unary()]
            elif t[0] in _OPERAND_START:
                parts += ["<mo>\u2062</mo>", self.unary()]  # invisible times
            else:
                break
        return "<mrow>" + "".join(parts) + "</mrow>"

    def unary(self) -> str:
        t = self.peek()
        if t is not None and t[:2] == ("op", "-"):
            self.take()
            return "<mrow><mo>−</mo>" + self.unary() + "</mrow>"
        if t is not None and t[0] == "sum":
            self.take()
            total = '<munder><mo movablelimits="false">∑</mo><mtext>outputs</mtext></munder>'
            if t[2] is not None:  # mean over the m outputs
                total = f"<mfrac><mn>1</mn><mn>{escape(t[2])}</mn></mfrac>" + total
            return "<mrow>" + total + self.unary() + "</mrow>"
        return self.power()

    def power(self) -> str:
        base = self.fraction()
        t = self.peek()
        if t is not None and t[:2] == ("op", "^"):
            self.take()
            return f"<msup>{base}{self.atom()}</msup>"
        return base

    def fraction(self) -> str:
        top = self.atom()
        t = self.peek()
        if t is not None and t[:2] == ("op", "/"):
            self.take()
            return f"<mfrac>{top}{self.atom()}</mfrac>"
        return top

    def atom(self) -> str:
        kind, value, _ = self.take()
        if kind == "number":
            return f"<mn>{escape(value)}</mn>"
        if kind in ("name", "dfrac"):
            return symbol(value)
        if kind == "function":
            t = self.peek()
            if t is None or t[0] != "open":
                return f'<mi mathvariant="normal">{escape(value)}</mi>'
            return f'<mrow><mi mathvariant="normal">{escape(value)}</mi>{self.group()}</mrow>'
        if kind == "open":
            self.i -= 1
            return self.group()
        raise _Unparsed

    def group(self) -> str:
        _, opening, _ = self.take()
        closing = ")" if opening == "(" else "]"
        items = [self.relation()]
        while (t := self.peek()) is not None and t[:2] == ("op", ","):
            self.take()
            items += ["<mo>,</mo>", self.relation()]
        t = self.take()
        if t[:2] != ("close", closing):
            raise _Unparsed
        return f"<mrow><mo>{opening}</mo>{''.join(items)}<mo>{closing}</mo></mrow>"


def prose_html(text: str) -> str:
    """``text`` as HTML: words escaped, each formula in it an inline MathML ``<math>``."""
    tokens = _tokens(text)
    out: list[str] = []
    done = 0
    for start, end in _spans(tokens):
        run = tokens[start:end]
        if not _worth_typesetting(run):
            continue
        try:
            mathml = _Parser(run).parse()
        except (_Unparsed, IndexError):
            continue
        out.append(_text(tokens[done:start]))
        out.append(math(mathml))
        done = end
    out.append(_text(tokens[done:]))
    return "".join(out)


def _text(tokens: list[tuple[str, str, str | None]]) -> str:
    return "".join(f"<code>{escape(v)}</code>" if k == "code" else escape(v) for k, v, _ in tokens)

"""MathML typesetting and the self-contained HTML report of a trace."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from chainrule import Network
from chainrule.explain import build_trace, trace_steps, tutorial_network
from chainrule.explain.formula import Add, Mul, Neg, Num, Pow, Sub, Sym, div
from chainrule.visual import render_html
from chainrule.visual.mathml import equation, expr_mathml, math, number, symbol
from test_worked_example import SPEC

MATH = "{http://www.w3.org/1998/Math/MathML}"


def text_of(mathml: str) -> str:
    """The characters a reader sees, in order (parsing also proves the markup well-formed)."""
    return "".join(ET.fromstring(math(mathml)).itertext())


@pytest.mark.parametrize(
    "name, shape, seen",
    [
        ("net_h1", "msub", "neth1"),
        ("w5+", "msubsup", "w5+"),
        ("delta_o1", "msub", "δo1"),
        ("E_total", "msub", "Etotal"),
        ("eta", "mi", "η"),
        ("target_o2", "msub", "targeto2"),
        ("net_h2_3", "msub", "neth2_3"),
        ("dE_total/dw5", "mfrac", "∂Etotal∂w5"),
        ("dE_o1/dout_h1", "mfrac", "∂Eo1∂outh1"),
        ("dout_o2/dnet_o1", "mfrac", "∂outo2∂neto1"),
    ],
)
def test_symbols(name, shape, seen):
    root = ET.fromstring(math(symbol(name)))
    assert root[0].tag == MATH + shape
    assert text_of(symbol(name)) == seen


@pytest.mark.parametrize(
    "value, seen",
    [
        (0.3775, "0.3775"),
        (-0.0380982365, "−0.0380982365"),
        (0.0, "0"),
        (-0.0, "0"),
        (4.38567734e-05, "4.38567734×10-5"),
        (-2e20, "−2×1020"),
    ],
)
def test_numbers(value, seen):
    assert text_of(number(value, 9)) == seen


@pytest.mark.parametrize(
    "expr, seen",
    [
        (Add((Sym("w1"), Num(-0.2))), "w1+(−0.2)"),
        (Sub(Num(0.5), Add((Sym("a"), Sym("b")))), "0.5−(a+b)"),
        (Mul((Add((Sym("a"), Num(1.0))), Sym("b"))), "(a+1)⋅b"),
        (Mul((Num(-0.5), Num(-0.25))), "−0.5⋅(−0.25)"),
        (Pow(Sub(Sym("a"), Sym("b")), Num(2.0)), "(a−b)2"),
        (Neg(Add((Sym("a"), Sym("b")))), "−(a+b)"),
        (div(1, Add((Num(1.0), Sym("a")))), "11+a"),
    ],
)
def test_expressions_get_parentheses_exactly_where_needed(expr, seen):
    assert text_of(expr_mathml(expr, 9)) == seen


def test_equation_reads_like_the_tutorial():
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    seen = "".join(ET.fromstring(equation(trace["net_h1"], 9)).itertext())
    assert seen == "neth1=w1⋅i1+w2⋅i2+b1=0.15⋅0.05+0.2⋅0.1+0.35=0.3775"
    seen = "".join(ET.fromstring(equation(trace["dE_total/dw5"], 9)).itertext())
    assert seen.endswith("=0.74136507⋅0.186815602⋅0.593269992=0.0821670406")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.formulas: dict[str, float] = {}
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "formula" in (a.get("class") or "").split():
            self.formulas[a["data-q"]] = float(a["data-value"])
        for key in ("src", "href"):
            if a.get(key) and re.match(r"(https?:)?//", a[key]):
                self.external.append(a[key])


@pytest.fixture(scope="module")
def tutorial_report():
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    return trace, render_html(trace)


def test_report_holds_every_quantity_with_the_engines_value(tutorial_report):
    trace, html = tutorial_report
    parsed = _Collect()
    parsed.feed(html)
    assert parsed.formulas == trace.values()
    for name, value in SPEC.items():
        if name in parsed.formulas:
            assert parsed.formulas[name] == pytest.approx(value, abs=6e-13), name
    assert f"{SPEC['E_total_after_first_update']:.9g}" in html


def test_report_is_self_contained(tutorial_report):
    _, html = tutorial_report
    parsed = _Collect()
    parsed.feed(html)
    assert parsed.external == []
    assert parsed.tags.count("svg") == 3 and "math" in parsed.tags
    assert "<link" not in html and "@import" not in html and "url(" not in html


def test_report_of_several_steps_and_a_deep_network():
    network = Network.from_sizes(
        [3, 4, 2], "tanh", output_activation="softmax", loss="categorical_cross_entropy", seed=0
    )
    traces = trace_steps(network, [0.5, -1.0, 2.0], [0.0, 1.0], 0.1, steps=2)
    html = render_html(traces, precision=5, title="two steps")
    assert "<title>two steps</title>" in html
    assert 'id="step-1"' in html and 'id="step-2"' in html
    assert "fused delta" in html
    parsed = _Collect()
    parsed.feed(html)
    assert parsed.formulas["w20+"] == traces[1]["w20+"].value  # the last step's values come last


def test_report_without_a_diagram_for_a_wide_layer():
    network = Network.from_sizes([13, 1], "sigmoid", seed=0)
    html = render_html(build_trace(network, [0.1] * 13, [0.5], 0.5))
    assert "No diagram" in html and "<svg" not in html


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([],), {}, "traces: expected one Trace or a non-empty sequence"),
        (("trace",), {}, "traces: expected one Trace"),
        ((None,), {"precision": 0}, "precision: expected an integer >= 1"),
        ((None,), {"colour": "red"}, "render_html options: expected only 'title'"),
    ],
)
def test_report_bad_arguments(tutorial_report, args, kwargs, match):
    trace, _ = tutorial_report
    args = tuple(trace if a is None else a for a in args)
    with pytest.raises(ValueError, match=match):
        render_html(*args, **kwargs)


def test_report_prose_is_typeset(tutorial_report):
    """The error's description is an equation, not ASCII: E_total = sum over outputs of 1/2 (target - out)^2."""
    _, html = tutorial_report
    assert "sum over outputs of 1/2 (target - out)^2" not in html
    assert "(target - out)^2" not in html and "w - eta * dE_total/dw" not in html
    description = re.search(
        r'<section class="stage" data-stage="error">.*?<p class="description">(.*?)</p>', html, flags=re.S
    ).group(1)
    root = ET.fromstring(f"<p>{description}</p>")
    equations = list(root.iter(MATH + "math"))
    assert equations
    tags = {el.tag for eq in equations for el in eq.iter()}
    assert MATH + "mfrac" in tags  # 1/2 is a fraction


def test_report_diagrams_scroll_rather_than_shrink(tutorial_report):
    """A diagram keeps its natural size (11 px text at least) inside a scrolling box."""
    _, html = tutorial_report
    assert html.count('<div class="diagram"><svg') == 3
    assert "max-width: 100%" not in html


def test_figure_captions_are_typeset_in_both_languages():
    """A diagram's caption names its symbols and its rule as the equations do (MathML), in English or Chinese."""
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    for lang, words in (
        ("en", ("Forward pass and error", "Update: each weight before and after")),
        ("zh", ("前向传播与误差", "更新权重：每个权重更新前后的值")),
    ):
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", render_html(trace, lang=lang), re.S)
        assert len(captions) == 3
        for caption in captions:
            assert "<math" in caption and "dE_total" not in caption and "w+" not in caption, caption
        assert words[0] in captions[0] and words[1] in captions[2]
        assert "<msup><mi>w</mi><mo>+</mo></msup>" in captions[2] and "<mi>η</mi>" in captions[2]
        # The report's diagrams speak the report's language too (their legend).
        assert ("共用的偏置项（乘以 1）" in render_html(trace, lang=lang)) == (lang == "zh")

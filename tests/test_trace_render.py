"""The tutorial's trace against every number of the spec, through each format; LaTeX compiles.

Golden files: tests/golden/tutorial.txt and tutorial.md hold `chainrule explain`
and `chainrule explain --format markdown`; tutorial-values.json every value of the
tutorial's first two updates under both hidden-deltas conventions, at full precision. After an intended change of the
rendering, regenerate them with `python tests/golden/regenerate.py` and review
the diff.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import needs
from chainrule.cli import main
from chainrule.explain import build_trace, trace_steps, tutorial_network
from chainrule.explain.config import load_setup
from chainrule.explain.formula import Add, Call, Div, Mul, Neg, Num, Pow, Sub, Sym
from chainrule.explain.render import render
from chainrule.explain.render.latex import expr_latex, name_latex
from chainrule.explain.render.text import expr_text
from test_worked_example import SPEC

HERE = Path(__file__).parent
ROOT = HERE.parent
GOLDEN = HERE / "golden"

TRACED = {k: v for k, v in SPEC.items() if k != "E_total_after_first_update"}


@pytest.fixture(scope="module")
def trace():
    t = build_trace(tutorial_network(), [0.05, 0.10], [0.01, 0.99], 0.5)
    return t


def g9(value: float) -> str:
    return f"{value:.9g}"


def test_every_spec_number_in_the_trace(trace):
    for name, value in TRACED.items():
        assert trace[name].value == pytest.approx(value, abs=6e-13), name
    assert trace.error_after_update == pytest.approx(SPEC["E_total_after_first_update"], abs=6e-13)


def test_every_spec_number_in_text(trace):
    lines = [line.strip() for line in render(trace, "text").splitlines()]
    for name, value in TRACED.items():
        [line] = [ln for ln in lines if ln.split(" = ", 1)[0].rstrip() == name]
        assert line.endswith(f" = {g9(value)}"), (name, line)
    after = f"After the update: E_total = {g9(SPEC['E_total_after_first_update'])} "
    assert any(line.startswith(after) for line in lines)


def test_every_spec_number_in_markdown(trace):
    rows = render(trace, "markdown").splitlines()
    for name, value in TRACED.items():
        [row] = [r for r in rows if r.startswith(f"| ${name_latex(name)}$ |")]
        assert row.endswith(f"| {g9(value)} |"), (name, row)


def test_every_spec_number_in_latex(trace):
    lines = render(trace, "latex").splitlines()
    for name, value in TRACED.items():
        [start] = [k for k, ln in enumerate(lines) if ln.startswith(f"{name_latex(name)} &= ")]
        block = [lines[start]]
        for ln in lines[start + 1 :]:
            if not ln.startswith("&= "):
                break
            block.append(ln)
        assert " ".join(block).rstrip(" \\").endswith(f"= {g9(value)}"), (name, block)


def test_every_spec_number_in_json(trace):
    data = json.loads(render(trace, "json"))
    assert data["schema"] == "chainrule.trace/1"
    for name, value in TRACED.items():
        assert data["values"][name] == pytest.approx(value, abs=6e-13), name
        assert data["quantities"][name]["value"] == data["values"][name]
        assert data["quantities"][name]["text"].endswith(f" = {g9(value)}"), name
    assert data["E_total_after_update"] == pytest.approx(SPEC["E_total_after_first_update"], abs=6e-13)
    assert data["quantities"]["net_h1"]["text"] == "net_h1 = w1*i1 + w2*i2 + b1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775"
    assert data["quantities"]["dE_total/dw5"]["refs"]["factors"] == [
        "dE_total/dout_o1",
        "dout_o1/dnet_o1",
        "dnet_o1/dw5",
    ]
    assert data["quantities"]["dE_total/dout_h1"]["refs"]["paths"] == ["dE_o1/dout_h1", "dE_o2/dout_h1"]
    assert [s["id"] for s in data["stages"]] == [
        "given",
        "forward",
        "error",
        "backward_output",
        "backward_hidden",
        "update",
    ]
    assert data["network"]["neurons"] == [["i1", "i2"], ["h1", "h2"], ["o1", "o2"]]


def test_steps_json_schema():
    data = json.loads(render(trace_steps(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5, steps=2), "json"))
    assert data["schema"] == "chainrule.trace-steps/1"
    assert [s["step"] for s in data["steps"]] == [1, 2]
    assert data["steps"][1]["values"]["w5"] == data["steps"][0]["values"]["w5+"]


@pytest.mark.parametrize(
    "expr, text, latex",
    [
        (Add((Mul((Sym("w1"), Sym("i1"))), Sym("b1"))), "w1*i1 + b1", r"w_{1} \cdot i_{1} + b_{1}"),
        (Sub(Sym("w5"), Mul((Sym("eta"), Num(-0.02)))), "w5 - eta * (-0.02)", r"w_{5} - \eta \cdot \left(-0.02\right)"),
        (Add((Num(0.5), Num(-0.25))), "0.5 + (-0.25)", r"0.5 + \left(-0.25\right)"),
        (Mul((Num(-0.5), Num(2.0))), "-0.5 * 2", r"-0.5 \cdot 2"),
        (
            Div(Num(1.0), Add((Num(1.0), Call("exp", (Neg(Sym("net_h1")),))))),
            "1/(1 + exp(-net_h1))",
            r"\frac{1}{1 + e^{-\mathit{net}_{h_{1}}}}",
        ),
        (
            Pow(Sub(Sym("target_o1"), Sym("out_o1")), Num(2.0)),
            "(target_o1 - out_o1)^2",
            r"\left(\mathit{target}_{o_{1}} - \mathit{out}_{o_{1}}\right)^{2}",
        ),
        (
            Sym("dE_total/dout_h1_2"),
            "dE_total/dout_h1_2",
            r"\frac{\partial E_{\mathit{total}}}{\partial \mathit{out}_{h_{1,2}}}",
        ),
        (Sym("w12+"), "w12+", "w_{12}^{+}"),
        (Num(4.2e-07), "4.2e-07", r"4.2 \times 10^{-7}"),
    ],
)
def test_expression_typesetting(expr, text, latex):
    assert expr_text(expr) == text
    assert expr_latex(expr) == latex


@pytest.mark.parametrize("fmt, golden", [("text", "tutorial.txt"), ("markdown", "tutorial.md")])
def test_golden_files(fmt, golden, capsys):
    assert main(["explain", "--format", fmt]) == 0
    expected = (GOLDEN / golden).read_text(encoding="utf-8")
    assert capsys.readouterr().out == expected, f"regenerate with: python tests/golden/regenerate.py ({golden})"


def test_golden_values_at_full_precision():
    import importlib.util

    spec = importlib.util.spec_from_file_location("regenerate", GOLDEN / "regenerate.py")
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    expected = json.loads((GOLDEN / regenerate.VALUES).read_text(encoding="utf-8"))
    assert regenerate.tutorial_values() == expected, "regenerate with: python tests/golden/regenerate.py"


def _pdflatex(tex: str, tmp_path: Path, name: str) -> None:
    pdflatex = needs.program("pdflatex", install="apt-get install texlive-latex-base (Debian's; .ci/run does)")
    source = tmp_path / f"{name}.tex"
    source.write_text(tex, encoding="utf-8")
    result = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


@pytest.mark.parametrize(
    "source, extra",
    [
        (None, []),
        ("examples/tanh-softmax-3-4-2.toml", []),
        ("examples/sigmoid-bce-2-3-1.yaml", ["--steps", "2"]),
        ("examples/tanh-softmax-3-4-2.toml", ["--summary"]),
    ],
)
def test_latex_compiles_with_pdflatex(source, extra, tmp_path, capsys):
    needs.module("yaml") if source and source.endswith(".yaml") else None
    args = ["explain", *([str(ROOT / source)] if source else []), "--format", "latex", *extra]
    assert main(args) == 0
    _pdflatex(capsys.readouterr().out, tmp_path, "trace")


def test_latex_of_a_deep_network_with_every_activation_compiles(tmp_path):
    import numpy as np

    from chainrule import Dense, Network

    rng = np.random.default_rng(0)
    acts = [{"name": "leaky_relu", "alpha": 0.1}, "relu", "identity", "tanh", "softmax"]
    sizes = [2, 3, 2, 2, 2, 2]
    layers = [
        Dense(sizes[k], sizes[k + 1], acts[k], seed=rng, bias="shared" if k % 2 else "per_neuron") for k in range(5)
    ]
    net = Network(layers, loss="categorical_cross_entropy")
    traces = trace_steps(net, [0.3, -0.7], [0.0, 1.0], 0.1, steps=1)
    _pdflatex(render(traces, "latex", precision=6), tmp_path, "deep")


def test_examples_load_and_trace():
    setup = load_setup(ROOT / "examples" / "tutorial.json")
    t = build_trace(setup.network, setup.x, setup.y, setup.learning_rate)
    assert t["w5+"].value == pytest.approx(SPEC["w5+"], abs=6e-13)

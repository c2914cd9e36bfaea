"""Exercise sheets: reproducible from a seed, the answer key's numbers are the trace's, the PDF compiles."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.exercise import KINDS, compile_pdf, make_exercise, render_exercise
from chainrule.explain import build_trace
from chainrule.explain.render.numbers import number
from test_i18n import cjk_missing


def test_the_seed_fixes_the_network_the_sample_and_the_questions():
    a, b, c = make_exercise(4, (2, 3, 2)), make_exercise(4, (2, 3, 2)), make_exercise(5, (2, 3, 2))
    assert a.answers() == b.answers() and a.x == b.x and a.questions == b.questions
    assert a.x != c.x or a.answers() != c.answers()
    for layer in a.network.layers:  # whole hundredths in [-1, 1], never 0
        grid = np.concatenate([layer.W.ravel(), layer.b.ravel()]) * 100
        assert np.allclose(grid, np.round(grid)) and np.all(grid != 0) and np.all(np.abs(grid) <= 100)
    kinds = {q.kind for q in a.questions}
    assert {"net", "out"} & kinds and "update" in kinds and "path" in kinds
    assert [q.number for q in a.questions] == list(range(1, len(a.questions) + 1))
    order = list(a.trace.quantities)
    assert [order.index(q.name) for q in a.questions] == sorted(order.index(q.name) for q in a.questions)


def test_every_answer_is_the_engines_value():
    exercise = make_exercise(
        11,
        (3, 2, 2),
        "tanh",
        output_activation="softmax",
        loss="categorical_cross_entropy",
        per_kind=None,
        learning_rate=0.1,
    )
    again = build_trace(exercise.network, exercise.x, exercise.y, 0.1)
    assert exercise.answers() == {name: again[name].value for name in exercise.answers()}
    assert sum(exercise.y) == 1.0  # a softmax target is one class
    # Every quantity of each kind is asked when per_kind is None.
    assert len(exercise.questions) == sum(1 for q in again if any(q.kind in k for k in KINDS.values()))
    # The engine's own gradient, independently of the trace: the asked gradients match it.
    _, grads = exercise.network.copy().gradients(np.array([exercise.x]), np.array([exercise.y]))
    assert exercise.answers()["dE_total/dw1"] == pytest.approx(grads[0]["W"][0, 0], rel=1e-12)


class _Answers(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "answer" in (attrs.get("class") or ""):
            self.found[attrs["data-q"]] = float(attrs["data-value"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_html_key_holds_the_trace_values_and_the_sheet_none(lang):
    exercise = make_exercise(2, (2, 2, 2))
    key = render_exercise(exercise, "html", key=True, lang=lang)
    parser = _Answers()
    parser.feed(key)
    assert parser.found == exercise.answers()
    for value in exercise.answers().values():  # printed to digits + 2
        assert f"<mn>{number(abs(value), 6).split('e')[0]}</mn>" in key
    sheet = render_exercise(exercise, "html", lang=lang)
    shown = [number(v, 6) for v in exercise.answers().values() if abs(v) > 1e-12]
    hidden = [s for s in shown if f"<mn>{s.lstrip('-')}</mn>" in sheet and s not in {"0.5"}]
    # A sheet may show a given number that happens to equal an answer (an update of 0), never the answers.
    assert len(hidden) <= 1, hidden
    assert 'class="blank"' in sheet and ('<html lang="zh">' in sheet) == (lang == "zh")
    if lang == "zh":
        assert "反向传播练习 2" in sheet and "答案：反向传播练习 2" in key and "前向传播" in sheet


def _latex_numbers(tex: str) -> list[str]:
    return re.findall(r"-?\d+\.\d+(?: \\times 10\^\{-?\d+\})?", tex)


def test_the_latex_key_prints_each_answer_at_its_digits():
    exercise = make_exercise(9, (2, 2, 1), "relu", output_activation="sigmoid", loss="binary_cross_entropy")
    tex = render_exercise(exercise, "latex", key=True, digits=3)
    for q in exercise.questions:
        text = number(exercise.trace[q.name].value, 5)
        mantissa = text.split("e")[0]
        assert mantissa in tex, (q.name, text)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (.ci/run installs it)")
@pytest.mark.parametrize(
    "lang, key",
    [
        ("en", False),
        ("en", True),
        pytest.param("zh", False, marks=pytest.mark.skipif(cjk_missing(), reason="no CJK package")),
        pytest.param("zh", True, marks=pytest.mark.skipif(cjk_missing(), reason="no CJK package")),
    ],
)
def test_the_pdf_compiles(lang, key, tmp_path):
    out = tmp_path / "sheet.pdf"
    args = ["exercise", "--seed", "7", "--sizes", "2-3-2", "--format", "pdf", "-o", str(out), "--lang", lang]
    assert main(args + (["--key"] if key else [])) == 0
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_size > 5000


def test_the_command_line_writes_and_refuses(capsys, tmp_path):
    assert main(["exercise", "--seed", "1", "--format", "latex"]) == 0
    assert capsys.readouterr().out.startswith(r"\documentclass")
    assert (
        main(
            [
                "exercise",
                "--seed",
                "1",
                "--questions",
                "forward,update",
                "--per-kind",
                "1",
                "-o",
                str(tmp_path / "s.html"),
            ]
        )
        == 0
    )
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert html.count('class="question"') == 2
    for args, message in [
        (["--format", "pdf"], "--output: expected a file"),
        (["--sizes", "2-x-2"], "--sizes: expected layer sizes"),
        (["--sizes", "2-9-2"], r"sizes\[1\]: expected an integer from 1 to 4"),
        (["--sizes", "2-2-2-2-2-2"], "sizes: expected 2 to 4 layer sizes"),
        (["--sizes", "2-2", "--questions", "path"], "needs a hidden layer"),
        (["--questions", "forward,guess"], "kinds: expected some of"),
        (["--learning-rate", "-1"], "learning_rate"),
    ]:
        assert main(["exercise", *args]) == 2
        assert re.search(message, capsys.readouterr().err), message


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="format: expected one of"):
        render_exercise(make_exercise(), "docx")
    with pytest.raises(ValueError, match="lang: expected one of"):
        render_exercise(make_exercise(), "html", lang="xx")
    with pytest.raises(ValueError, match="digits"):
        render_exercise(make_exercise(), "html", digits=0)
    with pytest.raises(ValueError, match="seed"):
        make_exercise(-1)
    with (
        pytest.raises(ValueError, match="pdflatex: expected the sheet to compile")
        if shutil.which("pdflatex")
        else pytest.raises(ValueError, match="pdflatex")
    ):
        compile_pdf(r"\documentclass{article}\begin{document}\undefinedcommand\end{document}")


@pytest.mark.parametrize("fmt", ["latex", "html"])
@pytest.mark.parametrize("key", [False, True])
def test_path_names_are_written_in_the_sheets_language(fmt, key):
    # Through a softmax output a path's name is the term of a sum "via o1": in Chinese, 经由.
    exercise = make_exercise(
        3,
        (2, 3, 2),
        "tanh",
        output_activation="softmax",
        loss="categorical_cross_entropy",
        kinds=("path",),
        per_kind=None,
    )
    assert exercise.questions and all(q.kind == "path" for q in exercise.questions)
    chinese = render_exercise(exercise, fmt, key=key, lang="zh")
    assert "经由" in chinese and "via" not in chinese
    assert "via" in render_exercise(exercise, fmt, key=key, lang="en")


def test_the_html_sheets_diagram_is_titled_in_the_sheets_language():
    import re

    from chainrule.visual.diagram import network_svg

    exercise = make_exercise(3, (2, 3, 2), "sigmoid")
    for lang in ("zh", "en"):
        sheet = render_exercise(exercise, "html", lang=lang)
        title = re.search(r"<title>(.*?)</title>", network_svg(exercise.network, digits=2, lang=lang)).group(1)
        assert f"<title>{title}</title>" in sheet
    assert "weights and biases" not in render_exercise(exercise, "html", lang="zh")

"""The languages: catalogues complete and compiled, Chinese output with the English numbers, LaTeX in both.

* Every message of the code (found as Babel finds it, ``tools/i18n.py``) has a
  translation in every catalogue, with the same placeholders, and each
  committed ``.mo`` holds exactly its ``.po``'s translations.
* ``chainrule explain --lang zh`` prints the whole derivation in Chinese: the
  same numbers in the same order as the English, the tutorial's terms, and no
  English sentence left (every ASCII word is a symbol of the trace).
* A third language is one catalogue file.
"""

from __future__ import annotations

import importlib.util
import io
import json
import pickle
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest

import needs
from chainrule import i18n
from chainrule.cli import main
from chainrule.explain import build_trace, tutorial_network
from chainrule.explain.language import localized
from chainrule.explain.prose import Math, Prose, localize, segments
from chainrule.explain.render import render

ROOT = Path(__file__).resolve().parents[1]
babel = needs.module("babel", "Babel (the test extra) reads the .po sources")


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.fixture(scope="module")
def tool():
    return _tool()


def _fields(message: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(message) if f is not None)


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_every_message_of_the_code_is_translated_in_every_catalogue(tool, domain):
    template = tool.code_messages(domain)
    assert len(template) > 80  # the extraction found the code's messages (the page's too)
    catalogues = tool.catalogues(domain)
    assert [p.parent.parent.name for p in catalogues] == [lang for lang in i18n.languages(domain) if lang != "en"]
    for po in catalogues:
        catalog = tool._read_po(po)
        missing = tool.untranslated(template, catalog)
        assert not missing, f"{po}: untranslated (run tools/i18n.py extract, then translate): {missing}"
        for message in catalog:
            if message.id and message.string:
                assert _fields(message.id) == _fields(message.string), (po, message.id, message.string)


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_committed_mo_files_match_their_po_sources(tool, domain):
    for po in tool.catalogues(domain):
        catalog = tool._read_po(po)
        expected = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
        assert i18n.read_mo(po.with_suffix(".mo")) == expected, f"{po}: run python tools/i18n.py compile"
        assert po.with_suffix(".mo").read_bytes() == tool.compiled(po)


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_template_is_up_to_date(tool, domain):
    with (i18n.LOCALE_DIR / f"{domain}.pot").open("rb") as f:
        committed = {(m.id, m.context) for m in babel.messages.pofile.read_po(f) if m.id}
    assert committed == {(m.id, m.context) for m in tool.code_messages(domain) if m.id}, (
        "run python tools/i18n.py extract"
    )


def test_the_check_command_passes(tool, capsys):
    assert tool.check() == 0, capsys.readouterr().out


def test_the_page_texts_are_what_the_page_looks_up(tool):
    """The HTML extractor finds every text node and translatable attribute (white space collapsed), and the
    script's tr() calls with their placeholders; nothing else (no numbers, no markup)."""
    template = tool.code_messages("explorer")
    ids = {m.id for m in template if m.id}
    assert {
        "Layer sizes",
        "η (learning rate)",
        "1 Forward pass",
        "decision surface",
        "the network",
        "Set a network and one sample, then step through one training step: forward pass, error, backward "
        "pass, update. Every number comes from chainrule's engine on the server.",
    } <= ids  # HTML, attributes
    assert {"step {n}", "{done} of {n} updates: E_total = {e}", 'not a number: "{text}"'} <= ids  # the script
    assert not any(re.fullmatch(r"[\d\s./]*", i) or "<" in i or "  " in i for i in ids)
    comments = {m.id: m.auto_comments for m in template}
    assert comments["input {name}"] and "{name} is an input" in comments["input {name}"][0]  # // NOTE: reaches it


def test_language_names_and_complete_languages():
    assert i18n.language_name("en") == "English" and i18n.language_name("zh") == "中文"
    assert i18n.complete_languages() == ("en", "zh") == i18n.languages("explorer")


def _out(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["examples/tanh-softmax-3-4-2.toml", "--steps", "2"],
        ["examples/tanh-softmax-3-4-2.toml", "--hidden-deltas", "updated", "--bias", "per_neuron", "--train-biases"],
    ],
)
def test_explain_in_chinese_has_the_english_numbers_and_no_english_sentence(args, capsys):
    args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
    english = _out(capsys, "explain", *args)
    chinese = _out(capsys, "explain", *args, "--lang", "zh")
    assert _NUMBER.findall(chinese) == _NUMBER.findall(english)
    assert len(chinese.splitlines()) == len(english.splitlines())
    for term in ("前向传播", "反向传播", "链式法则", "误差", "学习率", "梯度下降", "偏置项", "神经元"):
        assert term in chinese, term
    # Every ASCII word outside the equations (indented lines) is a symbol, a function or a configuration value.
    prose = [line for line in chinese.splitlines() if not line.startswith("     ")]
    words = set(re.findall(r"[A-Za-z]{2,}", " ".join(prose)))
    assert words <= SYMBOLS, f"English words in the Chinese output: {sorted(words - SYMBOLS)}"


#: The ASCII words a Chinese derivation keeps: parts of quantity names, functions, configuration values.
SYMBOLS = {
    "net",
    "out",
    "target",
    "delta",
    "next",
    "dE",
    "total",
    "dw",
    "db",
    "dout",
    "dnet",
    "eta",
    "float64",
    "float",
    "sigmoid",
    "tanh",
    "softmax",
    "squared_error",
    "squared",
    "error",
    "categorical",
    "cross",
    "entropy",
    "exp",
    "log",
    "logsumexp",
    "hidden_deltas",
    "hidden",
    "deltas",
    "updated",
    "E_o",
    "E_total",
    "dE_total",
    "net_o",
    "out_o",
    "dout_k",
    "dnet_j",
    "out_k",
    "out_j",
    "delta_next",
    "dnet_db",
}


def test_example_and_summary_in_chinese(capsys):
    english = _out(capsys, "example", "--updates", "100")
    chinese = _out(capsys, "example", "--updates", "100", "--lang", "zh")
    assert _NUMBER.findall(chinese.replace("2-2-2", "")) == _NUMBER.findall(english.replace("2-2-2", ""))
    assert "教程的计算实例" in chinese and "重复更新 100 次" in chinese and "教程印的是 out_o1 = 0.75136079" in chinese
    summary = _out(capsys, "explain", str(ROOT / "examples/tanh-softmax-3-4-2.toml"), "--summary", "--lang", "zh")
    assert "逐层摘要" in summary and "第 2 层（输出层）" in summary


def test_every_format_carries_the_language(capsys):
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    data = json.loads(render(trace, "json", lang="zh"))
    assert data["lang"] == "zh" and data["stages"][1]["title"] == "前向传播"
    assert data["values"] == json.loads(render(trace, "json"))["values"]
    assert json.loads(render(trace, "json"))["lang"] == "en"
    markdown = render(trace, "markdown", lang="zh")
    assert markdown.startswith("# 反向传播逐步推导") and "| 量 | 公式 | 代入数值 | 值 |" in markdown
    assert "## 2. 前向传播" in markdown


def test_languages_are_checked_and_named_loosely():
    assert i18n.languages() == ("en", "zh")
    for spelling in ("zh", "zh-CN", "zh_CN", "zh-Hans", " zh "):
        assert i18n.check_language(spelling) == "zh"
    for bad in ("fr", "", None, 3, "chinese"):
        with pytest.raises(ValueError, match=r"lang: expected one of \['en', 'zh'\]"):
            i18n.check_language(bad)
    with pytest.raises(ValueError, match="format"):
        render(build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5), "rtf", lang="zh")
    with pytest.raises(ValueError, match="lang: expected"):
        render(build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5), "text", lang="klingon")
    with pytest.raises(SystemExit):
        main(["explain", "--lang", "fr"])  # argparse's choices


def test_messages_for_a_page():
    zh = i18n.messages("zh")
    assert zh["Forward pass"] == "前向传播" and zh["neuron {name}"] == "神经元 {name}"
    assert "" not in zh and i18n.messages("en") == {}
    json.dumps(zh)  # ready to send
    page = i18n.messages("zh", "explorer")
    assert page["Layer sizes"] == "各层大小" and page["step {n}"] == "第 {n} 步" and "Forward pass" not in page
    with pytest.raises(ValueError, match="domain: expected one of"):
        i18n.messages("zh", "explorer-page")


def test_prose_is_its_english_text_and_survives_copies():
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    description = trace.stage("update").description
    assert isinstance(description, Prose) and description == "Gradient descent: w+ = w - eta * dE_total/dw."
    again = pickle.loads(pickle.dumps(trace))
    assert (
        localize(again.stage("update").description, i18n.translator("zh")) == "梯度下降：w+ = w - eta * dE_total/dw。"
    )
    parts = segments(description, i18n.translator("zh"))
    assert parts[0] == "梯度下降：" and isinstance(parts[1], Math) and parts[2] == "。"
    view = localized(trace, "zh")
    assert view.stage("forward").title == "前向传播" and type(view.stage("forward").description) is str
    assert view.values() == trace.values() and trace.stage("forward").title == "Forward pass"
    assert len(repr(trace)) < 200 and "2-2-2" in repr(trace)


def test_a_language_is_one_catalogue_file(tmp_path, monkeypatch, tool, capsys):
    """French, from the templates: one catalogue per domain, translate, compile; --lang fr then works, and the
    explorer offers it (its page texts, its server's sentences, its own name for itself)."""
    from chainrule.visual import api

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    translations = {
        "chainrule": {"Forward pass": "Propagation avant", "English": "Français"},
        "explorer": {"Layer sizes": "Tailles des couches", "step {n}": "étape {n}"},
    }
    (locale / "fr" / "LC_MESSAGES").mkdir(parents=True)
    for domain, table in translations.items():
        with (locale / f"{domain}.pot").open("rb") as f:
            catalog = babel.messages.pofile.read_po(f)
        catalog.locale = "fr"
        for message in catalog:
            if message.id in table:
                message.string = table[message.id]
        buffer = io.BytesIO()
        babel.messages.mofile.write_mo(buffer, catalog)
        (locale / "fr" / "LC_MESSAGES" / f"{domain}.mo").write_bytes(buffer.getvalue())
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    assert i18n.languages() == ("en", "fr", "zh") == i18n.complete_languages()
    text = render(build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5), "text", lang="fr")
    assert "2. Propagation avant: net = weighted sum" in text  # the rest falls back to English
    page = api.messages({"lang": "fr"})
    assert page["messages"]["Layer sizes"] == "Tailles des couches"
    assert {"code": "fr", "name": "Français"} in page["languages"]
    step = api.step({"state": api.tutorial()["state"], "lang": "fr"})
    assert "Propagation avant" in step["formulas"]["forward"]


def _pdflatex(tex: str, tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.tex").write_text(tex, encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def cjk_missing() -> bool:
    if shutil.which("pdflatex") is None or shutil.which("kpsewhich") is None:
        return True
    found = subprocess.run(["kpsewhich", "CJKutf8.sty"], capture_output=True, text=True, check=False).stdout
    return not found.strip()


@pytest.mark.skipif(
    cjk_missing(),
    reason="pdflatex with the CJK package not installed (Debian: apt-get install "
    "latex-cjk-chinese latex-cjk-chinese-arphic-gbsn00lp; .ci/run does)",
)
@pytest.mark.parametrize(
    "args",
    [[], ["examples/tanh-softmax-3-4-2.toml", "--steps", "2"], ["examples/tanh-softmax-3-4-2.toml", "--summary"]],
)
def test_chinese_latex_compiles(args, tmp_path, capsys):
    args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
    tex = _out(capsys, "explain", *args, "--format", "latex", "--lang", "zh")
    assert r"\usepackage{CJKutf8}" in tex and r"\begin{CJK}{UTF8}{gbsn}" in tex
    _pdflatex(tex, tmp_path, "zh")


def test_latex_typesets_the_formulas_in_sentences():
    tex = render(build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5), "latex", lang="zh")
    assert (
        r"$E_{\mathit{total}}$ 是所有输出 $o$ 的 $E_{o} = \frac{1}{2} \cdot "
        r"\left(\mathit{target}_{o} - \mathit{out}_{o}\right)^{2}$ 之和。"
    ) in tex
    assert r"梯度下降：$w^{+} = w - \eta \cdot \frac{\partial E_{\mathit{total}}}{\partial w}$。" in tex
    assert "sum over outputs of 1/2" not in render(
        build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5), "latex"
    )


def test_every_sentence_looked_up_while_rendering_in_chinese_is_translated(monkeypatch, capsys, tmp_path):
    """End to end: whatever the code asks the zh catalogue for (extracted or not) has a translation."""
    untranslated = set()
    original, catalogue = i18n.Translator.gettext, i18n.messages("zh")

    def gettext(self, message):
        if self.lang == "zh" and message not in catalogue and re.search(r"[A-Za-z]{2}", message):
            untranslated.add(message)
        return original(self, message)

    monkeypatch.setattr(i18n.Translator, "gettext", gettext)
    toml = str(ROOT / "examples/tanh-softmax-3-4-2.toml")
    yaml = needs.module("yaml") and str(ROOT / "examples/sigmoid-bce-2-3-1.yaml")
    for fmt in ("text", "markdown", "latex", "json", "html"):
        for args in ([], [toml, "--steps", "2", "--hidden-deltas", "updated"], [yaml, "--train-biases"]):
            _out(capsys, "explain", *args, "--format", fmt, "--lang", "zh")
        _out(capsys, "explain", toml, "--summary", "--format", fmt if fmt != "html" else "text", "--lang", "zh")
    _out(capsys, "example", "--updates", "10", "--lang", "zh")
    for fmt in ("html", "latex"):
        for key in ([], ["--key"]):
            _out(capsys, "exercise", "--seed", "3", "--sizes", "2-3-2", "--format", fmt, "--lang", "zh", *key)
    float32 = tutorial_network(dtype="float32")
    render(build_trace(float32, [0.05, 0.1], [0.01, 0.99], 0.5), "text", lang="zh")
    assert not untranslated, sorted(untranslated)


def test_a_paths_share_says_via_in_its_language():
    """The term of dE_total/dout_h1 through o1 (softmax) is written "via o1" in English, "经由 o1" in Chinese, in
    LaTeX and Markdown alike (the Chinese LaTeX compiles: test_chinese_latex_compiles)."""
    from chainrule.visual.netfile import state_from_path

    state = state_from_path(ROOT / "examples/tanh-softmax-3-4-2.toml")
    trace = build_trace(state.network(), state.input, state.target, state.learning_rate)
    assert any("[" in name for name in trace.quantities)  # the example has such terms
    for fmt in ("latex", "markdown"):
        english, chinese = render(trace, fmt), render(trace, fmt, lang="zh")
        assert r"\text{via }" in english and r"\text{via }" not in chinese and r"\text{经由 }" in chinese, fmt
        assert chinese.count(r"\text{经由 }") == english.count(r"\text{via }")


def test_prose_is_still_a_str_with_its_methods():
    # Prose's "translate this message?" flag was an attribute named translate, which hid
    # str.translate on every Prose (found by mypy); the flag is translatable now.
    kept, fixed = Prose("stay {name}", translate=False, name="b1"), Prose("each weight")
    assert kept.translate(str.maketrans("ab", "AB")) == "stAy B1"
    assert fixed.translate({ord("e"): "E"}) == "Each wEight"
    assert not kept.translatable and fixed.translatable
    assert localize(kept, i18n.translator("zh")) == "stay b1"

"""Notebooks: rich displays, the explorer widget (in Python and in Chromium), the example notebook executed.

The widget test loads the widget's own front end (its ES module) in Chromium
with a stand-in for the notebook's model whose messages reach the widget's
Python handler directly (Playwright's ``expose_function``): the explorer page
inside it must open on the tutorial's network and show the engine's numbers,
with no HTTP server anywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import chainrule
import needs
from chainrule.explain import build_trace, tutorial_network
from chainrule.notebook import Report, display, set_language
from chainrule.visual.curve import curve_svg, history_svg

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"


def tutorial_trace():
    return build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)


def test_the_report_of_a_notebook_is_scoped():
    html = Report(tutorial_trace())._repr_html_()
    assert html.startswith('<div class="chainrule-report" id="chainrule-report-')
    style = html[html.index("<style>") + 7 : html.index("</style>")]
    rules = re.findall(r"([^{}]+)\{[^}]*\}", style)
    assert rules and all(s.strip().startswith(".chainrule-report") for rule in rules for s in rule.split(","))
    assert "body" not in style and "document.querySelectorAll" not in html
    own_id = re.search(r'id="(chainrule-report-\d+)"', html).group(1)
    assert f"document.getElementById('{own_id}')" in html
    assert Report(tutorial_trace())._repr_html_() != html  # each display its own id
    set_language("zh")
    try:
        assert "前向传播" in display.trace_html(tutorial_trace())
    finally:
        set_language("en")
    assert 'lang="zh"' in Report(tutorial_trace(), lang="zh")._repr_html_()


def test_repr_of_a_trace_is_one_line():
    text = repr(tutorial_trace())
    assert text == (
        "<Trace step 1: 2-2-2 network (sigmoid, sigmoid), loss squared_error, eta = 0.5; 66 quantities "
        "in 6 stages; E_total 0.298371109 -> 0.291027774>"
    )


def test_history_curve_draws_every_epoch():
    net = chainrule.Network.from_sizes(
        [2, 3, 1], "tanh", output_activation="sigmoid", loss="binary_cross_entropy", seed=0
    )
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    history = net.fit(X, y, epochs=30, learning_rate=0.5, batch_size=4, validation_data=(X, y), seed=0)
    svg = history_svg(history)
    assert svg.startswith("<svg") and svg.count('class="cr-series"') == 2
    points = re.search(r'data-name="loss"[^>]*points="([^"]+)"', svg).group(1).split()
    assert len(points) == 30
    assert display.history_svg(history) == svg
    with pytest.raises(ValueError, match="names: expected series of this history"):
        history_svg(history, ["accuracy"])
    log = curve_svg({"loss": [1.0, 0.1, 0.01, 0.001]})  # four decades: a log axis, evenly spaced points
    ys = [float(p.split(",")[1]) for p in re.search(r'points="([^"]+)"', log).group(1).split()]
    assert np.allclose(np.diff(ys), np.diff(ys)[0], atol=0.15)  # to the 0.1 px the points are written with


def test_networks_show_their_diagram():
    svg = display.network_svg(tutorial_network())
    assert svg.startswith("<svg") and "data-weight" in svg
    wide = chainrule.Network.from_sizes([20, 2], "sigmoid", seed=0)
    assert display.network_svg(wide) is None  # too wide: IPython falls back to the repr


def test_register_uses_the_formatters_of_a_shell():
    class Formatter:
        def __init__(self):
            self.registered = []

        def for_type_by_name(self, module, name, function):
            self.registered.append((module, name, function))

    class Shell:
        class display_formatter:
            formatters: ClassVar[dict[str, Formatter]] = {"image/svg+xml": Formatter(), "text/html": Formatter()}

    assert display.register(Shell())
    names = {(m, n) for f in Shell.display_formatter.formatters.values() for m, n, _ in f.registered}
    assert names == {
        ("chainrule.core.network", "Network"),
        ("chainrule.explain.model", "Trace"),
        ("chainrule.training.history", "History"),
    }
    for module, name, *_ in display.DISPLAYS:  # the names still point at the classes
        assert getattr(__import__(module, fromlist=[name]), name).__name__ == name


# -- the widget ---------------------------------------------------------------------------------------
anywidget = needs.module("anywidget", "the notebook extra (anywidget) is not installed")


def test_the_widget_answers_the_pages_requests_in_process():
    from chainrule.notebook import ExplorerWidget
    from chainrule.visual.state import ExplorerState

    widget = ExplorerWidget()
    status, initial = widget.request("GET", "/api/initial")
    assert (
        status == 200 and initial["state"] == ExplorerState.tutorial().to_json() and "sigmoid" in initial["activations"]
    )
    status, step = widget.request("POST", "/api/step", json.dumps({"state": initial["state"], "digits": 9}))
    assert status == 200 and step["values"] == tutorial_trace().values()
    assert widget.state == ExplorerState.tutorial()
    bad = dict(initial["state"], learning_rate="fast")
    status, error = widget.request("POST", "/api/step", json.dumps({"state": bad}))
    assert status == 400 and error["field"] == "learning_rate"
    assert widget.request("POST", "/api/step", '{"state": NaN}')[0] == 400
    assert widget.request("POST", "/api/nothing", "{}")[0] == 404
    sent = []
    widget.send = sent.append
    widget._on_message(widget, {"id": 7, "method": "GET", "path": "/api/initial", "body": None}, [])
    assert sent[0]["chainrule"] == "reply" and sent[0]["id"] == 7 and json.loads(sent[0]["body"]) == initial
    # The page's languages: its catalogue by GET with a query, every answer in the request's language.
    status, zh = widget.request("GET", "/api/messages", None, "lang=zh")
    assert status == 200 and zh["messages"]["Layer sizes"] == "各层大小"
    assert zh["languages"] == [{"code": "en", "name": "English"}, {"code": "zh", "name": "中文"}]
    assert widget.request("GET", "/api/messages", None, "lang=fr")[0] == 400
    status, step = widget.request("POST", "/api/step", json.dumps({"state": initial["state"], "lang": "zh"}))
    assert status == 200 and "前向传播" in step["formulas"]["forward"]
    assert ExplorerWidget(lang="zh").request("GET", "/api/initial")[1]["lang"] == "zh"
    with pytest.raises(ValueError, match="lang: expected one of"):
        ExplorerWidget(lang="klingon")
    page = widget._page
    assert "/static/" not in page and "window.fetch = function" in page and "<style>" in page
    assert page.index("window.fetch = function") < page.index("<script>", page.index("</script>"))


CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium; .ci/run does)")
def test_the_widget_runs_the_explorer_in_chromium_without_a_server():
    playwright = needs.module("playwright.sync_api")
    from chainrule.notebook import ExplorerWidget

    widget = ExplorerWidget(height=700, lang="zh")  # the page's first language: Chinese
    requests = []

    def deliver(message: str) -> str:
        content = json.loads(message)
        requests.append(content["path"])
        status, data = widget.request(content["method"], content["path"], content["body"], content["query"])
        return json.dumps({"chainrule": "reply", "id": content["id"], "status": status, "body": json.dumps(data)})

    harness = """<!DOCTYPE html><html><body><div id="cell"></div><script type="module">
      const handlers = {};
      const data = %s;
      const model = {
        get: (k) => data[k],
        on: (event, h) => { (handlers[event] = handlers[event] || []).push(h); },
        off: () => {},
        send: (msg) => window.deliver(JSON.stringify(msg)).then((reply) =>
          (handlers["msg:custom"] || []).forEach((h) => h(JSON.parse(reply)))),
      };
      const url = URL.createObjectURL(new Blob([data._esm], {type: "text/javascript"}));
      const module = await import(url);
      module.default.render({model, el: document.getElementById("cell")});
    </script></body></html>""" % json.dumps(  # noqa: UP031 -- %s, not format(): the JavaScript is full of braces
        {"_esm": widget._esm, "_page": widget._page, "height": widget.height}
    ).replace("</", "<\\/")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 800})
            errors = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.expose_function("deliver", deliver)
            page.set_content(harness)
            frame_element = page.wait_for_selector("iframe")
            frame = frame_element.content_frame()
            frame.wait_for_selector("body[data-ready='1']", timeout=20000)
            assert frame.input_value("#f-w5") == "0.4" and frame.locator("#diagram [data-weight]").count() == 8
            assert "/api/initial" in requests and "/api/step" in requests
            deadline = time.monotonic() + 10
            while frame.locator("#formulas .formula[data-value]").count() == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            values = dict(
                frame.eval_on_selector_all(
                    "#formulas .formula[data-value], #diagram text[data-value]",
                    "els => els.map(e => [e.dataset.q, Number(e.dataset.value)])",
                )
            )
            expected = tutorial_trace().values()
            assert values and all(values[k] == expected[k] for k in values if k in expected)
            # In Chinese, from the widget's lang: the page's own texts and the kernel's panels.
            assert frame.get_attribute("html", "lang") == "zh" and "各层大小" in frame.inner_text("#controls")
            assert "/api/messages" in requests and frame.input_value("#f-lang") == "zh"
            assert "前向传播" in frame.inner_text("#stages") and "学习率" in frame.inner_text("#formulas")
            assert errors == []
        finally:
            browser.close()


# -- the example notebook -----------------------------------------------------------------------------
def test_the_example_notebook_runs_and_shows_what_it_says():
    nbformat = needs.module("nbformat")
    nbclient = needs.module("nbclient")
    needs.module("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    started = time.monotonic()
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}
    ).execute()
    took = time.monotonic() - started
    outputs = {cell.metadata.get("tags", ["?"])[0]: cell.outputs for cell in notebook.cells if cell.cell_type == "code"}

    def data(tag: str, mime: str) -> str:
        found = [o["data"][mime] for o in outputs[tag] if "data" in o and mime in o["data"]]
        assert found, f"cell {tag!r}: no {mime} output ({outputs[tag]})"
        return found[-1]

    assert 'data-weight="w5"' in data("network", "image/svg+xml")
    report = data("trace", "text/html")
    assert report.startswith('<div class="chainrule-report"') and "0.298371109" in report and "body {" not in report
    assert data("repr", "text/plain").startswith("'<Trace step 1: 2-2-2 network")
    assert "前向传播" in data("chinese", "text/html")
    assert data("history", "image/svg+xml").count('class="cr-series"') >= 1
    assert json.loads(json.dumps(data("widget", "application/vnd.jupyter.widget-view+json")))["model_id"]
    print(f"example notebook executed in {took:.1f} s")

"""The explorer in a real browser: headless Chromium driven by Playwright.

Needs the ``playwright`` Python package (the ``test`` extra) and a Chromium
binary (Debian's ``chromium`` package; ``.ci/run`` installs it). Playwright's
own browser download is never used. Without either, the module is skipped
with the reason (fails under CI=true: tests/needs.py). One browser serves the whole module; each test gets a
fresh page. Screenshots of each stage go to ``artifacts/explorer/`` (git-ignored);
with ``CHAINRULE_DOCS_SCREENSHOTS=1`` the ones the README shows are written
to ``docs/`` as well (``make screenshots``).

The diagrams are checked as Chromium draws them: every text's box (turned
with its edge, sub- and superscripts included) against every other and against
every highlighted path's band, for every example network, every stage, every
focus and two window widths (``test_no_label_collides_anywhere``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import needs
from chainrule.explain import build_trace, tutorial_network
from chainrule.visual import api
from chainrule.visual.formulas import EXPLORER_STAGES
from chainrule.visual.netfile import state_from_file
from chainrule.visual.state import ExplorerState
from test_worked_example import SPEC

sync_api = needs.module("playwright.sync_api")
CHROMIUM = needs.program(
    "chromium",
    "chromium-browser",
    env="CHAINRULE_CHROMIUM",
    install="apt-get install chromium (Debian's; .ci/run installs it)",
)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "explorer"
DOCS = ROOT / "docs"
STAGES = ["setup", "forward", "error", "backward", "update"]
MEASURE = (Path(__file__).parent / "js" / "measure_diagram.js").read_text()
WIDTHS = (1024, 1400)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as err:  # locally an installed but unusable browser is a skip; in CI a failure
            needs.missing(f"Chromium at {CHROMIUM} does not start: {err}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(server.url)
    page.wait_for_selector("body[data-ready='1']")
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page, name: str, selector: str | None = None, docs: str | None = None) -> Path:
    """A screenshot in artifacts/explorer/; ``docs``: also this file of docs/ when asked to (see the docstring)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (page.locator(selector) if selector else page).screenshot(path=str(path))
    if docs and os.environ.get("CHAINRULE_DOCS_SCREENSHOTS"):
        shutil.copyfile(path, DOCS / docs)
    return path


def full(page, field: str) -> float:
    """The full-precision value behind a field (the field shows it to the chosen digits)."""
    return float(page.get_attribute(f"#f-{field}", "data-full"))


def digits(page, n: int) -> None:
    settle(page, lambda: page.select_option("#f-digits", str(n)))


def shown(page) -> dict[str, set[float]]:
    """Every number on the page with its name: diagram labels and formula rows (full precision)."""
    pairs = page.eval_on_selector_all(
        "#diagram text[data-value], #formulas .formula[data-value]",
        "els => els.map(e => [e.dataset.q, e.dataset.value])",
    )
    found: dict[str, set[float]] = {}
    for name, value in pairs:
        found.setdefault(name, set()).add(float(value))
    return found


def settle(page, action) -> None:
    """Run ``action`` and wait until the page has handled the answer (or refused the input).

    The page counts every finished request or refusal in ``body[data-rev]``.
    """
    rev = int(page.get_attribute("body", "data-rev"))
    action()
    page.wait_for_function(f"Number(document.body.dataset.rev) > {rev}")


def edit(page, field: str, text: str) -> None:
    """Type into a field and commit it (a change event), then wait for the page to settle."""
    locator = page.locator(f"#f-{field}")
    settle(page, lambda: (locator.fill(text), locator.dispatch_event("change")))


def test_load_shows_the_tutorials_network(page):
    assert page.input_value("#f-sizes") == "2 2 2"
    fields = {name: page.input_value(f"#f-{name}") for name in ["w1", "w5", "w8", "b1", "b2", "i1", "target_o2"]}
    assert fields == {
        "w1": "0.15",
        "w5": "0.4",
        "w8": "0.55",
        "b1": "0.35",
        "b2": "0.6",
        "i1": "0.05",
        "target_o2": "0.99",
    }
    assert page.locator("#diagram [data-weight]").count() == 8
    assert page.locator("#diagram [data-neuron]").count() == 6
    shot(page, "stage-0-setup")


def test_stepping_each_stage_shows_the_engines_numbers(page):
    digits(page, 9)
    state = ExplorerState.tutorial()
    trace = build_trace(state.network(), state.input, state.target, state.learning_rate)
    values = trace.values()
    for k, stage in enumerate(STAGES):
        if k > 0:
            page.click("#next")
        assert page.get_attribute("#diagram", "class") == f"stage-{stage}"
        assert page.get_attribute("#stages .current", "data-stage") == stage
        drawn = shown(page)
        assert drawn, stage
        for name, seen in drawn.items():
            assert seen == {values[name]}, (stage, name)  # every number is the trace's, exactly
        stage_names = {
            n for sid in EXPLORER_STAGES[stage] if sid in {s.id for s in trace.stages} for n in trace.stage(sid).names
        }
        current = set(page.eval_on_selector_all(".stage-block.current .formula", "els => els.map(e => e.dataset.q)"))
        assert current == stage_names, stage  # the current stage's formulas are the highlighted block
        shot(page, f"stage-{k}-{stage}")
    # The spec's numbers, as the page prints them (9 significant digits).
    text = page.text_content("#formulas")  # folded stages too
    for name in ["out_o1", "E_total", "delta_o1", "dE_total/dw5", "dE_total/dw1", "w5+", "w1+"]:
        assert f"{SPEC[name]:.9g}"[:10] in text.replace("\u2212", "-"), name
    # Past the update, the updated weights are the next step's network; the fields show them to 9 digits.
    settle(page, lambda: page.click("#next"))
    assert full(page, "w5") == pytest.approx(SPEC["w5+"], abs=6e-13)
    assert page.input_value("#f-w5") == f"{full(page, 'w5'):.9g}"
    assert page.get_attribute("#diagram", "class") == "stage-setup"
    assert page.inner_text("#step-counter") == "step 2"
    assert "E_total" not in page.inner_text("#status")  # not computed yet at stage 0
    page.click("#stages [data-stage=error]")
    e_total = float(page.get_attribute("#diagram text[data-q='E_total']", "data-value"))
    assert e_total == pytest.approx(SPEC["E_total_after_first_update"], abs=6e-13)
    assert f"E_total = {e_total:.9g}" in page.inner_text("#status")


def test_the_readmes_pictures(browser, server):
    """The explorer as the README shows it: the tutorial at the backward pass, the settings put away."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    tab = context.new_page()
    tab.goto(server.url)
    tab.wait_for_selector("body[data-ready='1']")
    tab.click("#settings-toggle")
    assert not tab.is_visible("#controls")
    settle(tab, lambda: tab.click("#stages [data-stage=backward]"))
    # The whole tutorial diagram fits beside the equations: nothing to scroll to.
    assert tab.evaluate(
        "() => { const d = document.getElementById('diagram'); return d.scrollWidth <= d.clientWidth; }"
    )
    tab.hover("#formulas .formula[data-q='delta_h1']")
    shot(tab, "backward-settings-away", docs="explorer-backward.png")
    shot(tab, "diagram-backward", "#diagram svg", docs="explorer-diagram-backward.png")
    tab.click("#settings-toggle")
    assert tab.is_visible("#controls")
    context.close()


def test_hovering_a_formula_lights_up_its_quantities(page):
    page.click("#stages [data-stage=forward]")
    page.hover("#formulas .formula[data-q='net_h1']")
    lit = set(page.eval_on_selector_all("#diagram .cr-hl", "els => els.map(e => e.dataset.q)"))
    assert {"w1", "w2", "net_h1 out_h1 delta_h1"} <= lit


def test_clicking_a_hidden_neuron_highlights_the_paths_summed_into_it(page):
    page.click("#stages [data-stage=backward]")
    paths = "els => els.map(e => e.dataset.weight).sort()"
    assert page.eval_on_selector_all("#diagram g.cr-path", paths) == ["w5", "w7"]  # into h1 by default
    settle(page, lambda: page.click("#diagram [data-neuron=h2]"))
    assert page.eval_on_selector_all("#diagram g.cr-path", paths) == ["w6", "w8"]
    assert "dE_o1/dout_h2" in shown(page)


def test_editing_a_weight_recomputes_every_number(page):
    edit(page, "w5", "0.9")
    page.click("#stages [data-stage=backward]")
    state = ExplorerState.from_json(
        {**ExplorerState.tutorial().to_json(), "params": {**ExplorerState.tutorial().params, "w5": 0.9}}
    )
    values = build_trace(state.network(), state.input, state.target, state.learning_rate).values()
    for name, seen in shown(page).items():
        assert seen == {values[name]}, name
    assert values["dE_o1/dout_h1"] == values["delta_o1"] * 0.9
    shot(page, "edited-w5-backward")


def test_training_n_updates_draws_the_error_curve(page):
    page.fill("#f-updates", "10000")
    page.click("#train")
    page.wait_for_selector("body[data-busy='0']", timeout=60_000)
    assert page.inner_text("#curve-status").startswith("10000 of 10000 updates")
    assert page.get_attribute("#curve", "data-points") == "10001"
    expected = api.train({"state": ExplorerState.tutorial().to_json(), "updates": 10_000})
    for name in ["w1", "w5", "w8"]:
        assert full(page, name) == pytest.approx(expected["state"]["params"][name], rel=1e-12)
        assert page.input_value(f"#f-{name}") == f"{full(page, name):.4g}"  # the Digits setting (4)
    e_after = float(page.get_attribute("#curve-status", "data-value"))
    assert e_after == pytest.approx(3.5102e-05, rel=1e-4)
    assert page.inner_text("#curve-status").endswith(f"E_total = {e_after:.4g}".replace("e-05", "e\u221205"))
    shot(page, "trained-10000")
    shot(page, "training-curve", "#live", docs="explorer-training.png")


def test_training_under_the_updated_convention_runs_it_and_says_so(page):
    settle(page, lambda: page.select_option("#f-hidden_deltas", "updated"))
    page.fill("#f-updates", "200")
    page.click("#train")
    page.wait_for_selector("body[data-busy='0']", timeout=60_000)
    status = page.inner_text("#curve-status")
    assert status.startswith("200 of 200 updates, hidden deltas from the ALREADY UPDATED weights"), status
    assert page.get_attribute("#curve-status", "data-hidden-deltas") == "updated"
    state = {**ExplorerState.tutorial().to_json(), "hidden_deltas": "updated"}
    expected = api.train({"state": state, "updates": 200})
    for name in ["w1", "w5", "w8"]:
        assert full(page, name) == pytest.approx(expected["state"]["params"][name], rel=1e-12)
    assert float(page.get_attribute("#curve-status", "data-value")) == pytest.approx(expected["E_after"], rel=1e-12)


BAD_VALUES = [
    ("", "enter a number"),
    ("abc", "not a number"),
    ("NaN", "not a number"),
    ("1e400", "too large"),
    ("2e6", "too large"),
    ("0.4.1", "not a number"),
    ("-", "not a number"),
]


def test_bad_values_get_a_message_and_the_page_keeps_working(page):
    page.click("#stages [data-stage=forward]")
    before = shown(page)
    for text, message in BAD_VALUES:
        edit(page, "w5", text)
        assert message in page.inner_text("#msg-w5"), text
        assert "bad" in page.get_attribute("#f-w5", "class"), text
        if text == "abc":
            shot(page, "bad-input-message", "#controls fieldset:nth-of-type(4)", docs="explorer-bad-input.png")
        assert shown(page) == before, text  # the last valid step stays on screen
    page.click("#next")  # stepping still works
    assert page.get_attribute("#diagram", "class") == "stage-error"
    edit(page, "w5", "0.45")
    assert page.inner_text("#msg-w5") == ""
    assert "bad" not in (page.get_attribute("#f-w5", "class") or "")
    assert shown(page)["w5"] == {0.45}
    for field, text in [("i1", ""), ("target_o2", "x"), ("b1", "Infinity")]:  # every kind of field
        edit(page, field, text)
        assert page.inner_text(f"#msg-{field}") != "", field


def test_server_side_refusals_show_beside_their_field(page):
    edit(page, "learning_rate", "0")
    assert "greater than 0" in page.inner_text("#msg-learning_rate")
    edit(page, "learning_rate", "0.5")
    settle(page, lambda: page.select_option("#f-loss", "categorical_cross_entropy"))
    assert "softmax" in page.inner_text("#msg-loss")
    settle(page, lambda: (page.fill("#f-sizes", "2 9 2"), page.dispatch_event("#f-sizes", "change")))
    assert "each 1 to 6" in page.inner_text("#msg-sizes")


def test_changing_the_bias_convention_keeps_the_values(page):
    settle(page, lambda: page.select_option("#f-bias", "per_neuron"))
    assert [page.input_value(f"#f-b{k}") for k in range(1, 5)] == ["0.35", "0.35", "0.6", "0.6"]
    settle(page, lambda: page.check("#f-train_bias"))
    page.click("#stages [data-stage=update]")
    assert "b4+" in shown(page)


def test_save_then_explain_reads_the_file_and_load_opens_a_file(page, tmp_path):
    edit(page, "w2", "-0.3")
    with page.expect_download() as download:
        page.click("#save")
    path = tmp_path / "saved.json"
    download.value.save_as(path)
    saved = state_from_file(path.read_text(), "saved.json")
    assert saved.params["w2"] == -0.3 and saved.sizes == [2, 2, 2]
    from chainrule.cli import main

    assert main(["explain", str(path), "--format", "json"]) == 0
    settle(page, lambda: page.set_input_files("#load-file", str(ROOT / "examples" / "tanh-softmax-3-4-2.toml")))
    assert page.input_value("#f-sizes") == "3 4 2"
    assert "loaded" in page.inner_text("#msg-file")
    page.click("#stages [data-stage=backward]")
    shot(page, "loaded-3-4-2-backward")
    # Reset returns to the loaded file; the tutorial button to the tutorial.
    settle(page, lambda: page.click("#reset"))
    assert page.input_value("#f-sizes") == "3 4 2"
    settle(page, lambda: page.click("#tutorial"))
    assert page.input_value("#f-sizes") == "2 2 2"


def test_a_bad_file_is_refused_with_its_reason(page, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sizes": [2, 2, 2], "activations": "sigmoid"}))
    settle(page, lambda: page.set_input_files("#load-file", str(bad)))
    assert "bad.json" in page.inner_text("#msg-file") and "weights" in page.inner_text("#msg-file")
    assert page.input_value("#f-w1") == "0.15"  # the page kept its network


def test_an_activations_options_survive_the_page(page, tmp_path):
    from test_visual_explorer_api import _leaky_file

    path = tmp_path / "leaky.json"
    path.write_text(_leaky_file())
    settle(page, lambda: page.set_input_files("#load-file", str(path)))
    assert page.input_value("#activations select >> nth=0") == "leaky_relu"
    settle(page, lambda: page.select_option("#f-bias", "per_neuron"))  # a rebuild
    assert page.evaluate("() => page.state.activations[0]") == {"name": "leaky_relu", "alpha": 0.2}
    assert page.evaluate("() => page.state.loss") == {"name": "squared_error", "reduction": "sum"}
    with page.expect_download() as download:
        page.click("#save")
    saved = tmp_path / "saved.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["layers"][0]["activation"] == {"name": "leaky_relu", "alpha": 0.2}
    settle(page, lambda: page.select_option("#activations select >> nth=0", "tanh"))  # a new choice: its defaults
    assert page.evaluate("() => page.state.activations[0]") == "tanh"


# -- the diagrams never collide -------------------------------------------------------------------
def _built(sizes, activations, loss="squared_error", **conventions) -> dict:
    """A state for ``sizes`` with the engine's Glorot weights (as the page's 'Draw new weights')."""
    draft = {
        **ExplorerState.tutorial().to_json(),
        "sizes": sizes,
        "activations": activations,
        "loss": loss,
        "params": {},
        "input": [0.5] * sizes[0],
        "target": [1.0 / sizes[-1]] * sizes[-1],
        **conventions,
    }
    return api.build({"state": draft, "seed": 3})["state"]


def example_networks() -> dict[str, dict]:
    """Every example network, and the shapes that stress a layout: widest, deepest, fans in and out."""
    files = {
        "tanh-softmax 3-4-2 (examples)": "tanh-softmax-3-4-2.toml",
        "tutorial file (examples)": "tutorial.json",
        "sigmoid-bce 2-3-1 (examples)": "sigmoid-bce-2-3-1.yaml",
    }
    out = {"tutorial 2-2-2": ExplorerState.tutorial().to_json()}
    for label, name in files.items():
        out[label] = state_from_file((ROOT / "examples" / name).read_text(), name).to_json()
    out.update(
        {
            "6-6-6-6-6 sigmoid, shared biases": _built([6, 6, 6, 6, 6], ["sigmoid"] * 4),
            "4-5-3-6-2 relu/softmax, per-neuron trained": _built(
                [4, 5, 3, 6, 2],
                ["relu", "tanh", "sigmoid", "softmax"],
                "categorical_cross_entropy",
                bias="per_neuron",
                train_bias=True,
            ),
            "2-6-6-2 tanh, updated convention": _built(
                [2, 6, 6, 2], ["tanh", "tanh", "sigmoid"], hidden_deltas="updated"
            ),
            "1-6-1 per-neuron trained": _built([1, 6, 1], ["tanh", "sigmoid"], bias="per_neuron", train_bias=True),
            "6-1-6": _built([6, 1, 6], ["sigmoid", "sigmoid"]),
            "3-2-2-2 softmax": _built([3, 2, 2, 2], ["tanh", "tanh", "softmax"], "categorical_cross_entropy"),
            "6-6 no hidden layer, per-neuron": _built([6, 6], ["sigmoid"], bias="per_neuron", train_bias=True),
        }
    )
    return out


# A placeholder replaced, not str.format or an f-string: the JavaScript is full of braces.
SWEEP = """async ({state, focus, digits, lang}) => {
  const measure = MEASURE;
  const response = await fetch("/api/step", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify({state, focus, digits, lang})});
  const step = await response.json();
  if (!response.ok) return {refused: step.error};
  const diagram = document.getElementById("diagram"), out = {};
  for (const stage of ["setup", "forward", "error", "backward", "update"]) {
    diagram.innerHTML = step.svg[stage];
    out[stage] = measure(diagram);
  }
  return out;
}""".replace("MEASURE;", MEASURE + ";")


#: The networks swept in Chinese too (its labels are wider: "经由 o1" for "via o1", the legend).
CHINESE_SWEEP = (
    "tutorial 2-2-2",
    "tanh-softmax 3-4-2 (examples)",
    "tutorial file (examples)",
    "sigmoid-bce 2-3-1 (examples)",
    "4-5-3-6-2 relu/softmax, per-neuron trained",
)


def test_no_label_collides_anywhere(browser, server):
    """Every example network x every stage x every focus x two widths, in English and (the example networks
    and the widest) in Chinese: no text meets another or a path."""
    networks = example_networks()
    coverage = 0
    sweeps = [(width, lang) for width in WIDTHS for lang in ("en", "zh")]
    for width, lang in sweeps:
        context = browser.new_context(viewport={"width": width, "height": 900})
        tab = context.new_page()
        tab.goto(server.url + f"?lang={lang}")
        tab.wait_for_selector("body[data-ready='1']")
        for label, state in networks.items():
            if lang != "en" and label not in CHINESE_SWEEP:
                continue
            neurons = ExplorerState.from_json(state).names.neurons
            hidden = [n for layer in neurons[1:-1] for n in layer]
            for focus in hidden or [None]:
                # The focus's highlighted paths: one band to each neuron of the next layer.
                paths = next((len(neurons[k + 1]) for k, layer in enumerate(neurons) if focus in layer), 0)
                for digits in (4, 9) if label == "tutorial 2-2-2" else (4,):
                    result = tab.evaluate(SWEEP, {"state": state, "focus": focus, "digits": digits, "lang": lang})
                    assert "refused" not in result, (label, result)
                    for stage, m in result.items():
                        where = (width, lang, label, focus, digits, stage)
                        assert m["collisions"] == [], where
                        assert m["underPaths"] == [], where
                        assert m["outside"] == [], where
                        assert m["smallest"] >= 11 - 1e-6, where  # no text under 11 px
                        assert m["bands"] == (paths if stage in ("backward", "update") else 0), where
                        coverage += 1
        context.close()
    assert coverage >= 2 * 5 * 60 + 2 * 5 * 12  # widths x stages x (network, focus) pairs, English and Chinese


def random_deep_networks(count: int = 6, seed: int = 11) -> dict[str, dict]:
    """Seeded 4- and 5-layer shapes the explorer allows (each layer 1 to 6 neurons), beyond the fixed list."""
    import random

    from chainrule.visual.state import MAX_LAYERS, MAX_NEURONS

    rng = random.Random(seed)
    kinds = [
        (["tanh", "relu", "sigmoid"], "squared_error", {}),
        (["sigmoid", "tanh", "softmax"], "categorical_cross_entropy", {"bias": "per_neuron", "train_bias": True}),
        (["relu", "sigmoid", "sigmoid"], "squared_error", {"hidden_deltas": "updated"}),
    ]
    out = {}
    while len(out) < count:
        depth = rng.choice((4, MAX_LAYERS))
        sizes = [rng.randint(1, MAX_NEURONS) for _ in range(depth)]
        sizes[-1] = max(sizes[-1], 2)  # softmax and the targets want two outputs at least
        hidden, loss, conventions = kinds[len(out) % len(kinds)]
        activations = [hidden[k % 2] for k in range(depth - 2)] + [hidden[2]]
        out["-".join(map(str, sizes)) + f" {activations[-1]}"] = _built(sizes, activations, loss, **conventions)
    return out


def test_random_deep_networks_do_not_collide(browser, server):
    """A seeded sample of the deeper shapes the explorer allows, every stage and focus, at 1024 px."""
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    tab = context.new_page()
    tab.goto(server.url)
    tab.wait_for_selector("body[data-ready='1']")
    coverage = 0
    for label, state in random_deep_networks().items():
        neurons = ExplorerState.from_json(state).names.neurons
        for focus in [n for layer in neurons[1:-1] for n in layer]:
            paths = next(len(neurons[k + 1]) for k, layer in enumerate(neurons) if focus in layer)
            result = tab.evaluate(SWEEP, {"state": state, "focus": focus, "digits": 4, "lang": "en"})
            assert "refused" not in result, (label, result)
            for stage, m in result.items():
                where = (label, focus, stage)
                assert m["collisions"] == [] and m["underPaths"] == [] and m["outside"] == [], where
                assert m["smallest"] >= 11 - 1e-6, where
                assert m["bands"] == (paths if stage in ("backward", "update") else 0), where
                coverage += 1
    context.close()
    assert coverage >= 6 * 5 * 4  # networks x stages x at least 4 hidden neurons each


def test_the_static_report_diagrams_do_not_collide_either(browser, tmp_path):
    from chainrule.visual import render_html

    state = ExplorerState.from_json(example_networks()["tanh-softmax 3-4-2 (examples)"])
    trace = build_trace(state.network(), state.input, state.target, state.learning_rate)
    path = tmp_path / "report.html"
    path.write_text(render_html(trace))
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    tab = context.new_page()
    tab.goto(path.as_uri())
    for k in range(tab.locator("figure").count()):
        m = tab.evaluate(f"(root) => ({MEASURE})(root)", tab.locator("figure").nth(k).element_handle())
        assert m["collisions"] == [] and m["underPaths"] == [] and m["smallest"] >= 11 - 1e-6, k
    context.close()


# -- readable at 1024 px, diagram in view, long lines wrapped --------------------------------------
TEXT_SIZES = """() => {
  // Every visible element that holds text directly (HTML, SVG or MathML): its rendered font size.
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!el.getClientRects().length || ["SCRIPT", "STYLE", "TITLE", "OPTION"].includes(el.tagName)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const scale = el.closest("svg") ? Math.hypot(el.getScreenCTM().a, el.getScreenCTM().b) : 1;
    out.push([el.tagName, el.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(el).fontSize) * scale]);
  }
  return out;
}"""

OVERFLOW = """() => [...document.querySelectorAll("#formulas .stage-block.current .formula")].filter((f) => {
  const panel = document.getElementById("panel").getBoundingClientRect();
  const tooWide = f.scrollWidth > f.clientWidth + 1;
  const outside = [...f.querySelectorAll("math")].some((m) => m.getBoundingClientRect().right > panel.right + 1);
  return tooWide || outside;
}).map((f) => f.dataset.q)"""


def _narrow(browser, server, width=1024):
    context = browser.new_context(viewport={"width": width, "height": 768})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.goto(server.url)
    tab.wait_for_selector("body[data-ready='1']")
    return context, tab, errors


def test_readable_at_1024_px_with_the_diagram_in_view(browser, server):
    context, tab, errors = _narrow(browser, server)
    # Six softmax outputs: each delta sums six products, the longest lines the page has.
    wide = _built([3, 4, 6], ["tanh", "softmax"], "categorical_cross_entropy", bias="per_neuron", train_bias=True)
    big = example_networks()["4-5-3-6-2 relu/softmax, per-neuron trained"]
    for state in (wide, big):
        settle(tab, lambda: tab.evaluate("(s) => start(s)", state))  # noqa: B023 -- called in this iteration
        for stage in STAGES:
            tab.click(f"#stages [data-stage={stage}]")
            for view in ("neurons", "matrices"):
                tab.click(f"#tab-{view}")
                small = [t for t in tab.evaluate(TEXT_SIZES) if t[2] < 11 - 1e-6]
                assert small == [], (stage, view, small[:5])
            tab.click("#tab-neurons")
            assert tab.evaluate(OVERFLOW) == [], stage  # a softmax delta's long sum wraps inside the panel
        if state is wide:
            shot(tab, "at-1024-backward-softmax")
    # Scroll down to the last equation and hover it: the diagram is still on screen, showing its quantities.
    last = tab.locator("#formulas .stage-block.current .formula").last
    last.scroll_into_view_if_needed()
    last.hover()
    frame = tab.locator("#diagram").bounding_box()
    assert frame["y"] < 768 and frame["y"] + frame["height"] > 100, frame
    in_view = tab.evaluate("""() => {
      const box = document.getElementById("diagram").getBoundingClientRect();
      return [...document.querySelectorAll("#diagram .cr-hl")].some((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
      });
    }""")
    assert in_view  # the panel scrolled to what the equation is about
    context.close()
    assert errors == []


def test_no_value_before_the_stage_that_computes_it(page):
    step = api.step({"state": ExplorerState.tutorial().to_json()})
    order = {stage: k for k, stage in enumerate(STAGES)}
    given = {n for n, s in step["stage_of"].items() if s == "setup"}
    for k, stage in enumerate(STAGES):
        page.click(f"#stages [data-stage={stage}]")
        names = page.eval_on_selector_all(
            "#diagram [data-value], #formulas [data-value], #matrices [data-value]", "els => els.map(e => e.dataset.q)"
        )
        later = [
            n
            for n in names
            if n not in given and order[step["stage_of"].get(n, "setup")] > k and n not in ("target_o1", "target_o2")
        ]
        assert later == [], (stage, later)
        status = page.inner_text("#status")
        assert ("E_total" in status) == (k >= 2), (stage, status)  # E_total only once the error stage computes it
        if k < 2:
            assert not re.search(r"\d\.\d", status), status


NUMBERS = """() => {
  const out = [];
  const grab = (text, where) => { for (const m of text.matchAll(/[\\u2212-]?\\d+(?:\\.\\d+)?(?:e[\\u2212+-]?\\d+)?/g)) out.push([m[0], where]); };
  for (const t of document.querySelectorAll("#diagram text[data-value]")) grab(t.textContent.split("=").pop(), "diagram");
  for (const mn of document.querySelectorAll("#formulas .formula mn")) grab(mn.textContent, "formulas");
  for (const v of document.querySelectorAll("#matrices td .v")) grab(v.textContent, "matrices");
  for (const i of document.querySelectorAll("#inputs input, #targets input, #params input, #f-learning_rate")) grab(i.value, "fields");
  grab(document.getElementById("status").textContent.split("=").pop(), "status");
  for (const t of document.querySelectorAll("#curve text")) grab(t.textContent, "curve");
  grab(document.getElementById("curve-status").textContent.split("=").pop(), "curve-status");
  return out;
}"""


def _significant(text: str) -> int:
    mantissa = text.replace("\u2212", "-").lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


@pytest.mark.parametrize("n", [3, 9])
def test_the_digits_setting_governs_every_number(page, n):
    page.fill("#f-updates", "50")
    page.click("#train")
    page.wait_for_selector("body[data-busy='0']", timeout=60_000)
    digits(page, n)
    for stage in ("backward", "update"):
        page.click(f"#stages [data-stage={stage}]")
        for tab in ("neurons", "matrices"):
            page.click(f"#tab-{tab}")
            found = page.evaluate(NUMBERS)
            assert {where for _, where in found} >= {"diagram", "formulas", "fields", "status", "curve"}
            # Constants in formulas (1, 2) and counts (updates) are short; no number is longer than the digits.
            too_long = [(t, w) for t, w in found if _significant(t) > n]
            assert too_long == [], too_long[:5]
            if n == 9:  # and nine digits really are nine: the long numbers use them
                assert max(_significant(t) for t, w in found if w == "diagram") == 9


def test_a_fixed_field_loses_its_message_at_once(page):
    locator = page.locator("#f-w5")
    edit(page, "w5", "abc")
    assert "not a number" in page.inner_text("#msg-w5")
    locator.fill("0.45")  # typed, not yet committed: the message goes as soon as the text is valid
    assert page.inner_text("#msg-w5") == "" and "bad" not in (locator.get_attribute("class") or "")
    settle(page, lambda: locator.dispatch_event("change"))
    assert shown(page)["w5"] == {0.45}
    # A refusal from the server goes too once the field is fixed.
    settle(page, lambda: page.select_option("#f-loss", "categorical_cross_entropy"))
    assert "softmax" in page.inner_text("#msg-loss")
    settle(page, lambda: page.select_option("#f-loss", "squared_error"))
    assert page.inner_text("#msg-loss") == ""
    page.fill("#f-sizes", "2 x 2")
    settle(page, lambda: page.dispatch_event("#f-sizes", "change"))
    assert "whole numbers" in page.inner_text("#msg-sizes")
    page.fill("#f-sizes", "2 2 2")
    page.dispatch_event("#f-sizes", "input")
    assert page.inner_text("#msg-sizes") == ""


# -- the matrix view -----------------------------------------------------------------------------
def test_the_matrix_view_links_every_element_to_its_quantity(page):
    page.click("#stages [data-stage=backward]")
    page.click("#tab-matrices")
    assert page.is_visible("#matrices") and not page.is_visible("#formulas")
    values = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5).values()
    cells = page.eval_on_selector_all("#matrices td[data-value]", "els => els.map(e => [e.dataset.q, e.dataset.value])")
    assert len(cells) > 30
    for name, value in cells:
        assert float(value) == values[name], name
    page.hover("#matrices td[data-q='dE_total/dw5']")
    assert "cr-hl" in page.get_attribute("#diagram text[data-q='dE_total/dw5']", "class")
    assert "hl" in page.get_attribute("#formulas .formula[data-q='dE_total/dw5']", "class").split()
    page.hover("#diagram text[data-q='delta_o1']")
    lit = page.eval_on_selector_all("#matrices td.hl", "els => els.map(e => e.dataset.q)")
    assert lit and set(lit) == {"delta_o1"}
    page.check("#f-names")
    assert page.is_visible("#matrices td[data-q='w5'] .n")
    shot(page, "matrix-view", docs="explorer-matrices.png")


# -- play, pause, step; the data view ------------------------------------------------------------
def test_play_pause_and_step_train_with_the_engine(page):
    start_state = ExplorerState.tutorial().to_json()
    page.select_option("#f-speed", "10")
    page.click("#play-toggle")
    page.wait_for_function("Number(document.getElementById('curve').dataset.points) >= 41", timeout=60_000)
    page.click("#play-toggle")
    page.wait_for_selector("body[data-playing='0']", timeout=60_000)
    played = int(page.get_attribute("#curve", "data-points")) - 1
    assert played >= 40 and played % 10 == 0
    expected = api.train({"state": start_state, "updates": played})
    for name in ("w1", "w5", "b1"):
        assert full(page, name) == pytest.approx(expected["state"]["params"][name], rel=1e-12), name
    assert page.inner_text("#status").startswith(f"paused after {played} updates")
    settle(page, lambda: page.click("#step-once"))
    again = api.train({"state": expected["state"], "updates": 1})
    assert full(page, "w5") == pytest.approx(again["state"]["params"]["w5"], rel=1e-12)
    assert page.get_attribute("#curve", "data-points") == str(played + 2)


def test_the_data_view_trains_on_a_data_set_and_draws_its_surface(page, tmp_path):
    # A network that can learn xor: 2-4-2, tanh, a trained bias per neuron, eta = 3.
    settle(page, lambda: page.select_option("#f-bias", "per_neuron"))
    settle(page, lambda: page.check("#f-train_bias"))
    edit(page, "learning_rate", "3")
    page.fill("#f-sizes", "2 4 2")
    settle(page, lambda: page.dispatch_event("#f-sizes", "change"))
    settle(page, lambda: page.select_option("#activations select >> nth=0", "tanh"))
    state = page.evaluate("() => page.state")
    settle(page, lambda: page.select_option("#f-dataset", "xor"))
    # Another request (the activation's step) may settle first: wait for the surface itself.
    page.wait_for_function(
        "!document.getElementById('surface-box').hidden "
        "&& document.getElementById('surface').dataset.accuracy !== undefined"
    )
    assert page.is_visible("#surface")
    assert "xor: 200 points" in page.inner_text("#surface-status")
    data = api.dataset({"name": "xor", "n": 200, "noise": 0.1, "seed": 0})
    before = api.fit({"state": state, "data": data, "updates": 0, "grid": 40})
    assert float(page.get_attribute("#surface", "data-accuracy")) == before["accuracy"]
    page.select_option("#f-speed", "100")
    page.click("#play-toggle")
    page.wait_for_function("Number(document.getElementById('curve').dataset.points) >= 801", timeout=90_000)
    page.click("#play-toggle")
    page.wait_for_selector("body[data-playing='0']", timeout=60_000)
    updates = int(page.get_attribute("#curve", "data-points")) - 1
    after = api.fit({"state": state, "data": data, "updates": updates, "grid": 40})
    assert full(page, "w5") == pytest.approx(after["state"]["params"]["w5"], rel=1e-12)
    assert float(page.get_attribute("#surface", "data-accuracy")) == after["accuracy"] > 0.9
    shot(page, "data-view", "#live", docs="explorer-data.png")
    # A click on a point makes it the sample the stages step through.
    box = page.locator("#surface").bounding_box()
    s = after["surface"]
    x, y = data["points"][0]
    px = box["x"] + (x - s["x"][0]) / (s["x"][1] - s["x"][0]) * box["width"]
    py = box["y"] + (s["y"][1] - y) / (s["y"][1] - s["y"][0]) * box["height"]
    settle(page, lambda: page.mouse.click(px, py))
    assert full(page, "i1") == x and full(page, "i2") == y
    assert [full(page, "target_o1"), full(page, "target_o2")] == ([1.0, 0.0] if data["labels"][0] == 0 else [0.0, 1.0])
    # The user's own CSV, and a bad one.
    good = tmp_path / "mine.csv"
    good.write_text("x1,x2,label\n0,0,a\n1,1,a\n0,1,b\n1,0,b\n")
    settle(page, lambda: page.select_option("#f-dataset", "csv"))
    settle(page, lambda: page.set_input_files("#csv-file", str(good)))
    assert "mine.csv: 4 points" in page.inner_text("#surface-status")
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n0,0,a\n1,oops,a\n")
    settle(page, lambda: page.set_input_files("#csv-file", str(bad)))
    assert "column 'x2', row 2 (line 3)" in page.inner_text("#msg-data")


# -- practice ---------------------------------------------------------------------------------------
def test_practice_hides_checks_and_hints(page):
    page.check("#f-practice")
    settle(page, lambda: page.click("#stages [data-stage=forward]"))
    hidden = page.eval_on_selector_all(".stage-block.current .formula.hidden", "els => els.map(e => e.dataset.q)")
    assert set(hidden) == {"net_h1", "out_h1", "net_h2", "out_h2", "net_o1", "out_o1", "net_o2", "out_o2"}
    html = page.content()
    assert "0.3775" not in html and 'data-q="net_h1" data-value' not in html  # nowhere on the page
    row = page.locator(".formula[data-q='net_h1']")
    row.locator(".answer").fill("0.4")
    settle(page, lambda: row.locator(".check").click())
    assert "not yet" in row.locator(".verdict").inner_text()
    settle(page, lambda: row.locator(".show-hint").click())
    hint = row.locator(".hint").inner_text()
    assert "0.15" in hint and "0.05" in hint and "0.35" in hint  # the values net_h1 needs
    shot(page, "practice", "#panel", docs="explorer-practice.png")
    row.locator(".answer").fill("0.3775")
    settle(page, lambda: row.locator(".check").click())
    assert page.get_attribute(".formula[data-q='net_h1']", "data-value") == repr(SPEC["net_h1"])
    assert "solved" in page.get_attribute(".formula[data-q='net_h1']", "class")
    assert float(page.get_attribute("#diagram text[data-q='net_h1']", "data-value")) == SPEC["net_h1"]
    # Any other quantity can be hidden too, and shown again.
    settle(page, lambda: page.locator(".formula[data-q='net_h1'] .hide-toggle").click())
    assert page.get_attribute(".formula[data-q='net_h1']", "data-value") is None


def test_the_page_prints_numbers_as_the_server_does(page):
    """The page's fmtG is Python's '%.{d}g' (ties to even included), so fields and labels agree."""
    import random

    rng = random.Random(1)
    values = [1.125, 0.125, 2.5, -1.125, 0.375, 1e-5, 1.23456789e-7, 123456789.0, -0.0380982365, 0.15, 99999.5, 1e21]
    values += [rng.uniform(-10, 10) for _ in range(200)] + [10 ** rng.uniform(-8, 8) for _ in range(200)]
    values += [k / 64 for k in range(-100, 100) if k]
    for d in (1, 3, 4, 6, 9, 12, 17):
        got = page.evaluate("(a) => a.values.map((v) => fmtG(v, a.d, {minus: '-'}))", {"values": values, "d": d})
        assert got == [f"{v:.{d}g}" for v in values], d


# -- the page in Chinese ----------------------------------------------------------------------------------
needs.program("fc-list", install="apt-get install fontconfig")


def _chinese_font() -> None:
    import subprocess

    found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    if not found.strip():
        needs.missing("no font with Chinese glyphs (apt-get install fonts-wqy-microhei; .ci/run does)")


WORDS = """() => {
  // Every text a reader can see or hear: the page's visible text, the SVG texts and titles, the options of
  // the menus, and the titles, labels and placeholders of the controls.
  const parts = [document.body.innerText, document.title];
  for (const t of document.querySelectorAll("svg text, svg title, option")) parts.push(t.textContent);
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]"))
    for (const a of ["title", "aria-label", "placeholder"]) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
  return parts.join("\\n");
}"""

#: The ASCII words the Chinese page keeps: parts of quantity names (net_h1, dE_total/dw5, target_o1), the
#: activations and losses (the engine's names, which files and the code use), the page's own name, the
#: formats and units, and "English": the language switch names each language in its own language.
PAGE_SYMBOLS = {
    "net",
    "out",
    "target",
    "total",
    "dE",
    "dw",
    "db",
    "dout",
    "dnet",
    "delta",
    "next",
    "exp",
    "log",
    "sigmoid",
    "tanh",
    "relu",
    "leaky",
    "softmax",
    "identity",
    "gelu",
    "silu",
    "softplus",
    "elu",
    "squared",
    "error",
    "binary",
    "categorical",
    "cross",
    "entropy",
    "mean",
    "absolute",
    "chainrule",
    "CSV",
    "KiB",
    "English",
}


def _visible_words(tab) -> set[str]:
    text = tab.evaluate(WORDS)
    # A typeset name's parts run together in the page's text (net with subscript h1 reads "neth1"): part them.
    text = re.sub(r"([A-Za-z])([iho]\d)", r"\1_\2", text)
    # Names of quantities and neurons with their indices (net_h1, out_o2, E_total, w5+) are symbols.
    return {w for token in re.findall(r"[A-Za-z][A-Za-z_]*", text) for w in token.split("_") if len(w) >= 2}


def _walk_the_page(tab, size_check: bool = False) -> list[tuple[str, list]]:
    """Every stage in both views, practice with a hint open, a short training run and the data view;
    the numbers of each view (NUMBERS) and, with ``size_check``, every text under 11 px."""
    seen = []
    settle(tab, lambda: tab.select_option("#f-digits", "6"))
    for stage in STAGES:
        settle(tab, lambda: tab.click(f"#stages [data-stage={stage}]"))  # noqa: B023 -- called in this iteration
        for view in ("neurons", "matrices"):
            tab.click(f"#tab-{view}")
            seen.append((f"{stage}/{view}", tab.evaluate(NUMBERS)))
            if size_check:
                small = [t for t in tab.evaluate(TEXT_SIZES) if t[2] < 11 - 1e-6]
                assert small == [], (stage, view, small[:5])
        tab.click("#tab-neurons")
    tab.fill("#f-updates", "30")
    tab.click("#train")
    tab.wait_for_selector("body[data-busy='0']", timeout=60_000)
    seen.append(("trained", tab.evaluate(NUMBERS)))
    tab.evaluate("(text) => { document.body.dataset.trained = text; }", tab.inner_text("#curve-status"))
    tab.check("#f-practice")
    settle(tab, lambda: tab.click("#stages [data-stage=forward]"))
    row = tab.locator(".formula[data-q='net_h1']")
    row.locator(".answer").fill("0.4")
    settle(tab, lambda: row.locator(".check").click())
    settle(tab, lambda: row.locator(".show-hint").click())
    settle(tab, lambda: tab.select_option("#f-dataset", "xor"))
    tab.wait_for_function("!document.getElementById('surface-box').hidden")
    return seen


def test_the_page_in_chinese_shows_no_english_word_and_the_same_numbers(browser, server):
    """At 1024 px, in English and in Chinese: the same numbers everywhere in every view; in Chinese every
    ASCII word is a symbol, and no text is under 11 px."""
    _chinese_font()
    walked, words = {}, {}
    for lang in ("en", "zh"):
        context, tab, errors = _narrow(browser, server, 1024)
        tab.goto(server.url + f"?lang={lang}")
        tab.wait_for_selector("body[data-ready='1']")
        walked[lang] = _walk_the_page(tab, size_check=lang == "zh")
        assert tab.get_attribute("html", "lang") == lang
        words[lang] = _visible_words(tab)
        if lang == "zh":
            assert "各层大小" in tab.inner_text("#controls") and "其中" in tab.inner_text(".formula .hint")
            assert "还不对" in tab.inner_text(".formula[data-q='net_h1'] .verdict")
            assert "异或：200 个点" in tab.inner_text("#surface-status")
            assert tab.get_attribute("body", "data-trained").startswith("已完成 30 / 30 次更新：E_total = ")
            shot(tab, "chinese-practice-and-data")
        context.close()
        assert errors == [], errors
    assert walked["zh"] == walked["en"]  # every number, where it stands, in the same order
    assert len(walked["en"]) == 11 and all(numbers for _, numbers in walked["en"])
    english = sorted(words["zh"] - PAGE_SYMBOLS)
    assert english == [], f"English words on the Chinese page: {english}"
    assert {"Layer", "sizes", "Forward", "pass"} <= words["en"]  # the check can fail: English has them


def test_the_language_switch_works_and_persists(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(server.url)
    tab.wait_for_selector("body[data-ready='1']")
    assert tab.input_value("#f-lang") == "en" and "Layer sizes" in tab.inner_text("#controls")
    settle(tab, lambda: tab.click("#stages [data-stage=backward]"))
    english = shown(tab)
    settle(tab, lambda: tab.select_option("#f-lang", "zh"))
    assert tab.get_attribute("html", "lang") == "zh" and "各层大小" in tab.inner_text("#controls")
    assert "反向传播" in tab.inner_text("#formulas") and "汇总到 h1 的路径" in tab.inner_text("#diagram")
    assert tab.inner_text("#next") == "下一阶段 ▶" and tab.inner_text("#status").startswith("第 1 步 · 反向传播")
    assert shown(tab) == english  # the same numbers, the same stage
    tab.click("#settings-toggle")
    assert tab.inner_text("#settings-toggle") == "▶ 设置"
    shot(tab, "chinese-backward", docs="explorer-zh.png")
    tab.click("#settings-toggle")
    tab.reload()
    tab.wait_for_selector("body[data-ready='1']")
    assert tab.input_value("#f-lang") == "zh" and "各层大小" in tab.inner_text("#controls")  # remembered
    settle(tab, lambda: tab.select_option("#f-lang", "en"))
    tab.reload()
    tab.wait_for_selector("body[data-ready='1']")
    assert tab.input_value("#f-lang") == "en" and "Layer sizes" in tab.inner_text("#controls")
    context.close()
    # chainrule serve --lang zh: the first language, until a reader chooses another.
    from chainrule.visual.server import make_server

    chinese = make_server(port=0, lang="zh")
    chinese.start_background()
    try:
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(chinese.url)
        tab.wait_for_selector("body[data-ready='1']")
        assert tab.input_value("#f-lang") == "zh" and tab.title() == "chainrule 探索器：反向传播，一次一个阶段"
        settle(tab, lambda: tab.select_option("#f-lang", "en"))
        tab.reload()
        tab.wait_for_selector("body[data-ready='1']")
        assert tab.input_value("#f-lang") == "en"
        context.close()
    finally:
        chinese.shutdown()
        chinese.server_close()


WIDTHS_DRAWN = """(texts) => {
  // Each text as Chromium draws it in a diagram's style: its advance, in px.
  const diagram = document.getElementById("diagram"), svg = diagram.querySelector("svg");
  return texts.map((t) => {
    const el = document.createElementNS("http://www.w3.org/2000/svg", "text");
    el.setAttribute("x", "10"); el.setAttribute("y", "20"); el.textContent = t;
    svg.appendChild(el);
    const width = el.getComputedTextLength();
    el.remove();
    return width;
  });
}"""


def test_the_layouts_text_widths_bound_what_chromium_draws(page):
    """visual/textmetrics.py's estimates against Chromium's drawn widths (12 px), Latin and Chinese: never
    narrower than drawn, and at most a little wider (a CJK character is one em)."""
    _chinese_font()
    from chainrule.i18n import messages
    from chainrule.visual.diagram import LABEL_SIZE
    from chainrule.visual.textmetrics import text_width

    zh = messages("zh")
    texts = [
        "net = 0.3775",
        "w > 0",
        "|w| ≥ 0.55",
        "paths summed into h1",
        "shared bias (times 1)",
        "via o1",
        zh["paths summed into {neuron}"].format(neuron="h1"),
        zh["shared bias (times 1)"],
        zh["via"] + " o1",
        "前向传播，反向传播：链式法则（误差、偏导数、学习率）。",
    ]
    drawn = page.evaluate(WIDTHS_DRAWN, texts)
    for text, width in zip(texts, drawn):
        estimate = text_width(text, LABEL_SIZE)
        assert width <= estimate + 1e-6, (text, width, estimate)
        assert estimate <= width * 1.1 + 1, (text, width, estimate)
    cjk = drawn[-1] / len(texts[-1])
    assert cjk == pytest.approx(LABEL_SIZE, rel=1e-3)  # one em per character, punctuation included

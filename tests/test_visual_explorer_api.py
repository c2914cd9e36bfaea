"""The explorer's state, JSON API and network files, without a browser or HTTP."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from chainrule import Network
from chainrule.cli import main
from chainrule.explain import build_trace, trace_steps, tutorial_network
from chainrule.explain.config import read_config_file, setup_from_config
from chainrule.visual import api
from chainrule.visual.netfile import state_from_file, state_from_path, state_to_config, state_to_file
from chainrule.core.errors import ValidationError
from chainrule.visual.state import ExplorerState
from test_worked_example import SPEC

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

TUTORIAL = ExplorerState.tutorial().to_json()


def with_(**changes):
    return {**TUTORIAL, **changes}


def test_tutorial_step_has_every_spec_number_and_every_stage():
    step = api.step({"state": TUTORIAL})
    for name, value in SPEC.items():
        if name in step["values"]:
            assert step["values"][name] == pytest.approx(value, abs=6e-13), name
    assert step["E_total_after_update"] == pytest.approx(SPEC["E_total_after_first_update"], abs=6e-13)
    assert list(step["svg"]) == ["setup", "forward", "error", "backward", "update"]
    assert list(step["formulas"]) == ["setup", "forward", "error", "backward", "update"]
    assert 'data-q="net_h1"' in step["formulas"]["forward"] and 'data-q="delta_h1"' in step["formulas"]["backward"]
    # The next step starts from the updated weights; the frozen biases stay.
    assert step["next"]["params"]["w5"] == step["values"]["w5+"]
    assert step["next"]["params"]["b1"] == 0.35
    assert "transposition typo" in step["formulas"]["forward"]  # the tutorial's misprint of out_o1


def test_an_update_past_the_range_is_shown_but_not_applied():
    step = api.step({"state": with_(activations=["identity", "identity"], learning_rate=1.0,
                                    params={**TUTORIAL["params"], "w5": 1e6})})
    assert step["next"] is None and "the update cannot be applied: w" in step["next_refused"]
    assert max(abs(v) for k, v in step["values"].items() if k.endswith("+")) > 1e6  # shown as computed


def test_step_equals_the_trace_for_every_convention():
    state = with_(bias="per_neuron", train_bias=True, error="mean", hidden_deltas="updated",
                  params={**TUTORIAL["params"], "b1": 0.35, "b2": 0.35, "b3": 0.6, "b4": 0.6})
    step = api.step({"state": state})
    explorer = ExplorerState.from_json(state)
    trace = build_trace(explorer.network(), explorer.input, explorer.target, explorer.learning_rate,
                        hidden_deltas="updated")
    assert step["values"] == trace.values()
    assert step["values"]["dE_o1/dout_h1"] == step["values"]["delta_o1"] * step["values"]["w5+"]
    assert "b4+" in step["next"]["params"] or step["next"]["params"]["b4"] == step["values"]["b4+"]


def test_training_follows_the_spec_for_ten_thousand_updates():
    result = api.train({"state": TUTORIAL, "updates": 10_000})
    assert len(result["errors"]) == 10_000
    assert result["errors"][0] == pytest.approx(SPEC["E_total"], abs=6e-13)
    assert result["errors"][1] == pytest.approx(SPEC["E_total_after_first_update"], abs=6e-13)
    assert result["E_after"] == pytest.approx(3.5102e-05, rel=1e-4)
    assert all(a > b for a, b in zip(result["errors"], result["errors"][1:]))
    # Chunks give the same as one run: the page asks in chunks to draw the curve live.
    state, errors = TUTORIAL, []
    for _ in range(4):
        part = api.train({"state": state, "updates": 25})
        state, errors = part["state"], errors + part["errors"]
    assert errors == pytest.approx(api.train({"state": TUTORIAL, "updates": 100})["errors"], rel=1e-12)


def test_training_honours_the_hidden_deltas_convention():
    updated = api.train({"state": with_(hidden_deltas="updated"), "updates": 100})
    assert updated["hidden_deltas"] == "updated" and "ALREADY UPDATED" in updated["note"]
    assert "=" not in updated["note"]  # the page writes "N of N updates, <note>: E_total = ..."
    # Each update is the step the explorer shows under that convention, traced ...
    traces = trace_steps(tutorial_network(), TUTORIAL["input"], TUTORIAL["target"], 0.5, steps=100,
                         hidden_deltas="updated")
    for name in ("w1", "w4", "w5", "w8"):
        assert updated["state"]["params"][name] == pytest.approx(traces[-1][f"{name}+"].value, rel=1e-15)
    assert updated["errors"] == pytest.approx([t["E_total"].value for t in traces], rel=1e-14)
    assert updated["state"]["hidden_deltas"] == "updated"
    # ... and not the chain rule's, which is Network.train's.
    original = api.train({"state": TUTORIAL, "updates": 100})
    assert original["hidden_deltas"] == "original" and original["note"] is None
    network = tutorial_network()
    assert original["errors"] == network.train(np.array([TUTORIAL["input"]]), np.array([TUTORIAL["target"]]),
                                               learning_rate=0.5, epochs=100)
    assert original["state"]["params"]["w1"] == network.layers[0].W[0, 0]
    assert updated["state"]["params"]["w1"] != pytest.approx(original["state"]["params"]["w1"], rel=1e-6)
    # The step shown and the N updates agree: one update of each is the same.
    step = api.step({"state": with_(hidden_deltas="updated")})
    one = api.train({"state": with_(hidden_deltas="updated"), "updates": 1})
    assert one["state"]["params"] == pytest.approx(step["next"]["params"], rel=1e-15)


@pytest.mark.parametrize("updates, match", [
    (20, "a rate at which training stays finite .*diverged"),
    (5, r"within the explorer's range \(after 5 updates w\d would be"),
])
def test_runaway_training_is_reported_against_the_learning_rate(updates, match):
    state = with_(activations=["identity", "identity"], learning_rate=50.0)
    with pytest.raises(ValidationError, match=match) as info:
        api.train({"state": state, "updates": updates})
    assert info.value.field == "learning_rate"


BAD_STATES = [
    ({"params": {**TUTORIAL["params"], "w5": "0.4"}}, "w5", "expected a number between"),
    ({"params": {**TUTORIAL["params"], "w5": math.nan}}, "w5", "received: nan"),
    ({"params": {**TUTORIAL["params"], "w5": 1e7}}, "w5", "received: 10000000.0"),
    ({"params": {**TUTORIAL["params"], "w5": None}}, "w5", "received: None"),
    ({"params": {**TUTORIAL["params"], "w5": True}}, "w5", "received: True"),
    ({"params": {k: v for k, v in TUTORIAL["params"].items() if k != "w3"}}, "w3", "field is missing"),
    ({"params": {**TUTORIAL["params"], "w9": 1.0}}, "w9", "a parameter of this network"),
    ({"input": [0.05]}, "input", "a list of 2 numbers"),
    ({"input": [0.05, math.inf]}, "i2", "received: inf"),
    ({"target": [0.01, ""]}, "target_o2", "received: ''"),
    ({"learning_rate": 0}, "learning_rate", "> 0"),
    ({"learning_rate": -1}, "learning_rate", "> 0"),
    ({"sizes": [2, 7, 2]}, "sizes", "each 1 to 6"),
    ({"sizes": [2]}, "sizes", "2 to 5 layer sizes"),
    ({"activations": ["sigmoid", "swish"]}, "activations.1", "one of"),
    ({"loss": "categorical_cross_entropy"}, "loss", "activation 'softmax'"),
    ({"loss": "hinge"}, "loss", "one of"),
    ({"bias": "some"}, "bias", "one of"),
    ({"train_bias": "yes"}, "train_bias", "true or false"),
    ({"hidden_deltas": "later"}, "hidden_deltas", "one of"),
    ({"activations": ["sigmoid", "sigmoid"], "loss": "binary_cross_entropy", "target": [0.5, 2.0]}, "target", "[0, 1]"),
]


@pytest.mark.parametrize("changes, field, match", BAD_STATES)
def test_bad_values_name_their_field(changes, field, match):
    with pytest.raises(ValidationError, match=match) as info:
        api.step({"state": with_(**changes)})
    assert info.value.field == field


@pytest.mark.parametrize("request_, field", [
    (None, "state"), ({}, "state"), ({"state": TUTORIAL, "digits": 0}, "digits"),
    ({"state": TUTORIAL, "focus": "o1"}, "focus"),
])
def test_bad_step_requests(request_, field):
    with pytest.raises(ValidationError) as info:
        api.step(request_)
    assert info.value.field == field


@pytest.mark.parametrize("updates", [0, -1, 100_001, 2.5, "10", True, None])
def test_bad_update_counts(updates):
    with pytest.raises(ValidationError, match="updates: expected an integer from 1 to 100000"):
        api.train({"state": TUTORIAL, "updates": updates})


def test_build_keeps_values_when_only_conventions_or_activations_change():
    per_neuron = api.build({"state": with_(bias="per_neuron"), "previous": TUTORIAL})["state"]
    assert per_neuron["params"] == {**TUTORIAL["params"], "b1": 0.35, "b2": 0.35, "b3": 0.6, "b4": 0.6}
    shared = api.build({"state": {**per_neuron, "bias": "shared"}, "previous": per_neuron})["state"]
    assert shared["params"] == TUTORIAL["params"]
    tanh = api.build({"state": with_(activations=["tanh", "sigmoid"]), "previous": TUTORIAL})["state"]
    assert tanh["params"] == TUTORIAL["params"] and tanh["activations"] == ["tanh", "sigmoid"]


def test_build_draws_new_weights_from_the_seed():
    request = {"state": with_(sizes=[3, 4, 2], activations=["tanh", "softmax"],
                              loss="categorical_cross_entropy"), "seed": 7}
    a, b = api.build(request)["state"], api.build(request)["state"]
    assert a == b and len(a["params"]) == 3 * 4 + 4 * 2 + 2
    assert a["input"] == [0.5, 0.5, 0.5] and a["target"] == [0.01, 0.99]  # kept: still 2 outputs
    assert a != api.build({**request, "seed": 8})["state"]
    with pytest.raises(ValidationError, match="seed"):
        api.build({**request, "seed": -1})


def test_network_files_round_trip_through_explain(tmp_path):
    state = ExplorerState.from_json(with_(bias="per_neuron", train_bias=True, error="mean",
                                          params={**TUTORIAL["params"], "b1": 0.1, "b2": 0.2, "b3": 0.3, "b4": 0.4}))
    path = tmp_path / "net.json"
    path.write_text(state_to_file(state))
    assert state_from_path(path) == state
    setup = setup_from_config(read_config_file(path))  # what chainrule explain builds from it
    np.testing.assert_array_equal(setup.network.layers[1].b, [0.3, 0.4])
    assert setup.network.loss_function.output_reduction == "mean"
    assert main(["explain", str(path), "--format", "json"]) == 0


def test_explain_examples_open_in_the_explorer():
    state = state_from_path(str(EXAMPLES / "tutorial.json"))
    assert state == ExplorerState.tutorial()
    softmax = state_from_path(str(EXAMPLES / "tanh-softmax-3-4-2.toml"))
    assert softmax.sizes == [3, 4, 2] and softmax.loss == "categorical_cross_entropy"
    assert "error" not in state_to_config(softmax)  # explain refuses an error convention there


@pytest.mark.parametrize("text, filename, match", [
    ("{", "n.json", "file: expected valid JSON, received: Expecting"),
    ("[1, 2]", "n.json", "file: expected a table/object"),
    ('{"sizes": [2, 2, 2]}', "n.json", "config field 'activations'"),
    ("sizes = [2, 2", "n.toml", "valid TOML"),
])
def test_bad_network_files(text, filename, match):
    with pytest.raises(ValueError, match=match):
        state_from_file(text, filename)


def test_from_network_refuses_mixed_bias_modes():
    from chainrule.core.layers import Dense

    network = Network([Dense(2, 2, bias="shared"), Dense(2, 1, bias="per_neuron")])
    with pytest.raises(ValidationError, match="same bias mode"):
        ExplorerState.from_network(network, [0, 0], [0], 0.5)


def test_tutorial_state_matches_the_tutorial_network():
    network = ExplorerState.tutorial().network()
    reference = tutorial_network()
    for mine, theirs in zip(network.layers, reference.layers):
        np.testing.assert_array_equal(mine.W, theirs.W)
        np.testing.assert_array_equal(mine.b, theirs.b)
        assert mine.train_bias == theirs.train_bias and mine.bias_mode == theirs.bias_mode


# -- the state is built from the network spec ----------------------------------------------------
def _leaky_file() -> str:
    from chainrule.explain.config import config_from_network, config_to_json

    net = Network.from_sizes([2, 3, 2], [{"name": "leaky_relu", "alpha": 0.2}, "sigmoid"], seed=2,
                             loss={"name": "squared_error", "reduction": "sum", "output_reduction": "mean"},
                             bias="shared", train_bias=False)
    return config_to_json(config_from_network(net, [0.3, -0.4], [0.2, 0.7], 0.5, "updated"))


def test_state_holds_the_spec_and_keeps_options_through_the_page():
    state = state_from_file(_leaky_file(), "leaky.json")
    page = state.to_json()
    assert page["activations"] == [{"name": "leaky_relu", "alpha": 0.2}, "sigmoid"]
    assert page["loss"] == {"name": "squared_error", "reduction": "sum"} and page["error"] == "mean"
    assert state.spec.to_dict()["layers"][0]["activation"] == {"name": "leaky_relu", "alpha": 0.2}
    again = ExplorerState.from_json(page)
    assert again == state and again.network().spec() == state.spec
    # The step uses alpha = 0.2 (a negative net_h passes 0.2 of itself), and a saved file keeps it.
    step = api.step({"state": page})
    negative = [n for n in ("h1", "h2", "h3") if step["values"][f"net_{n}"] < 0]
    assert negative and all(step["values"][f"out_{n}"] == pytest.approx(0.2 * step["values"][f"net_{n}"], rel=1e-15)
                            for n in negative)
    saved = json.loads(api.save({"state": page})["text"])
    assert saved["layers"][0]["activation"] == {"name": "leaky_relu", "alpha": 0.2}
    assert saved["loss"] == {"name": "squared_error", "reduction": "sum", "output_reduction": "mean"}
    assert saved["hidden_deltas"] == "updated" and saved["version"] == 1
    # A rebuild that leaves the activation as it was keeps its options.
    rebuilt = api.build({"state": {**page, "bias": "per_neuron"}, "previous": page})["state"]
    assert rebuilt["activations"][0] == {"name": "leaky_relu", "alpha": 0.2}


def test_saved_file_is_the_spec_plus_values():
    text = api.save({"state": TUTORIAL})["text"]
    assert text == (EXAMPLES / "tutorial.json").read_text()  # the example is what the page saves
    config = json.loads(text)
    assert ExplorerState.tutorial().network().spec().to_dict() == {k: config[k] for k in ("version", "layers", "loss", "dtype")}


@pytest.mark.parametrize("changes, field, match", [
    ({"activations": [{"name": "leaky_relu", "alpha": 2.0}, "sigmoid"]}, "activations.0", "a number in \\(0, 1\\)"),
    ({"activations": [{"name": "leaky_relu", "beta": 2.0}, "sigmoid"]}, "activations.0", "an unknown option"),
    ({"loss": {"name": "squared_error", "reduction": "max"}}, "loss", "one of"),
    ({"error": "sum"}, "error", "one of \\['half_sum', 'mean'\\]"),
])
def test_spec_errors_name_the_pages_fields(changes, field, match):
    with pytest.raises(ValidationError, match=match) as info:
        api.step({"state": with_(**changes)})
    assert info.value.field == field

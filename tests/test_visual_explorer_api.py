"""The explorer's state, JSON API and network files, without a browser or HTTP."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from chainrule import Network
from chainrule.cli import main
from chainrule.core.errors import ValidationError
from chainrule.explain import build_trace, trace_steps, tutorial_network
from chainrule.explain.config import read_config_file, setup_from_config
from chainrule.visual import api
from chainrule.visual.netfile import state_from_file, state_from_path, state_to_config, state_to_file
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
    step = api.step(
        {
            "state": with_(
                activations=["identity", "identity"], learning_rate=1.0, params={**TUTORIAL["params"], "w5": 1e6}
            )
        }
    )
    assert step["next"] is None and "the update cannot be applied: w" in step["next_refused"]
    assert max(abs(v) for k, v in step["values"].items() if k.endswith("+")) > 1e6  # shown as computed


def test_step_equals_the_trace_for_every_convention():
    state = with_(
        bias="per_neuron",
        train_bias=True,
        error="mean",
        hidden_deltas="updated",
        params={**TUTORIAL["params"], "b1": 0.35, "b2": 0.35, "b3": 0.6, "b4": 0.6},
    )
    step = api.step({"state": state})
    explorer = ExplorerState.from_json(state)
    trace = build_trace(
        explorer.network(), explorer.input, explorer.target, explorer.learning_rate, hidden_deltas="updated"
    )
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
    traces = trace_steps(
        tutorial_network(), TUTORIAL["input"], TUTORIAL["target"], 0.5, steps=100, hidden_deltas="updated"
    )
    for name in ("w1", "w4", "w5", "w8"):
        assert updated["state"]["params"][name] == pytest.approx(traces[-1][f"{name}+"].value, rel=1e-15)
    assert updated["errors"] == pytest.approx([t["E_total"].value for t in traces], rel=1e-14)
    assert updated["state"]["hidden_deltas"] == "updated"
    # ... and not the chain rule's, which is Network.train's.
    original = api.train({"state": TUTORIAL, "updates": 100})
    assert original["hidden_deltas"] == "original" and original["note"] is None
    network = tutorial_network()
    assert original["errors"] == network.train(
        np.array([TUTORIAL["input"]]), np.array([TUTORIAL["target"]]), learning_rate=0.5, epochs=100
    )
    assert original["state"]["params"]["w1"] == network.layers[0].W[0, 0]
    assert updated["state"]["params"]["w1"] != pytest.approx(original["state"]["params"]["w1"], rel=1e-6)
    # The step shown and the N updates agree: one update of each is the same.
    step = api.step({"state": with_(hidden_deltas="updated")})
    one = api.train({"state": with_(hidden_deltas="updated"), "updates": 1})
    assert one["state"]["params"] == pytest.approx(step["next"]["params"], rel=1e-15)


@pytest.mark.parametrize(
    "updates, match",
    [
        (20, "a rate at which training stays finite .*diverged"),
        (5, r"within the explorer's range \(after 5 updates w\d would be"),
    ],
)
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


@pytest.mark.parametrize(
    "request_, field",
    [
        (None, "state"),
        ({}, "state"),
        ({"state": TUTORIAL, "digits": 0}, "digits"),
        ({"state": TUTORIAL, "focus": "o1"}, "focus"),
    ],
)
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
    request = {
        "state": with_(sizes=[3, 4, 2], activations=["tanh", "softmax"], loss="categorical_cross_entropy"),
        "seed": 7,
    }
    a, b = api.build(request)["state"], api.build(request)["state"]
    assert a == b and len(a["params"]) == 3 * 4 + 4 * 2 + 2
    assert a["input"] == [0.5, 0.5, 0.5] and a["target"] == [0.01, 0.99]  # kept: still 2 outputs
    assert a != api.build({**request, "seed": 8})["state"]
    with pytest.raises(ValidationError, match="seed"):
        api.build({**request, "seed": -1})


def test_network_files_round_trip_through_explain(tmp_path):
    state = ExplorerState.from_json(
        with_(
            bias="per_neuron",
            train_bias=True,
            error="mean",
            params={**TUTORIAL["params"], "b1": 0.1, "b2": 0.2, "b3": 0.3, "b4": 0.4},
        )
    )
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


@pytest.mark.parametrize(
    "text, filename, match",
    [
        ("{", "n.json", "file: expected valid JSON, received: Expecting"),
        ("[1, 2]", "n.json", "file: expected a table/object"),
        ('{"sizes": [2, 2, 2]}', "n.json", "config field 'activations'"),
        ("sizes = [2, 2", "n.toml", "valid TOML"),
    ],
)
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

    net = Network.from_sizes(
        [2, 3, 2],
        [{"name": "leaky_relu", "alpha": 0.2}, "sigmoid"],
        seed=2,
        loss={"name": "squared_error", "reduction": "sum", "output_reduction": "mean"},
        bias="shared",
        train_bias=False,
    )
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
    assert negative and all(
        step["values"][f"out_{n}"] == pytest.approx(0.2 * step["values"][f"net_{n}"], rel=1e-15) for n in negative
    )
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
    assert ExplorerState.tutorial().network().spec().to_dict() == {
        k: config[k] for k in ("version", "layers", "loss", "dtype")
    }


@pytest.mark.parametrize(
    "changes, field, match",
    [
        ({"activations": [{"name": "leaky_relu", "alpha": 2.0}, "sigmoid"]}, "activations.0", "a number in \\(0, 1\\)"),
        ({"activations": [{"name": "leaky_relu", "beta": 2.0}, "sigmoid"]}, "activations.0", "an unknown option"),
        ({"loss": {"name": "squared_error", "reduction": "max"}}, "loss", "one of"),
        ({"error": "sum"}, "error", "one of \\['half_sum', 'mean'\\]"),
    ],
)
def test_spec_errors_name_the_pages_fields(changes, field, match):
    with pytest.raises(ValidationError, match=match) as info:
        api.step({"state": with_(**changes)})
    assert info.value.field == field


# -- the page's newer endpoints: practice, checks, data sets ---------------------------------------
def test_every_network_the_explorer_allows_gets_its_step():
    """The largest (5 layers of 6) has 148 weights and biases, past the trace's default limit."""
    draft = with_(sizes=[6, 6, 6, 6, 6], activations=["sigmoid"] * 4, params={}, input=[0.5] * 6, target=[0.2] * 6)
    state = api.build({"state": draft, "seed": 1})["state"]
    step = api.step({"state": state, "digits": 4})
    assert len([n for n in step["values"] if n.endswith("+")]) == 144 + 0  # frozen shared biases keep theirs
    assert step["svg"]["backward"].count('class="cr-band"') == 6


def test_a_hidden_quantity_appears_nowhere_with_its_value():
    hidden = ["net_h1", "out_o1", "dE_total/dw5", "E_total"]
    step = api.step({"state": TUTORIAL, "digits": 9, "hidden": hidden})
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    for name in hidden:
        assert name not in step["values"]
        value = trace[name].value
        for text in [*step["svg"].values(), *step["formulas"].values(), *step["matrices"].values()]:
            assert repr(value) not in text and f"{value:.9g}" not in text, name
    assert step["E_total_after_update"] is None
    # The numbers of the formulas that use a hidden value keep its name: out_h1's value is shown, net_h1's not.
    assert 'data-q="net_h1"' in step["formulas"]["forward"]
    # A hint: the formula in names and the values it needs, the hidden ones marked.
    hint = step["practice"]["net_h1"]["hint"]
    assert 'data-q="w1"' in hint and "0.15" in hint and 'data-q="i2"' in hint and "0.1" in hint
    assert 'class="missing"' not in hint
    hint = step["practice"]["dE_total/dw5"]["hint"]
    assert 'class="missing" data-q="dnet_o1/dw5"' not in hint and "0.593269992" in hint
    assert "E_o1" in step["practice"]["E_total"]["hint"]


def test_a_hint_says_which_needed_values_are_hidden_too():
    step = api.step({"state": TUTORIAL, "hidden": ["net_h1", "out_h1"]})
    hint = step["practice"]["out_h1"]["hint"]
    assert 'class="missing" data-q="net_h1"' in hint and "First work out net_h1" in hint


@pytest.mark.parametrize("hidden", ["net_h1", ["net_h9"], [3]])
def test_hidden_names_are_checked(hidden):
    with pytest.raises(ValidationError, match="hidden: expected a list of quantity names of this step"):
        api.step({"state": TUTORIAL, "hidden": hidden})


def test_answers_are_checked_against_the_engine_within_a_tenth_of_a_percent():
    value = SPEC["net_h1"]
    answers = {"net_h1": value * (1 + 0.9e-3)}
    result = api.check({"state": TUTORIAL, "answers": answers})
    assert result["results"]["net_h1"] == {"correct": True, "value": pytest.approx(value, abs=1e-15)}
    assert result["tolerance"] == api.PRACTICE_TOLERANCE == 1e-3
    result = api.check({"state": TUTORIAL, "answers": {"net_h1": value * (1 + 1.1e-3), "out_o1": 0.7514}})
    assert result["results"]["net_h1"] == {"correct": False, "value": None}  # a wrong answer learns nothing
    assert result["results"]["out_o1"]["correct"]  # 0.75136507 to four digits
    with pytest.raises(ValidationError, match="answers: expected names of quantities of this step"):
        api.check({"state": TUTORIAL, "answers": {"net_h9": 1.0}})
    with pytest.raises(ValidationError, match="answer net_h1: expected a number"):
        api.check({"state": TUTORIAL, "answers": {"net_h1": "0.3775"}})


def test_synthetic_data_sets_come_from_chainrule_datasets():
    from chainrule.datasets import moons

    got = api.dataset({"name": "moons", "n": 50, "noise": 0.2, "seed": 4})
    expected = moons(n_samples=50, noise=0.2, seed=4)
    assert got["points"] == expected.X.tolist() and got["labels"] == expected.y.tolist()
    assert got["classes"] == ["upper", "lower"]
    for request, match in [
        ({"name": "swirls"}, "dataset: expected one of"),
        ({"name": "xor", "n": 5000}, "n: expected"),
        ({"name": "xor", "noise": 2}, "noise: expected a number from 0 to 1"),
    ]:
        with pytest.raises(ValidationError, match=match):
            api.dataset(request)


CSV_OK = "x1,x2,colour\n0.1,0.2,red\n0.9,0.8,blue\n0.2,0.9,red\n0.8,0.1,blue\n"


def test_a_small_csv_becomes_points_and_classes():
    got = api.dataset({"csv": CSV_OK, "filename": "mine.csv"})
    assert got["points"] == [[0.1, 0.2], [0.9, 0.8], [0.2, 0.9], [0.8, 0.1]]
    assert got["labels"] == [0, 1, 0, 1] and got["classes"] == ["red", "blue"] and got["name"] == "mine.csv"
    got = api.dataset({"csv": "a,b,label\n1,2,0\n3,4,2\n", "filename": "n.csv"})
    assert got["labels"] == [0, 2] and got["classes"] == ["0", "1", "2"]


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "x1,x2\n1,2\n",
            r"csv: expected in mine.csv, three columns \(two inputs, then the class label\), "
            r"received: 2 columns \['x1', 'x2'\]",
        ),
        (
            "x1,x2,y\n1,2,0\n1,oops,1\n",
            r"csv: expected in mine.csv: column 'x2', row 2 \(line 3\), a finite number, "
            r"received: 'oops'",
        ),
        ("x1,x2,y\n1,2,0\n1,2\n", r"mine.csv: row 2 \(line 3\) has 2 fields, expected 3"),
        ("x1,x2,y\n1,2,0\n1,2,\n", r"mine.csv: column 'y', row 2 \(line 3\): missing value"),
        ("x1,x2,y\n1,2,9\n", r"in mine.csv, column 'y', row 1 \(line 2\), a class from 0 to 5, received: 9"),
        (
            "x1,x2,y\n" + "".join(f"1,2,c{k}\n" for k in range(7)),
            r"row 7 \(line 8\), at most 6 classes, received: 'c6'",
        ),
        (
            "x1,x2,y\n1,2e7,0\n",
            r"column 'x2', row 1 \(line 2\), a number between -1e\+06 and 1e\+06, received: 20000000.0",
        ),
        ("x1,x2,y\n" + "1,2,0\n" * 1001, r"in mine.csv, at most 1000 rows, received: 1001 rows"),
        ("x1,x2,y\n" + "1.000000,2.000000,0\n" * 4000, r"in mine.csv, at most 64 KiB of CSV, received: 80\d+ bytes"),
        ("", r"mine.csv: the file is empty"),
    ],
)
def test_a_bad_csv_is_refused_naming_the_row_and_column(text, match):
    with pytest.raises(ValidationError, match=match) as err:
        api.dataset({"csv": text, "filename": "mine.csv"})
    assert err.value.field == "csv"


def _xor_state(outputs: int, loss: str = "squared_error") -> dict:
    draft = with_(
        sizes=[2, 4, outputs],
        activations=["tanh", "sigmoid"],
        loss=loss,
        params={},
        input=[0.0, 0.0],
        target=[0.5] * outputs,
    )
    return api.build({"state": draft, "seed": 2})["state"]


@pytest.mark.parametrize("outputs", [1, 2])
def test_fit_trains_on_the_whole_data_set_as_the_engine_does(outputs):
    from chainrule.explain import train_with_convention
    from chainrule.visual.data import targets_for

    data = api.dataset({"name": "xor", "n": 40, "noise": 0.05, "seed": 1})
    state = _xor_state(outputs)
    result = api.fit({"state": state, "data": data, "updates": 300, "grid": 12})
    network = ExplorerState.from_json(state).network()
    X = np.array(data["points"])
    Y = targets_for(network, np.array(data["labels"]), 2)
    assert Y.shape == (40, outputs)
    errors = train_with_convention(network, X, Y, state["learning_rate"], 300, hidden_deltas="original")
    assert result["errors"] == errors  # bit for bit: the same engine, the same arithmetic
    assert result["state"] == ExplorerState.from_json(state).with_network(network).to_json()
    out = network.predict(X)
    predicted = (out[:, 0] >= 0.5) if outputs == 1 else out.argmax(axis=1)
    assert result["accuracy"] == float((predicted == np.array(data["labels"])).mean())
    surface = result["surface"]
    assert surface["n"] == 12 and len(surface["classes"]) == len(surface["strength"]) == 144
    # The top-left cell is the network's prediction at (x min, x2 max) of the padded box.
    corner = network.predict(np.array([[surface["x"][0], surface["y"][1]]]))[0]
    assert surface["classes"][0] == (int(corner[0] >= 0.5) if outputs == 1 else int(corner.argmax()))


def test_fit_with_no_update_only_evaluates_and_refuses_what_cannot_learn_the_classes():
    data = api.dataset({"name": "spirals", "n": 30, "seed": 0})
    state = _xor_state(2)
    result = api.fit({"state": state, "data": data, "updates": 0})
    assert result["errors"] == [] and result["state"] == state
    with pytest.raises(ValidationError, match="sizes: expected a network with 1 output"):
        api.fit({"state": _xor_state(3), "data": data})
    three_inputs = api.build({"state": with_(sizes=[3, 2, 2], params={}, input=[0.1] * 3), "seed": 0})["state"]
    with pytest.raises(ValidationError, match="sizes: expected a network with 2 inputs"):
        api.fit({"state": three_inputs, "data": data})
    with pytest.raises(ValidationError, match="data: expected label 2: a class from 0 to 1"):
        api.fit({"state": state, "data": {**data, "labels": [0, 5] + data["labels"][2:]}})


# -- languages -------------------------------------------------------------------------------------------
def test_a_step_in_chinese_has_the_same_numbers_and_chinese_panels():
    state = state_from_file((EXAMPLES / "tanh-softmax-3-4-2.toml").read_text(), "x.toml").to_json()
    english = api.step({"state": state, "digits": 6, "hidden": ["net_h1"]})
    chinese = api.step({"state": state, "digits": 6, "hidden": ["net_h1"], "lang": "zh"})
    assert chinese["values"] == english["values"] and chinese["state"] == english["state"]
    assert chinese["stage_of"] == english["stage_of"] and chinese["next"] == english["next"]
    assert "前向传播" in chinese["formulas"]["forward"] and "Forward pass" not in chinese["formulas"]["forward"]
    assert "汇总到 h1 的路径" in chinese["svg"]["backward"] and "<tspan>经由 </tspan>" in chinese["svg"]["backward"]
    assert "<tspan>via </tspan>" in english["svg"]["backward"] and "via" not in chinese["svg"]["backward"]
    assert "经由" in chinese["formulas"]["backward"] and "via" not in chinese["formulas"]["backward"]
    assert "第 2 层：输出层（softmax）" in chinese["matrices"]["backward"]
    assert "完整的雅可比矩阵" in chinese["matrices"]["backward"]
    assert (
        "<p>其中</p>" in chinese["practice"]["net_h1"]["hint"]
        and "<p>with</p>" in english["practice"]["net_h1"]["hint"]
    )
    numbers = re.compile(r"data-value=\"([^\"]+)\"")
    for key in ("svg", "formulas", "matrices"):
        for stage in english[key]:
            assert numbers.findall(chinese[key][stage]) == numbers.findall(english[key][stage]), (key, stage)
    tutorial = api.step({"state": TUTORIAL, "lang": "zh"})
    assert "教程印的是" in tutorial["formulas"]["forward"]  # the misprint note (annotate_misprints), translated


def test_server_sentences_in_chinese():
    trained = api.train({"state": with_(hidden_deltas="updated"), "updates": 2, "lang": "zh"})
    assert trained["note"] == "隐藏层的 δ 用已经更新过的权重计算（某些已发表版本的错误）：这不是对 E_total 的梯度下降"
    assert trained["errors"] == api.train({"state": with_(hidden_deltas="updated"), "updates": 2})["errors"]
    refused = api.step(
        {
            "state": with_(
                activations=["identity", "identity"], learning_rate=1.0, params={**TUTORIAL["params"], "w5": 1e6}
            ),
            "lang": "zh",
        }
    )
    assert refused["next_refused"].startswith("无法应用这次更新：")
    with pytest.raises(ValidationError) as err:
        api.dataset({"csv": "x1,x2\n0,0\n", "filename": "two.csv", "lang": "zh"})
    assert api.error_text(err.value, "zh").startswith(
        "csv：应为 在 two.csv 中，三列（两个输入，然后是类别标签），收到："
    )
    assert api.error_text(err.value, "en") == str(err.value) and "in two.csv, three columns" in str(err.value)
    with pytest.raises(ValidationError) as err:
        api.dataset({"csv": "x1,x2,y\n0,0,9\n", "filename": "c.csv"})
    assert "第 1 行（文件第 2 行）" in api.error_text(err.value, "zh")
    with pytest.raises(ValidationError, match="lang: expected one of"):
        api.train({"state": TUTORIAL, "updates": 1, "lang": "fr"})
    assert api.messages({"lang": "zh-CN"})["lang"] == "zh"

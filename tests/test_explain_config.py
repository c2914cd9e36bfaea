"""Configuration files for `chainrule explain`, the conventions, and `chainrule explain` itself."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest

import needs
from chainrule import Network
from chainrule.cli import main
from chainrule.explain import Naming, build_trace
from chainrule.explain.config import Conventions, load_setup, read_config_file, setup_from_config

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "tanh-softmax-3-4-2.toml"

BASE = {
    "sizes": [2, 3, 2],
    "activations": ["tanh", "sigmoid"],
    "weights": [[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], [[0.7, -0.8, 0.9], [0.1, 0.2, 0.3]]],
    "biases": [0.1, [0.2, -0.2]],
    "input": [0.5, -1.0],
    "target": [0.2, 0.8],
    "learning_rate": 0.5,
}


def with_changes(**changes):
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is KeyError:
            del data[key]
        else:
            data[key] = value
    return data


def test_weights_rows_are_neurons_in_the_tutorials_order():
    setup = setup_from_config(BASE)
    naming = Naming.of(setup.network)
    # Row j lists neuron j's incoming weights: w1 = i1->h1, w2 = i2->h1, w3 = i1->h2 ...
    assert [naming.get(setup.network, f"w{k}") for k in range(1, 7)] == [0.1, 0.2, 0.3, -0.4, 0.5, 0.6]
    assert naming.parameter("w2").source == "i2" and naming.parameter("w2").targets == ("h1",)
    # A number for a layer and a list for another: per neuron wins, the number is copied.
    assert setup.network.layers[0].bias_mode == "per_neuron"
    np.testing.assert_array_equal(setup.network.layers[0].b, [0.1, 0.1, 0.1])
    assert not setup.network.layers[0].train_bias  # frozen unless the file or the switch says otherwise


def test_three_formats_describe_the_same_network(tmp_path):
    needs.module("yaml")
    import yaml

    (tmp_path / "n.json").write_text(json.dumps(BASE))
    (tmp_path / "n.yaml").write_text(yaml.safe_dump(BASE))
    toml = "\n".join(f"{k} = {json.dumps(v)}" for k, v in BASE.items())
    (tmp_path / "n.toml").write_text(toml)
    traces = [
        build_trace(s.network, s.x, s.y, s.learning_rate)
        for s in (load_setup(tmp_path / f"n.{ext}") for ext in ("json", "yaml", "toml"))
    ]
    assert traces[0].values() == traces[1].values() == traces[2].values()


def test_conventions_override_the_file():
    data = with_changes(biases=[[0.1, 0.1, 0.1], 0.2])  # equal per-neuron values can be shared
    setup = setup_from_config(data, Conventions(bias="shared", train_bias=True, error="mean"))
    assert all(layer.bias_mode == "shared" for layer in setup.network.layers)
    assert setup.network.loss_function.output_reduction == "mean"
    trace = build_trace(setup.network, setup.x, setup.y, setup.learning_rate)
    _, grads = setup.network.gradients(setup.x[None], setup.y[None])
    assert trace["dE_total/db1"].value == pytest.approx(grads[0]["b"][0], rel=1e-12)
    assert trace["b1+"].value == pytest.approx(0.1 - 0.5 * grads[0]["b"][0], rel=1e-12)
    assert trace.conventions == {"bias": "shared", "train_bias": True, "error": "mean", "hidden_deltas": "original"}


def test_tutorial_with_per_neuron_trained_biases():
    setup = load_setup(None, Conventions(bias="per_neuron", train_bias=True))
    trace = build_trace(setup.network, setup.x, setup.y, setup.learning_rate)
    assert [trace[f"b{k}"].value for k in range(1, 5)] == [0.35, 0.35, 0.6, 0.6]
    assert trace["net_o1"].value == pytest.approx(1.105905967060, abs=6e-13)  # forward unchanged
    assert trace["dE_total/db3"].value == trace["delta_o1"].value
    assert trace["b3+"].value == pytest.approx(0.6 - 0.5 * 0.138498561629, abs=1e-12)


def test_mean_error_halves_nothing_but_scales_by_two_over_m():
    half = load_setup(None)
    mean = load_setup(None, Conventions(error="mean"))
    t_half = build_trace(half.network, half.x, half.y, 0.5)
    t_mean = build_trace(mean.network, mean.x, mean.y, 0.5)
    # E = (1/m) sum (t - out)^2 = sum 1/2 (t - out)^2 for m = 2 outputs: same error, same gradients.
    assert t_mean["E_total"].value == pytest.approx(t_half["E_total"].value, rel=1e-14)
    assert t_mean["dE_total/dw1"].value == pytest.approx(t_half["dE_total/dw1"].value, rel=1e-12)


BAD = [
    (with_changes(sizes=KeyError), "config field 'sizes': expected a value \\(the field is required\\)"),
    (with_changes(weights=KeyError), "config field 'weights': expected a value"),
    (with_changes(learning_rate=KeyError), "config field 'learning_rate': expected a value"),
    (with_changes(target=KeyError), "config field 'target': expected a value"),
    (with_changes(sizes=[2]), "config field 'sizes': expected a list of at least 2"),
    (with_changes(sizes=[2, "3", 2]), "config field 'sizes\\[1\\]': expected an integer >= 1"),
    (with_changes(activations=["tanh", "swish"]), "config field 'activations\\[1\\]': expected one of"),
    (with_changes(activations=["tanh"]), "config field 'activations': expected one activation name or a list of 2"),
    (
        with_changes(weights=[[[0.1, 0.2], [0.3, 0.4]], BASE["weights"][1]]),
        "config field 'weights\\[0\\]': expected 3 rows \\(one per neuron of layer 1\\), received: 2 rows",
    ),
    (
        with_changes(weights=[BASE["weights"][0], [[0.7, 0.8], [0.1, 0.2]]]),
        "config field 'weights\\[1\\]\\[0\\]': expected 3 numbers .*, received: 2 numbers",
    ),
    (with_changes(weights=[BASE["weights"][0]]), "config field 'weights': expected a list of 2 matrices"),
    (
        with_changes(weights=[[[0.1, "0.2"], [0.3, 0.4], [0.5, 0.6]], BASE["weights"][1]]),
        "config field 'weights\\[0\\]\\[0\\]\\[1\\]': expected a number, received: '0.2'",
    ),
    (with_changes(weights={"w1": 0.1}), "config field 'weights.w2': expected a number"),
    (with_changes(input=[0.5, "a"]), "config field 'input\\[1\\]': expected a number, received: 'a'"),
    (with_changes(input=[0.5]), "config field 'input': expected 2 numbers"),
    (with_changes(target=[0.2, None]), "config field 'target\\[1\\]': expected a number, received: None"),
    (with_changes(learning_rate="fast"), "config field 'learning_rate': expected a number, received: 'fast'"),
    (with_changes(learning_rate=-0.1), "config field 'learning_rate': expected a number > 0"),
    (with_changes(biases=[True, 0.2]), "config field 'biases\\[0\\]': expected a number, received: True"),
    (with_changes(biases=[0.1]), "config field 'biases': expected a list of 2 entries"),
    (with_changes(train_biases="yes"), "config field 'train_biases': expected true or false"),
    (with_changes(loss="hinge"), "config field 'loss': expected one of"),
    (
        with_changes(loss="categorical_cross_entropy"),
        "config field 'loss': expected an output layer with activation 'softmax'",
    ),
    (with_changes(error="quarter"), "config field 'error': expected one of \\['half_sum', 'mean'\\]"),
    (with_changes(hidden_deltas="later"), "config field 'hidden_deltas': expected one of \\['original', 'updated'\\]"),
    (with_changes(dtype="float16"), "config field 'dtype': expected float32 or float64"),
    (with_changes(learnig_rate=0.5), "config field 'learnig_rate': expected one of the fields"),
    (
        with_changes(activations=["tanh", "sigmoid"], loss="binary_cross_entropy", target=[0.2, 1.5]),
        "config field 'target': expected values in \\[0, 1\\]",
    ),
]


@pytest.mark.parametrize("data, message", BAD)
def test_bad_config_names_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        setup_from_config(data)


def test_shared_bias_switch_refuses_unequal_per_neuron_values():
    with pytest.raises(ValueError, match="config field 'biases\\[1\\]': expected one number, or equal values"):
        setup_from_config(BASE, Conventions(bias="shared"))


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("bad.json", '{"sizes": [2, 2', "config file 'bad.json': expected valid JSON"),
        ("bad.toml", "sizes = [2, 2", "config file 'bad.toml': expected valid TOML"),
        ("bad.txt", "{}", "config file: expected a name ending in .json, .toml, .yaml or .yml"),
        ("list.json", "[1, 2]", "expected a table/object of fields"),
    ],
)
def test_unreadable_files(tmp_path, monkeypatch, name, text, message):
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(text)
    with pytest.raises(ValueError, match=message):
        read_config_file(name)


def test_missing_file_is_a_value_error(tmp_path):
    with pytest.raises(
        ValueError, match=r"config file: expected a readable file, received: '.*nope.json' \(no such file\)"
    ):
        read_config_file(tmp_path / "nope.json")


@pytest.mark.parametrize(
    "kwargs", [{"bias": "both"}, {"train_bias": "yes"}, {"error": "sum"}, {"hidden_deltas": "new"}]
)
def test_bad_conventions(kwargs):
    with pytest.raises(ValueError, match="convention: expected"):
        Conventions(**kwargs)


# -- chainrule explain -------------------------------------------------------------------------


def test_explain_prints_the_tutorials_whole_derivation_by_default(capsys):
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    for needle in (
        "net_h1 = w1*i1 + w2*i2 + b1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775",
        "E_total = E_o1 + E_o2 = 0.274811083 + 0.0235600256 = 0.298371109",
        "dE_total/dw5     = dE_total/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = 0.0821670406",
        "dE_o2/dout_h1    = delta_o2 * w7 = -0.0380982365 * 0.5 = -0.0190491183",
        "dE_total/dw1     = dE_total/dout_h1 * dout_h1/dnet_h1 * dnet_h1/dw1 = 0.0363503064 * 0.241300709 * 0.05 = 0.000438567734",
        "w8+ = w8 - eta * dE_total/dw8 = 0.55 - 0.5 * (-0.0227402422) = 0.561370121",
        "After the update: E_total = 0.291027774",
    ):
        assert needle in out, needle


def test_explain_tanh_softmax_example_shows_cross_entropy(capsys):
    assert main(["explain", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "a 3-4-2 network (tanh, softmax), loss categorical_cross_entropy" in out
    assert "E_o1    = -target_o1 * log(out_o1) = -1 * log(0.644940665) = 0.438596959" in out
    assert "dout_o2/dnet_o1  = -out_o2 * out_o1" in out
    assert "= out_o1 - target_o1 = 0.644940665 - 1 = -0.355059335" in out
    assert "fused delta out - target" in out
    assert re.search(r"dout_h4/dnet_h4 +\= 1 - out_h4\^2", out)  # the names column is as wide as the group's longest
    # Through a softmax output a path is a term of dE_total/dout_h1, not a derivative of E_o1.
    assert "dE_total/dout_h1[o1] = delta_o1 * w13 = -0.355059335 * 0.3 = -0.106517801" in out
    assert "dE_o1/dout_h1" not in out
    assert "w20+ = " in out and "b6+  = " in out


def test_explain_json_and_steps(capsys):
    assert main(["explain", str(EXAMPLE), "--format", "json", "--steps", "3", "--precision", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["step"] for s in data["steps"]] == [1, 2, 3]
    assert data["steps"][2]["values"]["E_total"] < data["steps"][0]["values"]["E_total"]
    assert data["steps"][0]["quantities"]["net_h1"]["text"] == (
        "net_h1 = w1*i1 + w2*i2 + w3*i3 + b1 = 0.1*0.5 + (-0.2)*(-0.2) + 0.3*0.1 + 0.1 = 0.22"
    )


def test_explain_refuses_a_large_network_and_the_summary_works(tmp_path, capsys):
    rng = np.random.default_rng(0)
    big = {
        "sizes": [10, 10, 3],
        "activations": "tanh",
        "input": [0.1] * 10,
        "target": [0.5] * 3,
        "learning_rate": 0.1,
        "weights": [rng.normal(size=(10, 10)).tolist(), rng.normal(size=(3, 10)).tolist()],
        "biases": [0.0, 0.0],
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big))
    assert main(["explain", str(path)]) == 2
    err = capsys.readouterr().err
    assert "expected at most 128 weights and biases" in err and "--summary" in err
    assert main(["explain", str(path), "--summary"]) == 0
    out = capsys.readouterr().out
    assert "layer 1 (hidden)" in out and "layer 2 (output)" in out and "|update|/|W|" in out
    assert main(["explain", str(path), "--summary", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [row["parameters"] for row in summary["layers"]] == [101, 31]
    assert main(["explain", str(path), "--max-parameters", "200", "--format", "json"]) == 0


def test_explain_summary_gradients_match_the_trace(capsys):
    from chainrule.explain.summary import layer_summary

    setup = load_setup(EXAMPLE)
    trace = build_trace(setup.network, setup.x, setup.y, setup.learning_rate)
    _, rows = layer_summary(setup.network, setup.x, setup.y, setup.learning_rate)
    grads = [trace[f"dE_total/d{n}"].value for layer in trace.layers for n in layer["weights"] + layer["biases"]]
    assert rows[0].gradient_max_abs == pytest.approx(max(abs(g) for g in grads[:16]), rel=1e-12)
    assert rows[1].delta_max_abs == pytest.approx(abs(trace["delta_o1"].value), rel=1e-12)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "--steps: expected an integer >= 1"),
        (["--precision", "0"], "--precision: expected an integer >= 1"),
        (["--max-parameters", "0"], "--max-parameters: expected an integer >= 1"),
        (["nope.json"], "config file: expected a readable file"),
    ],
)
def test_explain_bad_options(args, message, capsys):
    assert main(["explain", *args]) == 2
    assert message in capsys.readouterr().err


# -- the current form: the spec's fields, values, sample, learning rate -------------------------------
def current(**changes):
    from chainrule.explain.config import convert_config

    data = convert_config(BASE)
    for key, value in changes.items():
        if value is KeyError:
            del data[key]
        else:
            data[key] = value
    return data


def test_current_form_is_the_spec_plus_values():
    from chainrule.explain.config import config_from_network

    data = current()
    assert list(data)[:4] == ["version", "layers", "loss", "dtype"]
    setup, legacy = setup_from_config(data), setup_from_config(BASE)
    assert setup.spec == legacy.spec and setup.spec.to_dict() == {k: data[k] for k in list(data)[:4]}
    assert setup.network.flat_parameter().value.tobytes() == legacy.network.flat_parameter().value.tobytes()
    written = config_from_network(setup.network, setup.x, setup.y, setup.learning_rate, "updated")
    again = setup_from_config(json.loads(json.dumps(written)))
    assert again.spec == setup.spec and again.hidden_deltas == "updated"
    assert (
        build_trace(again.network, again.x, again.y, 0.5).values()
        == build_trace(setup.network, setup.x, setup.y, 0.5).values()
    )


def test_current_form_keeps_activation_options_loss_reductions_and_dtype(tmp_path):
    from chainrule.explain.config import config_from_network, config_to_json

    net = Network.from_sizes(
        [2, 3, 2],
        [{"name": "leaky_relu", "alpha": 0.2}, "identity"],
        seed=1,
        loss={"name": "squared_error", "reduction": "sum", "output_reduction": "mean"},
        dtype=np.float32,
        bias="shared",
        train_bias=False,
    )
    path = tmp_path / "net.json"
    path.write_text(config_to_json(config_from_network(net, [0.5, -0.5], [0.1, 0.2], 0.3)))
    setup = load_setup(path)
    assert setup.spec == net.spec() and setup.network.dtype == np.float32
    assert [l.W.tobytes() for l in setup.network.layers] == [l.W.tobytes() for l in net.layers]


BAD_CURRENT = [
    (current(version=KeyError), "version", "the spec's version, 1"),
    (current(version=2), "version", "upgrade chainrule"),
    (current(sizes=[2, 3, 2]), "sizes", "one of the fields .*belongs to the form before the spec.*convert_config"),
    (current(loss={"name": "squared_error", "reduction": "median"}), "loss.reduction", "one of"),
    (current(dtype="float16"), "dtype", "float32 or float64"),
    (current(learning_rate=KeyError), "learning_rate", "the field is required"),
    (current(biases=[0.1, [0.2, 0.3, 0.4]]), "biases\\[1\\]", "2 numbers"),
    (current(hidden_deltas="later"), "hidden_deltas", "one of \\['original', 'updated'\\]"),
    (current(target=[0.2]), "target", "2 numbers"),
]


@pytest.mark.parametrize("data, field, message", BAD_CURRENT)
def test_bad_current_config_names_the_field(data, field, message):
    with pytest.raises(ValueError, match=f"config field '{field}': expected .*{message}"):
        setup_from_config(data)


@pytest.mark.parametrize(
    "path, field",
    [
        (("layers", 1, "activation"), "layers[1].activation"),
        (("layers", 0, "n_out"), "layers[1].n_in"),
        (("layers", 0, "bias"), "layers[0].bias"),
        (("layers", 1, "train_bias"), "layers[1].train_bias"),
        (("layers", 0, "type"), "layers[0].type"),
    ],
)
def test_bad_layer_in_current_config_names_its_path(path, field):
    data = current()
    data["layers"][path[1]][path[2]] = {
        "activation": "swish",
        "n_out": 4,
        "bias": "all",
        "train_bias": "no",
        "type": "conv",
    }[path[2]]
    with pytest.raises(ValueError) as info:
        setup_from_config(data)
    assert info.value.field == f"config field {field!r}"


def test_conventions_apply_to_the_current_form():
    setup = setup_from_config(
        current(biases=[[0.1, 0.1, 0.1], 0.2]), Conventions(bias="shared", train_bias=True, error="mean")
    )
    assert [(l.bias_mode, l.train_bias) for l in setup.network.layers] == [("shared", True), ("shared", True)]
    assert setup.network.loss_function.output_reduction == "mean"
    with pytest.raises(ValueError, match="error convention: expected no error convention for loss"):
        load_setup(EXAMPLE, Conventions(error="mean"))

"""The tutorial's worked example, pinned to every number of shared/spec/worked-example.md."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from chainrule.explain import Naming, step_quantities, tutorial_network, worked_example

# Every value of the spec, to the 12 decimals it gives.
SPEC = {
    "net_h1": 0.377500000000,
    "out_h1": 0.593269992107,
    "net_h2": 0.392500000000,
    "out_h2": 0.596884378260,
    "net_o1": 1.105905967060,
    "out_o1": 0.751365069552,
    "net_o2": 1.224921404096,
    "out_o2": 0.772928465321,
    "E_o1": 0.274811083176,
    "E_o2": 0.023560025584,
    "E_total": 0.298371108760,
    "dE_total/dout_o1": 0.741365069552,
    "dout_o1/dnet_o1": 0.186815601809,
    "dnet_o1/dw5": 0.593269992107,
    "delta_o1": 0.138498561629,
    "delta_o2": -0.038098236517,
    "dE_total/dw5": 0.082167040564,
    "dE_total/dw6": 0.082667627848,
    "dE_total/dw7": -0.022602540477,
    "dE_total/dw8": -0.022740242216,
    "dE_o1/dout_h1": 0.055399424651,
    "dE_o2/dout_h1": -0.019049118258,
    "dE_total/dout_h1": 0.036350306393,
    "dout_h1/dnet_h1": 0.241300708572,
    "dnet_h1/dw1": 0.05,
    "delta_h1": 0.008771354689,
    "delta_h2": 0.009954254705,
    "dE_total/dw1": 0.000438567734,
    "dE_total/dw2": 0.000877135469,
    "dE_total/dw3": 0.000497712735,
    "dE_total/dw4": 0.000995425471,
    "w1+": 0.149780716133,
    "w2+": 0.199561432266,
    "w3+": 0.249751143632,
    "w4+": 0.299502287265,
    "w5+": 0.358916479718,
    "w6+": 0.408666186076,
    "w7+": 0.511301270239,
    "w8+": 0.561370121108,
    "E_total_after_first_update": 0.291027773694,
}


@pytest.fixture(scope="module")
def example():
    return worked_example(10_000)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_every_spec_number(example, name):
    assert example[name] == pytest.approx(SPEC[name], abs=6e-13)


def test_after_ten_thousand_updates(example):
    rep = example["repeated"]
    assert rep["updates"] == 10_000
    assert rep["E_total"] == pytest.approx(3.5102e-05, rel=1e-4)
    assert rep["out_o1"] == pytest.approx(0.015914, abs=5e-7)
    assert rep["out_o2"] == pytest.approx(0.984064, abs=5e-7)
    assert [h["updates"] for h in rep["history"]] == [1, 10, 100, 1000, 10_000]
    errors = [h["E_total"] for h in rep["history"]]
    assert errors == sorted(errors, reverse=True)


def test_float32_example_agrees_to_float32_precision():
    r32 = worked_example(100, dtype=np.float32)
    for name in ("out_o1", "delta_h1", "dE_total/dw1", "w5+"):
        assert r32[name] == pytest.approx(SPEC[name], rel=2e-6)


def test_trace_equals_engine_gradients():
    # The scalar chain rule in step_quantities against the engine's vectorised backward pass.
    net = tutorial_network()
    q = step_quantities(net, [0.05, 0.10], [0.01, 0.99], 0.5)
    _, grads = net.gradients([[0.05, 0.10]], [[0.01, 0.99]])
    naming = Naming.of(net)
    for p in naming.weights:
        assert q[f"dE_total/d{p.name}"] == pytest.approx(grads[p.layer]["W"][p.index], rel=1e-13)
    assert "dE_total/db1" not in q and "b1+" not in q  # frozen biases, as in the tutorial


def test_naming_maps_tutorial_weights_to_arrays():
    net = tutorial_network()
    naming = Naming.of(net)
    hidden, output = net.layers
    # w1 = i1->h1 is W[0, 0]; w2 = i2->h1 is W[1, 0]; w3 = i1->h2 is W[0, 1]; w7 = h1->o2 is W[0, 1].
    assert hidden.W[0, 0] == 0.15 and hidden.W[1, 0] == 0.20 and hidden.W[0, 1] == 0.25
    assert output.W[0, 1] == 0.50 and output.W[1, 1] == 0.55
    assert naming.parameter("w7").source == "h1" and naming.parameter("w7").targets == ("o2",)
    assert naming.parameter("b2").targets == ("o1", "o2")
    assert hidden.b[0] == 0.35 and output.b[0] == 0.60


def test_naming_of_deeper_networks():
    naming = Naming([3, 2, 2, 1], [False, True, False])
    assert naming.neurons == [["i1", "i2", "i3"], ["h1_1", "h1_2"], ["h2_1", "h2_2"], ["o1"]]
    assert naming.weight_between(1, 1, 0).name == "w8"  # 6 weights in layer 1, then h1_2 -> h2_1
    assert [b.name for b in naming.biases] == ["b1", "b2", "b3", "b4"]
    assert naming.biases[2].targets == ("h2_1", "h2_2")


def test_assign_checks_names_and_values():
    net = tutorial_network()
    naming = Naming.of(net)
    with pytest.raises(ValueError, match=r"parameter name: expected one of w1..w8, b1..b2, received: 'w9'"):
        naming.assign(net, {"w9": 1.0})
    with pytest.raises(ValueError, match="value of w1: expected a finite number"):
        naming.assign(net, {"w1": float("nan")})


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "chainrule", *args], capture_output=True, text=True, check=False)


def test_cli_json_has_every_spec_value_to_nine_significant_digits():
    result = run_cli("example", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for name, value in SPEC.items():
        assert float(f"{data[name]:.9g}") == float(f"{value:.9g}"), name
    assert data["repeated"]["E_total"] == pytest.approx(3.5102e-05, rel=1e-4)


def test_cli_text_tells_the_whole_story():
    result = run_cli("example", "--updates", "1000")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for needle in (
        "net_h1 = w1*i1 + w2*i2 + b1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775",
        # Rendered by the trace: every formula with its numbers substituted, the "=" of a group aligned.
        "out_o1 = sigmoid(net_o1) = 1/(1 + exp(-net_o1)) = 1/(1 + exp(-1.10590597)) = 0.75136507",
        "the tutorial prints out_o1 = 0.75136079",
        "E_total = E_o1 + E_o2 = 0.274811083 + 0.0235600256 = 0.298371109",
        "delta_o1         = dE_total/dout_o1 * dout_o1/dnet_o1 = 0.74136507 * 0.186815602 = 0.138498562",
        "dE_total/dout_h1 = dE_o1/dout_h1 + dE_o2/dout_h1 = 0.0553994247 + (-0.0190491183) = 0.0363503064",
        "dE_total/dw5     = dE_total/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = 0.0821670406",
        "w5+ = w5 - eta * dE_total/dw5 = 0.4 - 0.5 * 0.0821670406 = 0.35891648",
        "after   1000 updates",
    ):
        assert needle in text, needle


@pytest.mark.parametrize(
    "args, message",
    [
        (["--updates", "-1"], "--updates: expected an integer >= 0"),
        (["--precision", "0"], "--precision: expected an integer >= 1"),
    ],
)
def test_cli_bad_options(args, message):
    result = run_cli("example", *args)
    assert result.returncode == 2
    assert message in result.stderr

"""The trace: every dE/dw and delta equals the engine's gradient, which equals finite differences.

Random small networks for every activation and loss; every formula of the
trace, evaluated with the trace's values, gives the value it prints.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Network, check_gradients
from chainrule.explain import (
    MAX_TRACE_PARAMETERS,
    Naming,
    TraceTooLarge,
    build_trace,
    evaluate,
    trace_steps,
    tutorial_network,
)
from chainrule.explain.formula import from_json, symbols, to_json
from chainrule.explain.trace import STAGES
from conftest import data_for

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]
# (loss, output activation, loss options)
LOSSES = [
    ("squared_error", "sigmoid", {"output_reduction": "half_sum"}),
    ("squared_error", "tanh", {"output_reduction": "mean"}),
    ("squared_error", "identity", {"output_reduction": "half_sum"}),
    ("squared_error", "softmax", {"output_reduction": "mean"}),
    ("squared_error", "relu", {"output_reduction": "half_sum"}),
    ("categorical_cross_entropy", "softmax", {}),
    ("binary_cross_entropy", "sigmoid", {}),
]


def random_case(hidden: str, loss: str, output: str, options: dict, seed: int, sizes=(3, 4, 3, 2), bias="per_neuron"):
    rng = np.random.default_rng(seed)
    net = Network.from_sizes(
        list(sizes),
        hidden,
        output_activation=output,
        loss={"name": loss, **options},
        bias=bias,
        train_bias=True,
        init="glorot_normal",
        seed=rng,
    )
    for layer in net.layers:  # nonzero biases, so that their gradients are exercised too
        layer.b[...] = rng.normal(scale=0.3, size=layer.b.shape)
    X, Y = data_for(loss, 1, sizes[0], sizes[-1], rng)
    if output == "relu":  # keep outputs away from the kink and alive
        net.layers[-1].b[...] = 1.0
    return net, X, Y


CASES = [(h, *l) for h in HIDDEN for l in LOSSES]


@pytest.mark.parametrize("hidden, loss, output, options", CASES)
def test_trace_gradients_equal_engine_and_finite_differences(hidden, loss, output, options):
    net, X, Y = random_case(hidden, loss, output, options, seed=hash((hidden, loss, output)) % 2**32)
    trace = build_trace(net, X[0], Y[0], 0.3)
    naming = Naming.of(net)
    error, grads = net.gradients(X, Y)
    assert trace["E_total"].value == pytest.approx(error, rel=1e-12)
    # Every weight and bias gradient of the trace equals the engine's ...
    for p in naming.weights + naming.biases:
        engine = grads[p.layer]["W" if p.kind == "weight" else "b"][p.index]
        assert trace[f"dE_total/d{p.name}"].value == pytest.approx(engine, rel=1e-10, abs=1e-14), p.name
        assert trace[f"{p.name}+"].value == pytest.approx(naming.get(net, p.name) - 0.3 * engine, rel=1e-12, abs=1e-14)
    # ... every delta equals the engine's dz (net.gradients left the caches filled) ...
    for l, layer in enumerate(net.layers):
        for j, name in enumerate(naming.neurons[l + 1]):
            assert trace[f"delta_{name}"].value == pytest.approx(layer.dz[0, j], rel=1e-10, abs=1e-14)
    # ... and the engine's gradients equal finite differences.
    rows = check_gradients(net, X, Y)
    assert max(r.max_rel_error for r in rows) < 1e-6


@pytest.mark.parametrize("hidden, loss, output, options", CASES[::3])
def test_every_formula_evaluates_to_its_value(hidden, loss, output, options):
    net, X, Y = random_case(hidden, loss, output, options, seed=7, sizes=(2, 3, 2), bias="shared")
    trace = build_trace(net, X[0], Y[0], 0.1)
    values = trace.values()
    checked = 0
    for q in trace:
        for form in q.forms:
            assert set(symbols(form.formula)) <= set(values), q.name
            assert evaluate(form.formula, values) == pytest.approx(q.value, rel=1e-9, abs=1e-12), q.name
            if form.numbers is not None:
                assert symbols(form.numbers) == []
                assert evaluate(form.numbers) == pytest.approx(q.value, rel=1e-9, abs=1e-12), q.name
            assert from_json(to_json(form.formula)) == form.formula
            checked += 1
    assert checked > 40


def test_stages_cover_every_quantity_once_in_order():
    net, X, Y = random_case("tanh", "categorical_cross_entropy", "softmax", {}, seed=3, sizes=(3, 2, 2, 2))
    trace = build_trace(net, X[0], Y[0], 0.1)
    assert [s.id for s in trace.stages] == list(STAGES)
    listed = [name for s in trace.stages for name in s.names]
    assert listed == list(trace.quantities)
    # Deeper networks use h{l}_{j}; paths into the first hidden layer go through the second.
    assert trace.neurons[1] == ["h1_1", "h1_2"] and trace.neurons[2] == ["h2_1", "h2_2"]
    assert trace["dE_total/dout_h1_2[h2_1]"].refs == {"neuron": "h1_2", "through": "h2_1", "weight": "w8"}


@pytest.mark.parametrize(
    "output, sizes, derivative",
    [
        ("sigmoid", (2, 2, 2), True),  # the tutorial: delta_o1 * w5 is dE_o1/dout_h1
        ("softmax", (3, 4, 2), False),  # every E_o depends on every net: only a term of dE_total/dout_h1
        ("sigmoid", (2, 3, 2, 2), None),  # through h2_*: no error of its own; through o*: the derivative
    ],
)
def test_paths_are_named_for_what_they_are(output, sizes, derivative):
    loss = "categorical_cross_entropy" if output == "softmax" else "squared_error"
    net, X, Y = random_case("tanh", loss, output, {}, seed=2, sizes=sizes)
    trace = build_trace(net, X[0], Y[0], 0.1)
    paths = [q for q in trace if q.kind == "path"]
    assert paths
    for q in paths:
        through, neuron = q.refs["through"], q.refs["neuron"]
        exact = through.startswith("o") and output != "softmax"
        assert exact == (derivative if derivative is not None else through.startswith("o"))
        assert q.name == (f"dE_{through}/dout_{neuron}" if exact else f"dE_total/dout_{neuron}[{through}]")
        assert q.value == trace[f"delta_{through}"].value * trace[q.refs["weight"]].value
    for q in trace:
        if q.kind == "dE_dout" and "paths" in q.refs:  # the sum of its terms, by their names
            assert q.refs["paths"] == [p.name for p in paths if p.refs["neuron"] == q.refs["neuron"]]


def test_softmax_jacobian_and_fused_delta_are_shown():
    net, X, Y = random_case("tanh", "categorical_cross_entropy", "softmax", {}, seed=5, sizes=(3, 4, 3))
    trace = build_trace(net, X[0], Y[0], 0.1)
    out = [trace[f"out_o{k}"].value for k in (1, 2, 3)]
    for k in range(3):
        for j in range(3):
            expected = out[k] * ((k == j) - out[j])
            assert trace[f"dout_o{k + 1}/dnet_o{j + 1}"].value == pytest.approx(expected, rel=1e-12)
    delta = trace["delta_o2"]
    assert len(delta.forms) == 2 and "fused delta out - target" in delta.note
    values = trace.values()
    assert evaluate(delta.forms[1].formula, values) == pytest.approx(out[1] - Y[0, 1], rel=1e-12)
    assert delta.refs["factors"][:2] == ["dE_total/dout_o1", "dout_o1/dnet_o2"]


def test_binary_cross_entropy_factors_multiply_to_fused_delta():
    net, X, Y = random_case("relu", "binary_cross_entropy", "sigmoid", {}, seed=9, sizes=(2, 3, 2))
    trace = build_trace(net, X[0], Y[0], 0.1)
    for o in ("o1", "o2"):
        factors = trace[f"dE_total/dout_{o}"].value * trace[f"dout_{o}/dnet_{o}"].value
        assert factors == pytest.approx(trace[f"out_{o}"].value - trace[f"target_{o}"].value, rel=1e-10)
        assert "fused delta out - target" in trace[f"delta_{o}"].note


def test_hidden_deltas_updated_reproduces_the_published_mistake():
    net = tutorial_network()
    right = build_trace(net, [0.05, 0.1], [0.01, 0.99], 0.5)
    wrong = build_trace(net, [0.05, 0.1], [0.01, 0.99], 0.5, hidden_deltas="updated")
    # The output layer is the same; the paths into h1 use w5+ and w7+ instead of w5 and w7.
    for name in ("delta_o1", "dE_total/dw5", "w8+"):
        assert wrong[name].value == right[name].value
    assert wrong["dE_o1/dout_h1"].value == pytest.approx(0.138498561629 * 0.358916479718, rel=1e-11)
    assert wrong["dE_o2/dout_h1"].value == pytest.approx(-0.038098236517 * 0.511301270239, rel=1e-10)
    assert wrong["dE_o1/dout_h1"].refs["weight"] == "w5+"
    assert wrong["dE_total/dw1"].value != pytest.approx(right["dE_total/dw1"].value, rel=1e-3)
    assert wrong.conventions["hidden_deltas"] == "updated"


def test_steps_continue_from_the_updated_values():
    net = tutorial_network()
    before = net.layers[0].W.copy()
    traces = trace_steps(net, [0.05, 0.1], [0.01, 0.99], 0.5, steps=3)
    assert [t.step for t in traces] == [1, 2, 3]
    assert traces[0].error_after_update == pytest.approx(0.291027773694, abs=6e-13)
    assert traces[1]["E_total"].value == pytest.approx(traces[0].error_after_update, rel=1e-14)
    assert traces[1]["w5"].value == traces[0]["w5+"].value
    assert traces[2]["E_total"].value < traces[1]["E_total"].value
    np.testing.assert_array_equal(net.layers[0].W, before)  # the caller's network is untouched


def test_float32_network_is_traced_in_its_dtype():
    net = tutorial_network(np.float32)
    trace = build_trace(net, [0.05, 0.1], [0.01, 0.99], 0.5)
    assert trace.dtype == "float32" and any("float32" in n for n in trace.notes)
    assert trace["dE_total/dw1"].value == pytest.approx(0.000438567734, rel=2e-6)


def test_size_limit_refuses_with_a_pointer_to_the_summary():
    net = Network.from_sizes([10, 10, 3], "tanh", seed=0)  # 110 + 33 + 13 = 143 parameters
    assert net.n_parameters() > MAX_TRACE_PARAMETERS
    with pytest.raises(TraceTooLarge, match=r"at most 128 weights and biases.*received: 143.*--summary"):
        build_trace(net, np.zeros(10), np.full(3, 0.5), 0.1)
    assert len(build_trace(net, np.zeros(10), np.full(3, 0.5), 0.1, max_parameters=None)) > 143


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": 0}, "learning_rate: expected a finite number > 0"),
        ({"learning_rate": "0.5"}, "learning_rate: expected a finite number > 0"),
        ({"hidden_deltas": "later"}, r"hidden_deltas: expected one of \['original', 'updated'\]"),
        ({"x": [0.05]}, "x: expected 2 columns"),
        ({"y": [0.01, 0.99, 0.5]}, "y: expected 2 columns"),
        ({"step": 0}, "step: expected an integer >= 1"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {"x": [0.05, 0.1], "y": [0.01, 0.99], "learning_rate": 0.5, **kwargs}
    with pytest.raises(ValueError, match=message):
        build_trace(tutorial_network(), args.pop("x"), args.pop("y"), args.pop("learning_rate"), **args)


def test_unknown_quantity_names_the_name():
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    with pytest.raises(ValueError, match=r"trace quantity: .* received: 'delta_o3'"):
        trace["delta_o3"]


@pytest.mark.parametrize("sizes", [(2, 3), (3, 2, 2, 2)])
def test_shared_trained_biases_and_networks_without_hidden_layers(sizes):
    net, X, Y = random_case("sigmoid", "categorical_cross_entropy", "softmax", {}, seed=11, sizes=sizes, bias="shared")
    trace = build_trace(net, X[0], Y[0], 0.2)
    _, grads = net.gradients(X, Y)
    for l, layer in enumerate(trace.layers):
        [bias] = layer["biases"]  # one shared bias per layer
        assert trace[f"dE_total/d{bias}"].value == pytest.approx(grads[l]["b"][0], rel=1e-10)
        assert trace[f"dE_total/d{bias}"].refs["factors"] == [f"delta_{n}" for n in trace.neurons[l + 1]]
    assert ("backward_hidden" in [s.id for s in trace.stages]) == (len(sizes) > 2)


@pytest.mark.parametrize("hidden, loss, output, options", CASES[::4])
def test_trace_gradients_equal_finite_differences_of_the_error(hidden, loss, output, options):
    # Independent of the engine's backward pass: central differences of E_total, weight by weight.
    net, X, Y = random_case(hidden, loss, output, options, seed=21, sizes=(2, 3, 2))
    trace = build_trace(net, X[0], Y[0], 0.1)
    naming = Naming.of(net)
    h = 1e-6
    for p in naming.weights + naming.biases:
        if f"dE_total/d{p.name}" not in trace.quantities:
            continue
        moved = []
        for step in (h, -h):
            other = net.copy()
            naming.assign(other, {p.name: naming.get(net, p.name) + step})
            moved.append(other.loss(X, Y))
        numeric = (moved[0] - moved[1]) / (2 * h)
        assert trace[f"dE_total/d{p.name}"].value == pytest.approx(numeric, rel=1e-5, abs=1e-8), p.name


def test_the_trace_takes_its_forward_values_from_one_inference_pass(monkeypatch):
    calls = []
    infer = Network.infer

    def counting(self, X, **options):
        calls.append(options)
        return infer(self, X, **options)

    monkeypatch.setattr(Network, "infer", counting)
    net, X, Y = random_case("tanh", "categorical_cross_entropy", "softmax", {}, seed=1, sizes=(3, 2, 2, 2))
    trace = build_trace(net, X[0], Y[0], 0.1)
    assert calls == [{"return_layers": True}]
    seen = infer(net, X, return_layers=True).layers
    for l, layer in enumerate(seen):
        for j, name in enumerate(trace.neurons[l + 1]):
            assert trace[f"net_{name}"].value == layer.z[0, j] and trace[f"out_{name}"].value == layer.a[0, j]


def test_updated_paths_use_the_update_stages_values():
    net, X, Y = random_case("sigmoid", "squared_error", "sigmoid", {}, seed=2, sizes=(2, 3, 2, 2))
    trace = build_trace(net, X[0], Y[0], 0.4, hidden_deltas="updated")
    paths = [q for q in trace if q.kind == "path"]
    assert len(paths) == 3 * 2 + 2 * 2
    for q in paths:
        assert q.refs["weight"].endswith("+") and trace.stage_of(q.refs["weight"]) == "update"
        assert q.value == trace[f"delta_{q.refs['through']}"].value * trace[q.refs["weight"]].value


def test_the_walk_refuses_a_formula_ahead_of_its_values_and_a_name_twice():
    from chainrule.explain.formula import mul
    from chainrule.explain.model import Group
    from chainrule.explain.walk import StepWalk

    net = tutorial_network()
    walk = StepWalk(net, np.array([[0.05, 0.1]]), np.array([[0.01, 0.99]]), 0.5, "original")
    group = Group("g", [])
    walk.add(group, "i1", "input", 0.05)
    with pytest.raises(ValueError, match=r"formula symbol: .* received: 'w1'"):
        walk.add(group, "x1", "net", 1.0, [(mul("w1", "i1"), True)])
    with pytest.raises(ValueError, match=r"trace quantity: expected a name not yet computed.* received: 'i1'"):
        walk.add(group, "i1", "input", 0.05)
    assert group.names == ["i1"]

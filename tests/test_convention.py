"""Many updates under a hidden-deltas convention: train_with_convention against the trace and the engine.

* ``"updated"`` (the published mistake) equals ``trace_steps(..., hidden_deltas="updated")``
  update after update, every weight to the last bit or one ulp: the trace adds
  the paths into a hidden neuron one by one as it prints them, the engine
  multiplies ``delta @ W.T`` with BLAS, whose fused multiply-adds round a sum
  of two products once instead of twice.
* ``"original"`` (the chain rule) equals ``Network.train`` bit for bit: it is the
  same engine arithmetic, with only the place of the update in the backward pass
  made a choice.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from chainrule import DivergenceError, Network
from chainrule.explain import Naming, build_trace, trace_steps, train_with_convention, tutorial_network
from conftest import data_for

X1, Y1 = [0.05, 0.10], [0.01, 0.99]  # the tutorial's sample


def parameters(network: Network) -> np.ndarray:
    return network.buffer.values.copy()


def traced_parameters(trace, naming: Naming) -> np.ndarray:
    """Every parameter after the traced update (frozen biases keep their values), in Naming's order."""
    return np.array(
        [
            trace[f"{p.name}+"].value if f"{p.name}+" in trace.quantities else trace[p.name].value
            for p in naming.weights + naming.biases
        ]
    )


def named(network: Network, naming: Naming) -> np.ndarray:
    return np.array([naming.get(network, p.name) for p in naming.weights + naming.biases])


def test_updated_equals_trace_steps_for_the_first_hundred_tutorial_updates():
    traces = trace_steps(tutorial_network(), X1, Y1, 0.5, steps=100, hidden_deltas="updated")
    fast = tutorial_network()
    naming = Naming.of(fast)
    same = 0
    for trace in traces:
        [error] = train_with_convention(fast, X1, Y1, 0.5, 1, hidden_deltas="updated")
        expected, got = traced_parameters(trace, naming), named(fast, naming)
        np.testing.assert_array_max_ulp(got, expected, maxulp=1)
        same += int((got == expected).sum())
        assert error == pytest.approx(trace["E_total"].value, rel=1e-14)
    # Measured: every one of the 100 x 10 values is bitwise the trace's (BLAS rounding could move one by an ulp).
    assert same >= 0.95 * 100 * len(naming.weights + naming.biases)
    # The mistake really is a different training: the original convention ends elsewhere.
    right = tutorial_network()
    train_with_convention(right, X1, Y1, 0.5, 100, hidden_deltas="original")
    assert not np.allclose(named(right, naming), named(fast, naming), rtol=1e-6)


@pytest.mark.parametrize(
    "hidden, loss, output, bias",
    [
        ("tanh", "categorical_cross_entropy", "softmax", "per_neuron"),
        ("relu", "squared_error", "identity", "shared"),
        ("softmax", "binary_cross_entropy", "sigmoid", "per_neuron"),
    ],
)
def test_updated_follows_the_trace_for_deeper_networks(hidden, loss, output, bias):
    rng = np.random.default_rng(4)
    net = Network.from_sizes(
        [3, 4, 3, 2],
        hidden,
        output_activation=output,
        loss=loss,
        bias=bias,
        train_bias=True,
        init="glorot_normal",
        seed=rng,
    )
    for layer in net.layers:
        layer.b[...] = rng.normal(scale=0.3, size=layer.b.shape)
    X, Y = data_for(loss, 1, 3, 2, rng)
    traces = trace_steps(net, X[0], Y[0], 0.2, steps=20, hidden_deltas="updated", max_parameters=None)
    fast, naming = net.copy(), Naming.of(net)
    for trace in traces:
        train_with_convention(fast, X[0], Y[0], 0.2, 1)
        np.testing.assert_allclose(named(fast, naming), traced_parameters(trace, naming), rtol=1e-12, atol=1e-15)


def test_float32_updated_follows_the_trace_to_float32_precision():
    traces = trace_steps(tutorial_network(np.float32), X1, Y1, 0.5, steps=100, hidden_deltas="updated")
    fast = tutorial_network(np.float32)
    train_with_convention(fast, X1, Y1, 0.5, 100)
    assert fast.dtype == np.float32 and fast.layers[0].W.dtype == np.float32
    naming = Naming.of(fast)
    np.testing.assert_allclose(named(fast, naming), traced_parameters(traces[-1], naming), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_original_equals_network_train_bitwise(dtype):
    a, b = tutorial_network(dtype), tutorial_network(dtype)
    expected = a.train(np.array([X1]), np.array([Y1]), learning_rate=0.5, epochs=100)
    assert train_with_convention(b, X1, Y1, 0.5, 100, hidden_deltas="original") == expected
    np.testing.assert_array_equal(parameters(b), parameters(a))


def test_original_equals_network_train_on_a_full_batch_with_trained_biases():
    rng = np.random.default_rng(2)
    a = Network.from_sizes(
        [3, 5, 4, 2], "tanh", output_activation="softmax", loss="categorical_cross_entropy", train_bias=True, seed=rng
    )
    X, Y = data_for("categorical_cross_entropy", 8, 3, 2, rng)
    b = a.copy()
    expected = a.train(X, Y, learning_rate=0.3, epochs=50, shuffle=False)
    errors = train_with_convention(b, X, Y, 0.3, 50, hidden_deltas="original")
    np.testing.assert_array_equal(parameters(b), parameters(a))
    # Network.train reports each epoch's loss as the batch's mean, (E * 8) / 8: equal to the last bit or one ulp.
    np.testing.assert_array_max_ulp(np.array(errors), np.array(expected), maxulp=1)


def test_one_update_is_the_traced_step():
    net = tutorial_network()
    trace = build_trace(net, X1, Y1, 0.5, hidden_deltas="updated")
    [error] = train_with_convention(net, X1, Y1, 0.5, 1)
    naming = Naming.of(net)
    np.testing.assert_array_equal(named(net, naming), traced_parameters(trace, naming))
    assert error == pytest.approx(0.298371108760, abs=6e-13)  # the tutorial's E_total before the update
    assert net.loss(np.array([X1]), np.array([Y1])) == pytest.approx(trace.error_after_update, rel=1e-14)


def test_ten_thousand_updates_allocate_little():
    net = tutorial_network()
    train_with_convention(net, X1, Y1, 0.5, 10)  # warm-up: the network's workspace
    tracemalloc.start()
    try:
        errors = train_with_convention(net, X1, Y1, 0.5, 10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The returned errors themselves are 10,000 floats (about 320 kB); no trace, no per-step arrays.
    assert len(errors) == 10_000 and peak < 1_000_000
    assert errors == sorted(errors, reverse=True)


@pytest.mark.parametrize("hidden_deltas", ["original", "updated"])
def test_divergence_names_the_update_and_keeps_the_last_finite_weights(hidden_deltas):
    net = Network.from_sizes([2, 2, 2], "identity", loss="squared_error", seed=0)
    X, Y = np.array([[0.5, -1.0]]), np.array([[0.2, 0.9]])
    with pytest.raises(DivergenceError) as info:
        train_with_convention(net, X, Y, 50.0, 1000, hidden_deltas=hidden_deltas)
    k = info.value.epoch
    assert info.value.step == k and k > 1 and "diverged" in str(info.value)
    assert np.isfinite(parameters(net)).all()
    replay = Network.from_sizes([2, 2, 2], "identity", loss="squared_error", seed=0)
    train_with_convention(replay, X, Y, 50.0, k - 1, hidden_deltas=hidden_deltas)
    np.testing.assert_array_equal(parameters(net), parameters(replay))
    if hidden_deltas == "original":  # where and when the engine's own loop stops too
        engine = Network.from_sizes([2, 2, 2], "identity", loss="squared_error", seed=0)
        with pytest.raises(DivergenceError) as theirs:
            engine.train(X, Y, learning_rate=50.0, epochs=1000)
        assert (theirs.value.epoch, theirs.value.where) == (k, info.value.where)
        np.testing.assert_array_equal(parameters(net), parameters(engine))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": 0}, "learning_rate: expected a finite number > 0"),
        ({"updates": 0}, "updates: expected an integer >= 1"),
        ({"updates": 2.5}, "updates: expected an integer >= 1"),
        ({"hidden_deltas": "later"}, r"hidden_deltas: expected one of \['original', 'updated'\]"),
        ({"x": [0.05]}, "x: expected 2 columns"),
        ({"y": [0.01, 0.99, 0.5]}, "y: expected 2 columns"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {"x": X1, "y": Y1, "learning_rate": 0.5, "updates": 10, **kwargs}
    net = tutorial_network()
    before = parameters(net)
    with pytest.raises(ValueError, match=message):
        train_with_convention(net, args.pop("x"), args.pop("y"), args.pop("learning_rate"), args.pop("updates"), **args)
    np.testing.assert_array_equal(parameters(net), before)


def test_without_hidden_layers_the_conventions_coincide():
    rng = np.random.default_rng(6)
    net = Network.from_sizes([3, 2], "sigmoid", loss="binary_cross_entropy", train_bias=True, seed=rng)
    X, Y = data_for("binary_cross_entropy", 4, 3, 2, rng)
    a, b, c = net.copy(), net.copy(), net.copy()
    errors = train_with_convention(a, X, Y, 0.5, 30, hidden_deltas="updated")
    assert train_with_convention(b, X, Y, 0.5, 30, hidden_deltas="original") == errors
    c.train(X, Y, learning_rate=0.5, epochs=30, shuffle=False)
    np.testing.assert_array_equal(parameters(a), parameters(b))
    np.testing.assert_array_equal(parameters(a), parameters(c))

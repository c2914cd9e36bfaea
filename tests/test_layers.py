"""Dense layer: forward formula, biases (per neuron / shared, trainable / frozen), backward."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.core.layers import Dense


def test_forward_is_x_at_w_plus_b(rng):
    layer = Dense(3, 4, "identity", seed=0)
    layer.set_weights(b=rng.normal(size=4))
    X = rng.normal(size=(5, 3))
    np.testing.assert_allclose(layer.forward(X), X @ layer.W + layer.b, rtol=1e-15)
    np.testing.assert_array_equal(layer.predict(X), layer.forward(X))


def test_shared_bias_has_one_value_and_sums_all_deltas(rng):
    layer = Dense(2, 3, "identity", bias="shared", seed=0)
    assert layer.b.shape == (1,)
    layer.set_weights(b=0.35)
    X = rng.normal(size=(4, 2))
    layer.forward(X)
    g = rng.normal(size=(4, 3))
    layer.backward(g)
    assert layer.db[0] == pytest.approx(g.sum(), rel=1e-14)


def test_per_neuron_bias_gradient_is_summed_over_the_batch(rng):
    layer = Dense(2, 3, "identity", seed=0)
    layer.forward(rng.normal(size=(4, 2)))
    g = rng.normal(size=(4, 3))
    layer.backward(g)
    np.testing.assert_allclose(layer.db, g.sum(axis=0), rtol=1e-14)


def test_frozen_bias_is_not_a_parameter():
    layer = Dense(2, 2, bias="shared", train_bias=False)
    assert [p.name for p in layer.parameters()] == ["dense.W"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"])
@pytest.mark.parametrize("bias", ["per_neuron", "shared"])
def test_backward_matches_finite_differences(activation, bias, rng):
    # L = sum(a * g) for a random g; compare dL/dW, dL/db, dL/dX with central differences.
    layer = Dense(3, 4, activation, bias=bias, seed=1)
    layer.set_weights(b=rng.normal(size=layer.b.shape))
    X = rng.normal(size=(5, 3))
    g = rng.normal(size=(5, 4))

    def objective():
        return float((layer.predict(X) * g).sum())

    layer.forward(X)
    dX = layer.backward(g).copy()
    analytic = {"W": layer.dW.copy(), "b": layer.db.copy(), "X": dX}
    h = 1e-6
    for key, array in (("W", layer.W), ("b", layer.b), ("X", X)):
        numeric = np.empty_like(array)
        for idx in np.ndindex(array.shape):
            old = array[idx]
            array[idx] = old + h
            up = objective()
            array[idx] = old - h
            down = objective()
            array[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(analytic[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)


def test_backward_overwrites_gradients(rng):
    layer = Dense(2, 2, "tanh", seed=0)
    X = rng.normal(size=(3, 2))
    g = rng.normal(size=(3, 2))
    layer.forward(X)
    layer.backward(g)
    first = layer.dW.copy()
    layer.forward(X)
    layer.backward(g)
    np.testing.assert_array_equal(layer.dW, first)  # not 2 * first: no accumulation


def test_backward_does_not_touch_weights(rng):
    layer = Dense(2, 2, "tanh", seed=0)
    W, b = layer.W.copy(), layer.b.copy()
    layer.forward(rng.normal(size=(3, 2)))
    layer.backward(rng.normal(size=(3, 2)))
    np.testing.assert_array_equal(layer.W, W)
    np.testing.assert_array_equal(layer.b, b)


def test_first_layer_can_skip_the_input_gradient(rng):
    layer = Dense(2, 2, "tanh", seed=0)
    layer.forward(rng.normal(size=(3, 2)))
    assert layer.backward(rng.normal(size=(3, 2)), need_input_grad=False) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_forward_and_backward(dtype, rng):
    layer = Dense(3, 2, "sigmoid", dtype=dtype, seed=0)
    X = rng.normal(size=(4, 3)).astype(dtype)
    assert layer.forward(X).dtype == dtype
    assert layer.backward(np.ones((4, 2), dtype)).dtype == dtype
    assert layer.dW.dtype == dtype and layer.db.dtype == dtype


@pytest.mark.parametrize("bad", [0, -3, 2.5, None, "64", True])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="n_out: expected an integer >= 1"):
        Dense(2, bad)


@pytest.mark.parametrize("bad", ["both", None, 1])
def test_bad_bias_mode_is_refused(bad):
    with pytest.raises(ValueError, match="bias: expected one of"):
        Dense(2, 2, bias=bad)


@pytest.mark.parametrize("bad", ["float16", np.int32, "x"])
def test_bad_dtype_is_refused(bad):
    with pytest.raises(ValueError, match="dtype: expected float32 or float64"):
        Dense(2, 2, dtype=bad)


def test_set_weights_checks_shape_and_values():
    layer = Dense(2, 3)
    with pytest.raises(ValueError, match=r"W: expected shape \(2, 3\), received: shape \(3, 2\)"):
        layer.set_weights(W=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="W: expected finite values"):
        layer.set_weights(W=np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="b: expected numbers"):
        layer.set_weights(b=["a", "b", "c"])


def test_initialisation_is_seeded_and_scaled():
    a, b = Dense(100, 50, seed=7), Dense(100, 50, seed=7)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, Dense(100, 50, seed=8).W)
    limit = np.sqrt(6 / 150)  # Glorot uniform
    assert np.abs(a.W).max() <= limit and np.abs(a.W).max() > 0.9 * limit


def test_forward_converts_its_input_and_silences_overflow():
    layer = Dense(2, 3, "sigmoid", seed=0, dtype=np.float32)
    layer.set_weights(W=[[1000.0, -1000.0, 1.0], [0.0, 0.0, 1.0]], b=[0.0, 0.0, 0.0])
    X64 = np.array([[-1.0, 0.5], [1.0, 0.25]])  # float64 in, float32 layer; sigmoid(-1000) overflows exp
    a = layer.forward(X64)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a[:, :2], [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(layer.forward(X64.astype(np.float32)), a)


def test_astype_keeps_the_layers_name_and_values():
    layer = Dense(2, 3, "tanh", seed=0, name="hidden", bias="shared", train_bias=False)
    other = layer.astype(np.float32)
    assert other.name == "hidden" and other.dtype == np.float32 and other.config() == layer.config()
    np.testing.assert_array_equal(other.W, layer.W.astype(np.float32))
    np.testing.assert_array_equal(other.b, layer.b.astype(np.float32))

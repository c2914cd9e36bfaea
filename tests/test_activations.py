"""Activations: forward against the textbook formula, derivative against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.core.activations import ACTIVATIONS, LeakyReLU, Softmax, get_activation

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "gelu", "silu", "softplus", "elu"]

_normal_cdf = np.vectorize(lambda z: 0.5 * math.erfc(-z / math.sqrt(2.0)))

REFERENCE = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "identity": lambda z: z,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
    # The smooth ones from their definitions (Python's math.erfc for the normal CDF).
    "gelu": lambda z: z * _normal_cdf(z),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "softplus": lambda z: np.where(z > 20, z, np.log1p(np.exp(np.minimum(z, 20)))),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
}


def forward(act, z):
    return act.forward(z, out=np.empty_like(z))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_matches_formula(name, rng):
    z = rng.normal(scale=3, size=(7, 5))
    np.testing.assert_allclose(forward(get_activation(name), z), REFERENCE[name](z), rtol=1e-14, atol=1e-15)


def test_sigmoid_of_tutorial_net_h1():
    # net_h1 = 0.3775 -> out_h1 = 0.593269992107 (worked example)
    out = forward(get_activation("sigmoid"), np.array([[0.3775]]))
    assert out[0, 0] == pytest.approx(0.593269992107, abs=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference(name, rng):
    act = get_activation(name)
    z = rng.uniform(-3, 3, size=(6, 4))
    z[np.abs(z) < 0.1] = 0.5  # keep away from the ReLU kink
    h = 1e-6
    numeric = (forward(act, z + h) - forward(act, z - h)) / (2 * h)
    a = forward(act, z)
    analytic = act.derivative_from(z=z, a=a, out=np.empty_like(a))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_is_vector_jacobian_product(name, rng):
    # llm.c style: L = sum(f(z) * g) with a random g; dL/dz from backward vs finite differences.
    act = get_activation(name)
    z = rng.uniform(-2, 2, size=(3, 4))
    z[np.abs(z) < 0.1] = 0.5
    g = rng.normal(size=z.shape)
    a = forward(act, z)
    analytic = act.backward_from(z=z, a=a, grad_a=g, out=np.empty_like(a))
    numeric = np.empty_like(z)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = ((forward(act, zp) - forward(act, zm)) * g).sum() / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_without_warnings(name, dtype):
    # pytest runs with warnings as errors, so an overflow RuntimeWarning fails here.
    z = np.array([[-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4]], dtype=dtype)
    a = forward(get_activation(name), z)
    assert a.dtype == dtype
    if name in ("sigmoid", "tanh", "softmax"):
        assert np.isfinite(a).all()
    if name == "sigmoid":
        assert a[0, 0] == 0.0 and a[0, -1] == 1.0
    if name == "softmax":
        assert a.sum() == 1.0 and a[0, -1] == 1.0  # exp underflows to exactly 0 for every other entry


def test_sigmoid_keeps_relative_precision_in_the_left_tail():
    a = forward(get_activation("sigmoid"), np.array([[-30.0]]))
    assert a[0, 0] == pytest.approx(np.exp(-30.0) / (1 + np.exp(-30.0)), rel=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_dtype_is_kept(name, dtype, rng):
    act = get_activation(name)
    z = rng.normal(size=(4, 3)).astype(dtype)
    a = forward(act, z)
    assert a.dtype == dtype
    assert act.backward_from(z=z, a=a, grad_a=np.ones_like(a), out=np.empty_like(a)).dtype == dtype


def test_softmax_jacobian_is_diag_minus_outer():
    a = np.array([0.2, 0.3, 0.5])
    expected = np.array([[0.16, -0.06, -0.1], [-0.06, 0.21, -0.15], [-0.1, -0.15, 0.25]])
    np.testing.assert_allclose(Softmax().jacobian(a), expected, atol=1e-15)


@pytest.mark.parametrize("bad", ["swish", "", None, 3, {"name": "relu", "slope": 2}])
def test_unknown_activation_is_refused(bad):
    with pytest.raises(ValueError, match="activation"):
        get_activation(bad)


@pytest.mark.parametrize("alpha", [0, -0.1, 1.0, 2.5, float("nan"), "0.1", None])
def test_leaky_relu_alpha_is_checked(alpha):
    with pytest.raises(ValueError, match="leaky_relu alpha"):
        LeakyReLU(alpha)


def test_config_round_trip():
    for name in ACTIVATIONS:
        act = get_activation(name)
        assert get_activation(act.config()) == act
    assert get_activation({"name": "leaky_relu", "alpha": 0.2}).alpha == 0.2


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.7])
def test_leaky_relu_alpha_is_used_in_forward_derivative_and_backward(alpha, rng):
    act = get_activation({"name": "leaky_relu", "alpha": alpha})
    z = rng.uniform(-3, 3, size=(6, 5))
    z[np.abs(z) < 0.1] = -0.5  # keep away from the kink
    a = forward(act, z)
    np.testing.assert_array_equal(a, np.where(z > 0, z, alpha * z))
    np.testing.assert_array_equal(act.derivative(a, out=np.empty_like(a)), np.where(z > 0, 1.0, alpha))
    h = 1e-6
    numeric = (forward(act, z + h) - forward(act, z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(a, out=np.empty_like(a)), numeric, rtol=1e-7)
    g = rng.normal(size=z.shape)
    np.testing.assert_allclose(act.backward(a, g, out=np.empty_like(a)), g * numeric, rtol=1e-7)
    assert act.config() == {"name": "leaky_relu", "alpha": alpha} and repr(act) == f"LeakyReLU(alpha={alpha!r})"


def test_equality_hash_and_repr_follow_the_options():
    acts = [get_activation(n) for n in sorted(ACTIVATIONS)] + [LeakyReLU(0.2), LeakyReLU(0.2), LeakyReLU(0.3)]
    assert len(set(acts)) == len(ACTIVATIONS) + 2
    assert LeakyReLU(0.2) == LeakyReLU(0.2) != LeakyReLU(0.3) and LeakyReLU(0.01) == get_activation("leaky_relu")
    assert Softmax() == get_activation("softmax") != get_activation("sigmoid") and Softmax() != "softmax"
    assert hash(Softmax()) == hash(Softmax()) and hash(LeakyReLU(0.2)) == hash(LeakyReLU(0.2))
    assert hash(LeakyReLU(0.2)) != hash(LeakyReLU(0.3))  # the options are hashed
    assert [repr(get_activation(n)) for n in ("relu", "softmax", "identity")] == ["ReLU()", "Softmax()", "Identity()"]
    assert get_activation(LeakyReLU(0.3)) == LeakyReLU(0.3) and get_activation(LeakyReLU(0.3)) is not LeakyReLU(0.3)


def test_softmax_derivative_is_the_jacobians_diagonal(rng):
    z = rng.normal(size=(4, 3))
    a = forward(Softmax(), z)
    d = Softmax().derivative(a, out=np.empty_like(a))
    np.testing.assert_allclose(d, [np.diag(Softmax().jacobian(row)) for row in a], rtol=1e-15)
    h = 1e-6  # and dout_k/dnet_k by central differences
    for k in range(3):
        step = np.zeros(3)
        step[k] = h
        numeric = (forward(Softmax(), z + step) - forward(Softmax(), z - step))[:, k] / (2 * h)
        np.testing.assert_allclose(d[:, k], numeric, rtol=1e-7)

"""Losses: values from hand formulas, gradients against finite differences, no log(0)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.core.activations import get_activation
from chainrule.core.losses import BinaryCrossEntropy, CategoricalCrossEntropy, SquaredError, get_loss


def act_out(name, z):
    return get_activation(name).forward(z, out=np.empty_like(z))


def test_squared_error_is_the_tutorials():
    # E_total = 1/2 (0.01 - 0.751365069552)^2 + 1/2 (0.99 - 0.772928465321)^2 = 0.298371108760
    a = np.array([[0.751365069552, 0.772928465321]])
    y = np.array([[0.01, 0.99]])
    assert SquaredError().value(a, a, y) == pytest.approx(0.298371108760, abs=1e-12)
    np.testing.assert_allclose(SquaredError().per_output(a, a, y), [[0.274811083176, 0.023560025584]], atol=1e-12)


def test_squared_error_reductions():
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    y = np.zeros((2, 2))
    # per sample, half sum: 2.5 and 17 -> sum 19.5, mean 9.75
    assert SquaredError(reduction="sum").value(a, a, y) == 19.5
    assert SquaredError(reduction="mean").value(a, a, y) == 9.75
    # mean over outputs (PyTorch MSELoss): (1 + 4 + 9 + 25) / 4 = 9.75 with mean over samples too
    assert SquaredError(output_reduction="mean").value(a, a, y) == 9.75
    assert SquaredError(reduction="sum", output_reduction="mean").value(a, a, y) == 19.5


def test_cross_entropy_value_by_hand():
    z = np.array([[0.0, np.log(3.0)]])  # softmax = [1/4, 3/4]
    y = np.array([[0.0, 1.0]])
    assert CategoricalCrossEntropy().value(act_out("softmax", z), z, y) == pytest.approx(-np.log(0.75), rel=1e-15)


def test_binary_cross_entropy_value_by_hand():
    z = np.array([[0.0, np.log(3.0)]])  # sigmoid = [1/2, 3/4]
    y = np.array([[1.0, 0.0]])
    expected = -np.log(0.5) - np.log(0.25)
    assert BinaryCrossEntropy().value(act_out("sigmoid", z), z, y) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "loss, activation",
    [("categorical_cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")],
)
def test_cross_entropies_never_take_log_zero(loss, activation):
    # The output saturates to exactly 0 or 1 in floating point, yet the loss stays finite and exact.
    z = np.array([[-1000.0, 1000.0], [800.0, -800.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    f = get_loss(loss)
    value = f.value(act_out(activation, z), z, y)
    assert np.isfinite(value)
    assert value == pytest.approx(2000.0 / 2 if loss.startswith("cat") else (1000 + 1000 + 0 + 0) / 2)


@pytest.mark.parametrize(
    "loss, activation",
    [
        ("squared_error", "sigmoid"), ("squared_error", "tanh"), ("squared_error", "softmax"),
        ("squared_error", "identity"), ("categorical_cross_entropy", "softmax"),
        ("binary_cross_entropy", "sigmoid"),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_output_delta_matches_finite_differences(loss, activation, reduction, rng):
    f = get_loss({"name": loss, "reduction": reduction})
    z = rng.normal(size=(5, 3))
    y = np.eye(3)[rng.integers(0, 3, 5)] if loss.startswith("cat") else rng.uniform(0.1, 0.9, size=(5, 3))
    act = get_activation(activation)
    a = act_out(activation, z)
    delta = np.empty_like(z)
    value = f.value_and_delta(a, z, y, act, out=delta)
    assert value == pytest.approx(f.value(a, z, y), rel=1e-13)
    numeric = np.empty_like(z)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = (f.value(act_out(activation, zp), zp, y) - f.value(act_out(activation, zm), zm, y)) / (2 * h)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", ["squared_error", "categorical_cross_entropy", "binary_cross_entropy"])
def test_float32_stays_float32(loss, rng):
    act = {"categorical_cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, "sigmoid")
    z = rng.normal(size=(4, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    a = act_out(act, z)
    delta = np.empty_like(z)
    get_loss(loss).value_and_delta(a, z, y, get_activation(act), out=delta)
    assert delta.dtype == np.float32


@pytest.mark.parametrize("bad", ["hinge", None, 1, ""])
def test_unknown_loss_is_refused(bad):
    with pytest.raises(ValueError, match="loss"):
        get_loss(bad)


@pytest.mark.parametrize("bad", ["avg", None, "none"])
def test_bad_reduction_is_refused(bad):
    with pytest.raises(ValueError, match="reduction"):
        SquaredError(reduction=bad)
    with pytest.raises(ValueError, match="output_reduction"):
        SquaredError(output_reduction=bad)


def test_aliases():
    assert isinstance(get_loss("cross_entropy"), CategoricalCrossEntropy)
    assert isinstance(get_loss("mse"), SquaredError)
    assert isinstance(get_loss("bce"), BinaryCrossEntropy)

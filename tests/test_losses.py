"""Losses: values from hand formulas, gradients against finite differences, no log(0)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.core.activations import get_activation
from chainrule.core.losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss, SquaredError, get_loss


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
    # Each sample's error is 2000 for the first and 0 for the second, exactly: the mean is 1000.
    assert value == 1000.0


def finite_difference_delta(f, activation, z, y, h=1e-6):
    """dE/dz by central differences of the loss's value."""
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = (f.value(act_out(activation, zp), zp, y) - f.value(act_out(activation, zm), zm, y)) / (2 * h)
    return numeric


@pytest.mark.parametrize(
    "loss, activation",
    [
        ("squared_error", "sigmoid"),
        ("squared_error", "tanh"),
        ("squared_error", "softmax"),
        ("squared_error", "identity"),
        ("squared_error/mean", "sigmoid"),
        ("squared_error/mean", "identity"),
        ("squared_error/mean", "softmax"),
        ("categorical_cross_entropy", "softmax"),
        ("binary_cross_entropy", "sigmoid"),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_output_delta_matches_finite_differences(loss, activation, reduction, rng):
    name, _, output_reduction = loss.partition("/")
    f = get_loss(
        {"name": name, "reduction": reduction, **({"output_reduction": output_reduction} if output_reduction else {})}
    )
    z = rng.normal(size=(5, 3))
    y = np.eye(3)[rng.integers(0, 3, 5)] if loss.startswith("cat") else rng.uniform(0.1, 0.9, size=(5, 3))
    act = get_activation(activation)
    a = act_out(activation, z)
    delta = np.empty_like(z)
    value = f.value_and_delta(a, z, y, act, out=delta)
    assert value == pytest.approx(f.value(a, z, y), rel=1e-13)
    np.testing.assert_allclose(delta, finite_difference_delta(f, activation, z, y), rtol=1e-6, atol=1e-9)
    # The unfused chain rule (what the trace shows): dE/da from gradient(), then the activation's backward.
    unfused = get_activation(activation).backward(a, f.gradient(a, y), out=np.empty_like(a))
    np.testing.assert_allclose(unfused, delta, rtol=1e-9, atol=1e-12)


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


# Targets whose rows do not sum to 1 (accepted by check_targets: values in [0, 1] are all it asks).
# A row summing to t weighs like a probability row of weight t; an all-zero row contributes nothing.
UNNORMALISED = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [1.0, 1.0, 0.0], [0.2, 0.3, 0.1], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_with_targets_not_summing_to_one(reduction, rng):
    f = CategoricalCrossEntropy(reduction=reduction)
    z = rng.normal(size=UNNORMALISED.shape)
    a = act_out("softmax", z)
    y = UNNORMALISED
    f.check_targets(y)  # accepted
    per_sample = -(y * np.log(a)).sum(axis=1)  # by the definition, from the probabilities themselves
    scale = 1 / len(y) if reduction == "mean" else 1.0
    delta = np.empty_like(z)
    value = f.value_and_delta(a, z, y, get_activation("softmax"), out=delta)
    assert value == pytest.approx(per_sample.sum() * scale, rel=1e-13)
    assert f.value(a, z, y) == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(f.per_output(a, z, y).sum(axis=1), per_sample, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(delta, finite_difference_delta(f, "softmax", z, y), rtol=1e-6, atol=1e-9)
    # The closed form: a * sum(y) - y per row (not a - y, which holds only for rows summing to 1).
    np.testing.assert_allclose(delta, (a * y.sum(axis=1, keepdims=True) - y) * scale, rtol=1e-13, atol=1e-16)
    assert np.all(delta[0] == 0.0)  # the all-zero row
    unfused = get_activation("softmax").backward(a, f.gradient(a, y), out=np.empty_like(a))
    np.testing.assert_allclose(unfused, delta, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "loss",
    [
        {"name": "squared_error"},
        {"name": "squared_error", "output_reduction": "mean"},
        {"name": "categorical_cross_entropy"},
        {"name": "binary_cross_entropy"},
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_rows_of_a_larger_batch_scale_value_and_delta(loss, reduction, rng):
    # Data-parallel training: each process holds n of the batch's N rows and divides by N.
    f = get_loss({**loss, "reduction": reduction})
    activation = f.requires_activation or "tanh"
    z = rng.normal(size=(4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    a = act_out(activation, z)
    whole, part = np.empty_like(z), np.empty_like(z)
    value = f.value_and_delta(a, z, y, get_activation(activation), out=whole)
    value_part = f.value_and_delta(a, z, y, get_activation(activation), out=part, rows=12)
    factor = 4 / 12 if reduction == "mean" else 1.0
    assert value_part == pytest.approx(value * factor, rel=1e-14)
    np.testing.assert_allclose(part, whole * factor, rtol=1e-14)
    weighted = f.weighted_value(a, z, y, np.array([1.0, 0.0, 2.0, 0.5]), rows=12)
    per_sample = f.per_output(a, z, y).sum(axis=1)
    assert weighted == pytest.approx(
        (per_sample[0] + 2 * per_sample[2] + 0.5 * per_sample[3]) * (1 / 12 if reduction == "mean" else 1.0), rel=1e-14
    )
    assert f.weighted_value(a, z, y, np.ones(4)) == pytest.approx(value, rel=1e-14)


class HalfSquares(Loss):
    """A user's loss that defines only per_output and gradient: the base class does the rest."""

    name = "half_squares"

    def per_output(self, a, z, y):
        return 0.5 * (a - y) ** 2

    def gradient(self, a, y):
        return (a - y) * self._scale(a.shape[0])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("activation", ["tanh", "softmax"])
def test_a_loss_defining_only_its_gradient_gets_the_chain_rule_from_the_base_class(reduction, activation, rng):
    f = HalfSquares(reduction=reduction)
    z = rng.normal(size=(5, 3))
    y = rng.uniform(size=(5, 3))
    a = act_out(activation, z)
    delta = np.empty_like(z)
    value = f.value_and_delta(a, z, y, get_activation(activation), out=delta)
    assert value == pytest.approx(SquaredError(reduction=reduction).value(a, z, y), rel=1e-14)
    np.testing.assert_allclose(delta, finite_difference_delta(f, activation, z, y), rtol=1e-6, atol=1e-9)
    part = np.empty_like(z)
    assert f.value_and_delta(a, z, y, get_activation(activation), out=part, rows=10) == pytest.approx(
        value * (5 / 10 if reduction == "mean" else 1.0), rel=1e-14
    )
    np.testing.assert_allclose(part, delta * (5 / 10 if reduction == "mean" else 1.0), rtol=1e-13)
    assert repr(f) == f"HalfSquares(reduction={reduction!r})" and f.config() == {
        "name": "half_squares",
        "reduction": reduction,
    }


@pytest.mark.parametrize(
    "loss, activation", [("categorical_cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]
)
@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_cross_entropy_targets_outside_zero_one_are_refused(loss, activation, bad):
    y = np.array([[0.0, 1.0], [bad, 0.0]])
    with pytest.raises(ValueError, match=rf"Y: expected values in \[0, 1\] for loss '{loss}'"):
        get_loss(loss).check_targets(y)
    SquaredError().check_targets(y)  # any finite number is a squared error's target


def test_equality_and_hash_follow_the_options():
    assert SquaredError(output_reduction="mean") == get_loss({"name": "mse", "output_reduction": "mean"})
    assert SquaredError() != SquaredError(output_reduction="mean") and SquaredError() != SquaredError("sum")
    assert CategoricalCrossEntropy() != BinaryCrossEntropy() and SquaredError() != "squared_error"
    assert len({SquaredError(), SquaredError(), SquaredError("sum"), CategoricalCrossEntropy()}) == 3
    assert hash(SquaredError()) == hash(SquaredError()) != hash(SquaredError("sum"))  # the options are hashed
    assert repr(SquaredError("sum", "mean")) == "SquaredError(reduction='sum', output_reduction='mean')"
    assert get_loss(SquaredError("sum", "mean")) == SquaredError("sum", "mean")
    assert get_loss(SquaredError("sum")) is not get_loss(SquaredError("sum"))


class LogitHalfSquares(Loss):
    """A user's loss written on the logits z (for an identity output, where a = z)."""

    name = "logit_half_squares"

    def per_output(self, a, z, y):
        return 0.5 * (z - y) ** 2

    def gradient(self, a, y):
        return (a - y) * self._scale(a.shape[0])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_base_chain_rule_passes_the_logits_and_scales_by_the_whole_batch(reduction, rng):
    f = LogitHalfSquares(reduction=reduction)
    z = rng.normal(size=(2, 4))  # as many outputs as the whole batch has rows, below
    y = rng.uniform(size=(2, 4))
    part = np.empty_like(z)
    value = f.value_and_delta(z, z, y, get_activation("identity"), out=part, rows=4)
    share = 1 / 4 if reduction == "mean" else 1.0
    assert value == pytest.approx(0.5 * ((z - y) ** 2).sum() * share, rel=1e-14)
    np.testing.assert_allclose(part, (z - y) * share, rtol=1e-14)


def test_unfused_gradients_at_saturated_outputs_are_finite_and_keep_the_dtype():
    # The trace shows dE/dout even where an output saturated to exactly 0 or 1: no warning, no nan
    # where the target is 0 (its term is absent), and the network's dtype.
    for dtype in (np.float32, np.float64):
        a = np.array([[0.0, 1.0, 0.0], [0.25, 0.25, 0.5]], dtype=dtype)
        y = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]], dtype=dtype)
        g = CategoricalCrossEntropy().gradient(a, y)
        assert g.dtype == dtype
        np.testing.assert_array_equal(g, np.array([[0.0, -1.0, 0.0], [0.0, -2.0, -1.0]], dtype=dtype) / 2)  # -y / a / n
        assert not np.signbit(g[0, 0]) and not np.signbit(g[1, 0])  # exactly +0, not -0
        b = BinaryCrossEntropy().gradient(np.array([[0.0, 1.0]], dtype=dtype), np.array([[1.0, 0.0]], dtype=dtype))
        assert b.dtype == dtype and np.isinf(b).all()  # -1/0 and 1/0: the division the fused delta avoids
        # Where the target is positive and the output 0, dE/dout = -y/a is -inf: said so, without a warning.
        c = CategoricalCrossEntropy().gradient(np.array([[0.0, 1.0]], dtype=dtype), np.array([[0.5, 0.5]], dtype=dtype))
        assert c[0, 0] == -np.inf and c[0, 1] == -0.5
        # A saturated output whose target agrees (a = y = 0): 0/0, undefined, shown as nan without a warning.
        assert np.isnan(
            BinaryCrossEntropy().gradient(np.zeros((1, 1), dtype=dtype), np.zeros((1, 1), dtype=dtype))
        ).all()

"""Metrics, unweighted and weighted, against scikit-learn's own implementations."""

from __future__ import annotations

import numpy as np
import pytest

import needs

sk = needs.module("sklearn.metrics")

from chainrule import Network
from chainrule.core.metrics import (
    METRICS,
    Metric,
    accuracy,
    get_metric,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
)

REGRESSION = {
    "mse": (mean_squared_error, sk.mean_squared_error),
    "mae": (mean_absolute_error, sk.mean_absolute_error),
    "r2": (r2_score, sk.r2_score),
}


def regression_data(n, m, seed):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=(n, m)) * rng.uniform(0.5, 3, size=m) + rng.normal(size=m)
    # Errors of varied size, a few of them large, so that a max, a median or a squared error differs from a mean.
    y_pred = y_true + rng.standard_t(3, size=(n, m)) * 0.4
    return y_true, y_pred


def weights(n, seed, zeros=True):
    w = np.random.default_rng(seed + 100).uniform(0.1, 5.0, size=n)
    if zeros:
        w[::7] = 0.0  # zero-weight rows must not count at all
    return w


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("seed", range(3))
def test_regression_metrics_match_sklearn(name, m, seed):
    ours, theirs = REGRESSION[name]
    y_true, y_pred = regression_data(40, m, seed)
    assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-12, abs=1e-15)
    w = weights(40, seed)
    weighted = ours(y_true, y_pred, w)
    assert weighted == pytest.approx(theirs(y_true, y_pred, sample_weight=w), rel=1e-12, abs=1e-15)
    # The weights change the number: a metric that ignored them would give the unweighted value.
    assert abs(weighted - ours(y_true, y_pred)) > 1e-6


@pytest.mark.parametrize("m", [1, 3])
def test_regression_metrics_of_float32_inputs_match_sklearn(m):
    y_true, y_pred = (a.astype(np.float32) for a in regression_data(30, m, 7))
    w = weights(30, 7).astype(np.float32)
    for name, (ours, theirs) in REGRESSION.items():
        got = ours(y_true, y_pred, w)
        assert isinstance(got, float)
        assert got == pytest.approx(theirs(y_true, y_pred, sample_weight=w), rel=1e-5), name


def test_r2_of_a_constant_target_follows_sklearn():
    # sklearn (force_finite=True): a constant output scores 1 when predicted exactly, else 0.
    y_true = np.column_stack([np.full(6, 2.0), np.arange(6.0)])
    for y_pred in (y_true.copy(), y_true + np.array([[0.5, 0.0]]), y_true + 0.25):
        for w in (None, weights(6, 1, zeros=False)):
            assert r2_score(y_true, y_pred, w) == pytest.approx(
                sk.r2_score(y_true, y_pred, sample_weight=w), rel=1e-12, abs=1e-15
            )


def test_r2_is_the_mean_over_outputs_of_each_outputs_r2():
    y_true, y_pred = regression_data(25, 3, 4)
    per_output = sk.r2_score(y_true, y_pred, multioutput="raw_values")
    assert len(set(np.round(per_output, 6))) == 3  # different per output, so the averaging shows
    assert r2_score(y_true, y_pred) == pytest.approx(per_output.mean(), rel=1e-12)


def classification_data(n, k, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    y_true = np.eye(k)[labels]
    logits = rng.normal(size=(n, k)) + 1.5 * y_true  # right more often than not, not always
    y_pred = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, y_pred


@pytest.mark.parametrize("seed", range(3))
def test_accuracy_of_several_outputs_is_sklearns_accuracy_of_the_argmax(seed):
    y_true, y_pred = classification_data(50, 4, seed)
    t, p = y_true.argmax(axis=1), y_pred.argmax(axis=1)
    assert 0.3 < accuracy(y_true, y_pred) < 0.95
    assert accuracy(y_true, y_pred) == pytest.approx(sk.accuracy_score(t, p), rel=1e-15)
    w = weights(50, seed)
    assert accuracy(y_true, y_pred, w) == pytest.approx(sk.accuracy_score(t, p, sample_weight=w), rel=1e-12)
    assert accuracy(y_true, y_pred, w) != pytest.approx(accuracy(y_true, y_pred), abs=1e-6)


def test_accuracy_of_one_output_thresholds_at_one_half():
    y_true = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0], [1.0]])
    y_pred = np.array([[0.2], [0.5], [0.49], [0.5], [0.99], [0.51], [0.7]])  # 0.5 counts as class 1
    t, p = y_true[:, 0] >= 0.5, y_pred[:, 0] >= 0.5
    assert p.tolist() == [False, True, False, True, True, True, True]
    assert accuracy(y_true, y_pred) == sk.accuracy_score(t, p) == 4 / 7
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    assert accuracy(y_true, y_pred, w) == pytest.approx(sk.accuracy_score(t, p, sample_weight=w), rel=1e-15)
    assert accuracy(y_true, y_pred, w) == pytest.approx((1 + 2 + 5 + 7) / 28, rel=1e-15)


def test_registry_names_and_directions():
    # higher_is_better tells early stopping which way is an improvement (sklearn's scorers: greater_is_better).
    assert {name: (m.function, m.higher_is_better) for name, m in METRICS.items()} == {
        "accuracy": (accuracy, True),
        "mse": (mean_squared_error, False),
        "mae": (mean_absolute_error, False),
        "r2": (r2_score, True),
    }
    for name, metric in METRICS.items():
        assert get_metric(name) is metric and metric.name == name and repr(metric) == f"Metric({name!r})"
    custom = Metric("max_error", lambda t, p, w=None: float(np.max(np.abs(t - p))), False)
    assert get_metric(custom) is custom
    y_true, y_pred = regression_data(10, 2, 0)
    assert custom(y_true, y_pred) == pytest.approx(sk.max_error(y_true.ravel(), y_pred.ravel()))
    assert METRICS["mae"](y_true, y_pred, weights(10, 0)) == mean_absolute_error(y_true, y_pred, weights(10, 0))


@pytest.mark.parametrize("bad", ["rmse", "", None, 3, ["mse"]])
def test_unknown_metric_is_refused(bad):
    with pytest.raises(ValueError) as err:
        get_metric(bad)
    assert (
        str(err.value) == f"metrics: expected names from ['accuracy', 'mae', 'mse', 'r2'] or Metric objects, "
        f"received: {bad!r}"
    )


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_evaluate_with_sample_weights_matches_sklearn(reduction):
    rng = np.random.default_rng(3)
    net = Network.from_sizes(
        [3, 5, 2], "tanh", output_activation="identity", loss={"name": "squared_error", "reduction": reduction}, seed=0
    )
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    w = weights(30, 3)
    logs = net.evaluate(X, Y, metrics=["mse", "mae", "r2"], sample_weight=w)
    P = net.predict(X)
    per_sample = 0.5 * ((P - Y) ** 2).sum(axis=1)  # the tutorial's half sum over outputs
    assert logs["loss"] == pytest.approx(np.dot(w, per_sample) / (30 if reduction == "mean" else 1), rel=1e-12)
    assert logs["mse"] == pytest.approx(sk.mean_squared_error(Y, P, sample_weight=w), rel=1e-12)
    assert logs["mae"] == pytest.approx(sk.mean_absolute_error(Y, P, sample_weight=w), rel=1e-12)
    assert logs["r2"] == pytest.approx(sk.r2_score(Y, P, sample_weight=w), rel=1e-12)
    unweighted = net.evaluate(X, Y, metrics="mae", prefix="val_")
    assert unweighted == {
        "val_loss": pytest.approx(per_sample.sum() / (30 if reduction == "mean" else 1), rel=1e-12),
        "val_mae": pytest.approx(sk.mean_absolute_error(Y, P), rel=1e-12),
    }


def test_r2_of_targets_with_small_variance_matches_sklearn():
    # Sums of squares below 1 (small units): the constant-target rule must not kick in.
    y_true, y_pred = regression_data(12, 2, 5)
    y_true, y_pred = y_true * 0.01, y_pred * 0.01
    for w in (None, weights(12, 5, zeros=False)):
        assert r2_score(y_true, y_pred, w) == pytest.approx(sk.r2_score(y_true, y_pred, sample_weight=w), rel=1e-12)


def test_a_one_output_target_of_one_half_is_class_one():
    # As for predictions, 0.5 is on the positive side (soft targets may sit exactly there).
    y_true = np.array([[0.5], [0.5], [0.0]])
    y_pred = np.array([[0.9], [0.8], [0.2]])
    assert accuracy(y_true, y_pred) == sk.accuracy_score([1, 1, 0], [1, 1, 0]) == 1.0

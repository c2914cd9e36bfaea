"""The estimators against scikit-learn's own MLPs: the same hyperparameters give the same weights.

scikit-learn is the independent reference here: with the same ``random_state``
both draw the same initial weights, validation split and batch order, so every
difference left is floating-point rounding (the products are grouped
differently: ``(X^T delta + alpha W) / n`` there, ``X^T (delta / n) + (alpha / n) W`` here).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import needs

needs.module("sklearn")

from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from chainrule import Network
from chainrule.core.initializers import INITIALIZERS, sklearn_initial_parameters
from chainrule.core.penalty import add_l2_penalty, l2_penalty_value
from chainrule.optim import MLPSGD, MLPAdam
from chainrule.sklearn import NetworkClassifier, NetworkRegressor, from_sklearn
from chainrule.training import ConvergenceRule

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[:300], y[:300]


def _pair(ours, theirs, X, y, **params):
    a = theirs(**params).fit(X, y)
    b = ours(**params).fit(X, y)
    return a, b


def _max_difference(a, b) -> float:
    return max(float(np.abs(p - q).max()) for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_))


def _assert_same_fit(a, b, tol=1e-12):
    assert len(b.coefs_) == len(a.coefs_)
    assert [c.shape for c in b.coefs_] == [c.shape for c in a.coefs_]
    assert [c.shape for c in b.intercepts_] == [c.shape for c in a.intercepts_]
    assert _max_difference(a, b) < tol
    assert b.n_iter_ == a.n_iter_ and b.t_ == a.t_
    np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-12, atol=1e-14)
    assert b.loss_ == pytest.approx(a.loss_, rel=1e-12)


# -- the strongest test: k iterations, weight for weight --------------------------------------------
SGD_CASES = [
    dict(momentum=0.0),
    dict(momentum=0.9, nesterovs_momentum=False),
    dict(momentum=0.9, nesterovs_momentum=True),
    dict(learning_rate="invscaling", learning_rate_init=0.2, power_t=0.5),
    dict(learning_rate="adaptive", learning_rate_init=0.1, tol=0.05, n_iter_no_change=1),
]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("case", SGD_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_sgd_weights_equal_sklearns_after_k_iterations(iris, case, shuffle):
    X, y = iris
    a, b = _pair(
        NetworkClassifier,
        MLPClassifier,
        X,
        y,
        hidden_layer_sizes=(7, 5),
        solver="sgd",
        alpha=0.01,
        batch_size=16,
        max_iter=12,
        shuffle=shuffle,
        random_state=3,
        **{"learning_rate_init": 0.05, **case},
    )
    _assert_same_fit(a, b)
    if case.get("learning_rate") == "adaptive":
        # The adaptive rate was divided (tol is large): the same number of times in both.
        assert b._optimizer.learning_rate == pytest.approx(a._optimizer.learning_rate, rel=1e-15)
        assert b._optimizer.learning_rate < 0.1


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_adam_weights_equal_sklearns_after_k_iterations(iris, activation, shuffle):
    X, y = iris
    a, b = _pair(
        NetworkClassifier,
        MLPClassifier,
        X,
        y,
        hidden_layer_sizes=(9,),
        activation=activation,
        alpha=0.3,
        batch_size=20,
        max_iter=15,
        shuffle=shuffle,
        random_state=0,
        beta_1=0.8,
        beta_2=0.99,
        epsilon=1e-5,
        learning_rate_init=0.01,
    )
    _assert_same_fit(a, b)


def test_adam_epsilon_is_outside_the_bias_correction():
    """One step by hand: sklearn's epsilon is added to sqrt(v), torch's to sqrt(v / (1 - beta2^t))."""
    net = Network.from_sizes([1, 1], "identity", seed=0)
    param = net.flat_parameter()
    param.value[:] = 0.0
    param.grad[:] = [1e-3, 0.0]
    MLPAdam([param], 0.1, epsilon=1e-3).step()
    # m = 0.1 g, v = 0.001 g^2; lr_t = 0.1 sqrt(0.001) / 0.1; update = -lr_t m / (sqrt(v) + eps)
    g = 1e-3
    expected = -0.1 * math.sqrt(0.001) / 0.1 * (0.1 * g) / (math.sqrt(0.001) * g + 1e-3)
    assert param.value[0] == pytest.approx(expected, rel=1e-14)
    torch_style = -0.1 / 0.1 * (0.1 * g) / (g + 1e-3)
    assert abs(expected - torch_style) > 0.1 * abs(expected)


def test_sgd_velocity_keeps_the_rate_it_was_made_with():
    """sklearn's velocity v = mu v - lr g: after a rate change the old steps keep the old rate."""
    net = Network.from_sizes([1, 1], "identity", seed=0)
    param = net.flat_parameter()
    param.value[:] = 0.0
    opt = MLPSGD([param], 1.0, momentum=0.5, nesterov=False)
    param.grad[:] = 1.0
    opt.step()  # v = -1, w = -1
    opt.learning_rate = 0.1
    opt.step()  # v = -0.5 - 0.1 = -0.6, w = -1.6
    assert param.value.tolist() == pytest.approx([-1.6, -1.6], abs=1e-15)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_binary_and_early_stopping_give_sklearns_n_iter_and_best_weights(cancer, activation):
    X, y = cancer
    a, b = _pair(
        NetworkClassifier,
        MLPClassifier,
        X,
        y,
        hidden_layer_sizes=(15,),
        activation=activation,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=4,
        tol=1e-3,
        max_iter=300,
        learning_rate_init=0.01,
        random_state=5,
    )
    assert a.n_iter_ < 300  # early stopping triggered
    _assert_same_fit(a, b)
    np.testing.assert_allclose(b.validation_scores_, a.validation_scores_, rtol=0, atol=0)
    assert b.best_validation_score_ == a.best_validation_score_ and b.best_loss_ is a.best_loss_ is None
    # The restored weights are the best epoch's, not the last: predictions agree.
    np.testing.assert_array_equal(b.predict(X), a.predict(X))


def test_training_loss_rule_gives_sklearns_n_iter(iris):
    X, y = iris
    a, b = _pair(
        NetworkClassifier,
        MLPClassifier,
        X,
        y,
        hidden_layer_sizes=(6,),
        tol=1e-2,
        n_iter_no_change=3,
        max_iter=500,
        learning_rate_init=0.05,
        random_state=2,
    )
    assert a.n_iter_ < 500
    _assert_same_fit(a, b)
    assert b.best_loss_ == pytest.approx(a.best_loss_, rel=1e-13)


def test_multiclass_split_and_convergence_warning():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16, y[:400]
    params = dict(hidden_layer_sizes=(20,), max_iter=8, early_stopping=True, random_state=1, batch_size=50)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        a = MLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(8\) reached"):
        b = NetworkClassifier(**params).fit(X, y)
    _assert_same_fit(a, b)
    assert b.validation_scores_ == a.validation_scores_


def test_multilabel_and_multi_output_regression_follow_sklearns_loss():
    X, Y = make_multilabel_classification(n_samples=150, n_features=5, n_classes=3, random_state=0)
    a, b = _pair(
        NetworkClassifier,
        MLPClassifier,
        X,
        Y,
        hidden_layer_sizes=(8,),
        max_iter=20,
        random_state=0,
        early_stopping=True,
        n_iter_no_change=3,
    )
    _assert_same_fit(a, b)
    assert b.validation_scores_ == a.validation_scores_  # subset accuracy, as sklearn's score
    Xr, Yr = make_regression(n_samples=120, n_features=4, n_targets=3, random_state=0)
    Yr = Yr / 100
    # scikit-learn reports the mean over the 3 outputs (plus the penalty): the network trains on the sum.
    a, b = _pair(
        NetworkRegressor,
        MLPRegressor,
        Xr,
        Yr,
        hidden_layer_sizes=(8,),
        alpha=0.5,
        max_iter=40,
        random_state=0,
        batch_size=25,
    )
    _assert_same_fit(a, b)
    a, b = _pair(
        NetworkRegressor,
        MLPRegressor,
        Xr,
        Yr[:, 0],
        hidden_layer_sizes=(8,),
        max_iter=200,
        random_state=0,
        early_stopping=True,
        tol=1e-3,
    )
    _assert_same_fit(a, b)
    assert b.predict(Xr).shape == a.predict(Xr).shape == (120,)


def test_float32_stays_float32_and_matches(iris):
    X, y = iris
    X = X.astype(np.float32)
    a, b = _pair(NetworkClassifier, MLPClassifier, X, y, hidden_layer_sizes=(6,), max_iter=10, random_state=0)
    assert b.network_.dtype == np.float32 and b.coefs_[0].dtype == a.coefs_[0].dtype == np.float32
    assert _max_difference(a, b) < 1e-5


def test_lbfgs_matches_sklearn(cancer):
    X, y = cancer
    a, b = _pair(
        NetworkClassifier,
        MLPClassifier,
        X,
        y,
        solver="lbfgs",
        hidden_layer_sizes=(5,),
        max_iter=25,
        alpha=0.1,
        random_state=0,
    )
    assert b.n_iter_ == a.n_iter_
    assert b.loss_ == pytest.approx(a.loss_, rel=1e-8)
    assert _max_difference(a, b) < 1e-8


def test_warm_start_and_partial_fit_continue_as_sklearn(iris):
    X, y = iris
    params = dict(hidden_layer_sizes=(5,), max_iter=4, random_state=0, warm_start=True, batch_size=30)
    a, b = MLPClassifier(**params), NetworkClassifier(**params)
    for _ in range(3):
        a.fit(X, y)
        b.fit(X, y)
    _assert_same_fit(a, b)
    a, b = (
        MLPClassifier(hidden_layer_sizes=(5,), random_state=0),
        NetworkClassifier(hidden_layer_sizes=(5,), random_state=0),
    )
    for _ in range(3):
        a.partial_fit(X, y, classes=np.unique(y))
        b.partial_fit(X, y, classes=np.unique(y))
    _assert_same_fit(a, b)
    with pytest.raises(ValueError, match="early_stopping"):
        NetworkClassifier(early_stopping=True).partial_fit(X, y, classes=np.unique(y))


# -- the penalty, the initialisation, the rule on their own ------------------------------------------
def test_l2_penalty_against_finite_differences():
    rng = np.random.default_rng(0)
    net = Network.from_sizes([3, 4, 2], ["tanh", "identity"], seed=1)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    alpha, n = 0.7, 6

    def penalised(values):
        np.copyto(net.buffer.values, values)
        return net.loss(X, Y) + l2_penalty_value(net, alpha, n)

    base = net.buffer.values.copy()
    net.loss_and_gradients(X, Y)
    value = net.loss(X, Y) + add_l2_penalty(net, alpha, n)
    analytic = net.buffer.gradients.copy()
    assert value == pytest.approx(penalised(base), rel=1e-14)
    numeric = np.empty_like(base)
    for i in range(base.size):
        step = np.zeros_like(base)
        step[i] = 1e-6
        numeric[i] = (penalised(base + step) - penalised(base - step)) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    # Biases carry no penalty: their gradient is the loss's alone.
    np.copyto(net.buffer.values, base)
    net.loss_and_gradients(X, Y)
    np.testing.assert_array_equal(analytic[net.layers[0].bias.offset : net.layers[0].bias.offset + 4], net.layers[0].db)


def test_fit_l2_divides_by_the_batch_rows():
    """Network.fit(l2=...) is scikit-learn's alpha: the same updates as MLPSGD with the penalty by hand."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(10, 2)), rng.normal(size=(10, 1))
    net = Network.from_sizes([2, 3, 1], ["relu", "identity"], seed=0)
    twin = net.copy()
    net.fit(X, Y, optimizer=MLPSGD(None, 0.1, momentum=0.0), epochs=1, batch_size=4, shuffle=False, l2=2.0)
    opt = MLPSGD([twin.flat_parameter()], 0.1, momentum=0.0)
    for start in range(0, 10, 4):
        Xb, Yb = X[start : start + 4], Y[start : start + 4]
        twin.loss_and_gradients(Xb, Yb)
        for layer in twin.layers:
            layer.weight.grad += 2.0 * layer.W / len(Xb)
        opt.step()
    np.testing.assert_allclose(net.buffer.values, twin.buffer.values, rtol=1e-14, atol=1e-15)


def test_sklearn_initialisation_is_sklearns():
    sizes = [4, 7, 3]
    for activation, factor in (("relu", 6.0), ("logistic", 2.0)):
        mine = sklearn_initial_parameters(sizes, activation, np.random.RandomState(11), np.float64)
        rs = np.random.RandomState(11)
        for (W, b), (fan_in, fan_out) in zip(mine, itertools.pairwise(sizes)):
            bound = np.sqrt(factor / (fan_in + fan_out))
            np.testing.assert_array_equal(W, rs.uniform(-bound, bound, (fan_in, fan_out)))
            np.testing.assert_array_equal(b, rs.uniform(-bound, bound, fan_out))
    W = INITIALIZERS["sklearn_uniform_logistic"]((300, 100), np.random.default_rng(0), np.float64)
    assert np.abs(W).max() <= np.sqrt(2 / 400) and W.var() == pytest.approx(2 / 400 / 3, rel=0.03)
    # The estimators start from sklearn's weights and biases, biases included.
    X, y = load_iris(return_X_y=True)
    clf = NetworkClassifier(hidden_layer_sizes=(7,), max_iter=1, learning_rate_init=1e-300, random_state=11)
    clf.fit(X, y)
    start = sklearn_initial_parameters([4, 7, 3], "relu", np.random.RandomState(11), np.float64)
    np.testing.assert_allclose(clf.intercepts_[0], start[0][1], rtol=0, atol=1e-290)


def test_batch_order_is_sklearns_shuffle():
    from sklearn.utils import shuffle

    from chainrule.sklearn._base import _SklearnOrder

    ours, theirs = _SklearnOrder(np.random.RandomState(4), 50), np.random.RandomState(4)
    expected = np.arange(50)
    for epoch in range(1, 6):
        expected = shuffle(expected, random_state=theirs)
        np.testing.assert_array_equal(ours(epoch, 50), expected)


def test_convergence_rule_counts_as_sklearn():
    class Loop:
        n_train = 10
        stop_training = False

        class optimizer:
            learning_rate = initial_learning_rate = 0.1

    rule = ConvergenceRule(tol=0.1, n_iter_no_change=2, learning_rate="adaptive")
    loop = Loop()
    for loss in (1.0, 0.95, 0.92, 0.91):  # improvements smaller than tol from the second epoch on
        rule.on_epoch_end(loop, 1, {"loss": loss})
    # count 1, 2, 3 > 2: the adaptive rate is divided by 5 and the count restarts.
    assert loop.optimizer.learning_rate == pytest.approx(0.02) and rule.n_no_improvement == 0
    assert not loop.stop_training and rule.best_loss == 0.91 and rule.samples_seen == 40
    with pytest.raises(ValueError, match="n_iter_no_change"):
        ConvergenceRule(n_iter_no_change=0)
    with pytest.raises(ValueError, match="learning_rate"):
        ConvergenceRule(learning_rate="cosine")


# -- from_sklearn ----------------------------------------------------------------------------------------
def _targets(task):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    if task == "binary":
        return X, np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    if task == "multiclass":
        return X, np.digitize(X[:, 0], [-0.5, 0.5])
    if task == "multilabel":
        return X, (X[:, :3] > 0).astype(int)
    if task == "regression":
        return X, X @ [1.0, -2.0, 0.5, 0.0]
    return X, np.c_[X @ [1.0, -2.0, 0.5, 0.0], X[:, 0] * X[:, 1]]


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "regression", "multi_output"])
def test_from_sklearn_predicts_identically(task, activation):
    X, y = _targets(task)
    cls = MLPRegressor if task in ("regression", "multi_output") else MLPClassifier
    mlp = cls(hidden_layer_sizes=(6, 5), activation=activation, max_iter=30, random_state=0).fit(X, y)
    ours = from_sklearn(mlp)
    assert type(ours).__name__ == ("NetworkRegressor" if cls is MLPRegressor else "NetworkClassifier")
    if cls is MLPClassifier:
        np.testing.assert_array_equal(ours.predict(X), mlp.predict(X))
        np.testing.assert_allclose(ours.predict_proba(X), mlp.predict_proba(X), rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(ours.classes_, mlp.classes_)
    else:  # real numbers: the same to rounding (the products may be summed in another order)
        np.testing.assert_allclose(ours.predict(X), mlp.predict(X), rtol=1e-14, atol=1e-14)
    assert ours.n_layers_ == mlp.n_layers_ and ours.n_outputs_ == mlp.n_outputs_
    assert ours.out_activation_ == mlp.out_activation_ and ours.n_iter_ == mlp.n_iter_
    assert ours.loss_curve_ == mlp.loss_curve_ and ours.t_ == mlp.t_
    assert isinstance(ours.network_, Network)


def test_from_sklearn_keeps_feature_names_and_refuses_other_models():
    pd = needs.module("pandas")
    X, y = _targets("binary")
    frame = pd.DataFrame(X, columns=list("abcd"))
    mlp = MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(frame, y)
    ours = from_sklearn(mlp)
    assert list(ours.feature_names_in_) == list("abcd")
    np.testing.assert_array_equal(ours.predict(frame), mlp.predict(frame))
    with pytest.raises(ValueError, match=r"mlp: expected a fitted sklearn\.neural_network\.MLPClassifier"):
        from_sklearn(object())


# -- class_weight and the refusals ---------------------------------------------------------------------------
def test_class_weight_is_sample_weight(iris):
    X, y = iris
    from sklearn.utils.class_weight import compute_sample_weight

    params = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, batch_size=None)
    keep = np.r_[0:50, 50:70, 100:150]
    Xs, ys = X[keep], y[keep]
    balanced = NetworkClassifier(class_weight="balanced", **params).fit(Xs, ys)
    weighted = NetworkClassifier(**params).fit(Xs, ys, sample_weight=compute_sample_weight("balanced", ys))
    np.testing.assert_array_equal(balanced.coefs_[0], weighted.coefs_[0])
    as_dict = NetworkClassifier(class_weight={0: 1.0, 1: 5.0, 2: 1.0}, **params).fit(Xs, ys)
    plain = NetworkClassifier(**params).fit(Xs, ys)
    assert not np.allclose(as_dict.coefs_[0], plain.coefs_[0])
    with pytest.raises(ValueError, match="class_weight"):
        NetworkClassifier(class_weight={7: 2.0}, **params).fit(Xs, ys)
    with pytest.raises(ValueError, match="class_weight"):
        NetworkClassifier(class_weight="often", **params).fit(Xs, ys)


@pytest.mark.parametrize(
    "param, value",
    [
        ("solver", "newton"),
        ("learning_rate", "cosine"),
        ("learning_rate_init", 0.0),
        ("momentum", 1.5),
        ("beta_1", 1.0),
        ("epsilon", 0.0),
        ("n_iter_no_change", 0),
        ("power_t", -1.0),
        ("init", "nope"),
        ("max_fun", 0),
        ("nesterovs_momentum", "yes"),
    ],
)
def test_bad_sklearn_hyperparameters_are_named(param, value):
    X, y = np.zeros((6, 2)), np.array([0, 1] * 3)
    with pytest.raises(ValueError, match=param):
        NetworkClassifier(**{param: value}).fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        NetworkRegressor(loss="poisson").fit(X, y)


def test_verbose_prints_sklearns_lines(iris, capsys):
    X, y = iris
    params = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, verbose=True)
    MLPClassifier(**params).fit(X, y)
    theirs = capsys.readouterr().out
    NetworkClassifier(**params).fit(X, y)
    ours = capsys.readouterr().out
    assert ours.splitlines()[:3] == theirs.splitlines()[:3]
    assert ours.startswith("Iteration 1, loss = ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NetworkClassifier(hidden_layer_sizes=(4,), max_iter=50, tol=10.0, n_iter_no_change=1, random_state=0).fit(
            X, y
        )  # converged: no ConvergenceWarning

"""scikit-learn estimators: the library's own check_estimator, and the features users asked for."""

from __future__ import annotations

import numpy as np
import pytest

import needs

needs.module("sklearn")

from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from chainrule.sklearn import NetworkClassifier, NetworkRegressor

# Small max_iter on purpose: scikit-learn's ConvergenceWarning (tested in test_sklearn_parity.py) is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Tiny networks keep the ~125 checks to a few seconds. No check is expected to fail;
# sklearn itself skips two (array-API input without SCIPY_ARRAY_API, and the
# multi-label decision_function format: these estimators have no decision_function).
CHECKED = [
    NetworkClassifier(hidden_layer_sizes=(16,), learning_rate=0.01, max_iter=100, random_state=0),
    NetworkRegressor(hidden_layer_sizes=(16,), learning_rate=0.01, max_iter=100, random_state=0),
]


@pytest.mark.ci_may_skip("scikit-learn's own checks for array-API input and decision_function")
@parametrize_with_checks(CHECKED)
def test_check_estimator(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    return StandardScaler().fit_transform(X), names[y]


def _small(cls, **kw):
    return cls(hidden_layer_sizes=(12,), learning_rate=0.02, max_iter=60, random_state=0, **kw)


def test_string_classes_and_probabilities(iris):
    X, y = iris
    clf = _small(NetworkClassifier).fit(X, y)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # predict is the argmax of predict_proba, mapped to the labels.
    assert (clf.predict(X) == clf.classes_[proba.argmax(axis=1)]).all()
    assert len(clf.loss_curve_) == clf.n_iter_ and clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_pipeline_gridsearch_and_cross_val_score(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), _small(NetworkClassifier))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.8).all()
    grid = GridSearchCV(
        _small(NetworkClassifier), {"hidden_layer_sizes": [(4,), (12,)], "activation": ["tanh", "relu"]}, cv=3
    )
    grid.fit(X, y)
    assert set(grid.best_params_) == {"hidden_layer_sizes", "activation"}
    assert len(grid.cv_results_["mean_test_score"]) == 4


def test_pandas_dataframe_keeps_feature_names(iris):
    pd = needs.module("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    clf = _small(NetworkClassifier).fit(frame, pd.Series(y))
    assert clf.feature_names_in_.tolist() == ["sl", "sw", "pl", "pw"]
    plain = _small(NetworkClassifier).fit(X, y)
    assert (clf.predict(frame) == plain.predict(X)).all()  # same numbers, same model
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame[["sw", "sl", "pl", "pw"]])


def test_sample_weight_equals_repetition():
    """With full batches, weight 2 is the same as repeating the sample (sum w_i E_i / sum w_i)."""
    X, y = make_regression(n_samples=40, n_features=3, noise=0.1, random_state=0)
    y = y / y.std()
    w = np.random.default_rng(0).integers(0, 3, size=40)
    params = dict(hidden_layer_sizes=(8,), max_iter=30, batch_size=None, tol=0, random_state=1)
    weighted = NetworkRegressor(**params).fit(X, y, sample_weight=w)
    repeated = NetworkRegressor(**params).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9, atol=1e-12)
    unweighted = NetworkRegressor(**params).fit(X, y)
    assert not np.allclose(weighted.predict(X), unweighted.predict(X))


def test_partial_fit_continues_the_optimizer(iris):
    X, y = iris
    clf = NetworkClassifier(
        hidden_layer_sizes=(8,), learning_rate=0.02, batch_size=None, shuffle=False, tol=0, max_iter=5, random_state=0
    )
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    for _ in range(5):
        clf.partial_fit(X, y, classes=np.unique(y))
    # As scikit-learn counts: n_iter_ is the last call's epochs (1), the curve has every epoch.
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 5 and clf.t_ == 5 * len(X)
    # Five single-epoch partial fits with Adam's state carried over equal one fit of 5 epochs.
    full = clf.get_params()
    reference = NetworkClassifier(**full).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))


def test_multilabel_targets():
    from sklearn.metrics import hamming_loss, log_loss

    X, Y = make_multilabel_classification(n_samples=120, n_features=6, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = _small(NetworkClassifier).fit(X, Y)
    assert clf.classes_.tolist() == [0, 1, 2]
    net = clf.network_
    assert net.layers[-1].activation.name == "sigmoid" and net.loss_function.name == "binary_cross_entropy"
    # One independent probability per label: the network's sigmoid outputs, rows not summing to 1.
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, net.predict(X))
    assert np.ptp(proba.sum(axis=1)) > 0.5
    np.testing.assert_array_equal(clf.predict(X), (proba >= 0.5).astype(int))
    # The loss trained on is each label's log-loss (scikit-learn's), summed over labels.
    per_label = sum(log_loss(Y[:, k], proba[:, k], labels=[0, 1]) for k in range(3))
    assert net.loss(X, Y) == pytest.approx(per_label, rel=1e-10)
    # And it learned each label: fewer wrong labels than predicting each label's majority value.
    majority = np.tile((Y.mean(axis=0) >= 0.5).astype(int), (len(Y), 1))
    assert hamming_loss(Y, clf.predict(X)) < 0.6 * hamming_loss(Y, majority)


def test_binary_uses_one_sigmoid_output():
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    clf = _small(NetworkClassifier).fit(X, y)
    assert clf.network_.n_outputs == 1 and clf.predict_proba(X).shape == (60, 2)


def test_per_layer_activations_and_inspection(iris):
    X, y = iris
    clf = NetworkClassifier(hidden_layer_sizes=(6, 5), activation=["tanh", "relu"], max_iter=5, random_state=0).fit(
        X, y
    )
    assert [layer.activation.name for layer in clf.network_.layers] == ["tanh", "relu", "softmax"]
    acts = clf.layer_activations(X[:7])
    assert [a.shape for a in acts] == [(7, 6), (7, 5), (7, 3)]
    assert (np.abs(acts[0]) <= 1).all() and (acts[1] >= 0).all()
    np.testing.assert_array_equal(acts[-1], clf.predict_proba(X[:7]))
    assert [c.shape for c in clf.coefs_] == [(4, 6), (6, 5), (5, 3)]


def test_validation_curves(iris):
    X, y = iris
    clf = _small(NetworkClassifier, early_stopping=True).fit(X, y)
    assert len(clf.validation_loss_curve_) == len(clf.loss_curve_) == clf.n_iter_
    assert len(clf.validation_scores_) == clf.n_iter_ and all(0 <= s <= 1 for s in clf.validation_scores_)
    reg = _small(NetworkRegressor)
    Xr, yr = make_regression(n_samples=80, n_features=3, random_state=0)
    reg.fit(Xr[:60], yr[:60] / 100, validation_data=(Xr[60:], yr[60:] / 100))
    assert len(reg.validation_loss_curve_) == reg.n_iter_ and len(reg.validation_scores_) == reg.n_iter_


def test_float32_stays_float32():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    reg = _small(NetworkRegressor, dtype="float32").fit(X, y / 100)
    assert reg.network_.dtype == np.float32 and reg.predict(X).dtype == np.float32


@pytest.mark.parametrize(
    "param, value",
    [
        ("hidden_layer_sizes", 0),
        ("hidden_layer_sizes", (4, -1)),
        ("hidden_layer_sizes", "64"),
        ("activation", "softmax"),
        ("activation", ["relu", "tanh"]),
        ("optimizer", "lbfgs"),
        ("learning_rate", 0),
        ("alpha", -1.0),
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("max_iter", 0),
        ("validation_fraction", 1.0),
        ("dtype", "int32"),
        ("random_state", -3),
        ("shuffle", "yes"),
    ],
)
def test_bad_hyperparameters_are_named(param, value):
    X, y = np.zeros((6, 2)), np.array([0, 1] * 3)
    with pytest.raises(ValueError, match=param):
        NetworkClassifier(**{param: value}).fit(X, y)


def test_one_class_refused():
    with pytest.raises(ValueError, match="1 class"):
        NetworkClassifier().fit(np.zeros((4, 2)), [1, 1, 1, 1])


# -- mixed tables through a DataFrame ------------------------------------------------------------
DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "data"


@pytest.fixture(scope="module")
def penguins_frames():
    pd = needs.module("pandas")
    train = pd.read_csv(DATA / "penguins-train.csv")
    test = pd.read_parquet(DATA / "penguins-test.parquet")  # dictionary columns come back as categoricals
    return train.drop(columns="species"), train["species"], test.drop(columns="species"), test["species"]


def test_a_mixed_dataframe_is_encoded_and_keeps_its_column_names(penguins_frames):
    from chainrule.tabular import TableEncoder, TableOptions, table_from_frame

    X, y, X_test, y_test = penguins_frames
    options = TableOptions(missing="impute", impute="median", missing_indicator=True)
    clf = NetworkClassifier((32,), learning_rate=0.01, max_iter=100, random_state=0, table_options=options)
    clf.fit(X, y)
    assert clf.n_features_in_ == 7 and list(clf.feature_names_in_) == list(X.columns)
    assert clf.network_.n_inputs == clf.table_encoder_.n_features == 15
    # The network's inputs are the table encoder's, which is the command line's (and so scikit-learn's).
    expected = TableEncoder.fit(table_from_frame(X), options).transform(table_from_frame(X))
    np.testing.assert_array_equal(clf.table_encoder_.transform(table_from_frame(X)), expected)
    assert clf.score(X_test, y_test) >= 0.95
    # Columns are found by name; CSV strings, Parquet categoricals and reordered columns give the same.
    reordered = X_test[list(reversed(X_test.columns))]
    np.testing.assert_array_equal(clf.predict_proba(reordered), clf.predict_proba(X_test))
    with pytest.raises(ValueError, match=r"X: expected a pandas DataFrame with the columns \['island'"):
        clf.predict(X_test.to_numpy())
    with pytest.raises(ValueError, match=r"X: expected a DataFrame with the columns .*received: one without \['sex'\]"):
        clf.predict(X_test.drop(columns="sex"))


def test_a_mixed_dataframe_with_missing_values_needs_a_choice(penguins_frames):
    X, y, _, _ = penguins_frames
    with pytest.raises(ValueError, match=r"X: column 'bill_length_mm', row \d+: missing value"):
        NetworkClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    from chainrule.tabular import TableOptions

    with pytest.raises(ValueError, match=r"table_options.missing: expected 'error' or 'impute'"):
        NetworkClassifier((4,), max_iter=2, table_options=TableOptions(missing="drop")).fit(X, y)
    with pytest.raises(ValueError, match=r"table_options: expected a chainrule.tabular.TableOptions"):
        NetworkClassifier((4,), max_iter=2, table_options={"missing": "impute"}).fit(X, y)
    complete = X.dropna()
    clf = NetworkClassifier((4,), max_iter=2, random_state=0).fit(complete, y[complete.index])
    assert clf.table_encoder_.missing == "error"  # text columns: encoded with the defaults


def test_numeric_dataframes_keep_the_plain_path_and_mixed_ones_work_in_cross_validation(penguins_frames, iris):
    pd = needs.module("pandas")
    X_iris, y_iris = iris
    frame = pd.DataFrame(X_iris, columns=["sl", "sw", "pl", "pw"])
    clf = _small(NetworkClassifier).fit(frame, y_iris)
    assert not hasattr(clf, "table_encoder_") and clf.network_.n_inputs == 4
    from chainrule.tabular import TableOptions

    X, y, _, _ = penguins_frames
    estimator = NetworkClassifier(
        (8,),
        learning_rate=0.02,
        max_iter=30,
        random_state=0,
        table_options=TableOptions(missing="impute", unknown="ignore"),
    )
    scores = cross_val_score(estimator, X, y, cv=3)  # clones, refits and predicts on other rows
    assert scores.shape == (3,) and (scores > 0.8).all()


def test_regressor_on_a_dataframe_with_text_and_missing_values():
    pd = needs.module("pandas")
    from chainrule.tabular import TableOptions

    cars = pd.read_csv(DATA / "cars.csv").dropna(subset=["Miles_per_Gallon"])
    X, y = cars.drop(columns=["Miles_per_Gallon", "Name", "Year"]), cars["Miles_per_Gallon"]
    reg = NetworkRegressor(
        (16,),
        learning_rate=0.01,
        max_iter=150,
        random_state=0,
        table_options=TableOptions(missing="impute", impute="median"),
    )
    reg.fit(X, y)
    assert [c.kind for c in reg.table_encoder_.columns] == ["numeric"] * 5 + ["categorical"]
    assert reg.score(X, y) > 0.7

"""``from_sklearn``: a fitted ``MLPClassifier``/``MLPRegressor`` as a fitted chainrule estimator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.validation import check_is_fitted

from ..core.network import Network
from ..core.validation import Described, fail
from ._base import BaseNetworkEstimator
from .classifier import NetworkClassifier
from .regressor import NetworkRegressor

__all__ = ["from_sklearn"]

#: scikit-learn's activation names in chainrule's.
_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu", "softmax": "softmax"}
#: The hyperparameters the estimators share with scikit-learn's MLPs (everything but ``loss`` and the extras).
SHARED = (
    "hidden_layer_sizes",
    "activation",
    "solver",
    "alpha",
    "batch_size",
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "max_iter",
    "shuffle",
    "random_state",
    "tol",
    "verbose",
    "warm_start",
    "momentum",
    "nesterovs_momentum",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "max_fun",
)


def from_sklearn(mlp: Any) -> BaseNetworkEstimator:
    """A fitted :class:`NetworkClassifier` or :class:`NetworkRegressor` equal to ``mlp``.

    ``mlp`` is a fitted ``sklearn.neural_network.MLPClassifier`` or
    ``MLPRegressor`` (binary, multiclass, multi-label; one or several
    regression outputs; any activation). The result has ``mlp``'s
    hyperparameters and weights (``coefs_``, ``intercepts_``, same dtype), its
    classes, feature names and fitted attributes (``n_iter_``, ``t_``,
    ``loss_curve_``, ``best_loss_``, ``validation_scores_``, ...) and the
    state of its stopping rule, so ``predict`` gives the same labels and
    ``predict_proba`` the same probabilities to a few ulps; ``network_`` is
    the chainrule :class:`~chainrule.Network`. With ``warm_start=True`` it
    continues training as ``mlp`` would (a new optimizer, as scikit-learn
    makes one per ``fit``).
    """
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise fail(
            "mlp", "a fitted sklearn.neural_network.MLPClassifier or MLPRegressor", Described(type(mlp).__name__)
        )
    check_is_fitted(mlp, "coefs_")
    out_activation = mlp.out_activation_
    if out_activation not in _ACTIVATIONS:
        raise fail(
            "mlp.out_activation_",
            f"one of {sorted(_ACTIVATIONS)} (the poisson loss's exp output has no chainrule counterpart)",
            out_activation,
        )
    params = {name: value for name, value in mlp.get_params().items() if name in SHARED}
    classifier = isinstance(mlp, MLPClassifier)
    estimator: BaseNetworkEstimator = NetworkClassifier(**params) if classifier else NetworkRegressor(**params)
    coefs = [np.asarray(c) for c in mlp.coefs_]
    dtype = coefs[0].dtype
    estimator.dtype = dtype.name
    hidden = _ACTIVATIONS[mlp.activation]
    sizes = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
    if classifier:
        # Logistic outputs: one for binary labels, one per label for a multi-label indicator matrix.
        multilabel = out_activation == "logistic" and mlp.n_outputs_ > 1
        estimator.classes_ = np.asarray(mlp.classes_)
        estimator._multilabel = multilabel
    estimator.n_outputs_ = mlp.n_outputs_
    activation, loss, _ = estimator._output_spec()
    if activation != _ACTIVATIONS[out_activation]:
        raise fail("mlp.out_activation_", f"{activation!r} for these targets", out_activation)
    network = Network.from_sizes(
        sizes, [hidden] * (len(sizes) - 2) + [activation], loss=loss, init="zeros", dtype=dtype
    )
    for layer, W, b in zip(network.layers, coefs, mlp.intercepts_):
        layer.set_weights(W=W, b=np.asarray(b))
    estimator.network_ = network
    estimator.n_features_in_ = mlp.n_features_in_
    if hasattr(mlp, "feature_names_in_"):
        estimator.feature_names_in_ = mlp.feature_names_in_
    estimator.n_iter_ = mlp.n_iter_
    estimator.t_ = getattr(mlp, "t_", 0)
    estimator.loss_ = getattr(mlp, "loss_", math.nan)
    estimator.loss_curve_ = list(getattr(mlp, "loss_curve_", []))
    estimator.validation_loss_curve_ = []
    scores = getattr(mlp, "validation_scores_", None)
    estimator.validation_scores_ = None if scores is None else list(scores)
    estimator.best_validation_score_ = getattr(mlp, "best_validation_score_", None)
    estimator.best_loss_ = getattr(mlp, "best_loss_", None)
    rule = estimator._make_rule(estimator._validated_hyperparameters())
    # scikit-learn's count of epochs without improvement is private: a continued fit starts it at 0.
    rule.samples_seen = int(estimator.t_)
    if estimator.best_loss_ is not None:
        rule.best_loss = float(estimator.best_loss_)
    if estimator.best_validation_score_ is not None:
        rule.best_score = float(estimator.best_validation_score_)
        rule.scores = list(scores or [])
        # A fit with early stopping ends on the best epoch's weights: those are the ones kept.
        rule.best_weights = network.buffer.values.copy()
    estimator._convergence = rule
    return estimator

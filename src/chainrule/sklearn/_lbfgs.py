"""``solver='lbfgs'``: scipy's L-BFGS-B on the network's loss, as scikit-learn's ``_fit_lbfgs``.

The objective is the full data set's loss plus the L2 penalty
``0.5 alpha sum ||W||^2 / n`` (biases not penalised), its gradient the
network's backward pass plus ``alpha W / n``; ``maxiter=max_iter``,
``maxfun=max_fun``, ``gtol=tol``. For several regression outputs the value is
scikit-learn's (the data term averaged over outputs) while the gradient is
that of the sum, as scikit-learn's own objective is.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..core.penalty import add_l2_penalty

if TYPE_CHECKING:
    from ._base import BaseNetworkEstimator

__all__ = ["fit_lbfgs"]


def fit_lbfgs(
    estimator: BaseNetworkEstimator, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None, alpha: float
) -> None:
    """Minimise the penalised loss over every trainable value of ``estimator.network_`` in place.

    ``weights``: sample weights of mean 1, or None; ``alpha``: the penalty's strength for them.
    """
    import scipy.optimize

    network = estimator.network_
    values = network.buffer.trainable_values
    gradients = network.buffer.trainable_gradients
    n = X.shape[0]
    outputs = Y.shape[1] if estimator._reports_output_mean else 1
    network.reserve(n)

    def objective(packed: np.ndarray) -> tuple[float, np.ndarray]:
        np.copyto(values, packed, casting="same_kind")
        with np.errstate(over="ignore", invalid="ignore"):
            data = network.loss_and_gradients(X, Y, weights)
            penalty = add_l2_penalty(network, alpha, n)
        return data / outputs + penalty, gradients.astype(np.float64)

    result = scipy.optimize.minimize(
        objective,
        values.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": estimator.max_fun, "maxiter": estimator.max_iter, "gtol": estimator.tol},
    )
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iteration(s) (status={result.status}): "
            f"{result.message}. Increase the number of iterations (max_iter) or scale the data.",
            ConvergenceWarning,
            stacklevel=4,
        )
    np.copyto(values, result.x, casting="same_kind")
    if not np.isfinite(values).all():
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large values "
            "and need to be preprocessed."
        )
    estimator.n_iter_ = min(result.nit, estimator.max_iter)
    estimator.loss_ = float(result.fun)
    estimator.t_ = 0

"""A scikit-learn regressor backed by a chainrule network."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin

from ..core.validation import fail
from ._base import BaseNetworkEstimator

__all__ = ["NetworkRegressor"]


class NetworkRegressor(RegressorMixin, BaseNetworkEstimator):
    """Multi-layer perceptron regressor trained by chainrule.

    The output layer is linear (identity) and the loss the squared error
    ``1/2 sum_k (y_k - out_k)^2``, averaged over samples. Targets may have
    several columns (multi-output regression). The parameters are those of
    :class:`NetworkClassifier`.

    Attributes
    ----------
    network_, loss_curve_, validation_loss_curve_, validation_scores_ (R^2),
    history_, n_iter_, coefs_, intercepts_, n_features_in_, feature_names_in_, n_outputs_,
    table_encoder_ (fitted on a DataFrame with text, categorical, boolean or nullable columns)
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, validation_data: Any = None) -> "NetworkRegressor":
        """Train on ``X`` ``(n_samples, n_features)`` and ``y`` ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> "NetworkRegressor":
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, None, incremental=True)

    def _encode_targets(self, y: Any, incremental: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2):
            raise fail("y", "an array (n_samples,) or (n_samples, n_outputs)", y)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if incremental and hasattr(self, "n_outputs_"):
            if Y.shape[1] != self.n_outputs_:
                raise fail("y", f"{self.n_outputs_} output columns (as in the first fit)", y)
        else:
            self.n_outputs_, self._y_1d = Y.shape[1], y.ndim == 1
        return Y

    def _output_spec(self) -> tuple[str, str, list[str]]:
        return "identity", "squared_error", ["r2"]

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ``(n_samples,)``, or ``(n_samples, n_outputs)`` when fitted on 2-D targets."""
        out = self._forward_outputs(X)
        return out[:, 0].copy() if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

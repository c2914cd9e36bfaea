"""A scikit-learn regressor backed by a chainrule network: a drop-in for ``MLPRegressor``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import column_or_1d

from ..core.metrics import METRICS
from ..core.validation import fail
from ._base import BaseNetworkEstimator
from ._docs import REGRESSOR_DOC

__all__ = ["NetworkRegressor"]


class NetworkRegressor(RegressorMixin, BaseNetworkEstimator):
    __doc__ = REGRESSOR_DOC

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: Any = "relu",
        *,
        loss: str = "squared_error",
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate: Any = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: Any = 10,
        max_fun: int = 15000,
        optimizer: str | None = None,
        init: str = "sklearn",
        dtype: Any = None,
        comm: Any = None,
        table_options: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            optimizer=optimizer,
            init=init,
            dtype=dtype,
            comm=comm,
            table_options=table_options,
        )
        self.loss = loss

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, validation_data: Any = None) -> NetworkRegressor:
        """Train on ``X`` ``(n_samples, n_features)`` and ``y`` ``(n_samples,)`` or ``(n_samples, n_outputs)``.

        ``sample_weight`` ``(n_samples,)`` weighs each sample's loss as if it were
        repeated; ``validation_data=(X_val, y_val)`` records validation curves.
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> NetworkRegressor:
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, None, incremental=True)

    def _validated_hyperparameters(self) -> dict[str, Any]:
        if self.loss != "squared_error":
            raise fail("loss", "'squared_error' (scikit-learn's 'poisson' is not available in chainrule)", self.loss)
        return super()._validated_hyperparameters()

    def _encode_targets(self, y: Any, incremental: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2):
            raise fail("y", "an array (n_samples,) or (n_samples, n_outputs)", y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # as scikit-learn: one column is one output, predicted 1-D
        Y: np.ndarray = y.reshape(-1, 1) if y.ndim == 1 else y
        if incremental and hasattr(self, "n_outputs_"):
            if Y.shape[1] != self.n_outputs_:
                raise fail("y", f"{self.n_outputs_} output columns (as in the first fit)", y)
        else:
            self.n_outputs_ = Y.shape[1]
        return Y

    def _output_spec(self) -> tuple[str, str, Any]:
        return "identity", "squared_error", METRICS["r2"]

    @property
    def _reports_output_mean(self) -> bool:
        return self.n_outputs_ > 1

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ``(n_samples,)`` for one output, else ``(n_samples, n_outputs)``."""
        out = self._forward_outputs(X)
        return out[:, 0].copy() if out.shape[1] == 1 else out

    def __sklearn_tags__(self) -> Any:  # sklearn.utils.Tags (scikit-learn ships no type hints)
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

"""A scikit-learn classifier backed by a chainrule network: a drop-in for ``MLPClassifier``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from ..core.validation import fail
from ._base import BaseNetworkEstimator
from ._conventions import classifier_accuracy
from ._docs import CLASSIFIER_DOC

__all__ = ["NetworkClassifier"]


class NetworkClassifier(ClassifierMixin, BaseNetworkEstimator):
    __doc__ = CLASSIFIER_DOC

    # Fitted attributes (declared for the type checker only, as in BaseNetworkEstimator).
    classes_: np.ndarray
    _multilabel: bool

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: Any = "relu",
        *,
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
        class_weight: Any = None,
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
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, validation_data: Any = None) -> NetworkClassifier:
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``
        (or an indicator matrix ``(n_samples, n_labels)``).

        ``sample_weight`` ``(n_samples,)`` weighs each sample's loss as if it were
        repeated; ``validation_data=(X_val, y_val)`` records validation curves.
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> NetworkClassifier:
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever appear) is required on the first call.
        """
        if self._starts_partial_fits(classes) and hasattr(self, "network_"):
            del self.network_  # a new sequence of partial fits starts afresh
        return self._fit(X, y, sample_weight, None, incremental=True, classes=classes)

    def _starts_partial_fits(self, classes: Any) -> bool:
        """Whether this ``partial_fit`` begins a new sequence (``classes`` given for the first time).

        As scikit-learn's rule: ``classes`` is required on the first call and,
        if given again later, must be the same labels.
        """
        known = getattr(self, "classes_", None)
        if classes is None:
            if known is None:
                raise fail("classes", "every label (classes must be passed on the first call to partial_fit)", classes)
            return False
        labels = unique_labels(classes)
        if known is not None:
            if not np.array_equal(known, labels):
                raise fail("classes", f"the labels of the first partial_fit call {list(known)}", list(labels))
            return False
        self.classes_ = labels
        return True

    # -- targets -------------------------------------------------------------------------------
    def _encode_targets(self, y: Any, incremental: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            kind = type_of_target(y)
            if kind != "multilabel-indicator":
                raise fail(
                    "y",
                    "labels (n_samples,) or a 0/1 indicator matrix (n_samples, n_labels)",
                    f"a 2-D target of type {kind!r}",
                )
            if incremental and hasattr(self, "classes_"):
                if not self._multilabel or y.shape[1] != len(self.classes_):
                    raise fail("y", f"the {len(self.classes_)} labels seen in the first fit", y)
            else:
                self.classes_, self._multilabel = np.arange(y.shape[1]), True
            indicators: np.ndarray = y.astype(np.float64)
            return indicators
        y = column_or_1d(y, warn=True)
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind not in ("binary", "multiclass"):
            raise fail("y", "class labels (binary or multiclass)", f"target of type {kind!r}")
        if not incremental or not hasattr(self, "classes_"):
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if labels.size < 2:
                raise ValueError(
                    f"y: expected at least 2 classes, received: 1 class ({labels[0]!r}); "
                    "a classifier needs samples of at least two classes"
                )
            self.classes_, self._multilabel = labels, False
        elif self._multilabel:
            raise fail("y", f"an indicator matrix with {len(self.classes_)} labels", y)
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise fail("y", f"labels among classes_ {self.classes_.tolist()}", y[np.argmax(unknown)])
        encoded: np.ndarray = (
            index.astype(np.float64)[:, None] if len(self.classes_) == 2 else np.eye(len(self.classes_))[index]
        )
        return encoded

    def _output_spec(self) -> tuple[str, str, Any]:
        if self._multilabel or len(self.classes_) == 2:
            return "sigmoid", "binary_cross_entropy", classifier_accuracy(softmax=False)
        return "softmax", "categorical_cross_entropy", classifier_accuracy(softmax=True)

    def _stratify(self, Y: np.ndarray) -> np.ndarray | None:
        # scikit-learn stratifies when its binarised target has one column: binary labels only.
        return Y > 0.5 if Y.shape[1] == 1 else None

    def _sample_weight_factors(self, y: Any, Y: np.ndarray) -> np.ndarray | None:
        """``class_weight`` as per-sample factors, as scikit-learn's other classifiers compute them."""
        if self.class_weight is None:
            return None
        if self._multilabel:
            raise fail("class_weight", "None for multi-label targets", self.class_weight)
        if not (self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise fail("class_weight", "None, 'balanced' or a dict {label: weight}", self.class_weight)
        if isinstance(self.class_weight, dict):
            unknown = [k for k in self.class_weight if k not in set(self.classes_.tolist())]
            if unknown:
                raise fail("class_weight", f"labels among classes_ {self.classes_.tolist()}", unknown[0])
        labels = self.classes_[np.argmax(Y, axis=1)] if Y.shape[1] > 1 else self.classes_[(Y[:, 0] > 0.5).astype(int)]
        factors: np.ndarray = compute_sample_weight(self.class_weight, labels)
        return factors

    # -- prediction ----------------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` (per label for multi-label targets)."""
        out = self._forward_outputs(X)
        if not self._multilabel and len(self.classes_) == 2:
            return np.hstack([1.0 - out, out])
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            log_proba: np.ndarray = np.log(self.predict_proba(X))
        return log_proba

    def predict(self, X: Any) -> np.ndarray:
        """Labels ``(n_samples,)``: the most probable class; for multi-label targets a 0/1 matrix."""
        out = self._forward_outputs(X)
        # scikit-learn's LabelBinarizer: a probability above 0.5 (strictly) is the positive class.
        if self._multilabel:
            return (out > 0.5).astype(int)
        labels: np.ndarray
        if len(self.classes_) == 2:
            labels = self.classes_[(out[:, 0] > 0.5).astype(int)]
        else:
            labels = self.classes_[np.argmax(out, axis=1)]
        return labels

    def __sklearn_tags__(self) -> Any:  # sklearn.utils.Tags (scikit-learn ships no type hints)
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

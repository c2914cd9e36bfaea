"""A scikit-learn classifier backed by a chainrule network."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from ..core.validation import fail
from ._base import BaseNetworkEstimator

__all__ = ["NetworkClassifier"]


class NetworkClassifier(ClassifierMixin, BaseNetworkEstimator):
    """Multi-layer perceptron classifier trained by chainrule.

    Binary targets get one sigmoid output and binary cross-entropy; several
    classes a softmax output and categorical cross-entropy; a multi-label
    indicator matrix ``(n, n_labels)`` one sigmoid output per label.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default (100,)
        Neurons per hidden layer.
    activation : str or list of str, default "relu"
        An elementwise activation ("relu", "leaky_relu", "elu", "gelu", "silu",
        "softplus", "tanh", "sigmoid", "identity", or one registered with
        ``chainrule.register_activation``) for every hidden layer, or a list with
        one per hidden layer.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}, default "adam"
    learning_rate : float or None
        None uses the optimizer's default (Adam: 0.001).
    alpha : float, default 1e-4
        L2 penalty (the optimizer's ``weight_decay``), on every trainable value.
    batch_size : int, "auto" or None
        "auto" is ``min(200, n_samples)``; None trains on the full batch.
    max_iter : int, default 200
        Epochs (passes over the data).
    shuffle : bool
        Shuffle the samples each epoch.
    random_state : None, int, RandomState or Generator
        Initial weights, shuffles and the validation split. None draws fresh
        entropy (never the global random state).
    tol, n_iter_no_change :
        Stop once the monitored loss (validation loss with ``early_stopping``,
        else training loss) has not improved by more than ``tol`` for
        ``n_iter_no_change`` epochs.
    early_stopping : bool
        Hold out ``validation_fraction`` of the data, monitor its loss, and
        restore the weights of the best epoch.
    validation_fraction : float in (0, 1)
    warm_start : bool
        Let ``fit`` continue from the previous solution.
    dtype : "float64" or "float32"
        The network's dtype; inputs are converted to it.
    verbose : bool
        Show a progress bar (needs tqdm).
    comm : mpi4py communicator, None or False
        Data-parallel training over MPI, as :meth:`chainrule.Network.fit`'s
        ``comm`` (every process passes the same data): None detects a launch by
        ``mpiexec``; False never distributes.
    table_options : chainrule.tabular.TableOptions or None
        How a pandas DataFrame with text, categorical, boolean or nullable
        columns is encoded (numbers standardised, categories one-hot, missing
        values refused unless ``missing="impute"``); given, every DataFrame is
        encoded. None: the defaults, and only for such DataFrames.

    Attributes
    ----------
    classes_ : ndarray ``(n_classes,)``
        Class labels (for multi-label targets, ``arange(n_labels)``).
    network_ : chainrule.Network
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_, validation_scores_ : list of float
        Validation loss and accuracy per epoch (with ``early_stopping`` or ``validation_data``).
    history_ : chainrule.training.History
        Of the last call to ``fit`` or ``partial_fit``.
    n_iter_ : int
        Epochs trained.
    coefs_, intercepts_ : lists of arrays ``(n_in, n_out)`` and ``(n_out,)``
    n_features_in_, feature_names_in_ :
        As every scikit-learn estimator (names when fitted on a DataFrame).
    table_encoder_ : chainrule.tabular.TableEncoder
        Only when fitted on an encoded DataFrame: its columns as the network's inputs.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, validation_data: Any = None) -> "NetworkClassifier":
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``
        (or an indicator matrix ``(n_samples, n_labels)``).

        ``sample_weight`` ``(n_samples,)`` weighs each sample's loss as if it were
        repeated; ``validation_data=(X_val, y_val)`` records validation curves.
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> "NetworkClassifier":
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
                raise fail("y", "labels (n_samples,) or a 0/1 indicator matrix (n_samples, n_labels)",
                           f"a 2-D target of type {kind!r}")
            if incremental and hasattr(self, "classes_"):
                if not self._multilabel or y.shape[1] != len(self.classes_):
                    raise fail("y", f"the {len(self.classes_)} labels seen in the first fit", y)
            else:
                self.classes_, self._multilabel = np.arange(y.shape[1]), True
            return y.astype(np.float64)
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
        if len(self.classes_) == 2:
            return index.astype(np.float64)[:, None]
        return np.eye(len(self.classes_))[index]

    def _output_spec(self) -> tuple[str, str, list[str]]:
        if self._multilabel or len(self.classes_) == 2:
            return "sigmoid", "binary_cross_entropy", [] if self._multilabel else ["accuracy"]
        return "softmax", "categorical_cross_entropy", ["accuracy"]

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
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Labels ``(n_samples,)``: the most probable class; for multi-label targets a 0/1 matrix."""
        out = self._forward_outputs(X)
        if self._multilabel:
            return (out >= 0.5).astype(int)
        if len(self.classes_) == 2:
            return self.classes_[(out[:, 0] >= 0.5).astype(int)]
        return self.classes_[np.argmax(out, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

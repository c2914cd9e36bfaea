"""What the classifier and the regressor share: hyperparameters, validation and the training call.

scikit-learn's conventions: ``__init__`` stores the hyperparameters unchanged;
``fit`` validates them (``ValueError`` naming the parameter) and sets the fitted
attributes, which end in ``_``. Training itself is :meth:`chainrule.Network.fit`.

Mixed tables: a pandas DataFrame with text, categorical, boolean or nullable
columns (or any DataFrame when ``table_options`` is given) is encoded as the
command line encodes a file (:class:`chainrule.tabular.TableEncoder`: numbers
standardised, categories one-hot, missing values as ``table_options`` say).
The encoder is learned by the first ``fit`` and kept as ``table_encoder_``;
``n_features_in_`` and ``feature_names_in_`` stay the DataFrame's columns, and
``predict`` takes a DataFrame with them. Other input (arrays, numeric
DataFrames) is used as it is, as scikit-learn's MLP does.
"""

from __future__ import annotations

import copy
import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y, validate_data

from ..core.validation import Described, check_dtype, check_sample_weight, fail
from ..core.activations import ACTIVATIONS, default_initializer
from ..core.network import Network
from ..optim import OPTIMIZERS, get_optimizer
from ..tabular import TableEncoder, TableOptions, is_frame, table_from_frame
from ..training import EarlyStopping

__all__ = ["BaseNetworkEstimator"]

def _hidden_activations() -> list[str]:
    """The registered activations a hidden layer can use: the elementwise ones (not softmax)."""
    return sorted(name for name, cls in ACTIVATIONS.items() if cls.elementwise)


class BaseNetworkEstimator(BaseEstimator):
    """Base class of :class:`NetworkClassifier` and :class:`NetworkRegressor` (see their docstrings)."""

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: Any = "relu",
        *,
        optimizer: str = "adam",
        learning_rate: float | None = None,
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        warm_start: bool = False,
        dtype: Any = "float64",
        verbose: bool = False,
        comm: Any = None,
        table_options: TableOptions | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.dtype = dtype
        self.verbose = verbose
        self.comm = comm
        self.table_options = table_options

    # -- subclasses define ----------------------------------------------------------------
    def _encode_targets(self, y: Any, incremental: bool, classes: Any = None) -> np.ndarray:
        """Validated targets as network outputs ``(n, n_outputs)``; sets the target attributes."""
        raise NotImplementedError

    def _output_spec(self) -> tuple[str, str, list[str]]:
        """``(output activation, loss, metrics)`` for the fitted target type."""
        raise NotImplementedError

    # -- validation -------------------------------------------------------------------------
    def _validated_hyperparameters(self) -> dict:
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise fail("hidden_layer_sizes", "a sequence of positive integers, e.g. (100,)", hidden)
        hidden = list(hidden)
        for k, size in enumerate(hidden):
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise fail(f"hidden_layer_sizes[{k}]", "a positive integer", size)
        activation = self.activation
        activations = [activation] * len(hidden) if isinstance(activation, str) else list(activation)
        if len(activations) != len(hidden):
            raise fail("activation", f"one name or a list of {len(hidden)} (one per hidden layer)", activation)
        hidden_activations = _hidden_activations()
        for k, name in enumerate(activations):
            if not isinstance(name, str) or name not in hidden_activations:
                raise fail(f"activation[{k}]" if not isinstance(activation, str) else "activation",
                           f"one of {hidden_activations}", name)
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in OPTIMIZERS:
            raise fail("optimizer", f"one of {sorted(OPTIMIZERS)}", self.optimizer)
        if self.learning_rate is not None:
            _positive_real(self.learning_rate, "learning_rate")
        _positive_real(self.alpha, "alpha", allow_zero=True)
        if not (self.batch_size == "auto" or self.batch_size is None or (
                isinstance(self.batch_size, numbers.Integral) and not isinstance(self.batch_size, bool)
                and self.batch_size >= 1)):
            raise fail("batch_size", "'auto', None (full batch) or a positive integer", self.batch_size)
        for name in ("max_iter", "n_iter_no_change"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise fail(name, "a positive integer", value)
        _positive_real(self.tol, "tol", allow_zero=True)
        fraction = self.validation_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
            raise fail("validation_fraction", "a number in (0, 1)", fraction)
        for name in ("shuffle", "early_stopping", "warm_start", "verbose"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise fail(name, "True or False", getattr(self, name))
        if self.table_options is not None:
            if not isinstance(self.table_options, TableOptions):
                raise fail("table_options", "a chainrule.tabular.TableOptions or None", self.table_options)
            if self.table_options.missing == "drop":
                raise fail("table_options.missing", "'error' or 'impute' (an estimator predicts every row: "
                           "leave rows out before fit, e.g. with DataFrame.dropna())", "drop")
        return {"hidden": [int(h) for h in hidden], "activations": activations,
                "dtype": check_dtype(self.dtype, "dtype")}

    # -- mixed tables --------------------------------------------------------------------------
    def _wants_table_encoding(self, X: Any) -> bool:
        """Whether ``X`` is a DataFrame to encode (see the module docstring)."""
        if not is_frame(X):
            return False
        if self.table_options is not None:
            return True
        from pandas.api import types as t

        return not all(t.is_numeric_dtype(d) and not t.is_bool_dtype(d) and isinstance(d, np.dtype)
                       for d in X.dtypes)

    def _encoded(self, X: Any, dtype: Any, *, fit: bool) -> np.ndarray:
        """``X`` ``(n, n_columns)`` through the table encoder (learned here when ``fit``): ``(n, n_inputs)``."""
        if not is_frame(X):
            raise fail("X", f"a pandas DataFrame with the columns {list(self.feature_names_in_)} (the estimator "
                       "was fitted on one)", Described(type(X).__name__))
        table = table_from_frame(X, "X")
        if fit:
            self.table_encoder_ = TableEncoder.fit(table, self.table_options or TableOptions())
            self.n_features_in_ = len(table.columns)
            self.feature_names_in_ = np.asarray(table.columns, dtype=object)
        encoder: TableEncoder = self.table_encoder_
        absent = [c for c in encoder.column_names if c not in table.cells]
        if absent:
            raise fail("X", f"a DataFrame with the columns {encoder.column_names}", Described(f"one without {absent}"))
        return check_array(encoder.transform(table, dtype), dtype=dtype)

    def _inputs(self, X: Any, dtype: Any) -> np.ndarray:
        """Checked inputs for the fitted network: encoded (a table) or validated as scikit-learn does."""
        if hasattr(self, "table_encoder_"):
            return self._encoded(X, dtype, fit=False)
        return validate_data(self, X, dtype=dtype, reset=False)

    # -- training ----------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, sample_weight: Any, validation_data: Any, incremental: bool,
             classes: Any = None) -> "BaseNetworkEstimator":
        params = self._validated_hyperparameters()
        first = not (incremental or self.warm_start) or not hasattr(self, "network_")
        dtype = params["dtype"] if first else self.network_.dtype
        if first and self._wants_table_encoding(X):
            X = self._encoded(X, dtype, fit=True)
            X, y = check_X_y(X, y, dtype=dtype, multi_output=True)
        elif not first and hasattr(self, "table_encoder_"):
            X = self._encoded(X, dtype, fit=False)
            X, y = check_X_y(X, y, dtype=dtype, multi_output=True)
        else:
            if first and hasattr(self, "table_encoder_"):
                del self.table_encoder_  # refitted on plain arrays
            X, y = validate_data(self, X, y, dtype=dtype, multi_output=True, reset=first)
        Y = self._encode_targets(y, incremental=not first, classes=classes).astype(dtype, copy=False)
        weights = None
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
            if sample_weight.ndim == 0:  # one number for every sample, as scikit-learn allows
                sample_weight = np.full(X.shape[0], sample_weight)
            weights = check_sample_weight(sample_weight, X.shape[0], dtype)
            total = weights.sum()
            if not total > 0:
                raise fail("sample_weight", "at least one non-zero weight", Described("all weights are zero"))
            # As if each sample were repeated w times: the loss is sum w_i E_i / sum w_i.
            weights = weights * (X.shape[0] / total)
        rng = _generator(self.random_state) if first else self._random
        if first:
            self._random = rng
            activation, loss, _ = self._output_spec()
            self.network_ = Network.from_sizes(
                [X.shape[1], *params["hidden"], Y.shape[1]], [*params["activations"], activation],
                loss=loss, init=_init_for(params["activations"]), seed=int(rng.integers(2**31 - 1)),
                dtype=dtype,
            )
            self._optimizer = get_optimizer(self.optimizer, self.learning_rate, weight_decay=float(self.alpha))
            self.loss_curve_, self.validation_loss_curve_, self.validation_scores_ = [], [], []
            self.n_iter_ = 0
        _, _, metrics = self._output_spec()
        validation, early = None, None
        if validation_data is not None:
            Xv = self._inputs(validation_data[0], dtype)
            validation = (Xv, self._encode_targets(validation_data[1], incremental=True).astype(dtype, copy=False))
        fraction = None
        if self.early_stopping and not incremental:
            if validation is None:
                fraction = float(self.validation_fraction)
            early = EarlyStopping(self.n_iter_no_change, self.tol, True, monitor="val_loss")
        elif not incremental and self.tol > 0:
            early = EarlyStopping(self.n_iter_no_change, self.tol, False, monitor="loss")
        n_train = X.shape[0] - (int(round(fraction * X.shape[0])) if fraction else 0)
        batch = self.batch_size
        if batch == "auto":
            batch = min(200, n_train)
        history = self.network_.fit(
            X, Y, optimizer=self._optimizer, epochs=1 if incremental else self.max_iter, batch_size=batch,
            shuffle=self.shuffle, seed=int(rng.integers(2**31 - 1)), sample_weight=weights,
            validation_data=validation, validation_fraction=fraction, metrics=metrics if (validation or fraction)
            else (), early_stopping=early, progress=True if self.verbose else False, comm=self.comm,
        )
        self.history_ = history
        self.loss_curve_ = self.loss_curve_ + list(history.loss)
        if "val_loss" in history:
            self.validation_loss_curve_ = self.validation_loss_curve_ + list(history.val_loss)
            if metrics:
                self.validation_scores_ = self.validation_scores_ + list(history["val_" + metrics[0]])
        self.n_iter_ += len(history)
        self.best_loss_ = min(self.loss_curve_)
        return self

    def __copy__(self) -> "BaseNetworkEstimator":
        # A shallow copy would share the fitted network and its optimizer with the original,
        # so that training one trains both: copies are always deep.
        return copy.deepcopy(self)

    # -- inspection ----------------------------------------------------------------------------
    def _forward_outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        return self.network_.predict(self._inputs(X, self.network_.dtype))

    def layer_activations(self, X: Any) -> list[np.ndarray]:
        """Every layer's activation for ``X`` ``(n, n_features)``: a list of ``(n, layer size)`` arrays.

        The last entry is the output layer's (before any label decoding).
        """
        check_is_fitted(self, "network_")
        X = self._inputs(X, self.network_.dtype)
        layers = self.network_.infer(X, return_layers=True).layers
        assert layers is not None
        return [layer.a for layer in layers]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[k]`` of shape ``(n_in, n_out)`` (copies)."""
        return [layer.W.copy() for layer in self.network_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[k]`` of shape ``(n_out,)`` (copies)."""
        return [layer.b.copy() for layer in self.network_.layers]

    @property
    def n_layers_(self) -> int:
        return len(self.network_.layers) + 1


def _generator(random_state: Any) -> np.random.Generator:
    """A Generator from ``random_state``: None (fresh entropy, never the global state), an int,
    a RandomState (one draw from it, as scikit-learn allows) or a Generator."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and random_state >= 0:
        return np.random.default_rng(int(random_state))
    raise fail("random_state", "None, a non-negative integer, a RandomState or a Generator", random_state)


def _init_for(activations: list[str]) -> str:
    # Each activation's own default (He for rectifiers, Glorot for the saturating functions,
    # as Keras and PyTorch advise); Glorot when the hidden layers disagree.
    return default_initializer(activations)


def _positive_real(value: Any, name: str, allow_zero: bool = False) -> None:
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real) and np.isfinite(value)
          and (value >= 0 if allow_zero else value > 0))
    if not ok:
        raise fail(name, "a finite number >= 0" if allow_zero else "a finite number > 0", value)

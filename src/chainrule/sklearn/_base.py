"""What the classifier and the regressor share: hyperparameters, validation and the training call.

scikit-learn's conventions: ``__init__`` stores the hyperparameters unchanged;
``fit`` validates them (``ValueError`` naming the parameter) and sets the fitted
attributes, which end in ``_``. Training itself is :meth:`chainrule.Network.fit`.

Every hyperparameter scikit-learn's ``MLPClassifier``/``MLPRegressor`` also has
means what it means there (docs/sklearn-parity.md has the table): the same
random draws for the initial weights and the validation split from
``random_state``, the same batch order, the same L2 penalty
(:mod:`chainrule.core.penalty`), update rules (:mod:`chainrule.optim.mlp_rules`)
and stopping rule (:class:`chainrule.training.ConvergenceRule`).

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
import math
import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y, validate_data

from ..core.activations import ACTIVATIONS, default_initializer
from ..core.initializers import INITIALIZERS, sklearn_initial_parameters
from ..core.network import Network
from ..core.validation import Described, check_dtype, check_sample_weight, fail
from ..optim import MLPSGD, OPTIMIZERS, MLPAdam, get_optimizer
from ..tabular import TableEncoder, TableOptions, is_frame, table_from_frame
from ..training import LEARNING_RATE_SCHEDULES, Callback, ConvergenceRule
from ._conventions import OutputMeanLoss, PrintProgress

__all__ = ["BaseNetworkEstimator", "SOLVERS"]

#: scikit-learn's stochastic solvers (with its update rules), then chainrule's torch-style extras.
SOLVERS = ("adam", "sgd", "lbfgs")
#: scikit-learn's activation names that chainrule spells otherwise.
ACTIVATION_ALIASES = {"logistic": "sigmoid"}


def _hidden_activations() -> list[str]:
    """The registered activations a hidden layer can use: the elementwise ones (not softmax)."""
    return sorted(name for name, cls in ACTIVATIONS.items() if cls.elementwise)


class BaseNetworkEstimator(BaseEstimator):
    """Base class of :class:`NetworkClassifier` and :class:`NetworkRegressor` (see their docstrings)."""

    # The fitted attributes fit sets (declared for the type checker only: a class attribute would
    # make an unfitted estimator look fitted to scikit-learn's check_is_fitted).
    feature_names_in_: np.ndarray
    n_outputs_: int
    loss_curve_: list[float]
    validation_loss_curve_: list[float]
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    best_loss_: float | None
    _convergence: ConvergenceRule

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
        optimizer: str | None = None,
        init: str = "sklearn",
        dtype: Any = None,
        comm: Any = None,
        table_options: TableOptions | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.optimizer = optimizer
        self.init = init
        self.dtype = dtype
        self.comm = comm
        self.table_options = table_options

    # -- subclasses define ----------------------------------------------------------------
    def _encode_targets(self, y: Any, incremental: bool, classes: Any = None) -> np.ndarray:
        """Validated targets as network outputs ``(n, n_outputs)``; sets the target attributes."""
        raise NotImplementedError

    def _output_spec(self) -> tuple[str, str, Any]:
        """``(output activation, loss, validation score metric)`` for the fitted target type."""
        raise NotImplementedError

    def _stratify(self, Y: np.ndarray) -> np.ndarray | None:
        """The labels a validation split is stratified on (scikit-learn: binary classification only)."""
        return None

    def _sample_weight_factors(self, y: Any, Y: np.ndarray) -> np.ndarray | None:
        """Per-sample factors from ``class_weight`` (classifiers), or None."""
        return None

    # -- validation -------------------------------------------------------------------------
    def _validated_hyperparameters(self) -> dict[str, Any]:
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
        named = []
        for k, name in enumerate(activations):
            name = ACTIVATION_ALIASES.get(name, name) if isinstance(name, str) else name
            if not isinstance(name, str) or name not in hidden_activations:
                raise fail(
                    f"activation[{k}]" if not isinstance(activation, str) else "activation",
                    f"one of {sorted(hidden_activations + list(ACTIVATION_ALIASES))}",
                    activations[k],
                )
            named.append(name)
        if not isinstance(self.solver, str) or self.solver not in SOLVERS:
            raise fail("solver", f"one of {list(SOLVERS)}", self.solver)
        if self.optimizer is not None and (
            not isinstance(self.optimizer, str) or self.optimizer.lower() not in OPTIMIZERS
        ):
            raise fail(
                "optimizer", f"None (the solver's rule) or one of {sorted(OPTIMIZERS)} (torch's rules)", self.optimizer
            )
        schedule, rate = self.learning_rate, self.learning_rate_init
        if isinstance(schedule, numbers.Real) and not isinstance(schedule, bool):
            # chainrule's earlier meaning, kept: a number is the (constant) learning rate.
            _positive_real(schedule, "learning_rate")
            schedule, rate = "constant", float(schedule)
        elif not isinstance(schedule, str) or schedule not in LEARNING_RATE_SCHEDULES:
            raise fail("learning_rate", f"one of {list(LEARNING_RATE_SCHEDULES)} (or a number: the rate)", schedule)
        _positive_real(rate, "learning_rate_init")
        for name in ("alpha", "power_t", "tol"):
            _positive_real(getattr(self, name), name, allow_zero=True)
        for name in ("beta_1", "beta_2"):
            _positive_real(getattr(self, name), name, allow_zero=True)
            if not getattr(self, name) < 1:
                raise fail(name, "a number in [0, 1)", getattr(self, name))
        _positive_real(self.epsilon, "epsilon")
        _positive_real(self.momentum, "momentum", allow_zero=True)
        if not self.momentum <= 1:
            raise fail("momentum", "a number in [0, 1]", self.momentum)
        if not (
            self.batch_size == "auto"
            or self.batch_size is None
            or (
                isinstance(self.batch_size, numbers.Integral)
                and not isinstance(self.batch_size, bool)
                and self.batch_size >= 1  # type: ignore[operator]  # (*)
            )
        ):
            raise fail("batch_size", "'auto', None (full batch) or a positive integer", self.batch_size)
        for name in ("max_iter", "max_fun"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise fail(name, "a positive integer", value)
        patience = self.n_iter_no_change
        if isinstance(patience, bool) or not (
            (isinstance(patience, numbers.Integral) and patience >= 1)  # type: ignore[operator]  # (*)
            or patience == math.inf
        ):
            raise fail("n_iter_no_change", "a positive integer or numpy.inf", patience)
        fraction = self.validation_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 <= fraction < 1:
            raise fail("validation_fraction", "a number in [0, 1)", fraction)
        for name in ("shuffle", "early_stopping", "warm_start", "nesterovs_momentum"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise fail(name, "True or False", getattr(self, name))
        if not isinstance(self.verbose, (bool, np.bool_, numbers.Integral)):
            raise fail("verbose", "True, False or an integer", self.verbose)
        init = self.init
        if not isinstance(init, str) or not (init in ("sklearn", "auto") or init in INITIALIZERS):
            raise fail("init", f"'sklearn', 'auto' or one of {sorted(INITIALIZERS)}", init)
        if self.table_options is not None:
            if not isinstance(self.table_options, TableOptions):
                raise fail("table_options", "a chainrule.tabular.TableOptions or None", self.table_options)
            if self.table_options.missing == "drop":
                raise fail(
                    "table_options.missing",
                    "'error' or 'impute' (an estimator predicts every row: "
                    "leave rows out before fit, e.g. with DataFrame.dropna())",
                    "drop",
                )
        dtype = None if self.dtype is None else check_dtype(self.dtype, "dtype")
        return {
            "hidden": [int(h) for h in hidden],
            "activations": named,
            "dtype": dtype,
            "schedule": schedule,
            "rate": rate,
        }

    # -- mixed tables --------------------------------------------------------------------------
    def _wants_table_encoding(self, X: Any) -> bool:
        """Whether ``X`` is a DataFrame to encode (see the module docstring)."""
        if not is_frame(X):
            return False
        if self.table_options is not None:
            return True
        from pandas.api import types as t

        return not all(t.is_numeric_dtype(d) and not t.is_bool_dtype(d) and isinstance(d, np.dtype) for d in X.dtypes)

    def _encoded(self, X: Any, dtype: Any, *, fit: bool) -> np.ndarray:
        """``X`` ``(n, n_columns)`` through the table encoder (learned here when ``fit``): ``(n, n_inputs)``."""
        if not is_frame(X):
            raise fail(
                "X",
                f"a pandas DataFrame with the columns {list(self.feature_names_in_)} (the estimator was fitted on one)",
                Described(type(X).__name__),
            )
        table = table_from_frame(X, "X")
        if fit:
            self.table_encoder_ = TableEncoder.fit(table, self.table_options or TableOptions())
            self.n_features_in_ = len(table.columns)
            self.feature_names_in_ = np.asarray(table.columns, dtype=object)
        encoder: TableEncoder = self.table_encoder_
        absent = [c for c in encoder.column_names if c not in table.cells]
        if absent:
            raise fail("X", f"a DataFrame with the columns {encoder.column_names}", Described(f"one without {absent}"))
        encoded: np.ndarray = check_array(encoder.transform(table, dtype), dtype=dtype)
        return encoded

    def _inputs(self, X: Any, dtype: Any) -> np.ndarray:
        """Checked inputs for the fitted network: encoded (a table) or validated as scikit-learn does."""
        if hasattr(self, "table_encoder_"):
            return self._encoded(X, dtype, fit=False)
        inputs: np.ndarray = validate_data(self, X, dtype=dtype, reset=False)
        return inputs

    def _input_dtype(self, X: Any, chosen: Any) -> Any:
        """The network's dtype: ``dtype`` when given, else scikit-learn's rule (float32 stays float32)."""
        if chosen is not None:
            return chosen
        return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64

    # -- training ----------------------------------------------------------------------------
    def _fit(
        self, X: Any, y: Any, sample_weight: Any, validation_data: Any, incremental: bool, classes: Any = None
    ) -> BaseNetworkEstimator:
        params = self._validated_hyperparameters()
        if self.solver == "lbfgs" and incremental:
            raise fail("solver", "'sgd' or 'adam' for partial_fit (lbfgs is not stochastic)", self.solver)
        if self.early_stopping and incremental:
            raise fail("early_stopping", "False with partial_fit (as in scikit-learn)", True)
        first = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        dtype = self._input_dtype(X, params["dtype"]) if first else self.network_.dtype
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
        self.n_outputs_ = Y.shape[1]  # the network's outputs: scikit-learn's count (binary 1, K classes, L labels)
        weights, alpha = self._weights(sample_weight, y, Y, X.shape[0], dtype)
        # scikit-learn draws from random_state afresh in every fit: initial weights, then the
        # validation split, then one shuffle per epoch, in that order.
        rs = _random_state(self.random_state)
        if first:
            self._initialize(X.shape[1], Y.shape[1], params, dtype, rs)
        if self.solver == "lbfgs":
            from ._lbfgs import fit_lbfgs

            fit_lbfgs(self, X, Y, weights, alpha)
            return self
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(params)
        validation: tuple[np.ndarray, ...] | None = None
        if validation_data is not None:
            Xv = self._inputs(validation_data[0], dtype)
            Yv = self._encode_targets(validation_data[1], incremental=True).astype(dtype, copy=False)
            validation = (Xv, Yv)
        elif self.early_stopping:
            X, Y, weights, validation = self._split(X, Y, weights, rs)
        n_train = X.shape[0]
        batch = self.batch_size
        if batch == "auto":
            batch = min(200, n_train)
        elif batch is not None:
            if batch > n_train:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                    UserWarning,
                    stacklevel=3,
                )
            batch = int(np.clip(batch, 1, n_train))
        rule = self._convergence
        callbacks: list[Callback] = []
        loss_of = None
        if self._reports_output_mean:
            tracker = OutputMeanLoss(Y.shape[1], alpha)
            callbacks.append(tracker)
            loss_of = tracker.loss
        rule.training_loss = loss_of
        callbacks.append(rule)
        if self.verbose:
            callbacks.append(PrintProgress(loss_of, offset=0))
        order = _SklearnOrder(rs, n_train) if self.shuffle else None
        _, _, score = self._output_spec()
        self._last_stopped = False
        history = self.network_.fit(
            X,
            Y,
            optimizer=self._optimizer,
            epochs=1 if incremental else self.max_iter,
            batch_size=batch,
            shuffle=self.shuffle,
            shuffle_order=order,
            seed=0,
            sample_weight=weights,
            validation_data=validation,
            metrics=[score] if validation is not None and score is not None else (),
            train_metrics=False,
            callbacks=callbacks,
            progress=False,
            comm=self.comm,
            l2=alpha,
        )
        rule.training_loss = None  # the callback is kept (its state carries over): no reference to this fit
        self.history_ = history
        curve = list(tracker.values) if loss_of is not None else list(history.loss)
        self.loss_curve_ = self.loss_curve_ + curve
        self.loss_ = curve[-1]
        self.n_iter_ = len(history)
        self.t_ = rule.samples_seen
        if "val_loss" in history:
            self.validation_loss_curve_ = self.validation_loss_curve_ + list(history.val_loss)
        if self.early_stopping:
            self.validation_scores_ = list(rule.scores)
            self.best_validation_score_ = rule.best_score
            self.best_loss_ = None
        else:
            self.best_loss_ = rule.best_loss
            if validation is not None and score is not None:  # validation_data without early stopping
                self.validation_scores_ = (self.validation_scores_ or []) + list(history["val_" + score.name])
        if self.verbose and rule.converged:
            print(rule.message + " Stopping.")
        if not incremental and not rule.converged and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _weights(
        self, sample_weight: Any, y: Any, Y: np.ndarray, n: int, dtype: Any
    ) -> tuple[np.ndarray | None, float]:
        """``(weights or None, L2 strength)``: sample weights times ``class_weight``'s, scaled to mean 1.

        scikit-learn divides a batch's loss and penalty by the batch's weight
        total; the network divides by its rows. Weights of mean 1 make the
        loss agree, and ``alpha * n / total`` the penalty (exactly for full
        batches, on average for mini-batches): a weight of 2 is then a sample repeated.
        """
        factors = self._sample_weight_factors(y, Y)
        alpha = float(self.alpha)
        if sample_weight is None and factors is None:
            return None, alpha
        weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
        if weights.ndim == 0:  # one number for every sample, as scikit-learn allows
            weights = np.full(n, weights)
        weights = check_sample_weight(weights, n, dtype)
        if factors is not None:
            weights = (weights * factors).astype(dtype, copy=False)
        total = weights.sum()
        if not total > 0:
            raise fail("sample_weight", "at least one non-zero weight", Described("all weights are zero"))
        # As if each sample were repeated w times: the loss is sum w_i E_i / sum w_i.
        return weights * (n / total), alpha * (n / float(total))

    def _initialize(
        self, n_inputs: int, n_outputs: int, params: dict[str, Any], dtype: Any, rs: np.random.RandomState
    ) -> None:
        """A new network (scikit-learn's initial weights and biases by default) and fresh fitted state."""
        activation, loss, _ = self._output_spec()
        sizes = [n_inputs, *params["hidden"], n_outputs]
        hidden = params["activations"]
        if self.init == "sklearn":
            self.network_ = Network.from_sizes(sizes, [*hidden, activation], loss=loss, init="zeros", dtype=dtype)
            # scikit-learn's factor 2 for logistic applies when its one activation is logistic.
            factor_of = "sigmoid" if all(a == "sigmoid" for a in hidden) else "relu"
            for layer, (W, b) in zip(self.network_.layers, sklearn_initial_parameters(sizes, factor_of, rs, dtype)):
                layer.set_weights(W=W, b=b)
        else:
            init = default_initializer(hidden) if self.init == "auto" else self.init
            self.network_ = Network.from_sizes(
                sizes,
                [*hidden, activation],
                loss=loss,
                init=init,
                seed=int(rs.randint(np.iinfo(np.int32).max)),
                dtype=dtype,
            )
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_, self.validation_loss_curve_ = [], []
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self.best_loss_ = None if self.early_stopping else np.inf
        self._convergence = self._make_rule(params)
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _make_rule(self, params: dict[str, Any]) -> ConvergenceRule:
        _, _, score = self._output_spec()
        monitor = "val_" + score.name if self.early_stopping else "loss"
        # scikit-learn's Adam has no schedule: learning_rate only shapes SGD.
        schedule = params["schedule"] if self.solver == "sgd" and self.optimizer is None else "constant"
        return ConvergenceRule(
            float(self.tol), self.n_iter_no_change, monitor=monitor, learning_rate=schedule, power_t=float(self.power_t)
        )

    def _make_optimizer(self, params: dict[str, Any]) -> Any:
        rate = params["rate"]
        if self.optimizer is not None:
            return get_optimizer(self.optimizer, rate)
        if self.solver == "sgd":
            return MLPSGD(
                None, rate, momentum=float(self.momentum), nesterov=bool(self.nesterovs_momentum) and self.momentum > 0
            )
        return MLPAdam(None, rate, beta_1=float(self.beta_1), beta_2=float(self.beta_2), epsilon=float(self.epsilon))

    def _split(
        self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None, rs: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[np.ndarray, ...]]:
        """scikit-learn's validation split: ``train_test_split`` with the estimator's random state."""
        arrays = [X, Y] + ([weights] if weights is not None else [])
        if not self.validation_fraction > 0:
            raise fail("validation_fraction", "a number in (0, 1) with early_stopping=True", self.validation_fraction)
        parts = train_test_split(
            *arrays, random_state=rs, test_size=self.validation_fraction, stratify=self._stratify(Y)
        )
        X_train, X_val, Y_train, Y_val = parts[:4]
        w_train, w_val = (parts[4], parts[5]) if weights is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
            )
        validation = (X_val, Y_val) if w_val is None else (X_val, Y_val, w_val)
        return X_train, Y_train, w_train, validation

    @property
    def _reports_output_mean(self) -> bool:
        """Whether scikit-learn's reported loss is the network's over the outputs (multi-output regression)."""
        return False

    def __copy__(self) -> BaseNetworkEstimator:
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
        """Weight matrices, ``coefs_[k]`` of shape ``(n_in, n_out)`` (copies), as scikit-learn's."""
        return [layer.W.copy() for layer in self.network_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[k]`` of shape ``(n_out,)`` (copies), as scikit-learn's."""
        return [layer.b.copy() for layer in self.network_.layers]

    @property
    def n_layers_(self) -> int:
        """Layers counting the input layer, as scikit-learn's: ``len(hidden_layer_sizes) + 2``."""
        return len(self.network_.layers) + 1

    @property
    def out_activation_(self) -> str:
        """The output activation in scikit-learn's names: ``'softmax'``, ``'logistic'`` or ``'identity'``."""
        name = self.network_.layers[-1].activation.name
        return {"sigmoid": "logistic"}.get(name, name)


class _SklearnOrder:
    """scikit-learn's batch order: ``sample_idx = shuffle(sample_idx, random_state)`` every epoch.

    The permutations compound (each epoch shuffles the previous order), drawn
    from the estimator's ``RandomState`` after the initial weights and the split.
    """

    def __init__(self, rs: np.random.RandomState, n: int) -> None:
        self.rs = rs
        self.order = np.arange(n, dtype=int)
        self._indices = np.empty(n, dtype=int)

    def __call__(self, epoch: int, n: int) -> np.ndarray:
        # sklearn.utils.shuffle(order, random_state=rs) is resample(replace=False): shuffle
        # arange(n) with rs, then take. Done here directly: its argument checks cost more than
        # the shuffle itself on small data (tests/test_sklearn_parity.py checks the orders agree).
        indices = self._indices
        indices[:] = np.arange(n)
        self.rs.shuffle(indices)
        self.order = self.order[indices]
        return self.order


def _random_state(random_state: Any) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``, without the global random state.

    An int gives a fresh ``RandomState(seed)`` (scikit-learn's draws, every fit
    alike); a RandomState is used as is; None draws fresh OS entropy; a
    ``numpy.random.Generator`` gives one draw to seed a RandomState.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(2**32)))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and 0 <= random_state < 2**32:  # type: ignore[operator]  # (*)
        return np.random.RandomState(int(random_state))
    raise fail("random_state", "None, an integer in [0, 2**32), a RandomState or a Generator", random_state)


# (*) typeshed's numbers.Integral and numbers.Real declare no comparisons and NumPy's stubs do not
# take them: the checks accept any registered number (NumPy's scalars, Fraction), as scikit-learn does.
def _positive_real(value: Any, name: str, allow_zero: bool = False) -> None:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and np.isfinite(value)  # type: ignore[call-overload]  # (*)
        and (value >= 0 if allow_zero else value > 0)  # type: ignore[operator]  # (*)
    )
    if not ok:
        raise fail(name, "a finite number >= 0" if allow_zero else "a finite number > 0", value)

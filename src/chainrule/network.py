"""A fully connected network: a stack of :class:`~chainrule.layers.Dense` layers and a loss.

Data flows ``X (n, n_inputs) -> layer 1 -> ... -> layer L -> a (n, n_outputs)``,
the loss compares ``a`` with the targets ``Y (n, n_outputs)``, and ``backward``
sends dE/dz from the output layer back through every layer, leaving each
layer's ``dW`` and ``db`` filled in. An :class:`~chainrule.optim.Optimizer`
then applies them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ._checks import Described, as_2d, check_dtype, check_positive_int, fail
from .activations import Activation
from .errors import DivergenceError
from .initializers import make_rng
from .layers import Dense, Parameter
from .losses import Loss, get_loss

if TYPE_CHECKING:
    from .optim import Optimizer, Schedule
    from .training import Callback, EarlyStopping, History

__all__ = ["Network"]


class Network:
    """A stack of dense layers trained on a loss.

    Parameters
    ----------
    layers : sequence of Dense
        Consecutive layers must agree (``layers[k].n_out == layers[k+1].n_in``)
        and share one dtype.
    loss : str, dict or Loss
        ``"squared_error"`` (the tutorial's, default), ``"categorical_cross_entropy"``
        (softmax output) or ``"binary_cross_entropy"`` (sigmoid output).
    """

    def __init__(self, layers: Sequence[Dense], loss: str | dict | Loss = "squared_error") -> None:
        layers = list(layers)
        if not layers:
            raise fail("layers", "at least one Dense layer", layers)
        for k, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                raise fail(f"layers[{k}]", "a Dense layer", layer)
            if layer.name == "dense":
                layer.name = f"layer {k + 1}"
                layer.weight.name, layer.bias.name = f"layer {k + 1}.W", f"layer {k + 1}.b"
        for k in range(1, len(layers)):
            if layers[k].n_in != layers[k - 1].n_out:
                raise fail(
                    f"{layers[k].name} n_in",
                    f"{layers[k - 1].n_out} (the outputs of {layers[k - 1].name})",
                    layers[k].n_in,
                )
            if layers[k].dtype != layers[0].dtype:
                raise fail(f"{layers[k].name} dtype", layers[0].dtype.name, layers[k].dtype.name)
        self.layers = layers
        self.loss_function = get_loss(loss)
        self.loss_function.check_activation(layers[-1].activation)
        self._consolidate()

    def _consolidate(self) -> None:
        """Move every weight and bias (and its gradient) into one flat buffer.

        Trainable parameters come first, so that they form one contiguous
        prefix: an optimizer can then update all of them with a single array
        operation (:meth:`flat_parameter`), and data-parallel training can
        average all gradients with one collective call. Each layer's ``W`` and
        ``b`` become views into the buffers; a layer belongs to one network.
        """
        params = [p for layer in self.layers for p in (layer.weight, layer.bias)]
        ordered = [p for p in params if p.trainable] + [p for p in params if not p.trainable]
        total = sum(p.value.size for p in ordered)
        self._flat_value = np.empty(total, dtype=self.dtype)
        self._flat_grad = np.zeros(total, dtype=self.dtype)
        offset = 0
        for p in ordered:
            size = p.value.size
            value = self._flat_value[offset : offset + size].reshape(p.value.shape)
            grad = self._flat_grad[offset : offset + size].reshape(p.value.shape)
            value[...] = p.value
            grad[...] = p.grad
            p.value, p.grad = value, grad
            offset += size
        self._n_trainable = sum(p.value.size for p in params if p.trainable)
        self._trainable_grad = self._flat_grad[: self._n_trainable]
        # The divergence check sums the gradient as a BLAS dot product with ones:
        # over twice as fast as np.add.reduce on large networks.
        self._ones = np.ones(self._n_trainable, dtype=self.dtype)

    def flat_parameter(self) -> Parameter:
        """All trainable values and gradients as one Parameter of shape ``(n_trainable,)``.

        Its arrays are views: updating ``value`` in place updates every layer.
        """
        n = self._n_trainable
        return Parameter(self._flat_value[:n], self._flat_grad[:n], "all trainable parameters")

    @classmethod
    def from_sizes(
        cls,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        *,
        output_activation: str | Activation | None = None,
        loss: str | dict | Loss = "squared_error",
        bias: str = "per_neuron",
        train_bias: bool = True,
        init: Any = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> "Network":
        """Build a network from layer sizes, e.g. ``[2, 2, 2]`` for the tutorial's 2-2-2.

        ``activation`` is one activation for every layer or one per layer;
        ``output_activation`` overrides the last layer's. All layers draw their
        initial weights from one generator made from ``seed``.
        """
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
            raise fail("sizes", "a sequence of at least 2 layer sizes (inputs, ..., outputs)", sizes)
        sizes = [check_positive_int(s, f"sizes[{k}]") for k, s in enumerate(sizes)]
        n_layers = len(sizes) - 1
        if isinstance(activation, (str, Activation, dict)):
            activations = [activation] * n_layers
        else:
            activations = list(activation)
            if len(activations) != n_layers:
                raise fail("activation", f"one activation or a list of {n_layers}", activation)
        if output_activation is not None:
            activations[-1] = output_activation
        rng = make_rng(seed)
        layers = [
            Dense(
                sizes[k], sizes[k + 1], activations[k], bias=bias, train_bias=train_bias,
                init=init, seed=rng, dtype=dtype, name=f"layer {k + 1}",
            )
            for k in range(n_layers)
        ]
        return cls(layers, loss=loss)

    # -- description ------------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].dtype

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def sizes(self) -> list[int]:
        """Layer sizes, inputs first: ``[n_inputs, ..., n_outputs]``."""
        return [self.n_inputs] + [layer.n_out for layer in self.layers]

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter, layer by layer (weights, then bias unless frozen)."""
        return [p for layer in self.layers for p in layer.parameters()]

    def n_parameters(self, trainable_only: bool = False) -> int:
        """Number of scalar weights and biases."""
        return sum(
            layer.W.size + (layer.b.size if layer.train_bias or not trainable_only else 0)
            for layer in self.layers
        )

    def config(self) -> dict:
        """JSON-ready architecture: layers and loss, without values."""
        return {
            "layers": [layer.config() for layer in self.layers],
            "loss": self.loss_function.config(),
            "dtype": self.dtype.name,
        }

    def __repr__(self) -> str:
        acts = ", ".join(layer.activation.name for layer in self.layers)
        return (
            f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss_function!r}, "
            f"dtype={self.dtype.name})"
        )

    # -- checking input ----------------------------------------------------------------
    def check_inputs(self, X: Any, what: str = "X") -> np.ndarray:
        """``X`` as a finite ``(n, n_inputs)`` array of the network's dtype."""
        return as_2d(X, what, self.dtype, self.n_inputs)

    def check_targets(self, Y: Any, n_samples: int, what: str = "Y") -> np.ndarray:
        """``Y`` as a finite ``(n_samples, n_outputs)`` array; probabilities for the cross-entropies."""
        Y = as_2d(Y, what, self.dtype, self.n_outputs)
        if Y.shape[0] != n_samples:
            raise fail(what, f"{n_samples} rows (one per sample of X)", Described(f"shape {Y.shape}"))
        if self.loss_function.requires_activation is not None and ((Y < 0).any() or (Y > 1).any()):
            raise fail(what, f"values in [0, 1] for loss {self.loss_function.name!r}", Y)
        return Y

    # -- forward and error ---------------------------------------------------------------
    def _forward(self, X: np.ndarray) -> np.ndarray:
        """Forward pass caching z and a; the caller silences overflow (the training loop does)."""
        a = X
        for layer in self.layers:
            a = layer.forward_unchecked(a)
        return a

    def forward(self, X: Any) -> np.ndarray:
        """Forward pass that caches every layer's ``z`` and ``a`` for :meth:`backward`.

        ``X``: ``(n, n_inputs)``, converted to the network's dtype. Returns a copy
        of the output activations, ``(n, n_outputs)``.
        """
        X = self.check_inputs(X)
        with np.errstate(over="ignore"):
            return self._forward(X).copy()

    def predict(self, X: Any) -> np.ndarray:
        """Output activations ``(n, n_outputs)`` for ``X`` ``(n, n_inputs)``; records nothing."""
        a = self.check_inputs(X)
        for layer in self.layers:
            a = layer.predict(a)
        return a

    def loss(self, X: Any, Y: Any) -> float:
        """The reduced error E of the network on ``(X, Y)``; records nothing."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        a = X
        for layer in self.layers[:-1]:
            a = layer.predict(a)
        last = self.layers[-1]
        z = a @ last.W
        z += last.b
        out = last.activation.forward(z, out=np.empty_like(z))
        return self.loss_function.value(out, z, Y)

    # -- backward ------------------------------------------------------------------------
    def _backward(self, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        last = self.layers[-1]
        value = self.loss_function.value_and_delta(last.a, last.z, Y, last.activation, out=last.dz)
        if sample_weight is not None:
            # Each sample's error, hence its row of dE/dz, scales by its weight.
            value = self.loss_function.weighted_value(last.a, last.z, Y, sample_weight)
            np.multiply(last.dz, sample_weight[:, np.newaxis], out=last.dz)
        grad = last.backward_delta(need_input_grad=len(self.layers) > 1)
        for k in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[k].backward(grad, need_input_grad=k > 0)
        return value

    def backward(self, Y: Any) -> float:
        """After :meth:`forward`, compute every layer's ``dW`` and ``db`` for targets ``Y``.

        Gradients are overwritten, not accumulated. Returns the error E.
        """
        last = self.layers[-1]
        Y = self.check_targets(Y, last.a.shape[0])
        return self._backward(Y)

    def gradients(self, X: Any, Y: Any) -> tuple[float, list[dict[str, np.ndarray]]]:
        """Forward and backward on ``(X, Y)``.

        Returns ``(E, grads)`` where ``grads[k]`` has copies of layer ``k``'s
        ``"W"`` gradient ``(n_in, n_out)`` and ``"b"`` gradient (``"b"`` only when trainable).
        """
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        with np.errstate(over="ignore"):
            self._forward(X)
        value = self._backward(Y)
        grads = []
        for layer in self.layers:
            entry = {"W": layer.dW.copy()}
            if layer.train_bias:
                entry["b"] = layer.db.copy()
            grads.append(entry)
        return value, grads

    # -- training --------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        Y: Any,
        *,
        optimizer: "str | Optimizer" = "sgd",
        learning_rate: float | None = None,
        schedule: "Schedule | None" = None,
        epochs: int = 1,
        batch_size: int | None = 32,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        sample_weight: Any = None,
        validation_data: Any = None,
        validation_fraction: float | None = None,
        metrics: Sequence[str] = (),
        early_stopping: "EarlyStopping | None" = None,
        callbacks: Sequence["Callback"] = (),
        progress: bool | None = None,
        initial_epoch: int = 0,
        comm: Any = None,
        sharded: bool = False,
    ) -> "History":
        """Train with mini-batches for ``epochs`` epochs; return the per-epoch :class:`History`.

        Parameters
        ----------
        X, Y : arrays ``(n, n_inputs)`` and ``(n, n_outputs)``
            Converted to the network's dtype (float32 stays float32).
        optimizer : {"sgd", "adam", "adamw", "rmsprop"} or Optimizer
            A name (with its PyTorch default rate unless ``learning_rate`` is
            given) or an instance, unbound (``Adam(learning_rate=1e-3)``: it is
            bound to :meth:`flat_parameter`, the fastest) or bound to this
            network's parameters. Its state carries over between calls.
        learning_rate : float, optional
            Only with an optimizer name.
        schedule : Schedule, optional
            Learning rate per epoch (or per step), e.g. ``CosineAnnealingLR(epochs)``,
            from the optimizer's ``initial_learning_rate``.
        epochs : int
            The epoch to end at, counted from the very start (as Keras): with
            ``initial_epoch=k`` the run trains epochs ``k+1 .. epochs``.
        batch_size : int or None
            Samples per update (default 32); None for full-batch gradient descent.
            The last batch of an epoch may be smaller.
        shuffle : bool
            Visit the samples in a new order each epoch (not needed for full batches).
        seed : int, Generator or None
            Epoch ``e`` shuffles with ``numpy.random.default_rng([seed, e])``; a
            validation split uses ``default_rng([seed, 0])``. A Generator gives
            one integer draw; None draws fresh entropy. The seed used is
            ``history.seed``.
        sample_weight : array ``(n,)``, optional
            Non-negative weight of each sample's error (and so its gradient):
            the loss becomes ``sum_i w_i E_i / n`` with the mean reduction.
        validation_data : ``(X_val, Y_val)`` or ``(X_val, Y_val, weights)``, optional
            Evaluated after every epoch (``val_loss``, ``val_<metric>``).
        validation_fraction : float in (0, 1), optional
            Instead of ``validation_data``: hold out this fraction of ``X``, drawn by the seed.
        metrics : list of {"accuracy", "mse", "mae", "r2"}
            Evaluated after every epoch on the training data (``accuracy``) and
            on the validation data (``val_accuracy``).
        early_stopping : EarlyStopping, optional
            E.g. ``EarlyStopping(patience=5, min_delta=0, restore_best_weights=True)``.
        callbacks : list of Callback
            Hooks at train, epoch and batch boundaries; they may stop training.
        progress : bool or None
            A tqdm progress bar with loss and throughput. None (default): only
            when standard error is a terminal and the run lasts over 2 seconds.
        initial_epoch : int
            Epochs already done (to resume a run; restore weights and the
            optimizer's ``state_dict`` first). Continuing gives bitwise the same
            weights as an uninterrupted run.
        comm : mpi4py communicator, None or False
            Data-parallel training over MPI (:mod:`chainrule.distributed`):
            every process calls ``fit`` alike, each computes the gradient of
            its rows of every global batch, and the results equal a
            single-process run to float rounding. None (default) uses
            ``MPI.COMM_WORLD`` when started by ``mpiexec`` with more than one
            process; False never distributes.
        sharded : bool
            With a communicator: True when ``X``, ``Y`` and ``sample_weight``
            hold only this process's contiguous part of the data (in rank
            order); False (default) when every process passed all of it.

        Returns
        -------
        History
            ``history.loss`` (mean training loss per epoch), ``history.val_loss``,
            metrics, ``history.epoch``; ``history.to_dict()`` for plain lists.

        Raises
        ------
        DivergenceError
            When a loss or gradient becomes NaN or infinite; the update that
            would have applied it is skipped, so the weights are the last finite
            ones. The error names the epoch, step and first layer, and carries
            ``history``.
        KeyboardInterrupt
            On Ctrl-C, after the current update completes (see
            :mod:`chainrule.training.loop`); carries ``history``.
        """
        from .distributed.comm import resolve_comm
        from .training import TrainingLoop

        comm = resolve_comm(comm)
        if comm is not None:
            from .distributed import DataParallelLoop

            loop_class, extra = DataParallelLoop, {"comm": comm, "sharded": sharded}
        else:
            loop_class, extra = TrainingLoop, {}
        loop = loop_class(
            self, **extra, optimizer=optimizer, learning_rate=learning_rate, schedule=schedule, epochs=epochs,
            batch_size=batch_size, shuffle=shuffle, seed=seed, metrics=metrics, early_stopping=early_stopping,
            callbacks=callbacks, progress=progress, initial_epoch=initial_epoch,
        )
        return loop.run(
            X, Y, sample_weight=sample_weight, validation_data=validation_data,
            validation_fraction=validation_fraction,
        )

    def evaluate(self, X: Any, Y: Any, metrics: Sequence[str] = (), sample_weight: Any = None) -> dict[str, float]:
        """``{"loss": E, "<metric>": ...}`` on ``X`` ``(n, n_inputs)``, ``Y`` ``(n, n_outputs)``; records nothing."""
        from .training import evaluate, get_metric
        from .training.loop import _check_weights

        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        w = None if sample_weight is None else _check_weights(sample_weight, X.shape[0], self.dtype, "sample_weight")
        if isinstance(metrics, str):
            metrics = [metrics]
        return evaluate(self, X, Y, [get_metric(m) for m in metrics], w)

    def train(
        self,
        X: Any,
        Y: Any,
        optimizer: Any = None,
        *,
        learning_rate: float = 0.5,
        epochs: int = 1,
        batch_size: int | None = None,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
    ) -> list[float]:
        """The tutorial's loop: :meth:`fit` with full batches and SGD by default, silently.

        Returns the mean loss of each epoch (``fit(...).loss``). ``optimizer``
        defaults to :class:`~chainrule.optim.SGD` with ``learning_rate``; see
        :meth:`fit` for the rest and for :class:`DivergenceError`.
        """
        from .optim import SGD

        if optimizer is None:
            optimizer = SGD(None, learning_rate=learning_rate)
        history = self.fit(
            X, Y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, shuffle=shuffle, seed=seed,
            progress=False,
        )
        return list(history.loss)

    def _check_finite(self, value: float, epoch: int, step: int) -> None:
        """Raise DivergenceError, naming the first bad layer, if the loss or a gradient is not finite."""
        # A sum is finite only if every term is: one pass over the flat gradient buffer.
        if math.isfinite(value) and math.isfinite(np.dot(self._trainable_grad, self._ones)):
            return
        where = "the loss"
        for layer in self.layers:
            for label, array in (
                ("weights W", layer.W), ("biases b", layer.b), ("pre-activations z", layer.z),
                ("activations a", layer.a), ("deltas dE/dz", layer.dz),
                ("gradient dE/dW", layer.dW), ("gradient dE/db", layer.db),
            ):
                if not np.isfinite(array).all():
                    where = f"{layer.name} {label}"
                    break
            else:
                continue
            break
        raise DivergenceError(epoch=epoch, step=step, where=where, loss=value)

    # -- copies ----------------------------------------------------------------------------
    def astype(self, dtype: Any) -> "Network":
        """A copy of the network, values included, in ``float32`` or ``float64``."""
        dtype = check_dtype(dtype)
        return Network([layer.astype(dtype) for layer in self.layers], loss=self.loss_function)

    def copy(self) -> "Network":
        """An independent copy with the same values."""
        return self.astype(self.dtype)

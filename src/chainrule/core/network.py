"""A fully connected network: a stack of :class:`~chainrule.core.layers.Dense` layers and a loss.

Data flows ``X (n, n_inputs) -> layer 1 -> ... -> layer L -> a (n, n_outputs)``,
the loss compares ``a`` with the targets ``Y (n, n_outputs)``, and the backward
pass sends dE/dz from the output layer back through every layer, leaving each
layer's ``dW`` and ``db`` filled in. An :class:`~chainrule.optim.Optimizer`
then applies them.

The engine's public API, which every part of the library uses:

=================================  ===========================================================
``infer(X, ...)``                  the one inference pass: outputs, optionally the logits and
                                   every layer's ``(z, a)``; records nothing
``predict``, ``loss``, ``evaluate``  built on it (``outputs_and_losses`` for the loop's evaluation)
``loss_and_gradients(X, Y, ...)``  the training pass: forward, loss, backward into the buffer
``check_finite(loss, ...)``        the divergence check of a step's loss and gradients
``apply_update(optimizer, ...)``   the optimizer's step, refused when it would leave non-finite weights
``train_step(X, Y, optimizer)``    the three above: one update on one batch
``buffer``, ``flat_parameter()``   every value and gradient in one flat buffer (views)
``reserve(n_rows)``                room for batches up to ``n_rows``, so that steps allocate nothing
``check_inputs``, ``check_targets``, ``check_sample_weight``   validation of user arrays
=================================  ===========================================================

The fast-path methods (``loss_and_gradients``, ``outputs_and_losses``) take
arrays already checked by the ``check_*`` methods; the others check their input.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Protocol, Sequence

import numpy as np

from .activations import Activation
from .errors import DivergenceError
from .initializers import make_rng
from .layers import BIAS_MODES, Dense
from .losses import Loss, get_loss
from .metrics import get_metric
from .parameters import Parameter, ParameterBuffer
from .penalty import add_l2_penalty
from .spec import NetworkSpec
from .validation import (
    Described, as_2d, check_choice, check_dtype, check_layer_sizes, check_positive_int, check_sample_weight,
    count_parameters, fail,
)

if TYPE_CHECKING:
    from ..training import History

__all__ = ["Inference", "LayerOutput", "Network", "Updater", "EVAL_CHUNK"]

#: Rows per chunk when evaluating, to bound memory on large data sets.
EVAL_CHUNK = 8192


class Updater(Protocol):
    """What the engine needs of an optimizer (every :class:`chainrule.optim.Optimizer` is one)."""

    parameters: list[Parameter]

    @property
    def bound(self) -> bool: ...

    def bind(self, parameters: Sequence[Parameter]) -> Any: ...

    def step(self) -> None: ...


class LayerOutput(NamedTuple):
    """One layer's pre-activation ``z`` and activation ``a``, both ``(n, n_out)``."""

    z: np.ndarray
    a: np.ndarray


class Inference(NamedTuple):
    """What :meth:`Network.infer` computed.

    ``outputs`` ``(n, n_outputs)``: the output layer's activations; ``logits``:
    its pre-activations (when asked for); ``layers``: every layer's
    :class:`LayerOutput`, first layer first (when asked for).
    """

    outputs: np.ndarray
    logits: np.ndarray | None = None
    layers: tuple[LayerOutput, ...] | None = None


class Network:
    """A stack of dense layers trained on a loss.

    Parameters
    ----------
    layers : sequence of Dense
        Consecutive layers must agree (``layers[k].n_out == layers[k+1].n_in``)
        and share one dtype. Their parameters move into the network's
        :class:`~chainrule.core.parameters.ParameterBuffer`; a layer belongs to one network.
    loss : str, dict or Loss
        ``"squared_error"`` (the tutorial's, default), ``"categorical_cross_entropy"``
        (softmax output), ``"binary_cross_entropy"`` (sigmoid output), or any
        registered loss.
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
        #: Every weight and bias (and its gradient) in one flat buffer, trainable ones first.
        self.buffer = ParameterBuffer.gather(p for layer in layers for p in (layer.weight, layer.bias))
        self._reset_scratch()

    def _reset_scratch(self) -> None:
        n = self.buffer.n_trainable
        # The divergence check sums as a BLAS dot product with ones: over twice as fast
        # as np.add.reduce on large networks.
        self._ones = np.ones(n, dtype=self.dtype)
        self._before_update: np.ndarray | None = None  # the last finite values, while an update is checked

    def flat_parameter(self) -> Parameter:
        """All trainable values and gradients as one Parameter of shape ``(n_trainable,)``.

        Its arrays are views of :attr:`buffer`: updating ``value`` in place updates every layer.
        """
        return Parameter.in_buffer(self.buffer, 0, (self.buffer.n_trainable,), "all trainable parameters")

    def owns(self, parameters: Sequence[Parameter]) -> bool:
        """Whether every parameter lives in this network's :attr:`buffer`."""
        return all(p.buffer is self.buffer for p in parameters)

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
        sizes = check_layer_sizes(sizes)  # at most MAX_PARAMETERS, refused before anything is allocated
        check_choice(bias, "bias", BIAS_MODES)
        n_layers = len(sizes) - 1
        if not isinstance(activation, (list, tuple)):
            # One activation for every layer; anything that is not one (None, 3) is refused by Dense.
            activations = [activation] * n_layers
        else:
            activations = list(activation)
            if len(activations) != n_layers:
                raise fail("activation", f"one activation or a list of {n_layers}", activation)
        if output_activation is not None:
            activations[-1] = output_activation
        rng = make_rng(seed)
        try:
            layers = [
                Dense(
                    sizes[k], sizes[k + 1], activations[k], bias=bias, train_bias=train_bias,
                    init=init, seed=rng, dtype=dtype, name=f"layer {k + 1}",
                )
                for k in range(n_layers)
            ]
            return cls(layers, loss=loss)
        except MemoryError:
            raise fail("sizes", "a network that fits in this machine's memory",
                       Described(f"{sizes}: {count_parameters(sizes):,} parameters")) from None

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
        return self.buffer.n_trainable if trainable_only else len(self.buffer)

    def spec(self) -> NetworkSpec:
        """The architecture and conventions, without values: a :class:`~chainrule.core.spec.NetworkSpec`.

        ``Network.from_spec(net.spec())`` has the same layers, activations, bias
        conventions, loss and dtype (new values); a model file stores it.
        """
        # Layer dicts, not LayerSpecs, so that a refusal names the layer ("layers[1].activation").
        layers = [{"type": "dense", "n_in": layer.n_in, "n_out": layer.n_out, "activation": layer.activation,
                   "bias": layer.bias_mode, "train_bias": layer.train_bias} for layer in self.layers]
        return NetworkSpec(layers, self.loss_function, self.dtype.name)

    def config(self) -> dict:
        """JSON-ready architecture: ``spec().to_dict()`` (version, layers, loss, dtype; no values)."""
        return self.spec().to_dict()

    @classmethod
    def from_spec(
        cls,
        spec: NetworkSpec | Mapping[str, Any],
        *,
        init: Any = None,
        seed: int | np.random.Generator | None = None,
    ) -> "Network":
        """A network with the architecture of ``spec`` (a :class:`NetworkSpec` or its dict).

        A dict is checked first (:meth:`NetworkSpec.from_dict`: errors name the
        path, ``"layers[1].activation"``). Weights come from ``init`` (each
        layer's default when None) drawn from one generator made from
        ``seed``; biases start at zero. Layers are named ``"layer 1"``, ``"layer 2"``...
        """
        if not isinstance(spec, NetworkSpec):
            spec = NetworkSpec.from_dict(spec)
        options = {} if init is None else {"init": init}
        rng = make_rng(seed)
        layers = [
            Dense(layer.n_in, layer.n_out, layer.activation, bias=layer.bias, train_bias=layer.train_bias,
                  seed=rng, dtype=spec.dtype, name=f"layer {k + 1}", **options)
            for k, layer in enumerate(spec.layers)
        ]
        return cls(layers, loss=spec.loss)

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
        """``Y`` as a finite ``(n_samples, n_outputs)`` array; values the loss accepts."""
        Y = as_2d(Y, what, self.dtype, self.n_outputs)
        if Y.shape[0] != n_samples:
            raise fail(what, f"{n_samples} rows (one per sample of X)", Described(f"shape {Y.shape}"))
        self.loss_function.check_targets(Y, what)
        return Y

    def check_sample_weight(self, weights: Any, n_samples: int, what: str = "sample_weight") -> np.ndarray:
        """Sample weights as a finite, non-negative ``(n_samples,)`` array of the network's dtype."""
        return check_sample_weight(weights, n_samples, self.dtype, what)

    # -- inference: one pass, recording nothing ------------------------------------------------
    def infer(self, X: Any, *, return_logits: bool = False, return_layers: bool = False) -> Inference:
        """The forward pass for inference on ``X`` ``(n, n_inputs)``, into fresh arrays.

        Returns an :class:`Inference`: ``outputs`` ``(n, n_outputs)``, plus the
        output layer's pre-activations (``return_logits``) and every layer's
        ``(z, a)`` (``return_layers``). Records nothing in the network.
        """
        return self._infer(self.check_inputs(X), return_logits, return_layers)

    def _infer(self, X: np.ndarray, return_logits: bool = False, return_layers: bool = False) -> Inference:
        a, z = X, X
        seen: list[LayerOutput] = []
        for layer in self.layers:
            z, a = layer.infer(a)
            if return_layers:
                seen.append(LayerOutput(z, a))
        return Inference(a, z if return_logits else None, tuple(seen) if return_layers else None)

    def predict(self, X: Any) -> np.ndarray:
        """Output activations ``(n, n_outputs)`` for ``X`` ``(n, n_inputs)``; records nothing."""
        return self.infer(X).outputs

    def loss(self, X: Any, Y: Any) -> float:
        """The reduced error E of the network on ``(X, Y)``; records nothing."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        result = self._infer(X, return_logits=True)
        return self.loss_function.value(result.outputs, result.logits, Y)

    def outputs_and_losses(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs ``(n, n_outputs)`` and each sample's unreduced loss ``(n,)`` (float64), in chunks.

        ``X`` and ``Y`` must be checked already (:meth:`check_inputs`,
        :meth:`check_targets`); records nothing.
        """
        n = X.shape[0]
        losses = np.empty(n, dtype=np.float64)
        outputs = np.empty((n, self.n_outputs), dtype=self.dtype)
        for start in range(0, n, EVAL_CHUNK):
            stop = min(start + EVAL_CHUNK, n)
            result = self._infer(X[start:stop], return_logits=True)
            outputs[start:stop] = result.outputs
            losses[start:stop] = self.loss_function.per_output(result.outputs, result.logits, Y[start:stop]).sum(axis=1)
        return outputs, losses

    def evaluate(
        self, X: Any, Y: Any, metrics: Sequence[Any] = (), sample_weight: Any = None, *, prefix: str = ""
    ) -> dict[str, float]:
        """``{"loss": E, "<metric>": ...}`` on ``X`` ``(n, n_inputs)``, ``Y`` ``(n, n_outputs)``; records nothing.

        The loss is reduced as the network's loss reduces (mean or sum over
        samples), each sample's weighted by ``sample_weight`` ``(n,)``; every
        name gets ``prefix`` (``"val_"``).
        """
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        w = None if sample_weight is None else self.check_sample_weight(sample_weight, X.shape[0])
        if isinstance(metrics, str):
            metrics = [metrics]
        scorers = [get_metric(m) for m in metrics]
        outputs, losses = self.outputs_and_losses(X, Y)
        total = float(losses.sum() if w is None else np.dot(losses, w))
        logs = {prefix + "loss": self.loss_function.reduce_total(total, X.shape[0])}
        for metric in scorers:
            logs[prefix + metric.name] = metric(Y, outputs, w)
        return logs

    # -- the training pass ----------------------------------------------------------------------
    def reserve(self, n_rows: int) -> None:
        """Make room in every layer for batches of up to ``n_rows`` rows: later steps allocate nothing."""
        for layer in self.layers:
            layer.reserve(check_positive_int(n_rows, "n_rows"))

    def _forward(self, X: np.ndarray) -> np.ndarray:
        a = X
        for layer in self.layers:
            a = layer.forward_unchecked(a)
        return a

    def loss_and_gradients(
        self, X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None = None, *, batch_rows: int | None = None
    ) -> float:
        """Forward, loss and backward on a checked batch; every gradient lands in :attr:`buffer`.

        Parameters
        ----------
        X, Y : arrays ``(m, n_inputs)``, ``(m, n_outputs)``
            Already checked (:meth:`check_inputs`, :meth:`check_targets`), of
            the network's dtype. ``m`` may be 0 (a process holding no row of
            a data-parallel batch): the gradients are then zero.
        sample_weight : array ``(m,)``, optional
            Each sample's error, hence its gradient, scales by its weight.
        batch_rows : int, optional
            The size of the whole batch ``X`` is part of (data-parallel
            training); the mean reduction divides by it. Default: ``m``.

        Returns the batch's reduced loss E. The caller silences floating-point
        overflow (the training loop runs under ``np.errstate``); non-finite
        values are found by :meth:`check_finite`.
        """
        if X.shape[0] == 0:
            self.buffer.gradients.fill(0.0)
            return 0.0
        self._forward(X)
        last = self.layers[-1]
        loss = self.loss_function
        value = loss.value_and_delta(last.a, last.z, Y, last.activation, out=last.dz, rows=batch_rows)
        if sample_weight is not None:
            value = loss.weighted_value(last.a, last.z, Y, sample_weight, rows=batch_rows)
            np.multiply(last.dz, sample_weight[:, np.newaxis], out=last.dz)
        grad = last.backward_delta(need_input_grad=len(self.layers) > 1)
        for k in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[k].backward(grad, need_input_grad=k > 0)
        return value

    def check_finite(self, loss: float, *, epoch: int = 1, step: int = 1) -> None:
        """Raise :class:`DivergenceError`, naming the first bad layer, if ``loss`` or a gradient is not finite."""
        # A sum is finite only if every term is: one pass over the trainable gradients.
        if math.isfinite(loss) and math.isfinite(np.dot(self.buffer.trainable_gradients, self._ones)):
            return
        where = "the loss"
        for layer in self.layers:
            bad = _first_non_finite(layer, ("weights W", "biases b", "pre-activations z", "activations a",
                                            "deltas dE/dz", "gradient dE/dW", "gradient dE/db"))
            if bad is not None:
                where = f"{layer.name} {bad}"
                break
        raise DivergenceError(epoch=epoch, step=step, where=where, loss=loss)

    def apply_update(self, optimizer: Updater, *, epoch: int = 1, step: int = 1, loss: float = math.nan) -> None:
        """``optimizer.step()``, unless the update would leave a non-finite weight.

        A finite gradient times a large learning rate can still overflow: then
        the values before the update are put back and :class:`DivergenceError`
        names the first layer whose update overflowed (the optimizer's own
        state has taken the step).
        """
        values = self.buffer.trainable_values
        kept = self._before_update
        if kept is None:
            kept = self._before_update = np.empty_like(values)
        np.copyto(kept, values)
        optimizer.step()
        if math.isfinite(np.dot(values, self._ones)):
            return
        where = "the update"
        for layer in self.layers:
            bad = _first_non_finite(layer, ("weights W", "biases b"))
            if bad is not None:
                where = f"the update of {layer.name} {bad}"
                break
        np.copyto(values, kept)
        raise DivergenceError(epoch=epoch, step=step, where=where, loss=loss)

    def train_step(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        optimizer: Updater,
        sample_weight: np.ndarray | None = None,
        *,
        batch_rows: int | None = None,
        reduce: Any = None,
        epoch: int = 1,
        step: int = 1,
        l2: float = 0.0,
    ) -> float:
        """One update on a checked batch: :meth:`loss_and_gradients`, ``reduce``, :meth:`check_finite`, :meth:`apply_update`.

        ``optimizer`` must be bound to this network's parameters (an unbound one
        is bound to :meth:`flat_parameter`). ``reduce``, when given, turns this
        process's loss into the whole batch's (after summing the gradients
        across processes); ``batch_rows`` is then the whole batch's size.
        ``l2`` > 0 adds scikit-learn's L2 penalty on the weights (not the
        biases) to the whole batch's loss and gradients,
        ``0.5 * l2 * sum ||W||^2 / batch_rows`` (:mod:`chainrule.core.penalty`).
        Returns the batch's loss (penalty included). On
        :class:`DivergenceError` the weights are the last finite ones.
        """
        if not optimizer.bound:
            optimizer.bind([self.flat_parameter()])
        elif not self.owns(optimizer.parameters):
            raise fail("optimizer", "an optimizer bound to this network's parameters (or unbound)", optimizer)
        value = self.loss_and_gradients(X, Y, sample_weight, batch_rows=batch_rows)
        if reduce is not None:
            value = reduce(value)
        if l2:  # after the reduction: every process adds the same penalty to the same gradients
            value += add_l2_penalty(self, l2, batch_rows if batch_rows is not None else X.shape[0])
        self.check_finite(value, epoch=epoch, step=step)
        self.apply_update(optimizer, epoch=epoch, step=step, loss=value)
        return value

    # -- the teaching API: checked forward and backward ---------------------------------------
    def forward(self, X: Any) -> np.ndarray:
        """Forward pass that caches every layer's ``z`` and ``a`` for :meth:`backward`.

        ``X``: ``(n, n_inputs)``, converted to the network's dtype. Returns a copy
        of the output activations, ``(n, n_outputs)``.
        """
        X = self.check_inputs(X)
        with np.errstate(over="ignore"):
            return self._forward(X).copy()

    def backward(self, Y: Any) -> float:
        """After :meth:`forward`, compute every layer's ``dW`` and ``db`` for targets ``Y``.

        Gradients are overwritten, not accumulated. Returns the error E.
        """
        last = self.layers[-1]
        Y = self.check_targets(Y, last.a.shape[0])
        value = self.loss_function.value_and_delta(last.a, last.z, Y, last.activation, out=last.dz)
        grad = last.backward_delta(need_input_grad=len(self.layers) > 1)
        for k in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[k].backward(grad, need_input_grad=k > 0)
        return value

    def gradients(self, X: Any, Y: Any) -> tuple[float, list[dict[str, np.ndarray]]]:
        """Forward and backward on ``(X, Y)``.

        Returns ``(E, grads)`` where ``grads[k]`` has copies of layer ``k``'s
        ``"W"`` gradient ``(n_in, n_out)`` and ``"b"`` gradient (``"b"`` only when trainable).
        """
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        with np.errstate(over="ignore"):
            value = self.loss_and_gradients(X, Y)
        grads = []
        for layer in self.layers:
            entry = {"W": layer.dW.copy()}
            if layer.train_bias:
                entry["b"] = layer.db.copy()
            grads.append(entry)
        return value, grads

    # -- training: the loop lives in chainrule.training -------------------------------------------
    def fit(self, X: Any, Y: Any, **options: Any) -> "History":
        """Train with mini-batches; return the per-epoch :class:`~chainrule.training.History`.

        Shorthand for :func:`chainrule.training.fit` ``(self, X, Y, **options)``,
        which documents every option: ``optimizer``, ``learning_rate``,
        ``schedule``, ``epochs``, ``batch_size`` (default 32), ``shuffle``,
        ``seed``, ``sample_weight``, ``validation_data``,
        ``validation_fraction``, ``metrics``, ``early_stopping``,
        ``callbacks``, ``progress``, ``initial_epoch``, ``strategy`` (or
        ``comm``/``sharded`` for data-parallel training over MPI), ``l2``
        (scikit-learn's L2 penalty on the weights), ``train_metrics`` and ``shuffle_order``.

        Raises :class:`DivergenceError` (the weights are the last finite ones)
        and, on Ctrl-C, ``KeyboardInterrupt`` after the current update; both
        carry ``history``.
        """
        from ..training import fit

        return fit(self, X, Y, **options)

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
        history = self.fit(
            X, Y, optimizer=optimizer if optimizer is not None else "sgd",
            learning_rate=learning_rate if optimizer is None else None, epochs=epochs,
            batch_size=batch_size, shuffle=shuffle, seed=seed, progress=False,
        )
        return list(history.loss)

    # -- copies ----------------------------------------------------------------------------
    def astype(self, dtype: Any) -> "Network":
        """A copy of the network, values included, in ``float32`` or ``float64``."""
        dtype = check_dtype(dtype)
        return Network([layer.astype(dtype) for layer in self.layers], loss=self.loss_function)

    def copy(self) -> "Network":
        """An independent copy with the same values."""
        return copy.deepcopy(self)

    def __copy__(self) -> "Network":
        # A shallow copy would share the parameter buffer with the original: never what is meant.
        return copy.deepcopy(self)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_ones", "_before_update")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset_scratch()


def _first_non_finite(layer: Dense, labels: Sequence[str]) -> str | None:
    """The first of ``labels`` (as named in :meth:`Network.check_finite`) whose array has a non-finite value."""
    arrays = {
        "weights W": lambda: layer.W, "biases b": lambda: layer.b, "pre-activations z": lambda: layer.z,
        "activations a": lambda: layer.a, "deltas dE/dz": lambda: layer.dz,
        "gradient dE/dW": lambda: layer.dW, "gradient dE/db": lambda: layer.db,
    }
    for label in labels:
        try:
            array = arrays[label]()
        except RuntimeError:  # no forward pass cached yet
            continue
        if not np.isfinite(array).all():
            return label
    return None

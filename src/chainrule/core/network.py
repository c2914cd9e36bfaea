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
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

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
    Described,
    as_2d,
    check_choice,
    check_dtype,
    check_layer_sizes,
    check_positive_int,
    check_sample_weight,
    count_parameters,
    fail,
)

if TYPE_CHECKING:
    from ..training import History

__all__ = ["Inference", "LayerOutput", "Network", "Updater", "EVAL_CHUNK"]

#: Rows per chunk when evaluating, to bound memory on large data sets.
EVAL_CHUNK = 8192
#: An activation's ``forward_unchecked(z, out)``, as a training pass holds it.
_Activate = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Slack for rounding in the bounds of apply_update: far more than float32's relative error per operation.
_ROUNDING = 1.0 + 2.0**-20


def _max_abs_bound(squares: float) -> float:
    """A bound of every ``|x_i|`` from the computed ``x . x`` (inf when that is not finite).

    Every partial sum of non-negative terms is at least each of its terms, and
    rounding keeps that order, so ``fl(x . x) >= fl(x_i^2) >= x_i^2 (1 - eps)``:
    ``|x_i| <= sqrt(fl(x . x)) (1 + eps)``, whatever the order of summation.
    """
    return math.sqrt(squares) * _ROUNDING if math.isfinite(squares) else math.inf


class Updater(Protocol):
    """What the engine needs of an optimizer (every :class:`chainrule.optim.Optimizer` is one)."""

    parameters: list[Parameter]

    @property
    def bound(self) -> bool: ...

    def bind(self, parameters: Sequence[Parameter]) -> Any: ...

    def step(self) -> None: ...

    # (*) An optimizer that shows its step before taking it (chainrule's own) also has
    # prepare_step(), prepared_factor, prepared_scale and apply_step(deltas). They are not part
    # of this protocol: the engine uses them only after Network._owned has found them (hasattr),
    # which mypy cannot follow, hence the ignores marked (*) there.


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

    def __init__(self, layers: Sequence[Dense], loss: str | dict[str, Any] | Loss = "squared_error") -> None:
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

    #: Attributes that are scratch space, rebuilt (not copied) by copies and pickles.
    _SCRATCH = (
        "_before_update",
        "_passes",
        "_last_pass",
        "_bounding",
        "_owned_optimizer",
        "_owned_parameters",
        "_owned_count",
        "_owned_preparable",
        "_carried_bound",
        "_max_value",
    )

    def _reset_scratch(self) -> None:
        self._before_update: np.ndarray | None = None  # the last finite values, while a step is checked slowly
        self._passes: dict[int, _TrainingPass] = {}  # the arrays of a training step, per batch size
        self._last_pass: _TrainingPass | None = None  # the last loss_and_gradients's
        self._bounding = False  # whether loss_and_gradients bounds the gradients for train_step
        self._owned_optimizer: Any = None  # an optimizer, and its parameter list, known to update this network
        self._owned_parameters: list[Parameter] | None = None
        self._owned_count = 0
        self._owned_preparable = False  # whether that optimizer shows its step before taking it
        self._carried_bound: tuple[Any, float] | None = None  # (optimizer, bound of |w_i| its last step left)
        self._max_value = float(np.finfo(self.dtype).max)

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
        loss: str | dict[str, Any] | Loss = "squared_error",
        bias: str = "per_neuron",
        train_bias: bool = True,
        init: Any = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> Network:
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
            activations: list[Any] = [activation] * n_layers  # as given: Dense checks each
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
                    sizes[k],
                    sizes[k + 1],
                    activations[k],
                    bias=bias,
                    train_bias=train_bias,
                    init=init,
                    seed=rng,
                    dtype=dtype,
                    name=f"layer {k + 1}",
                )
                for k in range(n_layers)
            ]
            return cls(layers, loss=loss)
        except MemoryError:
            raise fail(
                "sizes",
                "a network that fits in this machine's memory",
                Described(f"{sizes}: {count_parameters(sizes):,} parameters"),
            ) from None

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
        layers = [
            {
                "type": "dense",
                "n_in": layer.n_in,
                "n_out": layer.n_out,
                "activation": layer.activation,
                "bias": layer.bias_mode,
                "train_bias": layer.train_bias,
            }
            for layer in self.layers
        ]
        return NetworkSpec(layers, self.loss_function, self.dtype.name)  # type: ignore[arg-type]  # it checks dicts

    def config(self) -> dict[str, Any]:
        """JSON-ready architecture: ``spec().to_dict()`` (version, layers, loss, dtype; no values)."""
        return self.spec().to_dict()

    @classmethod
    def from_spec(
        cls,
        spec: NetworkSpec | Mapping[str, Any],
        *,
        init: Any = None,
        seed: int | np.random.Generator | None = None,
    ) -> Network:
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
            Dense(
                layer.n_in,
                layer.n_out,
                layer.activation,
                bias=layer.bias,
                train_bias=layer.train_bias,
                seed=rng,
                dtype=spec.dtype,
                name=f"layer {k + 1}",
                **options,
            )
            for k, layer in enumerate(spec.layers)
        ]
        return cls(layers, loss=spec.loss)

    def __repr__(self) -> str:
        acts = ", ".join(layer.activation.name for layer in self.layers)
        return (
            f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss_function!r}, dtype={self.dtype.name})"
        )

    # -- checking input ----------------------------------------------------------------
    def check_inputs(self, X: Any, what: str = "X") -> np.ndarray:
        """``X`` as a finite ``(n, n_inputs)`` array of the network's dtype."""
        return as_2d(X, what, self.dtype, self.n_inputs)

    def check_targets(self, Y: Any, n_samples: int, what: str = "Y") -> np.ndarray:
        """``Y`` as a finite ``(n_samples, n_outputs)`` array; values the loss accepts."""
        targets = as_2d(Y, what, self.dtype, self.n_outputs)
        if targets.shape[0] != n_samples:
            raise fail(what, f"{n_samples} rows (one per sample of X)", Described(f"shape {targets.shape}"))
        self.loss_function.check_targets(targets, what)
        return targets

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
        assert result.logits is not None  # (asked for)
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
            assert result.logits is not None  # (asked for)
            outputs[start:stop] = result.outputs
            losses[start:stop] = self.loss_function.per_output(result.outputs, result.logits, Y[start:stop]).sum(axis=1)
        return outputs, losses

    def evaluate(
        self, X: Any, Y: Any, metrics: Sequence[Any] | None = (), sample_weight: Any = None, *, prefix: str = ""
    ) -> dict[str, float]:
        """``{"loss": E, "<metric>": ...}`` on ``X`` ``(n, n_inputs)``, ``Y`` ``(n, n_outputs)``; records nothing.

        The loss is reduced as the network's loss reduces (mean or sum over
        samples), each sample's weighted by ``sample_weight`` ``(n,)``; every
        name gets ``prefix`` (``"val_"``).
        """
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        w = None if sample_weight is None else self.check_sample_weight(sample_weight, X.shape[0])
        if metrics is None:
            metrics = ()
        elif isinstance(metrics, str):
            metrics = [metrics]
        elif not isinstance(metrics, (list, tuple)):
            raise fail("metrics", "a metric name, a list of them, or None", metrics)
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
        n_rows = check_positive_int(n_rows, "n_rows")
        for layer in self.layers:
            layer.reserve(n_rows)
        if any(
            ws.z.base is not layer.workspace(n_rows).z.base
            for plan in self._passes.values()
            for layer, ws in zip(self.layers, plan.workspaces)
        ):
            self._passes.clear()  # a layer moved to larger arrays

    def _training_pass(self, n_rows: int) -> _TrainingPass:
        """The arrays and functions of one training step on ``n_rows`` rows, looked up once."""
        plan = self._passes.get(n_rows)
        if plan is None:
            plan = self._passes[n_rows] = _TrainingPass(self.layers, self.loss_function, n_rows)
        return plan

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

        Returns
        -------
        float
            The batch's reduced loss E. The caller silences floating-point
            overflow (the training loop runs under ``np.errstate``); non-finite
            values are found by :meth:`check_finite`. Every layer's ``z``, ``a``
            and ``dz`` are this batch's afterwards.
        """
        n = X.shape[0]
        if n == 0:
            self._last_pass = None
            self.buffer.gradients.fill(0.0)
            return 0.0
        plan = self._last_pass = self._passes.get(n) or self._training_pass(n)
        add, multiply, copyto = np.add, np.multiply, np.copyto
        # Products as the arrays' own .dot with out: the same BLAS call as np.dot without its
        # dispatch layer, which costs more than the product itself on tiny layers.
        # Forward: z = x W + b, a = f(z), layer by layer, into the layers' workspaces.
        # The bias goes through dz (free until the backward pass) when the layer is large: a ufunc
        # that broadcasts allocates a buffer on every call, a broadcasting copy does not, and the
        # two calls together are faster.
        x = X
        activate: _Activate | None  # (the output layer's is None when the loss computes it)
        for layer, ws, W, b, z, a, activate, product, spread in plan.forward:
            layer._ws = ws
            layer._input = x
            product(x, W, z)
            if spread is None:
                add(z, b, z)
            else:
                copyto(spread, b)
                add(z, spread, z)
            activate(z, a)
            x = a
        # The output layer's activation comes with the loss (softmax and cross-entropy share one pass).
        layer, ws, W, b, z, a, dz, activation, product, activate, spread = plan.output
        layer._ws = ws
        layer._input = x
        product(x, W, z)
        if spread is None:
            add(z, b, z)
        else:
            copyto(spread, b)
            add(z, spread, z)
        loss = self.loss_function
        if activate is None:  # the loss computes the activation too
            value = loss.forward_value_and_delta(z, Y, activation, a, dz, batch_rows)
        else:  # (what Loss.forward_value_and_delta does, without its call)
            activate(z, a)
            value = loss.value_and_delta(a, z, Y, activation, dz, batch_rows)
        if sample_weight is not None:
            value = loss.weighted_value(a, z, Y, sample_weight, rows=batch_rows)
            multiply(dz, sample_weight[:, np.newaxis], dz)
        # Backward, last layer first: dW = x.T dz, db = dz summed, dx = dz W.T, and the layer
        # below gets dz = dx * f'(z) from its cached a.
        if X is not plan.batch:
            plan.batch, plan.batch_t, plan.batch_flat = X, X.T, X.reshape(-1)
        # (None only until the output layer, first, has set it: its dz comes from the loss)
        grad: np.ndarray = None  # type: ignore[assignment]
        bound = plan.bound_slack != math.inf and self._bounding  # (see _TrainingPass.gradient_bound)
        worst = 0.0
        for (
            a,
            dz,
            x_t,
            W_t,
            dW,
            db,
            bias_axis,
            derivative,
            backward,
            dx,
            product,
            x_flat,
            dz_flat,
            terms,
        ) in plan.backward:
            if derivative is not None:  # Activation.backward, without its call
                derivative(a, dz)
                multiply(dz, grad, dz)
            elif backward is not None:
                backward(a, grad, dz)
            product(plan.batch_t if x_t is None else x_t, dz, dW)
            if db is not None:
                add.reduce(dz, bias_axis, None, db)  # type: ignore[call-overload]  # out by position
            if bound:  # while x and dz are in cache
                if x_flat is None:
                    x_flat = plan.batch_flat
                dz_squares = float(dz_flat.dot(dz_flat))
                squares = float(x_flat.dot(x_flat)) * dz_squares
                if terms * dz_squares > squares:
                    squares = terms * dz_squares
                if squares > worst or not squares <= worst:  # (NaN stays)
                    worst = squares
            if W_t is not None:
                grad = product(dz, W_t, dx)
        plan.bound_squares = worst if bound else math.inf
        return value

    def check_finite(self, loss: float, *, epoch: int = 1, step: int = 1) -> None:
        """Raise :class:`DivergenceError`, naming the first bad layer, if ``loss`` or a gradient is not finite.

        As for :meth:`loss_and_gradients`, the caller silences floating-point
        warnings (``np.errstate(over="ignore", invalid="ignore")``, as the
        training loop does): a NaN gradient would warn before it is reported.
        """
        g = self.buffer.trainable_gradients
        # A sum of squares is finite only if every term is: one BLAS pass over the gradients.
        if not (math.isfinite(loss) and math.isfinite(g.dot(g))):
            self._diverged(loss, epoch, step)

    def _diverged(self, loss: float, epoch: int, step: int) -> None:
        """Raise for a non-finite loss or gradient (the sum of squares may only have overflowed: then return)."""
        if math.isfinite(loss) and np.isfinite(self.buffer.trainable_gradients).all():
            return
        where = "the loss"
        for layer in self.layers:
            bad = _first_non_finite(
                layer,
                (
                    "weights W",
                    "biases b",
                    "pre-activations z",
                    "activations a",
                    "deltas dE/dz",
                    "gradient dE/dW",
                    "gradient dE/db",
                ),
            )
            if bad is not None:
                where = f"{layer.name} {bad}"
                break
        raise DivergenceError(epoch=epoch, step=step, where=where, loss=loss)

    def apply_update(self, optimizer: Updater, *, epoch: int = 1, step: int = 1, loss: float = math.nan) -> None:
        """``optimizer.step()``, unless the update would leave a non-finite weight.

        A finite gradient times a large learning rate can still overflow: then
        the weights are left as they were (bitwise) and :class:`DivergenceError`
        names the first layer whose update overflowed (the optimizer's own
        state has taken the step).

        How it stays cheap: the optimizer computes its step ``d`` before applying
        it (:meth:`~chainrule.optim.Optimizer.prepare_step`). A finite sum of
        squares ``x . x`` proves every ``|x_i| <= sqrt(max float)`` (every partial
        sum of non-negative terms is at least each of its terms), so when the
        weights' and the step's sums of squares are finite, ``w * f - d`` (``|f| <= 1``)
        cannot overflow and the step is applied in place. Otherwise (or for an
        optimizer that cannot show its step) the weights are copied, the step
        taken, and put back if any value is not finite.
        """
        self._update(optimizer, epoch, step, loss)

    def _update(self, optimizer: Updater, epoch: int, step: int, loss: float) -> None:
        values, gradients = self.buffer.trainable_values, self.buffer.trainable_gradients
        weight_bound, gradient_bound = _max_abs_bound(values.dot(values)), _max_abs_bound(gradients.dot(gradients))
        deltas = optimizer.prepare_step() if self._owned(optimizer) and self._owned_preparable else None  # type: ignore[attr-defined]  # (*)
        self._apply_prepared(optimizer, deltas, weight_bound, gradient_bound, epoch, step, loss)

    def _apply_prepared(
        self,
        optimizer: Updater,
        deltas: list[np.ndarray] | None,
        weight_bound: float,
        gradient_bound: float,
        epoch: int,
        step: int,
        loss: float,
    ) -> None:
        """Apply a prepared step in place when it provably leaves every weight finite, else the slow way.

        ``weight_bound`` and ``gradient_bound``: bounds of every ``|w_i|`` and
        every trainable ``|g_i|`` (inf when unknown). Remembers the bound of the
        weights the step leaves (see ``weights_unchanged`` in :meth:`train_step`).
        """
        self._carried_bound = None
        if deltas is not None:
            factor, scale = optimizer.prepared_factor, optimizer.prepared_scale  # type: ignore[attr-defined]  # (*)
            if scale is not None:  # the step is fl(scale * grad): bounded by the checked gradient
                step_bound = scale * gradient_bound
            else:
                step_bound = max(_max_abs_bound(np.vdot(d, d)) for d in deltas)
            # |w f - d| <= (|w| |f| + |d|) (1 + eps) <= max float: the step cannot overflow.
            new_bound = (weight_bound * abs(factor) + step_bound) * _ROUNDING
            if new_bound <= self._max_value and abs(factor) <= 1.0:
                optimizer.apply_step(deltas)  # type: ignore[attr-defined]  # (*)
                self._carried_bound = (optimizer, new_bound)
                return
        self._checked_update(optimizer, deltas, epoch=epoch, step=step, loss=loss)

    def _checked_update(self, optimizer: Updater, deltas: Any, *, epoch: int, step: int, loss: float) -> None:
        """The exact slow path: copy the weights, step, and put them back if any value is not finite."""
        values = self.buffer.trainable_values
        kept = self._before_update
        if kept is None:
            kept = self._before_update = np.empty_like(values)
        np.copyto(kept, values)
        if deltas is None:
            optimizer.step()
        else:
            optimizer.apply_step(deltas)  # type: ignore[attr-defined]  # (*)
        if np.isfinite(values).all():
            return
        where = "the update"
        for layer in self.layers:
            bad = _first_non_finite(layer, ("weights W", "biases b"))
            if bad is not None:
                where = f"the update of {layer.name} {bad}"
                break
        np.copyto(values, kept)
        raise DivergenceError(epoch=epoch, step=step, where=where, loss=loss)

    def _owned(self, optimizer: Updater) -> bool:
        """Whether ``optimizer`` updates only parameters of this network (remembered per parameter list)."""
        params = optimizer.parameters
        if optimizer is self._owned_optimizer and params is self._owned_parameters and len(params) == self._owned_count:
            return True
        if not params or not self.owns(params):
            return False
        self._owned_optimizer, self._owned_parameters, self._owned_count = optimizer, params, len(params)
        # (An optimizer whose rule updates in place counts its step in prepare_step and takes it in
        # step(): calling both would count it twice.)
        self._owned_preparable = getattr(optimizer, "shows_step", False) is True and all(
            hasattr(optimizer, name) for name in ("prepare_step", "prepared_factor", "prepared_scale", "apply_step")
        )
        return True

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
        weights_unchanged: bool = False,
        l2: float = 0.0,
    ) -> float:
        """One update on a checked batch: :meth:`loss_and_gradients`, ``reduce``, the checks, the step.

        ``optimizer`` must be bound to this network's parameters (an unbound one
        is bound to :meth:`flat_parameter`). ``reduce``, when given, turns this
        process's loss into the whole batch's (after summing the gradients
        across processes; it must not change the weights); ``batch_rows`` is
        then the whole batch's size. ``l2`` > 0 adds scikit-learn's L2 penalty
        on the weights (not the biases) to the whole batch's loss and
        gradients, ``0.5 * l2 * sum ||W||^2 / batch_rows``
        (:mod:`chainrule.core.penalty`). ``weights_unchanged=True`` promises that
        the trainable values are exactly as this network's previous
        ``train_step`` with this optimizer left them (nothing has written to
        them since): the overflow check then bounds them from that step instead
        of reading them all again. The training loop passes it between steps
        that no callback sees. Returns the batch's loss (penalty included). On
        :class:`DivergenceError` the weights are the last finite ones.
        """
        params = optimizer.parameters
        if (
            optimizer is not self._owned_optimizer
            or params is not self._owned_parameters
            or len(params) != self._owned_count
        ):
            if not optimizer.bound:
                optimizer.bind([self.flat_parameter()])
            if not self._owned(optimizer):
                raise fail("optimizer", "an optimizer bound to this network's parameters (or unbound)", optimizer)
        # The bounds of the step (see apply_update). The weights' sum of squares is read while
        # the last update has left them in cache, before the forward pass, unless the caller
        # vouches that they are as this network's last step left them: then its bound serves.
        carried = self._carried_bound
        if weights_unchanged and carried is not None and carried[0] is optimizer:
            weight_bound = carried[1]
        else:
            values = self.buffer.trainable_values
            weight_bound = _max_abs_bound(values.dot(values))
        self._bounding = reduce is None and not l2
        value = self.loss_and_gradients(X, Y, sample_weight, batch_rows=batch_rows)
        self._bounding = False
        if reduce is not None:
            value = reduce(value)
        if l2:  # after the reduction: every process adds the same penalty to the same gradients
            value += add_l2_penalty(self, l2, batch_rows if batch_rows is not None else X.shape[0])
        plan = self._last_pass
        # The gradients' bound: from the backward pass's inputs and deltas when it computed one
        # (see _TrainingPass.bound_squares), else from their sum of squares, which is also the
        # divergence check (check_finite).
        # (The penalty changes the gradients after the backward pass: then their sum of squares.)
        squares = plan.bound_squares if reduce is None and plan is not None and not l2 else math.inf
        if squares < math.inf and value - value == 0.0:  # (a finite loss)
            gradient_bound = math.sqrt(squares) * plan.bound_slack  # type: ignore[union-attr]  # squares < inf: a plan
        else:
            gradients = self.buffer.trainable_gradients
            squares = float(gradients.dot(gradients))
            if not (math.isfinite(value) and math.isfinite(squares)):
                self._carried_bound = None
                self._diverged(value, epoch, step)  # raises, unless only the sum of squares overflowed
            gradient_bound = math.sqrt(squares) * _ROUNDING if squares < math.inf else math.inf
        deltas = optimizer.prepare_step() if self._owned_preparable else None  # type: ignore[attr-defined]  # (*)
        self._apply_prepared(optimizer, deltas, weight_bound, gradient_bound, epoch, step, value)
        return value

    # -- the teaching API: checked forward and backward ---------------------------------------
    def forward(self, X: Any) -> np.ndarray:
        """Forward pass that caches every layer's ``z`` and ``a`` for :meth:`backward`.

        ``X``: ``(n, n_inputs)``, converted to the network's dtype. Returns a copy
        of the output activations, ``(n, n_outputs)``.
        """
        X = self.check_inputs(X)
        with np.errstate(over="ignore"):
            outputs: np.ndarray = self._forward(X).copy()
        return outputs

    def backward(self, Y: Any) -> float:
        """After :meth:`forward`, compute every layer's ``dW`` and ``db`` for targets ``Y``.

        Gradients are overwritten, not accumulated. Returns the error E.
        """
        last = self.layers[-1]
        Y = self.check_targets(Y, last.a.shape[0])
        value = self.loss_function.value_and_delta(last.a, last.z, Y, last.activation, out=last.dz)
        grad = last.backward_delta(need_input_grad=len(self.layers) > 1)
        for k in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[k].backward(grad, need_input_grad=k > 0)  # type: ignore[arg-type]  # None only after k = 0
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
    def fit(self, X: Any, Y: Any, **options: Any) -> History:
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
            X,
            Y,
            optimizer=optimizer if optimizer is not None else "sgd",
            learning_rate=learning_rate if optimizer is None else None,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            progress=False,
        )
        return list(history.loss)

    # -- copies ----------------------------------------------------------------------------
    def astype(self, dtype: Any) -> Network:
        """A copy of the network, values included, in ``float32`` or ``float64``."""
        dtype = check_dtype(dtype)
        return Network([layer.astype(dtype) for layer in self.layers], loss=self.loss_function)

    def copy(self) -> Network:
        """An independent copy with the same values."""
        return copy.deepcopy(self)

    def __copy__(self) -> Network:
        # A shallow copy would share the parameter buffer with the original: never what is meant.
        return copy.deepcopy(self)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in self._SCRATCH}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_scratch()


class _TrainingPass:
    """Everything one training step on ``n_rows`` rows touches, looked up once per batch size.

    ``forward``: per hidden layer ``(layer, workspace, W, b, z, a,
    activation.forward_unchecked, product, spread)``; ``output``: ``(layer,
    workspace, W, b, z, a, dz, activation, product, activation.forward_unchecked
    or None when the loss computes the activation too, spread)`` of the last
    layer; ``spread``: the array the bias is copied into before it is added
    (the layer's dz), or None for small layers (where adding it directly is cheaper);
    ``backward``: per layer, last first, ``(a, dz, input.T or None for
    the first layer's batch, W.T or None where dE/dX is not needed, dW, db or
    None for a frozen bias, the axis db sums dz over (0, or None for a shared
    bias), activation.derivative, activation.backward, dx, product)``: the
    derivative when the activation's backward is the generic ``derivative *
    grad``, else its backward; neither for the output layer, whose dz comes from
    the loss. ``product(a, b, out)`` is the layer's matrix product.
    The arrays are views of the layers' workspaces and of the network's
    parameter buffer, so a step allocates nothing. Each backward entry ends
    with the flat views gradient_bound needs: ``(input or None for the batch,
    dz, the number of terms in each bias gradient or 0 for a frozen bias)``.
    ``batch``, ``batch_t``,
    ``batch_flat``: the last first-layer input, its transpose and its flat view
    (made once while it stays the same array).
    """

    __slots__ = (
        "workspaces",
        "forward",
        "output",
        "backward",
        "batch",
        "batch_t",
        "batch_flat",
        "bound_slack",
        "bound_squares",
    )

    def __init__(self, layers: Sequence[Dense], loss: Loss, n_rows: int) -> None:
        spaces = [layer.workspace(n_rows) for layer in layers]
        self.workspaces = tuple(spaces)
        # Products through np.matmul for large layers and batches: np.dot zeroes its out array
        # before the BLAS call, and its call for a transposed left factor is up to 15% slower
        # (the same bits either way). Small ones through ndarray.dot: cheaper to call, and far
        # faster than np.matmul for a single row.
        products = [
            np.matmul if n_rows >= 8 and layer.n_in * layer.n_out >= 16384 else np.ndarray.dot for layer in layers
        ]
        spreads = [ws.dz if ws.dz.size >= 1024 else None for ws in spaces]
        self.forward = tuple(
            (
                layer,
                ws,
                layer.weight.value,
                layer.bias.value,
                ws.z,
                ws.a,
                layer.activation.forward_unchecked,
                product,
                spread,
            )
            for layer, ws, product, spread in zip(layers[:-1], spaces, products, spreads)
        )
        last, ws = layers[-1], spaces[-1]
        fused = type(loss).forward_value_and_delta is not Loss.forward_value_and_delta
        self.output = (
            last,
            ws,
            last.weight.value,
            last.bias.value,
            ws.z,
            ws.a,
            ws.dz,
            last.activation,
            products[-1],
            None if fused else last.activation.forward_unchecked,
            spreads[-1],
        )
        backward = []
        for k in range(len(layers) - 1, -1, -1):
            layer, act, ws = layers[k], layers[k].activation, spaces[k]
            shared = layer.bias_mode != "per_neuron"
            db = None if not layer.bias.trainable else layer.bias.grad.reshape(()) if shared else layer.bias.grad
            generic = type(act).backward is Activation.backward
            hidden = k < len(layers) - 1
            # An activation whose derivative reads z (GELU, SiLU...) gets this layer's z bound in.
            act_backward = functools.partial(act.backward, z=ws.z) if act.needs_z else act.backward  # type: ignore[call-arg]
            terms = 0 if db is None else n_rows if not shared else n_rows * layer.n_out  # in each db_j
            backward.append(
                (
                    ws.a,
                    ws.dz,
                    spaces[k - 1].a.T if k else None,
                    layer.weight.value.T if k else None,
                    layer.weight.grad,
                    db,
                    None if shared else 0,
                    act.derivative if hidden and generic else None,
                    act_backward if hidden and not generic else None,
                    ws.dx,
                    products[k],
                    spaces[k - 1].a.reshape(-1) if k else None,
                    ws.dz.reshape(-1),
                    terms,
                )
            )
        self.backward = tuple(backward)
        # batch_t and batch_flat: None until loss_and_gradients sets all three, before it reads them.
        self.batch: np.ndarray | None = None
        self.batch_t: np.ndarray = None  # type: ignore[assignment]
        self.batch_flat: np.ndarray = None  # type: ignore[assignment]
        # Bounding the gradients from the inputs and deltas (see bound_squares) is worth it for
        # small batches of large layers (each dot product costs about as much as 4096 values more).
        read = sum(n_rows * (layer.n_in + layer.n_out) + 2 * 4096 for layer in layers)
        terms = max(n_rows * (layer.n_in + layer.n_out) for layer in layers)
        eps = float(np.finfo(layers[0].dtype).eps)
        if read < sum(p.value.size for layer in layers for p in layer.parameters()) and 4 * terms * eps < 0.25:
            # Rounding: each sum of squares and each product sum is within (1 + n eps) of its exact value.
            self.bound_slack = (1.0 + 4 * terms * eps) * _ROUNDING
        else:
            self.bound_slack = math.inf
        # From the last pass (when bounded): the largest ||x||^2 ||dz||^2 (or n ||dz||^2 for a
        # bias) of a layer, its input x and deltas dz. By Cauchy-Schwarz, |dE/dW_ij| =
        # |sum_n x_ni dz_nj| <= ||x|| ||dz|| and |dE/db_j| <= sqrt(n) ||dz||; a computed sum is
        # within (1 + n eps) of the exact one (bound_slack). A finite bound proves every
        # gradient finite, and reads n (n_in + n_out) values per layer instead of all of them.
        self.bound_squares = math.inf


def _first_non_finite(layer: Dense, labels: Sequence[str]) -> str | None:
    """The first of ``labels`` (as named in :meth:`Network.check_finite`) whose array has a non-finite value."""
    arrays = {
        "weights W": lambda: layer.W,
        "biases b": lambda: layer.b,
        "pre-activations z": lambda: layer.z,
        "activations a": lambda: layer.a,
        "deltas dE/dz": lambda: layer.dz,
        "gradient dE/dW": lambda: layer.dW,
        "gradient dE/db": lambda: layer.db,
    }
    for label in labels:
        try:
            array = arrays[label]()
        except RuntimeError:  # no forward pass cached yet
            continue
        if not np.isfinite(array).all():
            return label
    return None

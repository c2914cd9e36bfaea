"""The training loop: epochs of shuffled mini-batches, validation, callbacks and history.

One update (:meth:`TrainingLoop.train_step`) is::

    forward -> backward -> finalize_gradients -> check finite -> optimizer.step

Reproducibility and resuming: epoch ``e``'s shuffle order is drawn from
``numpy.random.default_rng([seed, e])`` and a validation split from
``default_rng([seed, 0])``, so every run with the same seed sees the same
batches, and a run resumed with ``initial_epoch=k`` (after restoring the
weights and ``optimizer.load_state_dict``) needs no random state to continue
exactly where an uninterrupted run would have been.

Ctrl-C: while :meth:`TrainingLoop.run` runs in the main thread with Python's
default SIGINT handler, a first Ctrl-C lets the current update finish and then
raises ``KeyboardInterrupt`` between two updates, so the weights and the
optimizer state are consistent; the exception carries ``history``, and an
:class:`~chainrule.training.EarlyStopping` keeps ``best_weights`` for the
caller to :meth:`~chainrule.training.EarlyStopping.restore`. A second Ctrl-C
interrupts at once.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from .._checks import Described, check_positive_float, check_positive_int, fail
from ..errors import DivergenceError
from ..optim import Optimizer, Schedule, get_optimizer
from .callbacks import Callback
from .early_stopping import EarlyStopping
from .history import History
from .metrics import Metric, get_metric
from .progress import ProgressBar, progress_callback

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["TrainingLoop", "evaluate", "resolve_seed"]

#: Rows per chunk when evaluating, to bound memory on large data sets.
EVAL_CHUNK = 8192


def resolve_seed(seed: int | np.random.Generator | None) -> int:
    """The integer from which a run derives every random choice.

    An int is used as is; a Generator gives one draw; None draws fresh OS
    entropy (recorded in ``History.seed`` so the run can be repeated).
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise fail("seed", "a non-negative integer, a numpy.random.Generator or None", seed)


def outputs_and_sample_losses(network: "Network", X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outputs ``(n, n_outputs)`` and each sample's unreduced loss ``(n,)``, in chunks.

    Records nothing in the network (the predict path).
    """
    loss_fn = network.loss_function
    n = X.shape[0]
    per_sample = np.empty(n, dtype=np.float64)
    outputs = np.empty((n, network.n_outputs), dtype=network.dtype)
    for start in range(0, n, EVAL_CHUNK):
        stop = min(start + EVAL_CHUNK, n)
        a = X[start:stop]
        for layer in network.layers[:-1]:
            a = layer.predict(a)
        last = network.layers[-1]
        z = a @ last.W
        z += last.b
        last.activation.forward(z, out=outputs[start:stop])
        per_sample[start:stop] = loss_fn.per_output(outputs[start:stop], z, Y[start:stop]).sum(axis=1)
    return outputs, per_sample


def evaluate(
    network: "Network",
    X: np.ndarray,
    Y: np.ndarray,
    metrics: Sequence[Metric] = (),
    sample_weight: np.ndarray | None = None,
    prefix: str = "",
) -> dict[str, float]:
    """Loss and metrics of ``network`` on checked ``X`` ``(n, n_inputs)``, ``Y`` ``(n, n_outputs)``.

    Records nothing in the network. The loss is reduced as the network's loss
    reduces (mean or sum over samples), weighted by ``sample_weight`` ``(n,)``.
    Returns ``{prefix + "loss": ..., prefix + metric.name: ...}``.
    """
    loss_fn = network.loss_function
    n = X.shape[0]
    outputs, per_sample = outputs_and_sample_losses(network, X, Y)
    total = float(per_sample.sum() if sample_weight is None else np.dot(per_sample, sample_weight))
    logs = {prefix + "loss": total / n if loss_fn.reduction == "mean" else total}
    for metric in metrics:
        logs[prefix + metric.name] = metric(Y, outputs, sample_weight)
    return logs


def check_validation_data(
    network: "Network", validation_data: Any, validation_fraction: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """Checked ``(X_val, Y_val, weights or None)`` from ``validation_data``, or None when not given.

    Refuses ``validation_fraction`` together with ``validation_data``.
    """
    if validation_data is not None and validation_fraction is not None:
        raise fail("validation_fraction", "None when validation_data is given", validation_fraction)
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise fail("validation_data", "a tuple (X_val, Y_val) or (X_val, Y_val, weights)", validation_data)
    Xv = network.check_inputs(validation_data[0], "validation_data X")
    Yv = network.check_targets(validation_data[1], Xv.shape[0], "validation_data Y")
    wv = None
    if len(validation_data) == 3 and validation_data[2] is not None:
        wv = _check_weights(validation_data[2], Xv.shape[0], network.dtype, "validation_data weights")
    return Xv, Yv, wv


class TrainingLoop:
    """Trains a network; :meth:`chainrule.Network.fit` builds one and calls :meth:`run`.

    The constructor takes fit's options (see :meth:`chainrule.Network.fit`);
    while running, callbacks can read ``network``, ``optimizer``, ``epoch``
    (1-based), ``step`` (updates since the start of the whole run, counting
    epochs before ``initial_epoch``), ``samples_done`` (this epoch),
    ``history`` and set ``stop_training``. Subclasses may override
    :meth:`finalize_gradients` (e.g. to average gradients across processes).
    """

    def __init__(
        self,
        network: "Network",
        *,
        optimizer: str | Optimizer = "sgd",
        learning_rate: float | None = None,
        schedule: Schedule | None = None,
        epochs: int = 1,
        batch_size: int | None = 32,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        metrics: Iterable[str | Metric] = (),
        early_stopping: EarlyStopping | None = None,
        callbacks: Iterable[Callback] = (),
        progress: bool | None = None,
        initial_epoch: int = 0,
    ) -> None:
        self.network = network
        if learning_rate is not None:
            check_positive_float(learning_rate, "learning_rate")
        self.optimizer = get_optimizer(optimizer, learning_rate)
        if self.optimizer.bound:
            owned = self.network._flat_value
            if not all(np.shares_memory(p.value, owned) for p in self.optimizer.parameters):
                raise fail("optimizer", "an optimizer bound to this network's parameters (or unbound)", optimizer)
        if schedule is not None and not isinstance(schedule, Schedule):
            raise fail("schedule", "a Schedule (e.g. StepLR, CosineAnnealingLR) or None", schedule)
        self.schedule = schedule
        self.epochs = check_positive_int(epochs, "epochs")
        self.initial_epoch = check_positive_int(initial_epoch, "initial_epoch", minimum=0)
        if self.initial_epoch >= self.epochs:
            raise fail("initial_epoch", f"less than epochs ({self.epochs})", initial_epoch)
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise fail("shuffle", "True or False", shuffle)
        self.shuffle = bool(shuffle)
        self.seed = resolve_seed(seed)
        if isinstance(metrics, (str, Metric)):
            metrics = [metrics]
        self.metrics = [get_metric(m) for m in metrics]
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise fail("early_stopping", "an EarlyStopping or None", early_stopping)
        callbacks = list(callbacks)
        for k, cb in enumerate(callbacks):
            if not isinstance(cb, Callback):
                raise fail(f"callbacks[{k}]", "a Callback", cb)
        bar = progress_callback(progress)
        self.callbacks = callbacks + ([early_stopping] if early_stopping is not None else []) + ([bar] if bar else [])
        self.early_stopping = early_stopping
        self.history = History(seed=self.seed)
        self.stop_training = False
        self.epoch = self.initial_epoch
        self.step = 0
        self.samples_done = 0
        self.log_names: set[str] = set()
        self._interrupted = False
        # Bound last, once every argument is known to be good.
        if not self.optimizer.bound:
            self.optimizer.bind([network.flat_parameter()])
        self.base_learning_rate = self.optimizer.initial_learning_rate

    # -- data ----------------------------------------------------------------------------
    def _prepare(
        self,
        X: Any,
        Y: Any,
        sample_weight: Any,
        validation_data: Any,
        validation_fraction: float | None,
    ) -> None:
        net = self.network
        X = net.check_inputs(X)
        Y = net.check_targets(Y, X.shape[0])
        w = None if sample_weight is None else _check_weights(sample_weight, X.shape[0], net.dtype, "sample_weight")
        self.validation = check_validation_data(net, validation_data, validation_fraction)
        if self.validation is None and validation_fraction is not None:
            fraction = check_positive_float(validation_fraction, "validation_fraction")
            n_val = int(round(fraction * X.shape[0]))
            if fraction >= 1.0 or not 1 <= n_val < X.shape[0]:
                raise fail(
                    "validation_fraction",
                    f"a fraction in (0, 1) leaving at least one sample on each side of {X.shape[0]}",
                    validation_fraction,
                )
            # The split depends on the seed alone (stream 0; epochs use 1, 2, ...).
            order = np.random.default_rng([self.seed, 0]).permutation(X.shape[0])
            val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
            self.validation = (X[val], Y[val], None if w is None else w[val])
            X, Y, w = X[train], Y[train], None if w is None else w[train]
        self.X, self.Y, self.sample_weight = X, Y, w
        self.n_train = X.shape[0]
        names = {"loss"} | {m.name for m in self.metrics}
        if self.validation is not None:
            names |= {"val_" + name for name in names}
        self.log_names = names

    # -- one update ----------------------------------------------------------------------
    def train_step(self, X: np.ndarray, Y: np.ndarray, weight: np.ndarray | None) -> float:
        """Forward, backward, :meth:`finalize_gradients`, divergence check, optimizer step.

        Returns the batch's loss E. Raises :class:`DivergenceError` before the
        update when the loss or a gradient is not finite, so the weights stay
        the last finite ones.
        """
        net = self.network
        net._forward(X)
        value = net._backward(Y, weight)
        self.finalize_gradients()
        net._check_finite(value, self.epoch, self.step)
        self.optimizer.step()
        return value

    def finalize_gradients(self) -> None:
        """Last chance to change the gradients before the update; does nothing here.

        Called once per step, after backward has filled ``network._flat_grad``
        (every trainable gradient in one contiguous array) and before the
        divergence check and ``optimizer.step()``. Data-parallel training
        overrides it to average ``network._flat_grad`` across processes.
        """

    # -- the run ---------------------------------------------------------------------------
    def run(
        self,
        X: Any,
        Y: Any,
        *,
        sample_weight: Any = None,
        validation_data: Any = None,
        validation_fraction: float | None = None,
    ) -> History:
        """Train on ``X`` ``(n, n_inputs)`` and ``Y`` ``(n, n_outputs)``; return the history."""
        self._prepare(X, Y, sample_weight, validation_data, validation_fraction)
        self._setup_epochs()
        for cb in self.callbacks:
            cb.on_train_begin(self)
        previous_handler = self._install_interrupt_handler()
        try:
            # Overflow is detected and reported as a DivergenceError, not as warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                for epoch in range(self.initial_epoch + 1, self.epochs + 1):
                    self._run_epoch(epoch)
                    if self.stop_training:
                        self.history.stopped_epoch = epoch
                        break
        except (DivergenceError, KeyboardInterrupt) as err:
            err.history = self.history  # type: ignore[union-attr]
            raise
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
            for cb in self.callbacks:
                if isinstance(cb, ProgressBar):
                    cb.close()
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history

    def _batch_size(self) -> int:
        return self.n_train if self.batch_size is None else min(self.batch_size, self.n_train)

    def _batches(self, epoch: int) -> tuple[int, np.ndarray | None]:
        """Batch size and the epoch's sample order (None: in the data's order)."""
        n, batch = self.n_train, self._batch_size()
        # A full batch is the same set of samples in any order: skip the shuffle.
        if not self.shuffle or batch >= n:
            return batch, None
        return batch, np.random.default_rng([self.seed, epoch]).permutation(n)

    def _setup_epochs(self) -> None:
        """What every epoch reuses: batch buffers, the hooks that are really overridden."""
        X, Y, w = self.X, self.Y, self.sample_weight
        batch = self._batch_size()
        self._steps_per_epoch = -(-self.n_train // batch)
        self._gather = None
        if self.shuffle and batch < self.n_train:
            self._gather = (
                np.empty((batch, X.shape[1]), X.dtype),
                np.empty((batch, Y.shape[1]), Y.dtype),
                None if w is None else np.empty(batch, w.dtype),
            )
        self._hooks = {
            hook: [cb for cb in self.callbacks if cb.overrides(hook)]
            for hook in ("on_epoch_begin", "on_batch_end", "on_epoch_end")
        }
        self._mean = self.network.loss_function.reduction == "mean"

    def _run_epoch(self, epoch: int) -> None:
        self.epoch, self.samples_done = epoch, 0
        X, Y, w, n = self.X, self.Y, self.sample_weight, self.n_train
        batch, order = self._batches(epoch)
        self.step = (epoch - 1) * self._steps_per_epoch
        schedule = self.schedule
        if schedule is not None and schedule.per == "epoch":
            self.optimizer.learning_rate = schedule(epoch - 1, self.base_learning_rate)
        per_step = schedule if schedule is not None and schedule.per == "step" else None
        for cb in self._hooks["on_epoch_begin"]:
            cb.on_epoch_begin(self, epoch)
        batch_hooks = self._hooks["on_batch_end"]
        mean, total, wb = self._mean, 0.0, None
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            if order is None:
                Xb, Yb = (X, Y) if batch == n else (X[start:stop], Y[start:stop])
                if w is not None:
                    wb = w[start:stop]
            else:
                rows = order[start:stop]
                Xb_full, Yb_full, wb_full = self._gather  # type: ignore[misc]
                Xb, Yb = Xb_full[: stop - start], Yb_full[: stop - start]
                # mode="clip" skips the bounds check's temporary copy (the rows are a
                # permutation, always in range): over twice as fast for small batches.
                np.take(X, rows, axis=0, out=Xb, mode="clip")
                np.take(Y, rows, axis=0, out=Yb, mode="clip")
                if wb_full is not None:
                    wb = wb_full[: stop - start]
                    np.take(w, rows, out=wb, mode="clip")
            if per_step is not None:
                self.optimizer.learning_rate = per_step(self.step, self.base_learning_rate)
            self.step += 1
            value = self.train_step(Xb, Yb, wb)
            total += value * (stop - start) if mean else value
            self.samples_done = stop
            for cb in batch_hooks:
                cb.on_batch_end(self, self.step, value)
            if self._interrupted:
                raise KeyboardInterrupt(f"training interrupted at epoch {epoch}, step {self.step}")
            if self.stop_training:
                break
        loss = total / self.samples_done if mean else total
        logs = {"loss": loss}
        if self.metrics:
            logs.update(evaluate(self.network, X, Y, self.metrics, w))
            logs["loss"] = loss  # the running mean over the epoch's batches, as without metrics
        if self.validation is not None:
            Xv, Yv, wv = self.validation
            logs.update(evaluate(self.network, Xv, Yv, self.metrics, wv, prefix="val_"))
        self.history.append(epoch, logs)
        self.history.steps = self.step
        for cb in self._hooks["on_epoch_end"]:
            cb.on_epoch_end(self, epoch, logs)

    # -- Ctrl-C ----------------------------------------------------------------------------
    def _install_interrupt_handler(self) -> Any:
        """Defer a first Ctrl-C to the end of the current step; returns the handler to restore."""
        if threading.current_thread() is not threading.main_thread():
            return None
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return None

        def handler(signum: int, frame: Any) -> None:
            if self._interrupted:  # a second Ctrl-C: stop now
                raise KeyboardInterrupt
            self._interrupted = True

        self._interrupted = False
        return signal.signal(signal.SIGINT, handler)


def _check_weights(weights: Any, n: int, dtype: np.dtype, what: str) -> np.ndarray:
    """Sample weights as a finite, non-negative ``(n,)`` array of ``dtype``."""
    try:
        array = np.asarray(weights, dtype=dtype)
    except (TypeError, ValueError):
        raise fail(what, f"{n} non-negative numbers", weights) from None
    if array.shape != (n,):
        raise fail(what, f"shape ({n},) (one weight per sample)", Described(f"shape {array.shape}"))
    if not np.isfinite(array).all() or (array < 0).any():
        raise fail(what, "finite, non-negative weights", array)
    return np.ascontiguousarray(array)

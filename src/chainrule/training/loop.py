"""The training loop: epochs of shuffled mini-batches, validation, callbacks and history.

One update is the engine's :meth:`~chainrule.core.Network.train_step`::

    forward -> loss -> backward -> strategy.reduce -> check finite -> optimizer step (checked)

This is the library's only epoch loop. Spreading a run over processes
(:mod:`chainrule.distributed`) plugs in through a
:class:`~chainrule.training.strategy.Strategy`: it says which rows this
process holds, combines each step's gradients and loss, and combines
evaluations; batches, schedules, callbacks, early stopping and the history are
the same code for one process or many.

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

import math
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..core import DivergenceError, Metric, Network, get_metric
from ..core.errors import Described, excerpt
from ..core.penalty import check_l2
from ..core.validation import check_bool, check_positive_float, check_positive_int, fail
from ..optim import Optimizer, Schedule, get_optimizer
from .callbacks import Callback
from .convergence import ConvergenceRule
from .early_stopping import EarlyStopping
from .history import History
from .progress import ProgressBar, progress_callback
from .strategy import BatchPlan, Strategy, resolve_strategy

__all__ = ["TrainingLoop", "check_validation_data", "fit", "resolve_seed"]

#: Callbacks whose hooks never write to the weights during a run (early stopping restores them at its end).
_READ_ONLY_CALLBACKS = (ProgressBar, EarlyStopping, ConvergenceRule)


def _listed(values: Any, what: str, expected: str) -> list[Any]:
    """``list(values)`` for an iterable that is not a string or a mapping; else the library's error."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise fail(what, expected, values)
    try:
        return list(values)
    except TypeError:  # e.g. a 0-d array, iterable in name only
        raise fail(what, expected, values) from None


def check_rate(rate: float, schedule: Schedule, t: int) -> float:
    """The rate a schedule gave after ``t`` epochs or steps, if finite and >= 0; else the library's error."""
    if not 0.0 <= rate < math.inf:
        raise fail(
            "schedule",
            "a schedule whose learning rate stays finite and >= 0",
            Described(f"{excerpt(schedule)} gives {rate} after {t} {schedule.per}s"),
        )
    return rate


def check_weight_total(weights: np.ndarray | None, strategy: Strategy, what: str) -> None:
    """Refuse sample weights whose total over every process's rows is zero or too large.

    All-zero weights leave nothing to learn from (the loss would read 0); a total
    past ``sqrt(largest float)`` of the dtype lets a weighted loss overflow. Only
    the total counts: a process of a data-parallel run may hold zero weights alone.
    """
    if weights is None:
        return
    with np.errstate(over="ignore"):
        total = strategy.total(float(np.sum(weights, dtype=np.float64)))
    limit = math.sqrt(float(np.finfo(weights.dtype).max))
    with strategy.checking():
        if not total > 0:
            raise fail(
                what,
                "weights with a positive total (every weight is 0: there is nothing to learn from)",
                Described(f"{weights.shape[0]} weights totalling {total}"),
            )
        if not total <= limit:
            raise fail(
                what,
                f"weights totalling at most {limit:.3g} in {weights.dtype} (scale them down)",
                Described(f"weights totalling {total:.6g}"),
            )


def resolve_seed(seed: int | np.random.Generator | None) -> int:
    """The integer from which a run derives every random choice.

    An int is used as is; a Generator gives one draw; None draws fresh OS
    entropy (recorded in ``History.seed`` so the run can be repeated).
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]  # (fresh: an int)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise fail("seed", "a non-negative integer, a numpy.random.Generator or None", seed)


def check_validation_data(
    network: Network, validation_data: Any, validation_fraction: Any
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
        wv = network.check_sample_weight(validation_data[2], Xv.shape[0], "validation_data weights")
    return Xv, Yv, wv


def fit(
    network: Network,
    X: Any,
    Y: Any,
    *,
    optimizer: str | Optimizer = "sgd",
    learning_rate: float | None = None,
    schedule: Schedule | None = None,
    epochs: int = 1,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    sample_weight: Any = None,
    validation_data: Any = None,
    validation_fraction: float | None = None,
    metrics: Sequence[str | Metric] = (),
    early_stopping: EarlyStopping | None = None,
    callbacks: Sequence[Callback] = (),
    progress: bool | None = None,
    initial_epoch: int = 0,
    strategy: Strategy | None = None,
    comm: Any = None,
    sharded: bool = False,
    l2: float = 0.0,
    train_metrics: bool = True,
    shuffle_order: Callable[[int, int], np.ndarray] | None = None,
) -> History:
    """Train ``network`` with mini-batches for ``epochs`` epochs; return the per-epoch :class:`History`.

    :meth:`chainrule.Network.fit` is this function.

    Parameters
    ----------
    network : Network
    X, Y : arrays ``(n, n_inputs)`` and ``(n, n_outputs)``
        Converted to the network's dtype (float32 stays float32).
    optimizer : {"sgd", "adam", "adamw", "rmsprop"} or Optimizer
        A name (with its PyTorch default rate unless ``learning_rate`` is
        given) or an instance, unbound (``Adam(learning_rate=1e-3)``: it is
        bound to :meth:`~chainrule.Network.flat_parameter`, the fastest) or bound
        to this network's parameters. Its state carries over between calls.
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
    strategy : Strategy, optional
        Where the work happens (see :mod:`chainrule.training.strategy`);
        default: this process, or what ``comm`` selects.
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
    l2 : float
        scikit-learn's L2 penalty (its ``alpha``): each batch's loss gains
        ``0.5 * l2 * sum ||W||^2 / batch rows`` over the weight matrices (not
        the biases), and their gradients ``l2 * W / batch rows``; with many
        processes the rows are the whole batch's (see
        :mod:`chainrule.core.penalty`). ``history.loss`` includes it. Default 0.
    train_metrics : bool
        Whether ``metrics`` are also evaluated on the training data after
        every epoch (a full pass over it). False: on the validation data only.
    shuffle_order : callable ``(epoch, n) -> permutation``, optional
        With ``shuffle``: the order of the ``n`` training rows in epoch
        ``epoch`` (1-based), instead of the seed's. It is called every epoch
        (also for full batches, where the order changes nothing), so a
        stateful stream such as scikit-learn's ``RandomState`` stays in step;
        it must give every process the same permutation. Resuming bitwise is
        then up to it.

    Returns
    -------
    History
        ``history.loss`` (mean training loss per epoch), ``history.val_loss``,
        metrics, ``history.epoch``; ``history.to_dict()`` for plain lists.

    Raises
    ------
    DivergenceError
        When a loss, a gradient or an update becomes NaN or infinite; the
        update is not applied, so the weights are the last finite ones. The
        error names the epoch, step and first layer, and carries ``history``.
    KeyboardInterrupt
        On Ctrl-C, after the current update completes (see the module
        docstring); carries ``history``.
    """
    loop = TrainingLoop(
        network,
        optimizer=optimizer,
        learning_rate=learning_rate,
        schedule=schedule,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        metrics=metrics,
        early_stopping=early_stopping,
        callbacks=callbacks,
        progress=progress,
        initial_epoch=initial_epoch,
        strategy=resolve_strategy(strategy, comm, sharded),
        l2=l2,
        train_metrics=train_metrics,
        shuffle_order=shuffle_order,
    )
    return loop.run(
        X, Y, sample_weight=sample_weight, validation_data=validation_data, validation_fraction=validation_fraction
    )


class TrainingLoop:
    """Trains a network; :func:`fit` builds one and calls :meth:`run`.

    The constructor takes fit's options (see :func:`fit`); while running,
    callbacks can read ``network``, ``optimizer``, ``strategy``, ``epoch``
    (1-based), ``step`` (updates since the start of the whole run, counting
    epochs before ``initial_epoch``), ``samples_done`` (this epoch, over every
    process), ``epoch_order`` (the epoch's permutation of the global training
    rows, None when they are visited in order), ``history`` and set
    ``stop_training``.
    """

    def __init__(
        self,
        network: Network,
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
        strategy: Strategy | None = None,
        l2: float = 0.0,
        train_metrics: bool = True,
        shuffle_order: Callable[[int, int], np.ndarray] | None = None,
    ) -> None:
        self.network = network
        self.strategy = strategy if strategy is not None else Strategy()
        with self.strategy.checking():  # the options might be wrong on one process only
            if learning_rate is not None:
                check_positive_float(learning_rate, "learning_rate")
            self.optimizer = get_optimizer(optimizer, learning_rate)
            if self.optimizer.bound and not network.owns(self.optimizer.parameters):
                raise fail("optimizer", "an optimizer bound to this network's parameters (or unbound)", optimizer)
            if schedule is not None and not isinstance(schedule, Schedule):
                raise fail("schedule", "a Schedule (e.g. StepLR, CosineAnnealingLR) or None", schedule)
            self.schedule = schedule
            self.epochs = check_positive_int(epochs, "epochs")
            self.initial_epoch = check_positive_int(initial_epoch, "initial_epoch", minimum=0)
            if self.initial_epoch >= self.epochs:
                raise fail("initial_epoch", f"less than epochs ({self.epochs})", initial_epoch)
            self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
            self.shuffle = check_bool(shuffle, "shuffle")
            self.l2 = check_l2(l2, "l2")
            self.train_metrics = check_bool(train_metrics, "train_metrics")
            if shuffle_order is not None and not callable(shuffle_order):
                raise fail("shuffle_order", "a callable (epoch, n) -> permutation of range(n), or None", shuffle_order)
            self.shuffle_order = shuffle_order
            self.seed = resolve_seed(seed)
            if isinstance(metrics, (str, Metric)):
                metrics = [metrics]
            self.metrics = [
                get_metric(m) for m in _listed(metrics, "metrics", "a list of metric names or Metric objects")
            ]
            if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
                raise fail("early_stopping", "an EarlyStopping or None", early_stopping)
            if isinstance(callbacks, Callback):
                callbacks = [callbacks]
            callbacks = _listed(callbacks, "callbacks", "a list of Callback objects")
            for k, cb in enumerate(callbacks):
                if not isinstance(cb, Callback):
                    raise fail(f"callbacks[{k}]", "a Callback", cb)
            bar = progress_callback(progress) if self.strategy.is_root else None
        self.callbacks = callbacks + ([early_stopping] if early_stopping is not None else []) + ([bar] if bar else [])
        self.early_stopping = early_stopping
        self.history = History(seed=self.seed)
        self.stop_training = False
        self.epoch = self.initial_epoch
        self.step = 0
        self.samples_done = 0
        self.log_names: set[str] = set()
        self.epoch_order: np.ndarray | None = None
        self.interrupt_requested = False
        # Bound last, once every argument is known to be good.
        if not self.optimizer.bound:
            self.optimizer.bind([network.flat_parameter()])
        self.base_learning_rate = self.optimizer.initial_learning_rate
        self.strategy.start(self)

    # -- data ----------------------------------------------------------------------------
    def prepare(
        self,
        X: Any,
        Y: Any,
        sample_weight: Any = None,
        validation_data: Any = None,
        validation_fraction: float | None = None,
    ) -> None:
        """Check the data and split off validation rows (:meth:`run` calls it first).

        Sets ``X``, ``Y``, ``sample_weight`` (this process's training rows),
        ``validation`` (``(X_val, Y_val, weights)`` or None), ``n_train`` and
        ``n_validation`` (over every process) and ``plan`` (the batches).
        """
        net, strategy = self.network, self.strategy
        with strategy.checking():
            X, Y, w = strategy.check_rows(net, X, Y, sample_weight)
            validation = check_validation_data(net, validation_data, validation_fraction)
            if validation_fraction is not None:
                check_positive_float(validation_fraction, "validation_fraction")
        (X, Y, w), lo, n = strategy.partition((X, Y, w), "X")
        n_validation = 0
        if validation is not None:
            # (partition keeps each array in its place: X_val and Y_val stay arrays)
            validation, _, n_validation = strategy.partition(validation, "validation_data X")  # type: ignore[assignment]
        if validation_fraction is not None:
            # int(): round() of a numbers.Real returns an Integral, not necessarily int (e.g. a NumPy integer).
            n_val = int(round(validation_fraction * n))  # noqa: RUF046
            with strategy.checking():
                if validation_fraction >= 1.0 or not 1 <= n_val < n:
                    raise fail(
                        "validation_fraction",
                        f"a fraction in (0, 1) leaving at least one sample on each side of {n}",
                        validation_fraction,
                    )
            # The split depends on the seed alone (stream 0; epochs use 1, 2, ...), and on the
            # global row numbers: every process keeps its own rows of each side.
            order = np.random.default_rng([self.seed, 0]).permutation(n)
            val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
            hi = lo + X.shape[0]
            mine_val = val[np.searchsorted(val, lo) : np.searchsorted(val, hi)] - lo
            mine_train = train[np.searchsorted(train, lo) : np.searchsorted(train, hi)] - lo
            validation = (X[mine_val], Y[mine_val], None if w is None else w[mine_val])
            X, Y, w = X[mine_train], Y[mine_train], None if w is None else w[mine_train]
            lo = int(np.searchsorted(train, lo))  # global index of this process's first training row
            n_validation, n = n_val, n - n_val
        check_weight_total(w, strategy, "sample_weight")
        if validation is not None:
            check_weight_total(
                validation[2],
                strategy,
                "validation_data weights" if validation_data is not None else "sample_weight (validation rows)",
            )
        self.validation = validation
        self.n_validation = n_validation
        self.X, self.Y, self.sample_weight = X, Y, w
        self.n_train = n  # over every process; self.X holds rows [lo, lo + len(self.X)) of them
        batch = n if self.batch_size is None else min(self.batch_size, n)
        self.plan = BatchPlan(n, lo, X.shape[0], batch)
        metric_names = {m.name for m in self.metrics}
        names = {"loss"} | (metric_names if self.train_metrics else set())
        if self.validation is not None:
            names |= {"val_" + name for name in {"loss"} | metric_names}
        self.log_names = names

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
        with self.strategy.running(self):
            self.prepare(X, Y, sample_weight, validation_data, validation_fraction)
            self._setup_epochs()
            for cb in self.callbacks:
                cb.on_train_begin(self)
            previous_handler = self._install_interrupt_handler()
            try:
                # Overflow is detected and reported as a DivergenceError, not as warnings.
                with np.errstate(over="ignore", invalid="ignore"):
                    if self._one_step is not None:
                        self._run_one_step_epochs()
                    for epoch in range(self.initial_epoch + 1, self.epochs + 1):
                        if self._one_step is not None:
                            break  # (done above)
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
            self.strategy.finish(self)
        return self.history

    def _setup_epochs(self) -> None:
        """What every epoch reuses: room in the layers, batch buffers, the hooks really overridden."""
        X, Y, w, plan = self.X, self.Y, self.sample_weight, self.plan
        capacity = plan.largest_local_batch
        self.network.reserve(capacity)
        # A full batch is the same set of samples in any order: no shuffle.
        self._shuffled = self.shuffle and plan.batch < plan.n
        self._gather = None
        if self._shuffled:
            self._gather = (
                np.empty((capacity, X.shape[1]), X.dtype),
                np.empty((capacity, Y.shape[1]), Y.dtype),
                None if w is None else np.empty(capacity, w.dtype),
            )
        # Batch k is rows starts[k]:starts[k + 1] of the epoch's order (global), and local rows
        # in_order[k]:in_order[k + 1] of this process's part when they are visited in order.
        self._starts = plan.starts.tolist()
        self._in_order = plan.epoch(None)[1].tolist()
        self._whole = X.shape[0] == plan.batch == plan.n  # one batch of every row, as they are
        self._hooks = {
            hook: [cb for cb in self.callbacks if cb.overrides(hook)]
            for hook in ("on_epoch_begin", "on_batch_end", "on_epoch_end")
        }
        self._mean = self.network.loss_function.reduction == "mean"
        self._first_step = self.initial_epoch * self.plan.steps + 1
        # The single-process strategy's answer is the flag itself: no call per step.
        overridden = type(self.strategy).interrupted is not Strategy.interrupted
        self._interrupted = self.strategy.interrupted if overridden else None
        # Between two steps nothing but the loop itself touches the weights unless a callback
        # runs (the built-in progress bar and early stopping only read them): then each step
        # may tell the network that its weights are as its last step left them.
        self._untouched = all(
            type(cb) in _READ_ONLY_CALLBACKS or not any(cb.overrides(hook) for hook in self._hooks)
            for cb in self.callbacks
        )
        # What _run_epoch reads every epoch, in one tuple (the tutorial's train(epochs=N) is N one-step epochs).
        starts = self._starts
        self._epoch_constants = (
            self.network,
            plan,
            self.optimizer,
            X,
            Y,
            w,
            starts,
            self._in_order,
            [starts[k + 1] - starts[k] for k in range(plan.steps)],
            self._shuffled,
            self._whole,
            self._gather,
            (self._hooks["on_epoch_begin"], self._hooks["on_batch_end"], self._hooks["on_epoch_end"]),
            bool(self.metrics and self.train_metrics) or self.validation is not None,
            self._interrupted,
            self._untouched,
        )
        simple = (
            plan.steps == 1
            and self._whole
            and not any(self._hooks.values())
            and not self._epoch_constants[13]
            and self._interrupted is None
            and (self.shuffle_order is None or not self.shuffle)
        )
        self._one_step = (self.network, self.optimizer, X, Y, w, plan.n, self._untouched) if simple else None
        schedule = self.schedule
        if schedule is not None:  # see a rate that overflows coming, before the first epoch
            per_epoch = plan.steps if schedule.per == "step" else 1
            first, last = self.initial_epoch * per_epoch, self.epochs * per_epoch - 1
            with self.strategy.checking():
                for t in (first, last):
                    check_rate(schedule(t, self.base_learning_rate), schedule, t)

    def _run_one_step_epochs(self) -> None:
        """Every epoch of a run whose epochs are one step on every row and nothing else: train(epochs=N)'s case.

        What :meth:`_run_epoch` does for such an epoch, with the lookups made once
        for the whole run (on the tutorial's network they cost as much as the step).
        """
        net, optimizer, X, Y, w, n, untouched = self._one_step  # type: ignore[misc]  # (run: only when set)
        train_step, reduce, schedule, base = (
            net.train_step,
            self.strategy.reduce,
            self.schedule,
            self.base_learning_rate,
        )
        history, mean, first_step, l2 = self.history, self._mean, self._first_step, self.l2
        epochs, losses = history.epoch, history.series.setdefault("loss", [])
        self.samples_done, self.epoch_order = n, None
        for epoch in range(self.initial_epoch + 1, self.epochs + 1):
            self.epoch = self.step = epoch  # one step per epoch
            if schedule is not None:  # per epoch or per step: the same t
                rate = schedule(epoch - 1, base)
                optimizer.learning_rate = rate if 0.0 <= rate < math.inf else check_rate(rate, schedule, epoch - 1)
            value = train_step(
                X,
                Y,
                optimizer,
                w,
                batch_rows=n,
                reduce=reduce,
                epoch=epoch,
                step=epoch,
                weights_unchanged=untouched and epoch > first_step,
                l2=l2,
            )
            if self.interrupt_requested:
                raise KeyboardInterrupt(f"training interrupted at epoch {epoch}, step {epoch}")
            epochs.append(epoch)
            losses.append(float(value * n / n if mean else value))  # (the mean over the epoch's rows, as below)
            history.steps = epoch
            if self.stop_training:
                history.stopped_epoch = epoch
                break

    def _run_epoch(self, epoch: int) -> None:
        (
            net,
            plan,
            optimizer,
            X,
            Y,
            w,
            starts,
            in_order,
            batch_rows,
            shuffled,
            whole,
            gather,
            hooks,
            evaluates,
            interrupted,
            untouched,
        ) = self._epoch_constants
        train_step, reduce, mean, l2 = net.train_step, self.strategy.reduce, self._mean, self.l2
        self.epoch, self.samples_done = epoch, 0
        order: np.ndarray | None
        if self.shuffle and self.shuffle_order is not None:
            # The caller's order, drawn every epoch (even for a full batch, which needs none:
            # the caller's random state advances as its own loop's would).
            order = _checked_order(self.shuffle_order(epoch, plan.n), plan.n)
            order = order if shuffled else None
        else:
            order = np.random.default_rng([self.seed, epoch]).permutation(plan.n) if shuffled else None
        if order is not None:
            rows, bounds = plan.epoch(order)
            local = bounds.tolist()
        else:
            rows = None
            local = in_order
        self.epoch_order = order
        step = self.step = (epoch - 1) * plan.steps
        schedule, per_step = self.schedule, None
        if schedule is not None:
            if schedule.per == "epoch":
                optimizer.learning_rate = check_rate(schedule(epoch - 1, self.base_learning_rate), schedule, epoch - 1)
            else:
                per_step = schedule
        epoch_begin, batch_end, epoch_end = hooks
        for cb in epoch_begin:
            cb.on_epoch_begin(self, epoch)
        total, wb = 0.0, None
        if whole:
            Xb, Yb, wb = X, Y, w
        elif gather is not None:  # the batch buffers' views, remade when the batch size changes
            Xb_full, Yb_full, wb_full = gather
            Xb, Yb = Xb_full[:0], Yb_full[:0]
        unchanged = untouched and step >= self._first_step  # (not the run's first step: the caller's weights)
        for k in range(plan.steps):
            if rows is not None:
                a, b = local[k], local[k + 1]
                if b - a != Xb.shape[0]:  # the same view objects while the size stays (the network caches by them)
                    Xb, Yb = Xb_full[: b - a], Yb_full[: b - a]
                picked = rows[a:b]
                # mode="clip" skips the bounds check's temporary copy (the rows are a
                # permutation, always in range): over twice as fast for small batches.
                X.take(picked, 0, Xb, "clip")
                Y.take(picked, 0, Yb, "clip")
                if wb_full is not None:
                    wb = wb_full[: b - a]
                    w.take(picked, 0, wb, "clip")  # type: ignore[union-attr]  # (wb_full: there are weights)
            elif not whole:
                a, b = local[k], local[k + 1]
                Xb, Yb = X[a:b], Y[a:b]
                if w is not None:
                    wb = w[a:b]
            if per_step is not None:
                rate = per_step(step, self.base_learning_rate)
                optimizer.learning_rate = rate if 0.0 <= rate < math.inf else check_rate(rate, per_step, step)
            step = self.step = step + 1
            n = batch_rows[k]
            value = train_step(
                Xb,
                Yb,
                optimizer,
                wb,
                batch_rows=n,
                reduce=reduce,
                epoch=epoch,
                step=step,
                weights_unchanged=unchanged,
                l2=l2,
            )
            unchanged = untouched
            total += value * n if mean else value
            self.samples_done = starts[k + 1]
            for cb in batch_end:
                cb.on_batch_end(self, step, value)
            if self.interrupt_requested if interrupted is None else interrupted(self.interrupt_requested):
                raise KeyboardInterrupt(f"training interrupted at epoch {epoch}, step {step}")
            if self.stop_training:
                break
        loss = total / self.samples_done if mean else total
        logs = {"loss": loss}
        if evaluates:
            if self.metrics and self.train_metrics:
                logs.update(self.strategy.evaluate(net, X, Y, w, plan.n, self.metrics))
                logs["loss"] = loss  # the running mean over the epoch's batches, as without metrics
            if self.validation is not None:
                Xv, Yv, wv = self.validation
                logs.update(self.strategy.evaluate(net, Xv, Yv, wv, self.n_validation, self.metrics, prefix="val_"))
        history = self.history
        history.append(epoch, logs)
        history.steps = step
        for cb in epoch_end:
            cb.on_epoch_end(self, epoch, logs)

    # -- Ctrl-C ----------------------------------------------------------------------------
    def _install_interrupt_handler(self) -> Any:
        """Defer a first Ctrl-C to the end of the current step; returns the handler to restore."""
        if threading.current_thread() is not threading.main_thread():
            return None
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return None

        def handler(signum: int, frame: Any) -> None:
            if self.interrupt_requested:  # a second Ctrl-C: stop now
                raise KeyboardInterrupt
            self.interrupt_requested = True

        self.interrupt_requested = False
        return signal.signal(signal.SIGINT, handler)


def _checked_order(order: Any, n: int) -> np.ndarray:
    """``order`` from a ``shuffle_order`` callable, if a permutation of ``range(n)``; else the library's error."""
    array = np.asarray(order)
    if array.shape != (n,) or array.dtype.kind not in "iu" or not np.array_equal(np.sort(array), np.arange(n)):
        raise fail("shuffle_order", f"a callable returning a permutation of range({n})", Described(excerpt(order)))
    return array.astype(np.intp, copy=False)

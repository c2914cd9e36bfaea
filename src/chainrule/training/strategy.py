"""Where a training run's work happens: the loop's one plug-in point for spreading it out.

The :class:`~chainrule.training.loop.TrainingLoop` is the only epoch loop. What
changes when a run is spread over several processes is confined to a
:class:`Strategy`:

* which rows of the data this process holds (:meth:`Strategy.partition`);
  every process then visits the same global order of batches, restricted to
  its rows (:class:`BatchPlan`);
* how a step's gradients and scalars are combined (:attr:`Strategy.reduce`),
  and whether every process agrees to stop after Ctrl-C (:meth:`Strategy.interrupted`);
* how an evaluation over everyone's rows is combined (:meth:`Strategy.evaluate`);
* what must agree before the first step and after the last (:meth:`Strategy.start`,
  :meth:`Strategy.finish`) and how a failure on one process ends the others
  (:meth:`Strategy.running`, :meth:`Strategy.checking`).

:class:`Strategy` itself is the single-process strategy: everything happens
here and each hook does nothing. :mod:`chainrule.distributed` provides
data-parallel training over MPI; it announces itself with
:func:`register_strategy_provider`, so that ``fit(comm=...)`` and a launch by
``mpiexec`` find it without this package importing it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import Metric, Network
from ..core.extras import install_hint
from ..core.validation import fail

if TYPE_CHECKING:
    from .loop import TrainingLoop

__all__ = ["BatchPlan", "Strategy", "StrategyProvider", "register_strategy_provider", "resolve_strategy"]

#: ``provider(comm, sharded)`` returns a Strategy for these fit arguments, or None when it does not apply.
StrategyProvider = Callable[[Any, bool], "Strategy | None"]
_PROVIDERS: list[StrategyProvider] = []


def register_strategy_provider(provider: StrategyProvider) -> None:
    """Let a package offer a :class:`Strategy` for ``fit(comm=..., sharded=...)`` (tried in registration order)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def resolve_strategy(strategy: Strategy | None = None, comm: Any = None, sharded: bool = False) -> Strategy:
    """The strategy for one ``fit`` call: the one given, a provider's for ``comm``, or a single process.

    ``comm`` None lets providers detect a launch (``mpiexec``); False keeps the
    run in this process; anything else must be accepted by a provider.
    """
    if strategy is not None:
        if comm is not None and comm is not False:
            raise fail("comm", "None when a strategy is given", comm)
        if not isinstance(strategy, Strategy):
            raise fail("strategy", "a chainrule.training.Strategy (e.g. chainrule.distributed.DataParallel)", strategy)
        return strategy
    if comm is not False:
        for provider in _PROVIDERS:
            found = provider(comm, sharded)
            if found is not None:
                return found
        if comm is not None:
            raise fail(
                "comm",
                f"a communicator that an installed strategy accepts ({install_hint('mpi')}), None or False",
                comm,
            )
    return Strategy()


class BatchPlan:
    """Which of this process's rows make each batch of an epoch.

    The run's ``n`` training rows are numbered globally; this process holds rows
    ``lo .. lo + n_local``. Batch ``k`` of an epoch is rows ``k * batch ..
    (k + 1) * batch`` of the epoch's global order (the row order, or a
    permutation); this process trains on those of them it holds. One process
    holding everything is the case ``lo = 0``, ``n_local = n``.
    """

    def __init__(self, n: int, lo: int, n_local: int, batch: int) -> None:
        self.n, self.lo, self.n_local, self.batch = n, lo, n_local, batch
        self.steps = -(-n // batch)
        #: Global start of every batch and the end: batch k is rows starts[k] .. starts[k + 1].
        self.starts = np.minimum(np.arange(self.steps + 1) * batch, n)

    def epoch(self, order: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray]:
        """``(rows, bounds)``: batch ``k`` is local rows ``rows[bounds[k]:bounds[k + 1]]``.

        ``order``: the epoch's global permutation, or None for the row order
        (then ``rows`` is None and batch ``k`` is the local slice ``bounds[k]:bounds[k + 1]``).
        """
        if order is None:
            return None, np.clip(self.starts - self.lo, 0, self.n_local)
        if self.n_local == self.n:
            return order, self.starts
        mine = np.flatnonzero((order >= self.lo) & (order < self.lo + self.n_local))
        return order[mine] - self.lo, np.searchsorted(mine, self.starts)

    @property
    def largest_local_batch(self) -> int:
        """An upper bound of this process's rows in any batch."""
        return max(1, min(self.batch, self.n_local))


class Strategy:
    """A training run in this one process; the base of every strategy.

    Subclasses (:class:`chainrule.distributed.DataParallel`) override the hooks
    below; the loop calls each at the point its docstring names.
    """

    #: Called after each step's backward pass with this process's loss; returns the whole
    #: batch's, after combining the gradients in ``network.buffer``. None: nothing to combine.
    reduce: Callable[[float], float] | None = None
    #: Whether this process shows progress and is the one to print and write.
    is_root: bool = True

    def running(self, loop: TrainingLoop) -> AbstractContextManager[Any]:
        """Wraps the whole run (data checks, epochs, end)."""
        return contextlib.nullcontext()

    def checking(self) -> AbstractContextManager[Any]:
        """Wraps checks of arguments that could fail on some processes only."""
        return contextlib.nullcontext()

    def start(self, loop: TrainingLoop) -> None:
        """Once the options are checked, before the data: make the run one run (seed, weights, optimizer)."""

    def check_rows(
        self, network: Network, X: Any, Y: Any, sample_weight: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(X, Y, weights or None)`` checked against ``network`` (see :meth:`Network.check_inputs`)."""
        X = network.check_inputs(X)
        Y = network.check_targets(Y, X.shape[0])
        w = None if sample_weight is None else network.check_sample_weight(sample_weight, X.shape[0])
        return X, Y, w

    def partition(
        self, arrays: Sequence[np.ndarray | None], what: str
    ) -> tuple[tuple[np.ndarray | None, ...], int, int]:
        """``(this process's rows of arrays, global index of its first row, global row count)``."""
        return tuple(arrays), 0, arrays[0].shape[0]  # type: ignore[union-attr]

    def interrupted(self, requested: bool) -> bool:
        """Whether to stop after this step, given whether Ctrl-C was pressed here."""
        return requested

    def evaluate(
        self,
        network: Network,
        X: np.ndarray,
        Y: np.ndarray,
        weights: np.ndarray | None,
        n: int,
        metrics: Sequence[Metric],
        prefix: str = "",
    ) -> dict[str, float]:
        """Loss and metrics over the ``n`` rows of every process, of which this one holds ``X``, ``Y``.

        Built from :meth:`total` (the loss is a sum over rows) and :meth:`score`
        (metrics such as R^2 are not).
        """
        outputs, losses = network.outputs_and_losses(X, Y)
        total = self.total(float(losses.sum() if weights is None else np.dot(losses, weights)))
        logs = {prefix + "loss": network.loss_function.reduce_total(total, n)}
        if metrics:
            logs.update(self.score(Y, outputs, weights, metrics, prefix))
        return logs

    def total(self, value: float) -> float:
        """The sum of ``value`` over every process."""
        return value

    def score(
        self, Y: np.ndarray, outputs: np.ndarray, weights: np.ndarray | None, metrics: Sequence[Metric], prefix: str
    ) -> dict[str, float]:
        """``{prefix + name: value}`` of every metric over every process's rows."""
        return {prefix + m.name: m(Y, outputs, weights) for m in metrics}

    def finish(self, loop: TrainingLoop) -> None:
        """After the last epoch, before ``on_train_end``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

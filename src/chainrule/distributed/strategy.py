"""Synchronous data-parallel training: the :class:`DataParallel` strategy of the one training loop.

Every process holds a contiguous shard of the training rows (rank order is
row order) and the same network. Each step works on one *global* mini-batch,
exactly the batch a single-process run with the same seed would use: epoch
``e``'s order is ``default_rng([seed, e]).permutation(N)`` over all ``N``
training rows, every rank draws it, and each computes the gradient over the
rows of the batch that it holds. With the mean reduction a rank holding
``m`` of the batch's ``G`` rows scales its gradient by ``m / G``; one
``Allreduce`` (sum) over the network's flat gradient buffer then leaves on
every rank the gradient of the whole batch, and every rank applies the same
update. So the run equals the single-process run up to the order of the
floating-point additions (measured: a few ulps after a run; see
``tests/test_distributed.py`` for the tolerance), and the weights are
identical on every rank, bit for bit.

The batch's loss and the Ctrl-C flag (two floats) travel in a non-blocking
Allreduce that overlaps the gradient's, so callbacks, early stopping and the
divergence check see the same numbers on every rank and stop at the same
step. Rank 0's seed, weights and optimizer state are broadcast at the start,
so a network built without a seed still trains as one.

The epochs, batches, schedules, callbacks and history are those of
:class:`chainrule.training.TrainingLoop`: this module only fills in its
:class:`~chainrule.training.Strategy` hooks (which rows are this rank's, how a
step's gradients and scalars are summed, how evaluations combine, and how a
failure on one rank stops the others).
"""

from __future__ import annotations

import contextlib
import hashlib
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import DivergenceError, Metric, Network
from ..core.validation import Described, check_bool, fail
from ..training import Strategy
from .comm import import_mpi, resolve_comm
from .failure import abort_on_error, agree, mark_agreed
from .threads import limit_threads, thread_limit

if TYPE_CHECKING:
    from ..training import TrainingLoop

__all__ = ["DataParallel", "data_parallel_for", "even_range"]


def even_range(n: int, rank: int, size: int) -> tuple[int, int]:
    """Rows ``[lo, hi)`` of ``n`` that rank ``rank`` of ``size`` holds: contiguous, sizes differing by at most 1."""
    base, extra = divmod(n, size)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def data_parallel_for(comm: Any, sharded: bool) -> Strategy | None:
    """The strategy provider registered with :func:`chainrule.training.register_strategy_provider`.

    ``comm``: a communicator, None (detect a launch by ``mpiexec``) or False.
    Returns None when nothing asks for more than this process; a communicator
    of one process is accepted and gives an ordinary single-process run.
    """
    found = resolve_comm(comm)
    if found is None:
        return None if comm is None or comm is False else Strategy()
    return DataParallel(found, sharded=sharded)


class DataParallel(Strategy):
    """Train over the processes of an MPI communicator, one global batch per step.

    Chosen by :func:`chainrule.training.fit` when it is given (or detects) a
    communicator of more than one process, or passed as ``strategy=``.

    Parameters
    ----------
    comm : mpi4py communicator
        Every process of it must call ``fit`` with the same options.
    sharded : bool
        False (default): every process passed the whole data set, the same on
        each (checked by row count and checksum); each uses only its
        contiguous part. True: each passed only its own contiguous part, in
        rank order (e.g. from :func:`chainrule.distributed.read_table_shard`).

    Notes
    -----
    Callbacks run on every process and see the same ``logs`` there; ``rank``
    and ``size`` tell a callback where it runs. Only rank 0 shows a progress bar.
    """

    def __init__(self, comm: Any, *, sharded: bool = False) -> None:
        if not all(hasattr(comm, name) for name in ("Allreduce", "Get_size", "Get_rank", "Bcast")):
            raise fail("comm", "an mpi4py communicator (e.g. MPI.COMM_WORLD)", comm)
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.sharded = check_bool(sharded, "sharded")
        self.is_root = self.rank == 0
        self.agreed_interrupt = False
        self._threads = thread_limit(comm)
        self._loop: TrainingLoop | None = None
        # [this rank's share of the batch loss, Ctrl-C pressed here]: summed over ranks each step.
        self._scalars = np.zeros(2, dtype=np.float64)

    # -- the run -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self, loop: TrainingLoop) -> Iterator[None]:
        """One BLAS thread pool per core; a failure on one rank aborts every rank (see :mod:`.failure`)."""
        with limit_threads(self._threads), abort_on_error(self.comm):
            try:
                yield
            except DivergenceError as err:  # same gradients, loss and update on every rank: all raise here
                raise mark_agreed(err)  # noqa: B904 -- re-raises the caught exception itself
            except KeyboardInterrupt as err:
                if self.agreed_interrupt:
                    mark_agreed(err)
                raise

    def checking(self) -> Any:
        return agree(self.comm)

    def start(self, loop: TrainingLoop) -> None:
        """One run: rank 0's seed, starting weights and optimizer state everywhere."""
        self._loop = loop
        self.agreed_interrupt = False
        comm = self.comm
        loop.seed = loop.history.seed = comm.bcast(loop.seed, root=0)
        comm.Bcast(loop.network.buffer.values, root=0)
        state = comm.bcast(loop.optimizer.state_dict() if self.rank == 0 else None, root=0)
        if self.rank != 0:
            loop.optimizer.load_state_dict(state)

    def finish(self, loop: TrainingLoop) -> None:
        """Every rank must end with the same weights; restore rank 0's if an MPI library broke that."""
        values = loop.network.buffer.values
        digest = hashlib.blake2b(values.data.cast("B"), digest_size=16).digest()
        if len(set(self.comm.allgather(digest))) > 1:
            self.comm.Bcast(values, root=0)
            warnings.warn(
                "the ranks ended with different weights (this MPI library's Allreduce is not "
                "reproducible across ranks); rank 0's weights were kept",
                RuntimeWarning,
                stacklevel=4,
            )

    # -- data ----------------------------------------------------------------------------------
    def check_rows(self, network: Network, X: Any, Y: Any, sample_weight: Any) -> tuple[Any, ...]:
        if self.sharded and _no_rows(X) and _no_rows(Y):  # a rank may hold none of the rows
            X = network.check_inputs(np.zeros((1, np.shape(X)[1])))[:0]
            Y = network.check_targets(np.zeros((1, np.shape(Y)[1])), 1)[:0]
            w = None if sample_weight is None else network.check_sample_weight(sample_weight, 0)
            return X, Y, w
        return super().check_rows(network, X, Y, sample_weight)

    def partition(
        self, arrays: Sequence[np.ndarray | None], what: str
    ) -> tuple[tuple[np.ndarray | None, ...], int, int]:
        """This rank's rows: its own part when sharded, else its even share of identical data."""
        comm = self.comm
        X = arrays[0]
        assert X is not None
        counts = comm.allgather(X.shape[0])
        if self.sharded:
            lo, n = sum(counts[: self.rank]), sum(counts)
            with agree(comm):
                if n == 0:
                    raise fail(what, "at least one row on some process", Described(f"row counts {counts}"))
            return tuple(arrays), lo, n
        sums = comm.allgather([float(np.sum(a, dtype=np.float64)) for a in arrays if a is not None])
        with agree(comm):
            if len(set(counts)) != 1:
                raise fail(
                    what,
                    "the same rows on every process (or pass sharded=True with each process's part)",
                    Described(f"row counts {counts} on processes 0..{self.size - 1}"),
                )
            if not all(len(s) == len(sums[0]) and np.allclose(s, sums[0], rtol=1e-9, atol=0) for s in sums):
                raise fail(
                    what,
                    "the same values on every process (or pass sharded=True with each process's part)",
                    Described(f"different checksums {sums}"),
                )
        lo, hi = even_range(counts[0], self.rank, self.size)
        return tuple(None if a is None else a[lo:hi] for a in arrays), lo, counts[0]

    # -- one step --------------------------------------------------------------------------------
    def reduce(self, value: float) -> float:
        """Sum this rank's share of the batch's loss and gradients over every rank (collective).

        The gradients (every trainable one, in the network's flat buffer) go in
        one in-place Allreduce; the loss and the Ctrl-C flag travel in a
        non-blocking Allreduce that overlaps it.
        """
        loop = self._loop
        assert loop is not None
        MPI = import_mpi()
        self._scalars[0] = value
        self._scalars[1] = 1.0 if loop.interrupt_requested else 0.0
        request = self.comm.Iallreduce(MPI.IN_PLACE, self._scalars, op=MPI.SUM)
        self.comm.Allreduce(MPI.IN_PLACE, loop.network.buffer.trainable_gradients, op=MPI.SUM)
        request.Wait()
        self.agreed_interrupt = bool(self._scalars[1] > 0)
        return float(self._scalars[0])

    def interrupted(self, requested: bool) -> bool:
        # Ctrl-C may reach the ranks at different steps; the loop must stop at the same step
        # everywhere, so the flag it reads is the one the ranks agreed on in the last step.
        return self.agreed_interrupt

    # -- evaluation ------------------------------------------------------------------------------
    def total(self, value: float) -> float:
        """The sum over every rank (collective)."""
        return float(self.comm.allreduce(value))

    def score(
        self, Y: np.ndarray, outputs: np.ndarray, weights: np.ndarray | None, metrics: Sequence[Metric], prefix: str
    ) -> dict[str, float]:
        """Metrics over every rank's rows, the same dict on every rank (collective).

        Metrics such as R^2 are not sums over rows: rank 0 computes them from every rank's rows.
        """
        parts = self.comm.gather((Y, outputs, weights), root=0)
        values = None
        if self.rank == 0:
            Y_all = np.concatenate([p[0] for p in parts])
            out_all = np.concatenate([p[1] for p in parts])
            w_all = None if weights is None else np.concatenate([p[2] for p in parts])
            values = super().score(Y_all, out_all, w_all, metrics, prefix)
        agreed: dict[str, float] = self.comm.bcast(values, root=0)
        return agreed

    def __repr__(self) -> str:
        return f"DataParallel(rank {self.rank} of {self.size}, sharded={self.sharded})"


def _no_rows(data: Any) -> bool:
    shape = np.shape(data)
    return len(shape) == 2 and shape[0] == 0

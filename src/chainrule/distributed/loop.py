"""Synchronous data-parallel training: :class:`DataParallelLoop`.

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
"""

from __future__ import annotations

import hashlib
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import Described, check_positive_float, fail
from ..errors import DivergenceError
from ..training.loop import TrainingLoop, _check_weights, check_validation_data, outputs_and_sample_losses
from .failure import abort_on_error, agree, mark_agreed
from .threads import limit_threads, thread_limit

if TYPE_CHECKING:
    from ..network import Network

__all__ = ["DataParallelLoop", "even_range"]


def even_range(n: int, rank: int, size: int) -> tuple[int, int]:
    """Rows ``[lo, hi)`` of ``n`` that rank ``rank`` of ``size`` holds: contiguous, sizes differing by at most 1."""
    base, extra = divmod(n, size)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


class DataParallelLoop(TrainingLoop):
    """A :class:`~chainrule.training.TrainingLoop` over the processes of an MPI communicator.

    Built by :meth:`chainrule.Network.fit` when it is given (or detects) a
    communicator of more than one process; takes fit's options plus:

    Parameters
    ----------
    comm : mpi4py communicator
        Every process of it must call ``fit`` with the same options.
    sharded : bool
        False (default): every process passed the whole data set, the same on
        each (checked by row count and checksum); each uses only its
        contiguous part. True: each passed only its own contiguous part, in
        rank order (e.g. from :func:`chainrule.distributed.read_table_shard`).

    Callbacks run on every process and see the same ``logs`` there; ``rank``
    and ``size`` tell a callback where it runs. Only rank 0 shows a progress bar.
    """

    def __init__(self, network: "Network", *, comm: Any, sharded: bool = False, **options: Any) -> None:
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        if not isinstance(sharded, (bool, np.bool_)):
            raise fail("sharded", "True or False", sharded)
        self.sharded = bool(sharded)
        if self.rank != 0:
            options["progress"] = False
        self._agreed_interrupt = False
        with agree(comm):  # the options might be wrong on one rank only
            super().__init__(network, **options)
        self._threads = thread_limit(comm)
        # One run: rank 0's seed, starting weights and optimizer state.
        self.seed = self.history.seed = comm.bcast(self.seed, root=0)
        comm.Bcast(network._flat_value, root=0)
        state = comm.bcast(self.optimizer.state_dict() if self.rank == 0 else None, root=0)
        if self.rank != 0:
            self.optimizer.load_state_dict(state)
        # [this rank's share of the batch loss, Ctrl-C pressed here]: summed over ranks each step.
        self._scalars = np.zeros(2, dtype=np.float64)

    # Ctrl-C may reach the ranks at different steps; the loop must stop at the same step
    # everywhere, so the flag it reads is the one the ranks agreed on in the last step.
    @property
    def _interrupted(self) -> bool:  # type: ignore[override]
        return getattr(self, "_agreed_interrupt", False)

    @_interrupted.setter
    def _interrupted(self, value: bool) -> None:
        self._local_interrupt = bool(value)

    # -- data ------------------------------------------------------------------------------
    def _prepare(
        self, X: Any, Y: Any, sample_weight: Any, validation_data: Any, validation_fraction: float | None
    ) -> None:
        comm, net = self.comm, self.network
        with agree(comm):
            if self.sharded and _no_rows(X) and _no_rows(Y):  # a rank may hold none of the rows
                X = net.check_inputs(np.zeros((1, np.shape(X)[1])))[:0]
                Y = net.check_targets(np.zeros((1, np.shape(Y)[1])), 1)[:0]
            else:
                X = net.check_inputs(X)
                Y = net.check_targets(Y, X.shape[0])
            w = None if sample_weight is None else _check_weights(sample_weight, X.shape[0], net.dtype, "sample_weight")
            validation = check_validation_data(net, validation_data, validation_fraction)
            if validation_fraction is not None:
                check_positive_float(validation_fraction, "validation_fraction")
        (X, Y, w), lo, n = self._my_part((X, Y, w), "X")
        if validation is not None:
            validation, _, self._n_validation = self._my_part(validation, "validation_data X")
        self._train_lo = lo
        if validation_fraction is not None:
            n_val = int(round(validation_fraction * n))
            with agree(comm):
                if validation_fraction >= 1.0 or not 1 <= n_val < n:
                    raise fail("validation_fraction",
                               f"a fraction in (0, 1) leaving at least one sample on each side of {n}",
                               validation_fraction)
            # The single-process split (stream 0 of the seed), restricted to this rank's rows.
            order = np.random.default_rng([self.seed, 0]).permutation(n)
            val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
            hi = lo + X.shape[0]
            mine_val = val[np.searchsorted(val, lo):np.searchsorted(val, hi)] - lo
            mine_train = train[np.searchsorted(train, lo):np.searchsorted(train, hi)] - lo
            validation = (X[mine_val], Y[mine_val], None if w is None else w[mine_val])
            X, Y, w = X[mine_train], Y[mine_train], None if w is None else w[mine_train]
            self._train_lo = int(np.searchsorted(train, lo))  # global index of this rank's first training row
            self._n_validation, n = n_val, n - n_val
        self.validation = validation
        self.X, self.Y, self.sample_weight = X, Y, w
        self.n_train = n  # global; self.X holds rows [_train_lo, _train_lo + len(self.X)) of them
        names = {"loss"} | {m.name for m in self.metrics}
        if self.validation is not None:
            names |= {"val_" + name for name in names}
        self.log_names = names

    def _my_part(self, arrays: tuple, what: str) -> tuple[tuple, int, int]:
        """``(this rank's rows of arrays, global index of its first row, global row count)``."""
        comm = self.comm
        X = arrays[0]
        counts = comm.allgather(X.shape[0])
        if self.sharded:
            lo, n = sum(counts[: self.rank]), sum(counts)
            with agree(comm):
                if n == 0:
                    raise fail(what, "at least one row on some process", Described(f"row counts {counts}"))
            return arrays, lo, n
        sums = comm.allgather([float(np.sum(a, dtype=np.float64)) for a in arrays if a is not None])
        with agree(comm):
            if len(set(counts)) != 1:
                raise fail(what, "the same rows on every process (or pass sharded=True with each process's part)",
                           Described(f"row counts {counts} on processes 0..{self.size - 1}"))
            if not all(len(s) == len(sums[0]) and np.allclose(s, sums[0], rtol=1e-9, atol=0) for s in sums):
                raise fail(what, "the same values on every process (or pass sharded=True with each process's part)",
                           Described(f"different checksums {sums}"))
        lo, hi = even_range(counts[0], self.rank, self.size)
        return tuple(None if a is None else a[lo:hi] for a in arrays), lo, counts[0]

    # -- the run ---------------------------------------------------------------------------
    def run(self, X: Any, Y: Any, **fit_data: Any) -> Any:
        """As :meth:`TrainingLoop.run`; a failure on one rank aborts every rank (see :mod:`.failure`)."""
        with limit_threads(self._threads), abort_on_error(self.comm):
            try:
                history = super().run(X, Y, **fit_data)
            except KeyboardInterrupt as err:
                if self._agreed_interrupt:
                    mark_agreed(err)
                raise
            self._check_identical()
        return history

    def _check_identical(self) -> None:
        """Every rank must end with the same weights; restore rank 0's if an MPI library broke that."""
        digest = hashlib.blake2b(memoryview(self.network._flat_value).cast("B"), digest_size=16).digest()
        if len(set(self.comm.allgather(digest))) > 1:
            self.comm.Bcast(self.network._flat_value, root=0)
            warnings.warn("the ranks ended with different weights (this MPI library's Allreduce is not "
                          "reproducible across ranks); rank 0's weights were kept", RuntimeWarning, stacklevel=3)

    def _plan(self, epoch: int, batch: int) -> tuple[np.ndarray | None, np.ndarray]:
        """This rank's rows for the epoch: ``(rows in visiting order or None, bounds)``.

        Batch ``k`` is ``rows[bounds[k]:bounds[k+1]]`` (or, with ``rows`` None, the
        local rows ``bounds[k]:bounds[k+1]``). Without a shuffle (or with full
        batches) the global order is the row order.
        """
        n, lo, n_local = self.n_train, self._train_lo, self.X.shape[0]
        starts = np.arange(0, n + batch, batch).clip(max=n)[: -(-n // batch) + 1]
        if not self.shuffle or batch >= n:
            return None, (starts - lo).clip(0, n_local)
        order = np.random.default_rng([self.seed, epoch]).permutation(n)
        positions = np.flatnonzero((order >= lo) & (order < lo + n_local))
        return order[positions] - lo, np.searchsorted(positions, starts)

    def _run_epoch(self, epoch: int) -> None:
        self.epoch, self.samples_done = epoch, 0
        X, Y, w, n = self.X, self.Y, self.sample_weight, self.n_train
        batch = n if self.batch_size is None else min(self.batch_size, n)
        rows, bounds = self._plan(epoch, batch)
        capacity = int(np.diff(bounds).max(initial=0))
        _share_workspaces(self.network, capacity)
        self.step = (epoch - 1) * (len(bounds) - 1)
        if self.schedule is not None and self.schedule.per == "epoch":
            self.optimizer.learning_rate = self.schedule(epoch - 1, self.base_learning_rate)
        for cb in self.callbacks:
            cb.on_epoch_begin(self, epoch)
        batch_hooks = [cb for cb in self.callbacks if cb.overrides("on_batch_end")]
        per_step = self.schedule if self.schedule is not None and self.schedule.per == "step" else None
        if rows is not None:
            Xb_full = np.empty((capacity, X.shape[1]), X.dtype)
            Yb_full = np.empty((capacity, Y.shape[1]), Y.dtype)
            wb_full = None if w is None else np.empty(capacity, w.dtype)
        mean = self.network.loss_function.reduction == "mean"
        total = 0.0
        wb = None
        for k in range(len(bounds) - 1):
            start, stop = k * batch, min((k + 1) * batch, n)
            a, b = int(bounds[k]), int(bounds[k + 1])
            if rows is None:
                Xb, Yb = X[a:b], Y[a:b]
                if w is not None:
                    wb = w[a:b]
            else:
                Xb, Yb = Xb_full[: b - a], Yb_full[: b - a]
                np.take(X, rows[a:b], axis=0, out=Xb)
                np.take(Y, rows[a:b], axis=0, out=Yb)
                if w is not None:
                    wb = wb_full[: b - a]
                    np.take(w, rows[a:b], out=wb)
            if per_step is not None:
                self.optimizer.learning_rate = per_step(self.step, self.base_learning_rate)
            self.step += 1
            value = self._data_parallel_step(Xb, Yb, wb, stop - start)
            total += value * (stop - start) if mean else value
            self.samples_done = stop
            for cb in batch_hooks:
                cb.on_batch_end(self, self.step, value)
            if self._interrupted:
                raise KeyboardInterrupt(f"training interrupted at epoch {epoch}, step {self.step}")
            if self.stop_training:
                break
        logs = {"loss": total / self.samples_done if mean else total}
        if self.metrics:
            logs.update(self._evaluate(X, Y, w, n))
            logs["loss"] = total / self.samples_done if mean else total
        if self.validation is not None:
            Xv, Yv, wv = self.validation
            logs.update(self._evaluate(Xv, Yv, wv, self._n_validation, prefix="val_"))
        self.history.append(epoch, logs)
        self.history.steps = self.step
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch, logs)

    # -- one update --------------------------------------------------------------------------
    def _data_parallel_step(self, X: np.ndarray, Y: np.ndarray, weight: np.ndarray | None, global_rows: int) -> float:
        """Gradient of this rank's ``m`` rows of a ``global_rows`` batch, averaged over ranks; then the update."""
        net, m = self.network, X.shape[0]
        grad = net._flat_grad[: net._n_trainable]
        if m:
            net._forward(X)
            value = net._backward(Y, weight)
            if net.loss_function.reduction == "mean" and m != global_rows:
                # backward averaged over this rank's m rows; the batch's mean is over all of them.
                share = m / global_rows
                np.multiply(grad, share, out=grad)
                value *= share
        else:
            grad.fill(0)
            value = 0.0
        self._scalars[0] = value
        self._scalars[1] = 1.0 if getattr(self, "_local_interrupt", False) else 0.0
        MPI = _mpi()
        request = self.comm.Iallreduce(MPI.IN_PLACE, self._scalars, op=MPI.SUM)
        self.finalize_gradients()
        request.Wait()
        value = float(self._scalars[0])
        self._agreed_interrupt = self._scalars[1] > 0
        try:
            net._check_finite(value, self.epoch, self.step)
        except DivergenceError as err:  # same gradients and loss on every rank: all raise here
            raise mark_agreed(err)
        self.optimizer.step()
        return value

    def train_step(self, X: np.ndarray, Y: np.ndarray, weight: np.ndarray | None) -> float:
        """One update on a batch of which this rank holds ``X``; collective (every rank calls it).

        As if the global batch were ``len(X)`` rows on every rank; the loop
        itself uses the sizes of the global batches.
        """
        return self._data_parallel_step(X, Y, weight, self.comm.allreduce(X.shape[0]))

    def finalize_gradients(self) -> None:
        """Sum the trainable gradients of all ranks: one in-place Allreduce over the flat buffer."""
        net = self.network
        MPI = _mpi()
        self.comm.Allreduce(MPI.IN_PLACE, net._flat_grad[: net._n_trainable], op=MPI.SUM)

    # -- evaluation ------------------------------------------------------------------------------
    def _evaluate(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, n: int, prefix: str = "") -> dict:
        """Loss and metrics over every rank's rows (``n`` in all), the same dict on every rank."""
        loss_fn = self.network.loss_function
        outputs, per_sample = outputs_and_sample_losses(self.network, X, Y)
        local = float(per_sample.sum() if w is None else np.dot(per_sample, w))
        total = self.comm.allreduce(local)
        logs = {prefix + "loss": total / n if loss_fn.reduction == "mean" else total}
        if self.metrics:
            # Metrics such as R^2 are not sums over rows: rank 0 computes them from every rank's rows.
            parts = self.comm.gather((Y, outputs, w), root=0)
            values = None
            if self.rank == 0:
                Y_all = np.concatenate([p[0] for p in parts])
                out_all = np.concatenate([p[1] for p in parts])
                w_all = None if w is None else np.concatenate([p[2] for p in parts])
                values = {prefix + m.name: m(Y_all, out_all, w_all) for m in self.metrics}
            logs.update(self.comm.bcast(values, root=0))
        return logs


def _no_rows(data: Any) -> bool:
    shape = np.shape(data)
    return len(shape) == 2 and shape[0] == 0


def _share_workspaces(network: "Network", capacity: int) -> None:
    """Give every batch size up to ``capacity`` a workspace that is a view of one buffer per layer.

    A rank's share of a global batch varies from step to step; without this,
    each new size would allocate (and evict) a layer workspace.
    """
    from ..layers import _Workspace

    for layer in network.layers:
        if all(m in layer._workspaces for m in range(1, capacity + 1)):
            continue
        full = layer._workspace(capacity)
        for m in range(1, capacity):
            layer._workspaces[m] = _Workspace(
                z=full.z[:m], a=full.a[:m], dz=full.dz[:m], dx=full.dx[:m], grad_a=full.grad_a[:m]
            )


def _mpi() -> Any:
    from mpi4py import MPI

    return MPI

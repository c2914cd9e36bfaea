"""What ``chainrule train`` does differently under ``mpiexec -n N``.

:class:`Launch` is the command's view of the job: without MPI it reads the
whole file and trains as always; under ``mpiexec`` (more than one process)
each rank reads its shard (:mod:`.tables`), the preprocessing is learned over
all shards, ``fit`` runs data-parallel, and only rank 0 prints, writes
checkpoints, the model file and plots. :func:`mpi_aware` wraps the command so
that an error every rank agreed on is printed once (by rank 0) and any other
error on one rank aborts the whole job with its message.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from .comm import launched_size, resolve_comm

__all__ = ["Launch", "mpi_aware"]


class Launch:
    """The processes running one command: ``comm`` is None for a single process."""

    def __init__(self, comm: Any = None) -> None:
        self.comm = comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()

    @classmethod
    def detect(cls) -> Launch:
        return cls(resolve_comm(None))

    @property
    def is_root(self) -> bool:
        """Whether this process prints and writes files (rank 0, or the only process)."""
        return self.rank == 0

    def read_table(self, path: str, format: str | None, encoding: str) -> Any:
        """The whole table, or under MPI this rank's shard of it."""
        if self.comm is None:
            from ..tabular import read_table

            return read_table(path, format=format, encoding=encoding)
        from .tables import read_table_shard

        return read_table_shard(path, self.comm, format=format, encoding=encoding)

    def fit_preprocessor(self, table: Any, target: str, options: Any, task: str) -> Any:
        """The preprocessing learned from the whole file (every rank's shard); ``options``: a TableOptions."""
        from ..tabular import Preprocessor

        if self.comm is None:
            return Preprocessor.fit(table, target, task=task, options=options)
        from .tables import fit_preprocessor

        return fit_preprocessor(table, target, None, task, self.comm, options=options)

    def n_rows(self, table: Any) -> int:
        """Rows of the whole file (of every rank's ``table``)."""
        return self.total(table.n_rows)

    def total(self, count: int) -> int:
        """The sum of ``count`` over every rank."""
        return count if self.comm is None else self.comm.allreduce(count)

    def checking(self) -> AbstractContextManager[Any]:
        """Wraps a check that may fail on some processes only (rank 0's output paths): then all fail alike.

        Under MPI the failing rank raises its error and the others a PeerError, every one marked
        as agreed, so the message is printed once and no rank is left waiting (see :func:`.failure.agree`).
        """
        if self.comm is None:
            return contextlib.nullcontext()
        from .failure import agree

        return agree(self.comm)

    def fit_options(self) -> dict[str, Any]:
        """Extra :meth:`chainrule.Network.fit` options: the communicator and sharded data."""
        return {"comm": False} if self.comm is None else {"comm": self.comm, "sharded": True}


def mpi_aware(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Under ``mpiexec``: one message per agreed error (rank 0's), an abort for a lone one."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        if launched_size() <= 1:
            return handler(args)
        from .failure import _AGREED, abort_on_error

        comm = resolve_comm(None)
        if comm is None:
            return handler(args)
        with abort_on_error(comm, f"chainrule {args.command}"):
            try:
                return handler(args)
            except ValueError as err:
                if not getattr(err, _AGREED, False):
                    raise  # one rank only: abort_on_error stops them all
                if comm.Get_rank() == 0:
                    raise  # printed once, by the command line's usual handler
                return 2

    return wrapped

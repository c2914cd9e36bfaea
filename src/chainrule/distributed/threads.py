"""One BLAS thread pool per core: processes on one host must not oversubscribe it.

NumPy's BLAS (OpenBLAS in the wheels) starts one thread per core in every
process. Two processes on two cores then run four busy threads; measured on a
2-core machine, two unpinned ranks ran 25 times slower than two ranks limited
to one thread each. :func:`thread_limit` divides this process's cores among
the ranks that share its host (found with ``MPI_Comm_split_type``), and
:func:`limit_threads` applies that with threadpoolctl, which works after
NumPy has been imported (environment variables such as
``OPENBLAS_NUM_THREADS`` only work before). A limit the user set in the
environment is respected.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ..core.extras import install_hint

__all__ = ["thread_limit", "limit_threads", "USER_THREAD_VARIABLES"]

#: Variables through which a user chooses the thread count themselves.
USER_THREAD_VARIABLES = ("CHAINRULE_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_limit(comm: Any) -> int | None:
    """BLAS threads for this process, or None when the user chose in the environment.

    Collective: every rank of ``comm`` must call it. ``CHAINRULE_NUM_THREADS``
    overrides; else the cores this process may run on, divided among the
    ranks on this host (a process bound to fewer cores than the host has
    keeps all of its own).
    """
    from .comm import import_mpi

    MPI = import_mpi()
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        on_host: int = local.Get_size()
    finally:
        local.Free()
    explicit = os.environ.get("CHAINRULE_NUM_THREADS")
    if explicit is not None:
        try:
            return max(1, int(explicit))
        except ValueError:
            raise ValueError(f"CHAINRULE_NUM_THREADS: expected a positive integer, received: {explicit!r}") from None
    if any(name in os.environ for name in USER_THREAD_VARIABLES[1:]):
        return None
    cores = _available_cores()
    if cores < (os.cpu_count() or cores):  # bound by the launcher to its own cores
        return max(1, cores)
    return max(1, cores // on_host)


@contextlib.contextmanager
def limit_threads(limit: int | None) -> Iterator[None]:
    """Within the block, BLAS (and OpenMP) pools use at most ``limit`` threads; None changes nothing."""
    if limit is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError(f"limiting BLAS threads per process needs threadpoolctl: {install_hint('mpi')}") from None
    with threadpool_limits(limits=limit):
        yield

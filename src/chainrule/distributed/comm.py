"""Finding the MPI communicator: given, detected from the launcher, or none.

mpi4py is imported only when a communicator is needed, so a run that was not
started by ``mpiexec`` never loads MPI (importing mpi4py initialises MPI).
Launchers announce themselves through environment variables: MPICH, Intel
MPI and MVAPICH set ``PMI_SIZE``/``PMI_RANK``, Open MPI ``OMPI_COMM_WORLD_SIZE``.
"""

from __future__ import annotations

import os
from typing import Any

from ..core.extras import install_hint
from ..core.validation import fail

__all__ = ["launched_size", "launched_rank", "resolve_comm", "import_mpi"]

#: (size variable, rank variable) pairs set by common MPI launchers.
_LAUNCHER_VARIABLES = (
    ("PMI_SIZE", "PMI_RANK"),  # MPICH (hydra), Intel MPI, MVAPICH
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),  # Open MPI
    ("MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"),  # MVAPICH2
)


def _int_env(name: str) -> int | None:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return None


def launched_size() -> int:
    """How many processes the MPI launcher started (1 when not under ``mpiexec``); imports nothing."""
    for size_var, _ in _LAUNCHER_VARIABLES:
        size = _int_env(size_var)
        if size is not None and size >= 1:
            return size
    return 1


def launched_rank() -> int:
    """This process's rank as the launcher announced it (0 when not under ``mpiexec``); imports nothing."""
    for size_var, rank_var in _LAUNCHER_VARIABLES:
        if _int_env(size_var) is not None:
            rank = _int_env(rank_var)
            return rank if rank is not None else 0
    return 0


def import_mpi() -> Any:
    """``mpi4py.MPI``, or an ImportError that names the extra to install."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(f"data-parallel training needs mpi4py and an MPI library: {install_hint('mpi')}") from None
    return MPI


def resolve_comm(comm: Any = None) -> Any:
    """The communicator to train over, or None for an ordinary single-process run.

    Parameters
    ----------
    comm : mpi4py communicator, None or False
        A communicator is used as given; None detects a launch by ``mpiexec``
        with more than one process and then uses ``MPI.COMM_WORLD``; False
        never distributes. A communicator of size 1 counts as none, so that
        such a run is exactly an ordinary one.
    """
    if comm is False:
        return None
    if comm is None:
        if launched_size() <= 1:
            return None
        comm = import_mpi().COMM_WORLD
    elif not all(hasattr(comm, name) for name in ("Allreduce", "Get_size", "Get_rank", "Bcast")):
        raise fail("comm", "an mpi4py communicator (e.g. MPI.COMM_WORLD), None to detect, or False", comm)
    return comm if comm.Get_size() > 1 else None

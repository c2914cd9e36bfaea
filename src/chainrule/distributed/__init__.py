"""Data-parallel training over MPI (the ``mpi`` extra).

``mpiexec -n 4 chainrule train data.csv --target y`` or, in Python, a script
started with ``mpiexec -n 4 python script.py`` that calls
:meth:`chainrule.Network.fit` (or a scikit-learn estimator's ``fit``): the
communicator is detected from the launcher, or passed as ``comm=``. Without
MPI nothing here is imported and training runs as on one process.

Modules: ``comm`` (finding the communicator), ``strategy`` (DataParallel, the
training loop's plug-in),
``threads`` (one BLAS thread pool per core), ``failure`` (one rank's error
stops every rank), ``tables`` (each rank reads its shard of a CSV/Parquet
file; preprocessing learned over all shards).
"""

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name loads on first use
    from .comm import launched_rank, launched_size, resolve_comm
    from .failure import PeerError, abort_on_error, agree
    from .strategy import DataParallel, data_parallel_for, even_range
    from .tables import ShardTable, fit_preprocessor, read_table_shard

__all__ = [
    "DataParallel",
    "PeerError",
    "ShardTable",
    "abort_on_error",
    "agree",
    "data_parallel_for",
    "even_range",
    "fit_preprocessor",
    "launched_rank",
    "launched_size",
    "read_table_shard",
    "resolve_comm",
]

# Public name -> the module that defines it; loaded on first use, so that importing this
# package costs almost nothing (mpi4py itself is imported only for a real communicator).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".comm": ["launched_rank", "launched_size", "resolve_comm"],
        ".failure": ["PeerError", "abort_on_error", "agree"],
        ".strategy": ["DataParallel", "data_parallel_for", "even_range"],
        ".tables": ["ShardTable", "fit_preprocessor", "read_table_shard"],
    },
    submodules=["cli", "comm", "failure", "strategy", "tables", "threads"],
)

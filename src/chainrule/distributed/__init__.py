"""Data-parallel training over MPI (``pip install 'chainrule[mpi]'``).

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

import importlib
from typing import Any

#: Public name -> the module that defines it; loaded on first use, so that importing
#: this package (chainrule does, to register the strategy) costs almost nothing.
_EXPORTS = {
    "launched_rank": "comm", "launched_size": "comm", "resolve_comm": "comm",
    "PeerError": "failure", "abort_on_error": "failure", "agree": "failure",
    "DataParallel": "strategy", "data_parallel_for": "strategy", "even_range": "strategy",
    "ShardTable": "tables", "fit_preprocessor": "tables", "read_table_shard": "tables",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

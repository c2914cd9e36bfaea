"""Data-parallel training over MPI (``pip install 'chainrule[mpi]'``).

``mpiexec -n 4 chainrule train data.csv --target y`` or, in Python, a script
started with ``mpiexec -n 4 python script.py`` that calls
:meth:`chainrule.Network.fit` (or a scikit-learn estimator's ``fit``): the
communicator is detected from the launcher, or passed as ``comm=``. Without
MPI nothing here is imported and training runs as on one process.

Modules: ``comm`` (finding the communicator), ``loop`` (DataParallelLoop),
``threads`` (one BLAS thread pool per core), ``failure`` (one rank's error
stops every rank), ``tables`` (each rank reads its shard of a CSV/Parquet
file; preprocessing learned over all shards).
"""

from .comm import launched_rank, launched_size, resolve_comm
from .failure import PeerError, abort_on_error, agree
from .loop import DataParallelLoop, even_range
from .tables import ShardTable, fit_preprocessor, read_table_shard

__all__ = [
    "DataParallelLoop",
    "PeerError",
    "ShardTable",
    "abort_on_error",
    "agree",
    "even_range",
    "fit_preprocessor",
    "launched_rank",
    "launched_size",
    "read_table_shard",
    "resolve_comm",
]

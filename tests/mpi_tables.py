"""Preprocessing of a mixed table learned over shards: run under ``mpiexec -n 2`` by tests/test_distributed.py.

``python tests/mpi_tables.py DATA OUT_DIR``: every rank reads its shard of the
CSV file DATA, fits the preprocessing of each case in CASES over all shards,
and finds medians of split arrays with CommReducer.median; rank 0 writes
OUT_DIR/tables.json, every rank OUT_DIR/rank<r>.json (to compare the ranks).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from chainrule.tabular import TableOptions

#: name -> TableOptions keywords
CASES = {
    "median_indicator": {"missing": "impute", "impute": "median", "missing_indicator": True},
    "mean": {"missing": "impute", "impute": "mean", "unknown": "ignore"},
    "most_frequent": {"missing": "impute", "impute": "most_frequent"},
    "constant": {"missing": "impute", "impute": "constant", "fill_value": -1.0},
    "drop": {"missing": "drop", "drop": ["year"]},
}
#: Lengths of the arrays whose medians are found over 2 ranks (1: one rank has no value at all).
MEDIAN_SIZES = (1, 2, 3, 10, 101, 1000)


def median_arrays(seed: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    # Rounded: many ties; mixed signs, a zero and a negative zero.
    arrays = [np.round(rng.normal(0.0, 2.0, n), 1) for n in MEDIAN_SIZES]
    arrays[3][:2] = [0.0, -0.0]
    return arrays


def main(data: str, out: Path) -> None:
    from mpi4py import MPI

    from chainrule.distributed.tables import CommReducer, fit_preprocessor, read_table_shard

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    configs = {}
    for name, options in CASES.items():
        table = read_table_shard(data, comm)
        configs[name] = fit_preprocessor(table, "species", None, "auto", comm, TableOptions(**options)).to_config()
    reducer = CommReducer(comm)
    medians = []
    for values in median_arrays():
        cut = len(values) // 3  # uneven shards
        mine = values[:cut] if rank == 0 else values[cut:]
        medians.append(reducer.median(mine))
    result = {"configs": configs, "medians": medians}
    (out / f"rank{rank}.json").write_text(json.dumps(result, sort_keys=True))
    if rank == 0:
        (out / "tables.json").write_text(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))

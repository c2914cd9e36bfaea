"""Time to read, fit and apply the preprocessing of a CSV table, as ``chainrule train`` does.

    python bench/table_preprocessing.py                      # 200,000 rows, 10 numeric columns + a label
    python bench/table_preprocessing.py --rows 50000 --text 3 --repeats 5

The table is seeded synthetic data written once to a temporary CSV: numeric
columns (normal values; with ``--missing`` that fraction of cells empty) and
``--text`` text columns of 20 categories, and a 3-class label. Each repeat
runs in its own process (``read_table``, ``Preprocessor.fit`` with median
imputation when there are missing cells, then ``features_of`` and
``encode_target`` in float32); the table shows the medians. To compare with
another checkout, run the same command with ``PYTHONPATH=that/src``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, time
import numpy as np
from chainrule.tabular import Preprocessor, read_table
try:
    from chainrule.tabular import TableOptions
    options = {"options": TableOptions(missing="impute", impute="median")} if sys.argv[2] == "1" else {}
except ImportError:  # a checkout from before mixed tables
    options = {}
t0 = time.perf_counter()
table = read_table(sys.argv[1])
t1 = time.perf_counter()
pre = Preprocessor.fit(table, "label", **options)
t2 = time.perf_counter()
X = pre.features_of(table, np.float32)
Y = pre.encode_target(table)
t3 = time.perf_counter()
print(json.dumps({"read": t1 - t0, "fit": t2 - t1, "transform": t3 - t2, "inputs": X.shape[1]}))
"""


def write_table(path: Path, rows: int, numeric: int, text: int, missing: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, numeric))
    holes = rng.random((rows, numeric)) < missing
    categories = rng.integers(0, 20, size=(rows, text))
    labels = rng.integers(0, 3, rows)
    with open(path, "w") as handle:
        handle.write(",".join([f"x{k}" for k in range(numeric)] + [f"t{k}" for k in range(text)] + ["label"]) + "\n")
        for r in range(rows):
            cells = ["" if holes[r, k] else repr(float(values[r, k])) for k in range(numeric)]
            cells += [f"cat{categories[r, k]}" for k in range(text)]
            handle.write(",".join(cells) + f",class{labels[r]}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--numeric", type=int, default=10)
    parser.add_argument("--text", type=int, default=0)
    parser.add_argument("--missing", type=float, default=0.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        write_table(path, args.rows, args.numeric, args.text, args.missing)
        runs = []
        for _ in range(args.repeats):
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), "1" if args.missing else "0"],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout))
    print(
        f"{args.rows} rows, {args.numeric} numeric + {args.text} text columns, {args.missing:.0%} missing; "
        f"median of {args.repeats} processes; {runs[0]['inputs']} network inputs"
    )
    print("| read_table | Preprocessor.fit | features_of + encode_target |")
    print("|---:|---:|---:|")
    print(
        " | ".join(f"{statistics.median(r[k] for r in runs):.2f} s" for k in ("read", "fit", "transform")).join(
            ["| ", " |"]
        )
    )


if __name__ == "__main__":
    main()

"""Rebuild the derived sample files from the two source tables (see README.md here).

    python examples/data/make_samples.py

penguins.csv (Palmer penguins, CC0) is split, with a fixed seed, into
penguins-train.csv (274 rows) and penguins-test.parquet (70 rows, strings as
Parquet dictionary columns, measurements as nullable integers and floats);
penguins-new.csv is six of the test rows without their species, to predict.
cars.csv is vega-datasets' cars.json (Auto MPG) as CSV. Needs pyarrow.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def penguins() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = _read(HERE / "penguins.csv")
    order = np.random.default_rng(2024).permutation(len(rows))
    test_rows = sorted(order[:70].tolist())
    train = [rows[k] for k in range(len(rows)) if k not in set(test_rows)]
    test = [rows[k] for k in test_rows]
    _write(HERE / "penguins-train.csv", header, train)
    columns = {name: [row[k] for row in test] for k, name in enumerate(header)}

    def number(cell: str, kind: type):
        return None if cell == "NA" else kind(cell)

    table = pa.table(
        {
            "species": pa.array(columns["species"]).dictionary_encode(),
            "island": pa.array(columns["island"]).dictionary_encode(),
            "bill_length_mm": pa.array([number(v, float) for v in columns["bill_length_mm"]], pa.float64()),
            "bill_depth_mm": pa.array([number(v, float) for v in columns["bill_depth_mm"]], pa.float64()),
            "flipper_length_mm": pa.array([number(v, int) for v in columns["flipper_length_mm"]], pa.int64()),
            "body_mass_g": pa.array([number(v, int) for v in columns["body_mass_g"]], pa.int64()),
            "sex": pa.array([None if v == "NA" else v for v in columns["sex"]]).dictionary_encode(),
            "year": pa.array([int(v) for v in columns["year"]], pa.int64()),
        }
    )
    pq.write_table(table, HERE / "penguins-test.parquet")
    keep = [k for k, name in enumerate(header) if name != "species"]
    unlabelled = [test[k] for k in (0, 1, 2, 20, 40, 60)]
    if not any("NA" in row for row in unlabelled):
        unlabelled[-1] = next(row for row in test if "NA" in row)
    _write(HERE / "penguins-new.csv", [header[k] for k in keep], [[row[k] for k in keep] for row in unlabelled])


def cars(source: Path) -> None:
    records = json.loads(source.read_text())
    header = list(records[0])
    rows = [["" if r[name] is None else r[name] for name in header] for r in records]
    _write(HERE / "cars.csv", header, rows)


if __name__ == "__main__":
    penguins()
    if len(sys.argv) > 1:  # the path of vega_datasets/_data/cars.json
        cars(Path(sys.argv[1]))

"""What ``import chainrule`` costs: time and modules, from ``python -X importtime``.

    python bench/import_time.py                          # this checkout, 15 fresh interpreters
    python bench/import_time.py --src ../main/src --src src --repeats 21   # two checkouts, interleaved

Each run is a fresh interpreter, ``python -X importtime -c "import chainrule"``
(with ``PYTHONPATH`` set to each ``--src``, so that one virtual environment can
time several checkouts); the runs of the contenders alternate. From the
``importtime`` report it takes the subtree of the top-level ``chainrule``
import (in post-order: the lines after the previous top-level import, up to
``chainrule`` itself) and reports, as medians over the runs:

* ``cumulative``: the time of ``import chainrule`` with everything it imported
  (NumPy included);
* ``chainrule self``: the sum of the self times of chainrule's own modules;
* ``modules``: how many modules that import loaded, and how many of them are chainrule's.

The interpreter's start-up (``site``, ``encodings``) is outside the subtree.
NumPy is most of the floor: ``python -X importtime -c "import numpy"`` alone
shows it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path


def parse(report: str) -> dict:
    """``{"cumulative_us", "self_us", "modules", "own"}`` of the ``chainrule`` subtree of one report."""
    rows = []
    for line in report.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((int(self_us), int(cumulative_us), name.strip(), depth))
    top = max(i for i, row in enumerate(rows) if row[2] == "chainrule" and row[3] <= 1)
    depth = rows[top][3]
    start = top
    while start > 0 and rows[start - 1][3] > depth:
        start -= 1
    subtree = rows[start : top + 1]
    own = [row for row in subtree if row[2] == "chainrule" or row[2].startswith("chainrule.")]
    return {
        "cumulative_us": rows[top][1],
        "self_us": sum(row[0] for row in own),
        "modules": len(subtree),
        "own": len(own),
    }


def measure(src: str | None) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = str(Path(src).resolve())
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import chainrule"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return parse(done.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--src",
        action="append",
        help="a checkout's src/ folder (repeat to compare); default: the chainrule this interpreter imports",
    )
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    sources = args.src or [None]
    runs: dict[str | None, list[dict]] = {src: [] for src in sources}
    measure(sources[0])  # warm the file cache and the bytecode of every contender once
    for src in sources[1:]:
        measure(src)
    for _ in range(args.repeats):
        for src in sources:
            runs[src].append(measure(src))
    print(f"Python {sys.version.split()[0]}; median of {args.repeats} fresh interpreters each, interleaved.\n")
    print(
        "| chainrule | `import chainrule`, cumulative | chainrule's own modules, self time "
        "| modules loaded | of them chainrule's |"
    )
    print("|---|---:|---:|---:|---:|")
    for src, results in runs.items():

        def median(key: str, results: list[dict[str, float]] = results) -> float:
            return statistics.median(r[key] for r in results)

        print(
            f"| {src or 'installed'} | {median('cumulative_us') / 1000:.1f} ms | {median('self_us') / 1000:.1f} ms "
            f"| {median('modules'):.0f} | {median('own'):.0f} |"
        )


if __name__ == "__main__":
    main()

"""Counts of a mutmut run (``make mutation``): every mutant's status, per module and in total.

Run: .venv/bin/python tools/mutation_summary.py   (after `mutmut run`, in the repository root)
Prints one line per module, then the total, then every mutant that was not killed
(the ones docs/mutation-testing.md must account for).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

STATUSES = ["killed", "timeout", "survived", "no tests", "suspicious", "segfault", "skipped", "not checked"]

listing = subprocess.run(
    [str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
    capture_output=True,
    text=True,
    check=True,
).stdout
per_module: dict[str, Counter] = {}
unkilled: list[str] = []
for line in listing.splitlines():
    name, _, status = line.strip().rpartition(": ")
    if not name:
        continue
    module = name.split(".x")[0]  # chainrule.core.losses.xǁSquaredErrorǁvalue__mutmut_3 -> chainrule.core.losses
    per_module.setdefault(module, Counter())[status] += 1
    if status not in ("killed", "timeout"):
        unkilled.append(f"{status:>10}  {name}")

columns = [s for s in STATUSES if any(c[s] for c in per_module.values())]
print(f"{'module':<34}{'mutants':>8}" + "".join(f"{s:>12}" for s in columns))
total = Counter()
for module in sorted(per_module):
    counts = per_module[module]
    total += counts
    print(f"{module:<34}{sum(counts.values()):>8}" + "".join(f"{counts[s]:>12}" for s in columns))
print(f"{'total':<34}{sum(total.values()):>8}" + "".join(f"{total[s]:>12}" for s in columns))
print("\nNot killed (a timeout counts as killed: the mutant made the tests hang):")
print("\n".join(unkilled) or "  none")

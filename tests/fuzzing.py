"""How much the property-based fuzz suites run (tests/test_fuzz_hostile.py, tests/test_fuzz_files.py).

``CHAINRULE_FUZZ=quick`` (the default outside CI) runs each suite's own
example counts; ``ci`` (the default when ``CI`` is set) four times as many;
``explore`` forty times as many with fresh random seeds, to look for new
failures (the normal runs are derandomized, so reproducible).
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

MODE = os.environ.get("CHAINRULE_FUZZ", "ci" if os.environ.get("CI") else "quick")
SCALE = {"quick": 1, "ci": 4, "explore": 40}.get(MODE, 1)


def fuzz(examples: int, deadline_s: float) -> settings:
    """Settings of one fuzz test: ``examples`` (times the mode's scale), each within ``deadline_s``."""
    return settings(
        max_examples=examples * SCALE,
        deadline=timedelta(seconds=deadline_s),
        derandomize=MODE != "explore",  # the normal suite is reproducible; exploring is not
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )

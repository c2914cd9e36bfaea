"""Rewrite the golden files of tests/test_trace_render.py from the current renderers.

``tutorial.txt`` and ``tutorial.md`` are ``chainrule explain`` as text and
Markdown; ``tutorial-values.json`` holds every value of the tutorial's first
two traced updates under both hidden-deltas conventions, at full precision
(what the JSON renderer writes as ``values``), so that a change of the
trace's arithmetic shows even where nine digits hide it.

Run from the repository root after an intended change of the rendering or
the arithmetic, then review the diff before committing:

    python tests/golden/regenerate.py && git diff tests/golden
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from chainrule.cli import main

HERE = Path(__file__).parent
GOLDEN = {"tutorial.txt": ["explain"], "tutorial.md": ["explain", "--format", "markdown"]}
VALUES = "tutorial-values.json"


def tutorial_values() -> dict:
    """``{convention: [values of update 1, values of update 2]}`` for the tutorial's network."""
    from chainrule.explain import tutorial_network
    from chainrule.explain.trace import HIDDEN_DELTAS, trace_steps

    return {
        hd: [
            t.values()
            for t in trace_steps(tutorial_network(), [0.05, 0.10], [0.01, 0.99], 0.5, steps=2, hidden_deltas=hd)
        ]
        for hd in HIDDEN_DELTAS
    }


if __name__ == "__main__":
    for name, args in GOLDEN.items():
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            status = main(args)
        if status != 0:
            raise SystemExit(f"chainrule {' '.join(args)} exited with {status}")
        (HERE / name).write_text(buffer.getvalue(), encoding="utf-8")
        print(f"wrote {HERE / name}")
    (HERE / VALUES).write_text(json.dumps(tutorial_values(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {HERE / VALUES}")

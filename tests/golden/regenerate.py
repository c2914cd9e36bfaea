"""Rewrite the golden files of tests/test_trace_render.py from the current renderers.

Run from the repository root after an intended change of the text or Markdown
rendering, then review the diff before committing:

    python tests/golden/regenerate.py && git diff tests/golden
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from chainrule.cli import main

HERE = Path(__file__).parent
GOLDEN = {"tutorial.txt": ["explain"], "tutorial.md": ["explain", "--format", "markdown"]}

if __name__ == "__main__":
    for name, args in GOLDEN.items():
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            status = main(args)
        if status != 0:
            raise SystemExit(f"chainrule {' '.join(args)} exited with {status}")
        (HERE / name).write_text(buffer.getvalue(), encoding="utf-8")
        print(f"wrote {HERE / name}")

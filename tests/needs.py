"""What a test family needs from outside the core: a Python package, a program.

Locally, a missing tool skips its tests with the reason and what to install.
In CI (the environment variable ``CI`` set to ``true``, as CI services and
``.ci/run`` do) it fails them instead, with the same message: a green CI run
must mean that every family ran. ``tests/conftest.py`` holds the same line for
skips that do not come through here (see ``pytest_runtest_makereport`` there).

    torch = needs.module("torch", "pip install torch==2.13.0 (CPU; `make test` does)")
    chromium = needs.program("chromium", "apt-get install chromium")
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest

#: True when missing tools must fail the run (``CI=true``, any case; ``1`` and ``yes`` too).
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")

#: What to install for each optional package the suite uses (the test extra has them all).
INSTALL = {
    "torch": "pip install torch==2.13.0 (CPU build; `make test` installs it)",
    "playwright": "pip install 'chainrule[test]' (playwright drives the system's Chromium)",
    "mpi4py": "pip install 'chainrule[mpi]'",
    "yaml": "pip install 'chainrule[yaml]'",
    "tqdm": "pip install 'chainrule[progress]'",
    "sklearn": "pip install 'chainrule[sklearn]'",
    "safetensors": "pip install 'chainrule[safetensors]'",
    "pandas": "pip install 'chainrule[data]'",
    "pyarrow": "pip install 'chainrule[data]'",
    "onnx": "pip install 'chainrule[onnx]'",
    "onnxruntime": "pip install 'chainrule[onnx]'",
    "matplotlib": "pip install 'chainrule[plot]'",
    "babel": "pip install 'chainrule[i18n]'",
    "anywidget": "pip install 'chainrule[notebook]'",
    "nbclient": "pip install 'chainrule[test]'",
    "nbformat": "pip install 'chainrule[test]'",
    "hypothesis": "pip install 'chainrule[test]'",
}


def missing(reason: str) -> NoReturn:
    """Skip (locally) or fail (in CI) the current test or module, saying what is missing."""
    if IN_CI:
        pytest.fail(f"CI=true and a test family's tool is missing: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def module(name: str, install: str | None = None) -> ModuleType:
    """Import ``name`` (``"pyarrow.parquet"`` works), or :func:`missing` with what to install."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        problem = str(err)
    hint = install or INSTALL.get(name.split(".")[0], f"pip install {name.split('.')[0]}")
    missing(f"{name} cannot be imported ({problem}); install it: {hint}")


def program(*names: str, install: str, env: str | None = None) -> str:
    """The path of the first of ``names`` on PATH (or in ``$env``), or :func:`missing`."""
    found = os.environ.get(env) if env else None
    for name in names:
        found = found or shutil.which(name)
    if not found:
        where = f" (or set {env})" if env else ""
        missing(f"no {' or '.join(names)} on PATH{where}; install it: {install}")
    return found

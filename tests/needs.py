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

from chainrule.core.extras import install_hint

#: True when missing tools must fail the run (``CI=true``, any case; ``1`` and ``yes`` too).
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")

#: The test extra, which has every package below; tests run from a clone (or an sdist), at its root.
TEST_EXTRA = "pip install -e '.[test]' at the repository's root (`make test` does)"

#: What to install for each optional package the suite uses: its extra's packages, as the library's
#: own errors say it (chainrule.core.extras), or the test extra for the test-only tools.
INSTALL = {
    "torch": "pip install torch==2.13.0 (CPU build; `make test` installs it)",
    "playwright": TEST_EXTRA + " (playwright drives the system's Chromium)",
    "mpi4py": install_hint("mpi"),
    "yaml": install_hint("yaml"),
    "tqdm": install_hint("progress"),
    "sklearn": install_hint("sklearn"),
    "safetensors": install_hint("safetensors"),
    "pandas": install_hint("data"),
    "pyarrow": install_hint("data"),
    "onnx": install_hint("onnx"),
    "onnxruntime": install_hint("onnx"),
    "matplotlib": install_hint("plot"),
    "babel": install_hint("i18n"),
    "anywidget": install_hint("notebook"),
    "nbclient": TEST_EXTRA,
    "nbformat": TEST_EXTRA,
    "hypothesis": TEST_EXTRA,
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

"""``import chainrule`` loads the engine only; everything else loads on first use.

The packages that export names lazily (PEP 562, :mod:`chainrule.core.lazy`)
keep every public name importable where it was, with ``dir()`` and
``__all__`` right, and tell type checkers the same names through their
``TYPE_CHECKING`` imports. Each check that depends on what a fresh
interpreter has loaded runs in its own process.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule

SOURCE = Path(chainrule.__file__).parent

#: The packages whose ``__init__`` exports names lazily.
LAZY = ["chainrule", "chainrule.training", "chainrule.distributed"]

#: Modules that ``import chainrule`` must not load: everything above the engine, and every
#: optional dependency (each costs from milliseconds to seconds).
HEAVY = [
    "chainrule.cli",
    "chainrule.datasets",
    "chainrule.distributed",
    "chainrule.exercise",
    "chainrule.explain",
    "chainrule.export",
    "chainrule.i18n",
    "chainrule.io",
    "chainrule.notebook",
    "chainrule.optim",
    "chainrule.plots",
    "chainrule.sklearn",
    "chainrule.tabular",
    "chainrule.training.loop",
    "chainrule.visual",
    "IPython",
    "anywidget",
    "matplotlib",
    "mpi4py",
    "onnx",
    "onnxruntime",
    "pandas",
    "pyarrow",
    "safetensors",
    "scipy",
    "sklearn",
    "threadpoolctl",
    "torch",
    "tqdm",
    "yaml",
]


def fresh(code: str, **env: str) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON value, returned here."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_"))}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


LOADED = "import json, sys; print(json.dumps(sorted(sys.modules)))"


def test_import_chainrule_loads_the_engine_only():
    loaded = set(fresh("import chainrule; " + LOADED))
    heavy = sorted(name for name in loaded for prefix in HEAVY if name == prefix or name.startswith(prefix + "."))
    assert heavy == []
    ours = {name for name in loaded if name.split(".")[0] == "chainrule"}
    allowed = {"chainrule", "chainrule.version", "chainrule.training", "chainrule.training.strategy"}
    assert {name for name in ours if not name.startswith("chainrule.core")} == allowed
    assert "chainrule.core.network" in ours and "chainrule.core.lazy" in ours


def test_the_heavy_list_names_real_modules():
    # A misspelt name in HEAVY would make the test above pass for nothing.
    for name in HEAVY:
        if name.startswith("chainrule.") and name != "chainrule.sklearn":
            assert importlib.util.find_spec(name) is not None, name


def test_training_loads_the_loop_and_the_optimizers_not_the_rest():
    code = (
        """
import numpy as np
from chainrule import Network
net = Network.from_sizes([2, 3, 1], "tanh", seed=0)
net.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, batch_size=2, seed=0, progress=False)
"""
        + LOADED
    )
    loaded = set(fresh(code))
    assert {"chainrule.training.loop", "chainrule.optim", "chainrule.distributed.strategy"} <= loaded
    for name in ("chainrule.visual", "chainrule.explain", "chainrule.io", "chainrule.tabular", "mpi4py", "tqdm"):
        assert name not in loaded, name


def test_the_data_parallel_provider_is_registered_without_mpi4py():
    # `import chainrule` registers the data-parallel provider without importing chainrule.distributed:
    # a fit that is not distributed never loads it; a `comm=` that is not a communicator is refused
    # by chainrule.distributed's own check (so the provider really ran), still without mpi4py.
    code = """
import json, sys
import numpy as np
from chainrule import Network, ValidationError

net = Network.from_sizes([2, 3, 1], "tanh", seed=0)
history = net.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, comm=False, seed=0, progress=False)
before = "chainrule.distributed" in sys.modules
try:
    net.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, comm=object(), progress=False)
    refused = None
except ValidationError as err:
    refused = [err.field, err.expected]
print(json.dumps({"epochs": len(history.loss), "refused": refused, "before": before,
                  "after": "chainrule.distributed.comm" in sys.modules, "mpi4py": "mpi4py" in sys.modules}))
"""
    found = fresh(code)
    assert found["epochs"] == 1 and found["before"] is False and found["after"] is True
    assert found["mpi4py"] is False
    assert found["refused"] == ["comm", "an mpi4py communicator (e.g. MPI.COMM_WORLD), None to detect, or False"]


def test_notebook_displays_are_registered_only_inside_ipython():
    pytest.importorskip("IPython")
    code = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
import chainrule
formatters = shell.display_formatter.formatters
print(json.dumps({mime: sorted(name for (module, name) in formatters[mime].deferred_printers
                               if module.startswith("chainrule")) for mime in ("image/svg+xml", "text/html")}))
"""
    assert fresh(code) == {"image/svg+xml": ["History", "Network"], "text/html": ["Trace"]}
    assert "chainrule.notebook" not in fresh("import chainrule; " + LOADED)


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_resolves_and_dir_lists_it(package):
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__)
    listed = dir(module)
    for name in module.__all__:
        assert name in listed, name
        assert getattr(module, name) is not None or name.isupper(), name
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = module.no_such_name


def test_star_import_gives_all_and_names_stay_where_they_were():
    namespace: dict = {}
    exec("from chainrule import *", namespace)
    assert set(chainrule.__all__) <= set(namespace)
    from chainrule import History, register_strategy_provider, render_html  # noqa: F401 - importable as before
    from chainrule.training import Strategy, fit  # noqa: F401

    assert chainrule.History is chainrule.training.History is chainrule.training.history.History
    assert chainrule.explain.build_trace is chainrule.build_trace
    assert "visual" in dir(chainrule) and "explain" in dir(chainrule)


def _type_checking_imports(tree: ast.Module) -> dict[str, set[str]]:
    """``{module: names}`` imported under ``if TYPE_CHECKING:`` (relative modules with their dots)."""
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                module = "." * statement.level + (statement.module or "")
                found.setdefault(module, set()).update(alias.name for alias in statement.names)
    return found


def _lazy_mapping(tree: ast.Module) -> dict[str, set[str]]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Name) and call.func.id == "lazy_exports":
                mapping = ast.literal_eval(call.args[1])
                return {module: set(names) for module, names in mapping.items()}
    raise AssertionError("no lazy_exports(...) call")


@pytest.mark.parametrize("package", LAZY)
def test_type_checkers_see_exactly_the_lazy_names(package):
    path = SOURCE.parent / (package.replace(".", "/") + "/__init__.py")
    tree = ast.parse(path.read_text())
    assert _type_checking_imports(tree) == _lazy_mapping(tree)
    module = importlib.import_module(package)
    lazy = set().union(*_lazy_mapping(tree).values())
    eager = {name for name in module.__all__ if name not in lazy}
    assert eager <= set(vars(module)), "an eager name of __all__ is not in the module's namespace"


def test_lazy_exports_refuses_a_name_exported_twice():
    from chainrule.core.lazy import lazy_exports

    with pytest.raises(ValueError, match=r"'fit' is exported from both '\.a' and '\.b'"):
        lazy_exports("chainrule", {".a": ["fit"], ".b": ["fit"]})

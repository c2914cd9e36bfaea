"""The shape of the package: the dependency direction and no private names across packages.

* The import contract in ``pyproject.toml`` (``[tool.importlinter]``) fixes the
  direction ``core -> optim -> training -> everything else``; import-linter
  checks every import, including those inside functions.
* No module reaches into another package's private names: neither an import
  of ``_name`` (or of a ``_module``) from elsewhere, nor an attribute
  ``obj._name`` that its own package does not define. A "package" is a
  subpackage of chainrule (``chainrule.core``, ``chainrule.training``, ...) or
  a top-level module (``chainrule.plots``).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "chainrule"


def package_of(path: Path) -> str:
    """``chainrule.core`` for ``src/chainrule/core/network.py``; ``chainrule.plots`` for ``plots.py``."""
    parts = path.relative_to(SOURCE).with_suffix("").parts
    if len(parts) == 1:
        return "chainrule" if parts[0] in ("__init__", "__main__") else f"chainrule.{parts[0]}"
    return f"chainrule.{parts[0]}"


def module_of(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["chainrule", *parts])


def resolve(node: ast.ImportFrom, path: Path) -> str:
    """The absolute module an ``ImportFrom`` names."""
    if not node.level:
        return node.module or ""
    base = module_of(path).split(".")
    if path.name != "__init__.py":
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def owner_package(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "chainrule":
        return parts[0]
    return ".".join(parts[:2]) if len(parts) > 1 else "chainrule"


def sources() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def private_names_defined(paths: list[Path]) -> set[str]:
    """Every private name a package defines: functions, classes, attributes and variables."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
    return {n for n in names if is_private(n)}


def violations() -> list[str]:
    by_package: dict[str, list[Path]] = {}
    for path in sources():
        by_package.setdefault(package_of(path), []).append(path)
    own = {package: private_names_defined(paths) for package, paths in by_package.items()}
    found = []
    for path in sources():
        package = package_of(path)
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                module = resolve(node, path)
                foreign = owner_package(module) != package
                if foreign and any(is_private(part) for part in module.split(".")):
                    found.append(f"{where}:{node.lineno}: imports private module {module}")
                found.extend(
                    f"{where}:{node.lineno}: imports {alias.name} from {module}"
                    for alias in node.names
                    if foreign and is_private(alias.name)
                )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module = alias.name
                    if owner_package(module) != package and any(is_private(p) for p in module.split(".")):
                        found.append(f"{where}:{node.lineno}: imports private module {module}")
            elif isinstance(node, ast.Attribute) and is_private(node.attr):
                value = node.value
                if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                    continue
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
                    continue
                if node.attr not in own[package]:
                    found.append(f"{where}:{node.lineno}: uses {ast.unparse(node)}, private to another package")
    return found


def test_no_module_uses_another_packages_private_names():
    assert violations() == []


def test_the_private_name_check_finds_violations_and_allows_a_packages_own(tmp_path, monkeypatch):
    # The check itself must be able to fail: modules of one package reaching into another's.
    fake = tmp_path / "chainrule"
    (fake / "core").mkdir(parents=True)
    (fake / "cli").mkdir()
    (fake / "core" / "__init__.py").write_text("def _hidden():\n    pass\n")
    (fake / "core" / "network.py").write_text("from . import _hidden\n\ndef f(net):\n    return net._hidden\n")
    (fake / "cli" / "__init__.py").write_text("from ..core import _hidden\n\ndef f(net):\n    return net._flat\n")
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", fake)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations()
    assert len(found) == 2, found
    assert "imports _hidden from chainrule.core" in found[0]
    assert "uses net._flat, private to another package" in found[1]


def test_the_import_contract_holds():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(lint).exists():
        pytest.fail("import-linter is not installed (it is part of the 'test' extra)")
    done = subprocess.run([lint, str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

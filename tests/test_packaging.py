"""The sdist and the wheel that ``python -m build`` makes hold what chainrule needs.

The build runs once, on a copy of the source (so the checkout gets no
``build/`` folder), without build isolation (the test extra has ``build`` and
setuptools is in the environment). It makes the sdist, then the wheel from
the sdist, as ``python -m build`` does, so a file the sdist forgets is missing
from the wheel too. The wheel is then unpacked and used, from a folder outside
the source tree, by a fresh interpreter: the explorer's page and scripts,
the Chinese catalogues and ``chainrule example`` must work from it alone.
``.ci/run`` also installs the wheel into a fresh virtual environment and runs
``chainrule example`` there.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import needs
from chainrule.core.extras import DEVELOPER_EXTRAS, EXTRAS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "chainrule"
#: Folders and files of a checkout that are never part of a build (outputs, environments, caches).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "site",
    "artifacts",
    "mutants",
    "__pycache__",
    "*.pyc",
    "*.egg-info",
    ".pytest_cache",
    ".hypothesis",
)


def package_files() -> set[str]:
    """Every file of the package as it sits in the source tree, as ``chainrule/...`` paths."""
    found = set()
    for path in PACKAGE.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found.add("chainrule/" + path.relative_to(PACKAGE).as_posix())
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    needs.module("build", needs.TEST_EXTRA)
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    dist = work / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = dist.glob("chainrule-*.whl")
    (sdist,) = dist.glob("chainrule-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "work": work}


def test_the_wheel_holds_exactly_the_package_and_its_data(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
    in_package = {name for name in names if name.startswith("chainrule/")}
    # Exactly: a file of src/chainrule missing from the wheel (a forgotten package-data pattern)
    # fails here, and so does a stray file that the source tree does not have.
    assert in_package == package_files()
    for needed in (
        "chainrule/py.typed",
        "chainrule/visual/static/explorer.html",
        "chainrule/visual/static/explorer.js",
        "chainrule/visual/static/explorer.css",
        "chainrule/i18n/locale/zh/LC_MESSAGES/chainrule.mo",
        "chainrule/i18n/locale/zh/LC_MESSAGES/explorer.mo",
    ):
        assert needed in names, needed
    assert not {name for name in names if not name.startswith(("chainrule/", "chainrule-"))}


def test_the_wheel_metadata_names_the_licence_the_script_and_every_extra(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        info = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(wheel.read(info))
        base = info.rsplit("/", 1)[0]
        entry_points = wheel.read(f"{base}/entry_points.txt").decode()
        assert f"{base}/licenses/LICENSE" in wheel.namelist()
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata.get_all("Requires-Dist")[0] == "numpy>=1.24"
    assert set(metadata.get_all("Provides-Extra")) == set(EXTRAS) | set(DEVELOPER_EXTRAS)
    assert "chainrule = chainrule.cli:main" in entry_points


def test_the_extras_of_the_error_hints_are_pyprojects():
    tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else needs.module("tomli")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    without_markers = {
        extra: tuple(r.split(";")[0].strip() for r in requirements)
        for extra, requirements in declared.items()
        if extra not in DEVELOPER_EXTRAS
    }
    assert without_markers == EXTRAS


def test_the_sdist_holds_the_whole_source(built):
    with tarfile.open(built["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {"src/" + name for name in package_files()}
    expected |= {
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "pyproject.toml",
        "mkdocs.yml",
        "Makefile",
        "tests/test_packaging.py",
        "tests/needs.py",
        "docs/hooks.py",
        "bench/import_time.py",
        "examples/data/penguins-train.csv",
    }
    assert expected - names == set()
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_unpacked_wheel_runs_from_outside_the_source_tree(built, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(built["wheel"]) as wheel:
        wheel.extractall(site)
    code = textwrap.dedent("""
        import contextlib, io, json, threading, urllib.request
        import chainrule
        from chainrule.cli import main
        from chainrule.i18n import messages
        from chainrule.visual.server import make_server

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["example", "--updates", "10"])
        with contextlib.redirect_stdout(io.StringIO()) as zh:
            main(["explain", "--lang", "zh"])
        server = make_server(port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        pages = {}
        for path in ("/", "/static/explorer.js", "/static/explorer.css", "/api/messages?lang=zh"):
            with urllib.request.urlopen(server.url.rstrip("/") + path, timeout=30) as answer:
                pages[path] = [answer.status, len(answer.read())]
        server.shutdown()
        print(json.dumps({"file": chainrule.__file__, "status": status, "example": out.getvalue(),
                          "zh": zh.getvalue(), "pages": pages, "catalogue": len(messages("zh", "explorer"))}))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_"))}
    env["PYTHONPATH"] = str(site)  # before the editable install's path: the wheel's copy is imported
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    import json

    found = json.loads(done.stdout)
    assert Path(found["file"]).is_relative_to(site)
    assert found["status"] in (0, None) and "net_h1" in found["example"]
    assert "反向传播" in found["zh"]
    assert all(status == 200 and size > 100 for status, size in found["pages"].values()), found["pages"]
    assert found["catalogue"] > 100

"""The documentation site builds with every warning an error, and its examples run as written.

``mkdocs build --strict`` runs into a temporary folder (the docs extra; in CI a
missing mkdocs fails, through ``tests/needs.py``). Every fenced block of a
page in ``docs/`` marked ``<!-- runs as written ... -->`` is run, the pages in
the site's navigation order, in one fresh folder that holds the repository's
``examples/`` (so a later page may use a file an earlier one wrote, as the ONNX
guide uses the command line guide's model), with the machinery of
``tests/test_readme.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import needs
from test_readme import TABLE_COMMAND, _environment, readme_blocks, shell_commands

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def nav_pages() -> list[Path]:
    """The Markdown pages of ``docs/`` in the order of ``mkdocs.yml``'s navigation (generated ones left out)."""
    names = re.findall(r":\s*([\w./-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    return [DOCS / name for name in names if (DOCS / name).exists()]


def test_every_page_of_docs_is_in_the_navigation():
    listed = {path.resolve() for path in nav_pages()}
    pages = {path.resolve() for path in DOCS.rglob("*.md")}
    assert pages - listed == set()


def test_the_site_builds_strictly(tmp_path):
    needs.module("mkdocs", needs.install_hint("docs"))
    needs.module("mkdocstrings_handlers.python", needs.install_hint("docs"))
    needs.module("material", needs.install_hint("docs"))
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "WARNING" not in done.stderr, done.stderr[-5000:]
    # The generated pages are there, with the engine's numbers and the docstrings' names.
    tutorial = (site / "tutorial" / "index.html").read_text()
    for number in ("0.3775", "0.593269992", "0.0821670406", "0.35891648"):  # net_h1, out_h1, dE/dw5, w5+
        assert number in tutorial, number
    assert "<svg" in tutorial
    core = (site / "reference" / "core" / "index.html").read_text()
    assert 'id="chainrule.core.Network"' in core and 'id="chainrule.core.NetworkSpec"' in core
    assert ":class:" not in core
    training = (site / "reference" / "training" / "index.html").read_text()
    assert 'id="chainrule.training.fit"' in training  # a lazily exported name is documented too
    benchmarks = (site / "benchmarks" / "index.html").read_text()
    assert "bench/import_time.py" in benchmarks and "bench/train_mlp.py" in benchmarks
    started = (site / "getting-started" / "index.html").read_text()
    assert "<td><code>safetensors</code></td>" in started  # the README's extras table, inserted
    assert (site / "explorer-backward.png").exists()
    assert not (site / "hooks.py").exists()


def test_the_extras_table_names_every_extra():
    from chainrule.core.extras import DEVELOPER_EXTRAS, EXTRAS

    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- extras -->\n", 1)[1].split("<!-- /extras -->", 1)[0]
    named = set(re.findall(r"^\| `([\w-]+)` \|", table, re.M))
    assert named == set(EXTRAS) | set(DEVELOPER_EXTRAS)


BLOCKS = [(page, *block) for page in nav_pages() for block in readme_blocks(page.read_text())]
RUN = [(page, language, body) for page, marker, language, body in BLOCKS if marker == "run"]


def test_every_table_command_of_the_docs_is_run_or_marked_a_template():
    unrun = [
        f"{page.name}: {line}"
        for page, marker, _, body in BLOCKS
        if not marker
        for line in body.splitlines()
        if TABLE_COMMAND.search(line)
    ]
    assert not unrun, f"table commands in the docs that no test runs: {unrun}"
    assert len(RUN) >= 8


def test_the_docs_examples_run_as_written(tmp_path):
    for name in ("safetensors", "onnxruntime", "matplotlib", "pandas", "sklearn"):
        needs.module(name)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = _environment()
    for page, language, body in RUN:
        where = page.relative_to(DOCS)
        if language == "python":
            done = subprocess.run(
                [sys.executable, "-c", body], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"{where}: Python block failed:\n{body}\n{done.stderr}"
            continue
        for command in shell_commands(body):
            if (
                command[0] == "mpiexec"
                and not (Path(sys.executable).parent / "mpiexec").exists()
                and shutil.which("mpiexec") is None
            ):
                needs.missing("mpiexec (the mpi extra) for the MPI guide's example")
            done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{where}: {shlex.join(command)} failed ({done.returncode}):\n{done.stderr}"

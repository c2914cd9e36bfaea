"""The README's commands run exactly as written on the shipped data.

Every fenced block right after the marker ``<!-- runs as written ... -->`` is
run, in README order, in a fresh folder that holds the repository's
``examples/`` (so the paths in the README resolve as they do from the root of
a clone): shell blocks one command at a time (``\\`` continues a line),
Python blocks with this interpreter. Every ``chainrule`` table command in the
README must be in such a block, or in one marked as a template.
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

ROOT = Path(__file__).resolve().parents[1]
RUN_MARK = "<!-- runs as written"
TEMPLATE_MARK = "<!-- a template"
TABLE_COMMAND = re.compile(r"\bchainrule (train|predict|evaluate|info|export)\b")


def readme_blocks(text: str) -> list[tuple[str, str, str]]:
    """``(marker, language, body)`` of every fenced block; marker: "run", "template" or ""."""
    blocks = []
    for match in re.finditer(r"(?:^(<!--[^\n]*-->)\n)?^```(\w*)\n(.*?)^```", text, re.S | re.M):
        comment = match.group(1) or ""
        marker = "run" if comment.startswith(RUN_MARK) else "template" if comment.startswith(TEMPLATE_MARK) else ""
        blocks.append((marker, match.group(2), match.group(3)))
    return blocks


def shell_commands(body: str) -> list[list[str]]:
    """The commands of a shell block, continuation lines joined, comments dropped."""
    joined = body.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.split("#")[0].strip()]


BLOCKS = readme_blocks((ROOT / "README.md").read_text())
RUN = [(language, body) for marker, language, body in BLOCKS if marker == "run"]


def test_every_table_command_of_the_readme_is_run_or_marked_a_template():
    unrun = [
        line for marker, _, body in BLOCKS if not marker for line in body.splitlines() if TABLE_COMMAND.search(line)
    ]
    assert not unrun, f"README table commands that no test runs: {unrun}"
    assert sum(1 for language, _ in RUN if language == "") >= 2 and any(language == "python" for language, _ in RUN)


def _environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    for name in [k for k in env if k.startswith(("PMI_", "OMPI_", "HYDRA_", "MPI_"))]:
        env.pop(name)
    env["MPLBACKEND"] = "Agg"
    return env


def test_the_readme_commands_run_as_written(tmp_path):
    needs.module("safetensors")
    needs.module("onnxruntime")
    needs.module("matplotlib")
    needs.module("pandas")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = _environment()
    ran = []
    for language, body in RUN:
        if language == "python":
            done = subprocess.run(
                [sys.executable, "-c", body], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"README Python block failed:\n{body}\n{done.stderr}"
            ran.append("python")
            continue
        for command in shell_commands(body):
            if command[0] == "mpiexec":
                exe = Path(sys.executable).parent / "mpiexec"
                if not exe.exists() and shutil.which("mpiexec") is None:
                    continue  # the mpi extra is not installed here (test_distributed says so too)
            done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr}"
            ran.append(shlex.join(command))
    for written in (
        "model.safetensors",
        "predictions.csv",
        "loss.png",
        "confusion.png",
        "model.onnx",
        "cars.safetensors",
    ):
        assert (tmp_path / written).stat().st_size > 0, written
    assert any(c.startswith("chainrule train examples/data/penguins-train.csv") for c in ran)

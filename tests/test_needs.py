"""The CI switch of tests/needs.py and tests/conftest.py: a missing tool skips locally, fails under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

HERE = Path(__file__).resolve().parent

INNER_TESTS = {
    "test_inner.py": """
import pytest
import needs

def test_missing_module():
    needs.module("chainrule_no_such_module", "pip install the-missing-thing")

def test_missing_program():
    needs.program("chainrule-no-such-program", install="apt-get install the-missing-program")

def test_found_program_is_returned():
    assert needs.program("chainrule-no-such-program", "python3", install="-") == shutil.which("python3")

def test_plain_skip():
    pytest.skip("some tool is absent")

@pytest.mark.skipif(True, reason="a skipif that hides a family")
def test_skipif():
    pass

@pytest.mark.ci_may_skip("skips by design")
def test_skip_by_design():
    pytest.skip("by design")

def test_passes():
    assert needs.module("json").dumps(1) == "1"
""".replace("import needs", "import shutil\nimport needs"),
    "test_inner_module_level.py": """
import needs
needs.module("chainrule_no_such_module", "pip install the-missing-extra")

def test_never_collected():
    pass
""",
    "test_inner_importorskip.py": """
import pytest
pytest.importorskip("chainrule_no_such_module")

def test_never_collected():
    pass
""",
}


EVERY_TEST = [
    "test_missing_module",
    "test_missing_program",
    "test_found_program_is_returned",
    "test_plain_skip",
    "test_skipif",
    "test_skip_by_design",
    "test_passes",
    "test_inner_module_level",
    "test_inner_importorskip",
]


def run_inner(tmp_path: Path, ci: str | None) -> tuple[dict[str, str], str]:
    """Run the inner tests with the suite's conftest and needs; return each test's outcome and the output."""
    for name in ("conftest.py", "needs.py"):
        shutil.copy(HERE / name, tmp_path / name)
    for name, text in INNER_TESTS.items():
        (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            f"--junitxml={report}",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        verdicts = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = {"failure": "FAILED", "error": "ERROR", "skipped": "SKIPPED"}.get(
            verdicts[0] if verdicts else "", "PASSED"
        )
    return outcomes, done.stdout


def test_locally_a_missing_tool_is_a_skip_with_what_to_install(tmp_path):
    outcomes, out = run_inner(tmp_path, ci=None)
    passing = {"test_passes", "test_found_program_is_returned"}
    assert outcomes == {name: "PASSED" if name in passing else "SKIPPED" for name in EVERY_TEST}, out
    assert "chainrule_no_such_module cannot be imported" in out and "pip install the-missing-thing" in out
    assert "no chainrule-no-such-program on PATH; install it: apt-get install the-missing-program" in out
    assert "pip install the-missing-extra" in out


@pytest.mark.parametrize("ci", ["true", "True", "1"])
def test_under_ci_a_missing_tool_fails_the_run_naming_what_to_install(tmp_path, ci):
    outcomes, out = run_inner(tmp_path, ci=ci)
    assert outcomes == {
        "test_missing_module": "FAILED",
        "test_missing_program": "FAILED",
        "test_plain_skip": "FAILED",
        "test_skipif": "ERROR",
        "test_skip_by_design": "SKIPPED",
        "test_passes": "PASSED",
        "test_found_program_is_returned": "PASSED",
        "test_inner_module_level": "ERROR",
        "test_inner_importorskip": "ERROR",
    }, out
    assert "CI=true and a test family's tool is missing: chainrule_no_such_module cannot be imported" in out
    assert "install it: pip install the-missing-thing" in out and "pip install the-missing-extra" in out
    assert "install it: apt-get install the-missing-program" in out
    assert "CI=true and test test_inner.py::test_skipif was skipped: a skipif that hides a family" in out
    assert "CI=true and the whole of test_inner_importorskip.py was skipped" in out


def test_ci_false_means_local(tmp_path):
    outcomes, out = run_inner(tmp_path, ci="false")
    assert sorted(outcomes) == sorted(EVERY_TEST) and set(outcomes.values()) == {"PASSED", "SKIPPED"}, out

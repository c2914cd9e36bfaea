"""Command line: entry points and gradcheck (smoke tests; correctness is tested elsewhere)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from chainrule.cli import main


def test_console_script_and_module_agree():
    exe = shutil.which("chainrule", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe is not None, "console script 'chainrule' is not installed next to the interpreter"
    a = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    b = subprocess.run(
        [sys.executable, "-m", "chainrule", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert a == b and a.startswith("chainrule ")


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "example" in capsys.readouterr().out


def test_gradcheck_three_layer_tanh_passes(capsys):
    assert main(["gradcheck", "--sizes", "3", "5", "4", "2", "--activation", "tanh", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["max_rel_error"] < 1e-6
    assert len(report["rows"]) == 6


@pytest.mark.parametrize("loss", ["categorical_cross_entropy", "binary_cross_entropy"])
def test_gradcheck_cross_entropies(loss, capsys):
    assert main(["gradcheck", "--loss", loss, "--activation", "sigmoid"]) == 0
    assert "PASS" in capsys.readouterr().out


def test_gradcheck_bad_activation(capsys):
    assert main(["gradcheck", "--activation", "swish"]) == 2
    assert "activation: expected one of" in capsys.readouterr().err

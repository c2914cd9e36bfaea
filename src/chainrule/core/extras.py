"""The optional extras and the install hint each "needs X" error gives.

The core needs NumPy alone; everything else comes with an extra (the
``[project.optional-dependencies]`` of ``pyproject.toml``, which
``tests/test_packaging.py`` keeps equal to :data:`EXTRAS`). The hint names the
packages themselves, ``pip install 'pyarrow>=10' ...``, because that one
command works however chainrule was installed: from a wheel, where
``pip install 'chainrule[data]'`` would also do, and from a clone, where only
``pip install -e '.[data]'`` would (chainrule is not published, so
``chainrule[data]`` finds nothing there).
"""

from __future__ import annotations

__all__ = ["EXTRAS", "DEVELOPER_EXTRAS", "install_hint"]

#: Extra -> the requirements it installs (environment markers left out), as in pyproject.toml.
EXTRAS: dict[str, tuple[str, ...]] = {
    "yaml": ("PyYAML>=6",),
    "toml": ("tomli>=2",),
    "progress": ("tqdm>=4.60",),
    "datasets": ("scikit-learn>=1.2",),
    "sklearn": ("scikit-learn>=1.6",),
    "safetensors": ("safetensors>=0.4",),
    "data": ("pandas>=1.5", "pyarrow>=10"),
    "onnx": ("onnx>=1.14", "onnxruntime>=1.16"),
    "plot": ("matplotlib>=3.6",),
    "notebook": ("anywidget>=0.9",),
    "i18n": ("babel>=2.12",),
    "mpi": ("mpi4py>=4.0", "mpich>=4.1", "threadpoolctl>=3.1"),
    "docs": ("mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"),
    "cli": ("safetensors>=0.4", "pyarrow>=10", "onnx>=1.14", "onnxruntime>=1.16", "matplotlib>=3.6", "tqdm>=4.60"),
}

#: The extras for working on chainrule itself, which no "needs X" error names: ``test`` (the test
#: suite's tools) and ``dev`` (the test extra, the linter, the type checker and pre-commit).
DEVELOPER_EXTRAS: tuple[str, ...] = ("test", "dev")


def install_hint(extra: str) -> str:
    """What to run to get ``extra``: ``"pip install 'pyarrow>=10' ... (chainrule's 'data' extra)"``.

    Raises KeyError for a name that is not an extra (a typo in chainrule itself).
    """
    packages = " ".join(f"'{requirement}'" for requirement in EXTRAS[extra])
    return f"pip install {packages} (chainrule's {extra!r} extra)"

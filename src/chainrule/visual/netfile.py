"""Network files: the explorer saves and loads the files ``chainrule explain`` reads.

The format is :mod:`chainrule.explain.config`'s (JSON, TOML or YAML): the
network's spec (``version``, ``layers``, ``loss``, ``dtype``), its ``weights``
(a table of names ``w1, w2, ...``) and ``biases`` (per layer: one number when
shared, a list when per neuron), the sample (``input``, ``target``), the
``learning_rate`` and ``hidden_deltas``. So a file saved from the page is one
``chainrule explain network.json`` away from its full derivation, and any
file ``explain`` reads -- files written before the spec included -- opens in
the explorer (when its layers are small enough to draw, and share one bias
convention). The explorer always computes in float64: a file's ``dtype: float32`` is not kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.errors import Described, ValidationError
from ..explain.config import (
    CONFIG_SUFFIXES,
    config_from_network,
    config_to_json,
    parse_config_text,
    read_config_file,
    setup_from_config,
)
from .state import ExplorerState

__all__ = ["state_to_config", "state_to_file", "state_from_config", "state_from_file", "state_from_path"]


def state_to_config(state: ExplorerState) -> dict[str, Any]:
    """The state as an explain config (see the module docstring)."""
    return config_from_network(state.network(), state.input, state.target, state.learning_rate, state.hidden_deltas)


def state_to_file(state: ExplorerState) -> str:
    """The text of a JSON network file, one field per line (as in ``examples/tutorial.json``)."""
    return config_to_json(state_to_config(state))


def state_from_config(data: Any, source: str = "network file") -> ExplorerState:
    """An explain config (a mapping) as the explorer's state; errors name the config field.

    The explorer's limits (:meth:`ExplorerState.check_spec`: layers it can draw,
    one bias convention) are checked on the spec, before any network is built.
    """
    setup = setup_from_config(data, source=source, check_spec=ExplorerState.check_spec)
    return ExplorerState.from_network(
        setup.network, setup.x, setup.y, setup.learning_rate, hidden_deltas=setup.hidden_deltas
    )


def state_from_file(text: str, filename: str = "network.json") -> ExplorerState:
    """Parse a network file's text; the format follows the name's extension (.json, .toml, .yaml; else JSON).

    The text is read within :mod:`chainrule.core.limits`' bounds (size, nesting,
    YAML aliases, number lengths); errors about it as a whole name the field ``file``.
    """
    if not isinstance(filename, str):
        raise ValidationError("filename", "a file name (text)", filename)
    if not isinstance(text, str):
        raise ValidationError("file", "the text of a network file", Described(type(text).__name__))
    suffix = Path(filename).suffix.lower()
    try:
        data = parse_config_text(text, suffix if suffix in CONFIG_SUFFIXES else ".json", "file")
    except ImportError as err:
        raise ValidationError("file", str(err), filename) from None
    return state_from_config(data, source=filename)


def state_from_path(path: str | Path) -> ExplorerState:
    """Read a network file from disk (what ``chainrule serve FILE`` opens)."""
    try:
        data = read_config_file(path)
    except ImportError as err:
        raise ValidationError("file", str(err), str(path)) from None
    return state_from_config(data, source=str(path))

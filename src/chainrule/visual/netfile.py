"""Network files: the explorer saves and loads the format ``chainrule explain`` reads.

The format is :mod:`chainrule.explain.config`'s (JSON, TOML or YAML): ``sizes``,
``activations``, ``loss``, ``weights`` (a table of names ``w1, w2, ...``),
``biases`` (per layer: one number when shared, a list when per neuron),
``train_biases``, ``error`` (squared error only), ``hidden_deltas``, ``input``,
``target`` and ``learning_rate``. So a file saved from the page is one
``chainrule explain network.json`` away from its full derivation, and any
file ``explain`` reads opens in the explorer (when its layers are small enough to draw).
The explorer always computes in float64: a file's ``dtype: float32`` is not kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..explain.config import parse_toml, parse_yaml, read_config_file, setup_from_config
from ..core.errors import ValidationError
from .state import ExplorerState

__all__ = ["state_to_config", "state_to_file", "state_from_config", "state_from_file", "state_from_path"]


def state_to_config(state: ExplorerState) -> dict[str, Any]:
    """The state as an explain config (see the module docstring)."""
    names = state.names
    biases: list[Any] = []
    for layer in range(len(state.sizes) - 1):
        values = [state.params[p.name] for p in names.biases if p.layer == layer]
        biases.append(values[0] if state.bias == "shared" else values)
    config: dict[str, Any] = {
        "sizes": list(state.sizes),
        "activations": list(state.activations),
        "loss": state.loss,
        "learning_rate": state.learning_rate,
        "input": list(state.input),
        "target": list(state.target),
        "weights": {p.name: state.params[p.name] for p in names.weights},
        "biases": biases,
        "train_biases": state.train_bias,
        "hidden_deltas": state.hidden_deltas,
    }
    if state.loss == "squared_error":  # explain refuses an error convention for the cross-entropies
        config["error"] = state.error
    return config


def state_to_file(state: ExplorerState) -> str:
    """The text of a JSON network file, one field per line (as in ``examples/tutorial.json``)."""
    fields = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in state_to_config(state).items()]
    return "{\n" + ",\n".join(fields) + "\n}\n"


def state_from_config(data: Any, source: str = "network file") -> ExplorerState:
    """An explain config (a mapping) as the explorer's state; errors name the config field."""
    setup = setup_from_config(data, source=source)
    return ExplorerState.from_network(setup.network, setup.x, setup.y, setup.learning_rate,
                                      hidden_deltas=setup.hidden_deltas)


def state_from_file(text: str, filename: str = "network.json") -> ExplorerState:
    """Parse a network file's text; the format follows the name's extension (.json, .toml, .yaml)."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".toml":
            data = parse_toml(text)  # explain.config's parsers: one set of messages for both
        elif suffix in (".yaml", ".yml"):
            data = parse_yaml(text)
        else:
            data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError("file", f"JSON ({err.msg} at line {err.lineno}, column {err.colno})", filename) from None
    except ImportError as err:
        raise ValidationError("file", str(err), filename) from None
    if not isinstance(data, dict):
        raise ValidationError("file", "a table/object of fields", filename)
    return state_from_config(data, source=filename)


def state_from_path(path: str | Path) -> ExplorerState:
    """Read a network file from disk (what ``chainrule serve FILE`` opens)."""
    try:
        data = read_config_file(path)
    except ImportError as err:
        raise ValidationError("file", str(err), str(path)) from None
    return state_from_config(data, source=str(path))

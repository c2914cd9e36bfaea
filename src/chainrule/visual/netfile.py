"""Network files: what the explorer saves and loads (provisional until the explain config lands)."""

from __future__ import annotations

import json

from .state import ExplorerState, FieldError

__all__ = ["state_to_file", "state_from_file"]


def state_to_file(state: ExplorerState) -> str:
    """The state as the text of a JSON network file."""
    return json.dumps(state.to_json(), indent=2) + "\n"


def state_from_file(text: str, filename: str = "network.json") -> ExplorerState:
    """Parse a network file's text; errors name the file and the field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FieldError("file", f"JSON ({err.msg} at line {err.lineno}, column {err.colno})", filename) from None
    return ExplorerState.from_json(data)

"""Checks of a stored preprocessing config's fields, each error naming the field's path.

A model file stores the preprocessing as JSON (:meth:`Preprocessor.to_config
<chainrule.tabular.Preprocessor.to_config>`); reading it back must refuse
anything :meth:`~chainrule.tabular.Preprocessor.to_config` could not have
written -- a missing or unknown key, a value of the wrong type, a scale that
is not a positive finite number -- with the library's
:class:`~chainrule.core.errors.ValidationError` whose ``field`` is the path
(``"preprocessing.encoder.columns[2].scale"``), never a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from ..core.errors import Described, ValidationError, excerpt
from ..core.validation import fail

__all__ = ["check_keys", "choice", "finite_number", "flag", "refield", "text"]


def check_keys(config: Any, field: str, required: Iterable[str], what: str) -> dict[str, Any]:
    """``config`` as a dict with exactly the keys ``required``; the first missing or unknown one is named."""
    required = list(required)
    if not isinstance(config, dict):
        raise fail(field, f"{what}: an object with the keys {sorted(required)}", config)
    for key in required:
        if key not in config:
            raise fail(f"{field}.{key}", "a value (the key is required)", Described("nothing, the key is missing"))
    for key in config:
        if key not in required:
            shown = key if isinstance(key, str) and len(key) <= 40 else excerpt(key)
            raise fail(f"{field}.{shown}", f"one of the keys {sorted(required)}", Described("an unknown key"))
    return config


def text(value: Any, field: str, what: str = "a non-empty text") -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise fail(field, what, value)
    return value


def choice(value: Any, field: str, choices: Iterable[str]) -> str:
    """One of the strings ``choices``."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise fail(field, f"one of {choices}", value)
    return value


def flag(value: Any, field: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise fail(field, "true or false", value)
    return value


def finite_number(value: Any, field: str, *, positive: bool = False) -> float:
    """A finite number (> 0 with ``positive``), returned as a float."""
    number = math.nan
    if not isinstance(value, bool) and isinstance(value, numbers.Real):
        try:
            number = float(value)
        except (OverflowError, TypeError, ValueError):
            pass
    if not math.isfinite(number) or (positive and number <= 0):
        raise fail(field, "a finite number > 0" if positive else "a finite number", value)
    return number


def refield(err: ValidationError, field: str) -> ValidationError:
    """``err`` under ``field`` (a constructor's own check, reported at the config's path)."""
    return fail(field, err.expected, Described(err.received))

"""Each stage's quantities as HTML for the explorer's formula panel (MathML typeset)."""

from __future__ import annotations

from html import escape
from typing import Mapping

from .mathml import math, number, op, symbol

__all__ = ["stage_of", "stage_panels"]

_TITLES = {
    "setup": "The network",
    "forward": "1. Forward pass",
    "error": "2. Error",
    "backward": "3. Backward pass",
    "update": "4. Update",
}


def stage_of(name: str) -> str:
    """The stage that computes the named quantity."""
    if name.endswith("+"):
        return "update"
    if name.startswith(("E_", "target_")):
        return "error"
    if name.startswith(("d", "delta_")):
        return "backward"
    return "forward"


def stage_panels(values: Mapping[str, float], digits: int) -> dict[str, str]:
    """stage -> HTML listing every quantity of that stage, ``name = value``."""
    rows: dict[str, list[str]] = {stage: [] for stage in _TITLES}
    for name, value in values.items():
        rows[stage_of(name)].append(
            f'<div class="formula" data-q="{escape(name)}" data-value="{float(value)!r}">'
            + math(symbol(name), op("="), number(float(value), digits)) + "</div>"
        )
    return {stage: f"<h3>{_TITLES[stage]}</h3>" + "".join(rows[stage]) for stage in _TITLES}

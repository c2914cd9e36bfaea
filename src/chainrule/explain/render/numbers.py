"""How numbers are printed: ``precision`` significant digits, never ``-0``."""

from __future__ import annotations


def number(value: float, precision: int) -> str:
    """``0.3775``, ``-0.0380982365``, ``4.38567734e-04`` (``.{precision}g``)."""
    if value == 0:
        return "0"
    return f"{value:.{precision}g}"

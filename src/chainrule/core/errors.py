"""The library's exceptions: a bad value (:class:`ValidationError`) and diverging training.

Every check of user input raises :class:`ValidationError`, a ``ValueError``
that carries *which* field was wrong, *what* was expected and *what* was
received as data, so that callers (the explorer's form, the command line)
never have to take a message apart to find the field.
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["DivergenceError", "Described", "ValidationError", "excerpt"]

#: Longest text shown for a received value; longer ones are cut, never built in full first.
EXCERPT_LENGTH = 80


class Described(str):
    """A description of a received value, shown as it is, without quotes (e.g. ``shape (3, 2)``)."""


class _Excerpt(reprlib.Repr):
    """``repr`` with bounded work: containers, strings and numbers are cut while they are written."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict, self.maxset = 3, 8, 8, 6, 6
        self.maxstring, self.maxlong, self.maxother = EXCERPT_LENGTH - 2, 40, EXCERPT_LENGTH

    def repr_int(self, x: int, level: int) -> str:
        # Python refuses to print ints of more than 4300 digits; their size is what matters.
        if x.bit_length() > 4 * self.maxlong:
            return f"<an integer of about {int(x.bit_length() * 0.30103)} digits>"
        return super().repr_int(x, level)

    def repr_ndarray(self, x: Any, level: int) -> str:
        return f"array of shape {x.shape} and dtype {x.dtype}"


_EXCERPT = _Excerpt()


def excerpt(value: Any) -> str:
    """A short text for ``value`` (at most about :data:`EXCERPT_LENGTH` characters), built with bounded work."""
    if isinstance(value, Described):
        return str(value)
    try:
        text = _EXCERPT.repr(value)
    except Exception:  # a user object whose __repr__ fails still gets a message
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 3] + "..."


class ValidationError(ValueError):
    """A value that does not fit: ``field`` names it, ``expected`` says what was wanted.

    ``received`` is a bounded text of what came (see :func:`excerpt`). The message
    always reads ``"<field>: expected <expected>, received: <received>"``.

    >>> err = ValidationError("learning_rate", "a finite number > 0", -1)
    >>> err.field, err.expected, err.received
    ('learning_rate', 'a finite number > 0', '-1')
    """

    def __init__(self, field: str, expected: str, received: Any) -> None:
        self.field = field
        self.expected = expected
        self.received = excerpt(received)
        super().__init__(f"{field}: expected {expected}, received: {self.received}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the three parts (the received text is already an excerpt).
        return (_rebuild_validation_error, (type(self), self.field, self.expected, self.received))


def _rebuild_validation_error(cls: type[ValidationError], field: str, expected: str, received: str) -> ValidationError:
    return cls(field, expected, Described(received))


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite value; the weights are the last finite ones.

    Attributes: ``epoch`` and ``step`` (1-based, ``step`` counts updates since the
    start of training), ``where`` (the first layer and array found non-finite)
    and ``loss``.
    """

    def __init__(self, epoch: int, step: int, where: str, loss: float) -> None:
        self.epoch, self.step, self.where, self.loss = epoch, step, where, loss
        super().__init__(
            f"training diverged at epoch {epoch}, step {step}: first non-finite value in {where} "
            f"(loss = {loss!r}); the update was not applied, so the weights are the last finite ones. "
            "Try a smaller learning rate."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.epoch, self.step, self.where, self.loss))

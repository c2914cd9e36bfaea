"""Exceptions of the library (bad arguments are plain ``ValueError``)."""

from __future__ import annotations

__all__ = ["DivergenceError"]


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

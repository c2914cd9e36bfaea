"""Scratch arrays an activation reuses from call to call, so that a training step allocates nothing.

A :class:`Scratch` keeps one flat buffer per dtype and hands out C-contiguous
views of its front, shaped as asked. A call with a larger shape grows the
buffer once; smaller shapes (the last, partial batch; evaluation chunks) reuse
it. The views of one call are distinct from each other, and are overwritten by
the next call: they are never returned to the caller.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["Scratch"]


class Scratch:
    """``arrays(shape, dtype, k)``: ``k`` distinct scratch arrays of ``shape`` and ``dtype``."""

    __slots__ = ("_buffers",)

    def __init__(self) -> None:
        self._buffers: dict[np.dtype, np.ndarray] = {}

    def arrays(self, shape: tuple[int, ...], dtype: npt.DTypeLike, k: int) -> list[np.ndarray]:
        """``k`` views of ``shape`` into this scratch space's buffer of ``dtype`` (bool for masks)."""
        kind = np.dtype(dtype)
        size = int(np.prod(shape))
        buffer = self._buffers.get(kind)
        if buffer is None or buffer.size < k * size:
            buffer = self._buffers[kind] = np.empty(k * size, dtype=kind)
        return [buffer[i * size : (i + 1) * size].reshape(shape) for i in range(k)]

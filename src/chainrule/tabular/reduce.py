"""How the statistics of a table's rows are combined: over one process, or over every MPI rank.

Fitting an encoder needs sums, counts, category counts and medians over
*all* the training rows. :class:`Reducer` computes them from the rows this
process holds: alone (this class), or, in :mod:`chainrule.distributed`, over
every rank's shard, so that the same fitting code serves both.

Work that makes no collective call and may fail (reading cells) runs inside
:meth:`Reducer.checking`, so that under MPI every rank learns of a failure on
any of them instead of waiting forever in the next collective call.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

__all__ = ["Reducer", "merge_counts"]


class Reducer:
    """Statistics of the rows of this process only (see the module docstring).

    Subclasses (one per MPI communicator) override every method with its
    collective version; each is then called by every rank, in the same order.
    """

    def checking(self) -> AbstractContextManager[None]:
        """A block that makes no collective call; a failure inside it is shared by every process."""
        return contextlib.nullcontext()

    def sum(self, value: Any) -> Any:
        """The sum over every process of ``value`` (a number or an array)."""
        return value

    def gather(self, value: Any) -> list[Any]:
        """Every process's ``value``, in rank order."""
        return [value]

    def median(self, values: np.ndarray) -> float:
        """The median of the float64 ``values`` of every process together (as :func:`numpy.median`).

        The caller guarantees that at least one process has a value.
        """
        return float(np.median(values))


def merge_counts(counts: list[Counter[Any] | None]) -> Counter[Any] | None:
    """The sum of the processes' value counts; None when any process had too many values to send."""
    total: Counter[Any] = Counter()
    for part in counts:
        if part is None:
            return None
        total.update(part)
    return total

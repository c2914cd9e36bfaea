"""Failures in one process must stop every process, with the message, never hang.

Two tools, for two kinds of code:

* :func:`agree` wraps work that makes no collective call (checking data,
  reading a shard). Every rank then learns whether any rank failed, and all
  raise: the failing rank its own exception, the others a :class:`PeerError`
  quoting it. The run ends cleanly on every rank.
* :func:`abort_on_error` wraps code that does make collective calls (the
  training loop). A rank that fails there cannot tell the others, which wait
  in an Allreduce that will never complete; so it prints its error and calls
  ``MPI_Abort``, which ends every process of the job at once. Exceptions that
  every rank raises at the same point (marked by :func:`mark_agreed`) pass
  through.
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any

__all__ = ["PeerError", "agree", "abort_on_error", "mark_agreed"]

_AGREED = "_chainrule_all_ranks"
#: Seconds a rank other than 0 waits before reporting its own failure (see abort_on_error).
_GRACE_S = 1.0


class PeerError(ValueError):
    """Raised on every rank when another rank failed in a step the ranks agreed on."""

    def __init__(self, rank: int, size: int, message: str) -> None:
        super().__init__(f"process {rank} of {size}: {message}")
        self.rank = rank


def mark_agreed(err: BaseException) -> BaseException:
    """Mark an exception that every rank raises at the same point (it needs no abort)."""
    setattr(err, _AGREED, True)
    return err


def _describe(err: BaseException) -> str:
    return str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"


@contextlib.contextmanager
def agree(comm: Any) -> Iterator[None]:
    """Run the block on every rank; if any rank raised, raise on all of them.

    The block must make no collective call. On the rank that failed the
    original exception propagates; the others raise :class:`PeerError`
    naming the first failing rank and its message.
    """
    mine: BaseException | None = None
    try:
        yield
    except Exception as err:
        mine = err
    reports = comm.allgather(None if mine is None else _describe(mine))
    failed = [(rank, message) for rank, message in enumerate(reports) if message is not None]
    if not failed:
        return
    if mine is not None:
        raise mark_agreed(mine)
    rank, message = failed[0]
    raise mark_agreed(PeerError(rank, comm.Get_size(), message))


@contextlib.contextmanager
def abort_on_error(comm: Any, who: str = "chainrule") -> Iterator[None]:
    """Abort the whole job when the block raises on this rank alone.

    The message (with the traceback for anything but ValueError) goes to
    standard error, prefixed with the rank, before ``comm.Abort`` (status 2
    for a ValueError, as the command line's errors, else 1). Ranks other
    than 0 wait a second first, so that an error every rank hits is printed
    once, by rank 0.
    """
    try:
        yield
    except BaseException as err:
        if getattr(err, _AGREED, False):
            raise
        rank, size = comm.Get_rank(), comm.Get_size()
        if rank != 0:
            # The same error often happens on every rank (a bad option, a missing file):
            # give rank 0 a moment to report it and end the job, so it is printed once.
            time.sleep(_GRACE_S)
        text = _describe(err) if isinstance(err, ValueError) else "".join(traceback.format_exception(err)).rstrip()
        print(f"{who}: process {rank} of {size} failed, stopping all {size}: {text}", file=sys.stderr, flush=True)
        comm.Abort(2 if isinstance(err, ValueError) else 1)
        raise  # not reached: Abort ends the process

"""A progress bar with loss and throughput, drawn by tqdm (the optional ``progress`` extra)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .callbacks import Callback

if TYPE_CHECKING:
    from .loop import TrainingLoop

__all__ = ["ProgressBar", "progress_callback"]

#: The bar appears only once a run has lasted this long (seconds), so short runs stay quiet.
AUTO_DELAY_S = 2.0


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class ProgressBar(Callback):
    """One bar for the whole run: samples done, samples per second, epoch and running loss.

    Parameters
    ----------
    delay : float
        Seconds before the bar first appears (0 shows it at once).
    file : text stream
        Where to draw (default ``sys.stderr``).
    """

    def __init__(self, delay: float = 0.0, file: Any = None) -> None:
        tqdm = _tqdm()
        if tqdm is None:
            raise ImportError("the progress bar needs tqdm: pip install 'chainrule[progress]'")
        self._tqdm, self.delay, self.file = tqdm, delay, file
        self.bar: Any = None

    def on_train_begin(self, loop: "TrainingLoop") -> None:
        total = loop.n_train * (loop.epochs - loop.initial_epoch)
        self.bar = self._tqdm(
            total=total, unit="sample", unit_scale=True, delay=self.delay, file=self.file or sys.stderr,
            dynamic_ncols=True, leave=True,
        )
        self._last = 0

    def on_epoch_begin(self, loop: "TrainingLoop", epoch: int) -> None:
        self._last = 0  # loop.samples_done counts from 0 each epoch

    def on_batch_end(self, loop: "TrainingLoop", step: int, loss: float) -> None:
        done = loop.samples_done
        self.bar.update(done - self._last)
        self._last = done

    def on_epoch_end(self, loop: "TrainingLoop", epoch: int, logs: dict[str, float]) -> None:
        self.bar.set_postfix({"epoch": epoch, **{k: f"{v:.4g}" for k, v in logs.items()}}, refresh=False)

    def on_train_end(self, loop: "TrainingLoop") -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def progress_callback(progress: bool | None) -> ProgressBar | None:
    """The bar to use for ``fit(progress=...)``.

    True: always (needs tqdm). False: never. None (auto): only when standard
    error is a terminal and tqdm is installed, and only once the run has lasted
    :data:`AUTO_DELAY_S` seconds.
    """
    if progress is False:
        return None
    if progress is True:
        return ProgressBar()
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        if isatty is not None and isatty() and _tqdm() is not None:
            return ProgressBar(delay=AUTO_DELAY_S)
        return None
    from ..core.validation import fail

    raise fail("progress", "True, False or None (automatic)", progress)

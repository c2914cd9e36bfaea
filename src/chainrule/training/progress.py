"""A progress bar with the epoch, the metrics and the throughput, drawn by tqdm (the ``progress`` extra).

The line is laid out for its width (:func:`bar_format`): at 80 columns the
bar keeps its room and the loss, validation loss and validation accuracy
still show; what does not fit is left out, least important first.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..core.extras import install_hint
from .callbacks import Callback

if TYPE_CHECKING:
    from .loop import TrainingLoop

__all__ = ["ProgressBar", "bar_format", "metric_order", "progress_callback"]

#: The bar appears only once a run has lasted this long (seconds), so short runs stay quiet.
AUTO_DELAY_S = 2.0
#: The bar itself keeps at least this many characters, whatever else the line shows.
MIN_BAR = 10
#: The width assumed when the terminal's cannot be known.
DEFAULT_COLUMNS = 80
#: Shorter names on the bar; the history keeps the full ones.
SHORT_NAMES = {"accuracy": "acc", "val_accuracy": "val_acc"}
# Room kept for tqdm's own fields: "100%|", "| " + remaining time, ", " before the metrics.
_PERCENT, _REMAINING, _RATE = len("100%|"), len("| 0:00:00"), len(" 999.9k samples/s")
#: Significant digits of the metrics on the bar (the history keeps every digit).
DIGITS = 3


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def metric_order(names: Any) -> list[str]:
    """The order in which metrics get room on the bar: loss, val_loss, then each metric's val_ and plain forms."""
    names = list(names)
    order = [n for n in ("loss", "val_loss") if n in names]
    for name in names:
        if name.startswith("val_") and name not in order:
            order.append(name)
    order += [n for n in names if n not in order]
    return order


def bar_format(columns: int, epoch_text: str, logs: dict[str, float]) -> str:
    """A tqdm ``bar_format`` for a line of ``columns`` characters that keeps :data:`MIN_BAR` for the bar.

    Shows the epoch, the percentage, the bar, the remaining time, the metrics
    of ``logs`` in :func:`metric_order` up to the first that does not fit, and
    the throughput when there is room left.
    """
    budget = columns - len(epoch_text) - 1 - _PERCENT - _REMAINING - MIN_BAR
    shown: list[str] = []
    for name in metric_order(logs):
        item = f"{SHORT_NAMES.get(name, name)} {logs[name]:.{DIGITS}g}"
        if len(", " + " ".join([*shown, item])) > budget:
            break  # in order of importance: nothing after a metric that did not fit
        shown.append(item)
    metrics = (", " + " ".join(shown)) if shown else ""
    rate = " {rate_fmt}" if budget - len(metrics) >= _RATE else ""
    escaped = epoch_text.replace("{", "{{").replace("}", "}}")
    return escaped + " {percentage:3.0f}%|{bar}| {remaining}" + rate + metrics.replace("{", "{{").replace("}", "}}")


class ProgressBar(Callback):
    """One bar for the whole run: epoch, percentage, the bar, time left, the latest epoch's metrics, throughput.

    The line fits the terminal (or ``ncols``): the bar keeps at least
    :data:`MIN_BAR` characters, metrics are shown in the order of
    :func:`metric_order` as long as they fit, the throughput last.

    Parameters
    ----------
    delay : float
        Seconds before the bar first appears (0 shows it at once).
    file : text stream
        Where to draw (default ``sys.stderr``).
    ncols : int or None
        Width of the line; None follows the terminal (80 when it cannot be known).
    """

    def __init__(self, delay: float = 0.0, file: Any = None, ncols: int | None = None) -> None:
        tqdm = _tqdm()
        if tqdm is None:
            raise ImportError(f"the progress bar needs tqdm: {install_hint('progress')}")
        self._tqdm, self.delay, self.file, self.ncols = tqdm, delay, file, ncols
        self.bar: Any = None
        self.logs: dict[str, float] = {}

    def on_train_begin(self, loop: TrainingLoop) -> None:
        total = loop.n_train * (loop.epochs - loop.initial_epoch)
        self.bar = self._tqdm(
            total=total,
            unit=" samples",
            unit_scale=True,
            delay=self.delay,
            file=self.file or sys.stderr,
            dynamic_ncols=self.ncols is None,
            ncols=self.ncols,
            leave=True,
        )
        self.logs, self._epochs, self._last = {}, loop.epochs, 0

    def _layout(self, epoch: int) -> None:
        columns = self.bar.format_dict.get("ncols") or DEFAULT_COLUMNS
        self.bar.bar_format = bar_format(columns, f"epoch {epoch}/{self._epochs}", self.logs)

    def on_epoch_begin(self, loop: TrainingLoop, epoch: int) -> None:
        self._last = 0  # loop.samples_done counts from 0 each epoch
        self._layout(epoch)

    def on_batch_end(self, loop: TrainingLoop, step: int, loss: float) -> None:
        done = loop.samples_done
        self.bar.update(done - self._last)
        self._last = done

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        self.logs = dict(logs)
        self._layout(epoch)
        self.bar.refresh()

    def on_train_end(self, loop: TrainingLoop) -> None:
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

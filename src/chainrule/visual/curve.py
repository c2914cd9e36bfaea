"""A training history's curves as a small SVG: loss (and validation loss, metrics) by epoch.

Drawn here rather than with matplotlib so that a notebook shows the curve with
the core install alone. The vertical axis is logarithmic when every value is
positive and they span more than two decades (a loss falling from 0.3 to
0.0001 reads as a line, not as an L), linear otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ..core.validation import fail
from ..training.history import History

__all__ = ["history_svg", "curve_svg"]

_W, _H = 560, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 130, 16, 40
_COLOURS = ("#1d5fa8", "#b3411b", "#217a3c", "#a3267a", "#6b5b00")


def _ticks(low: float, high: float, log: bool) -> list[float]:
    if log:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        stride = max(1, (last - first) // 6)
        return [10.0**k for k in range(first, last + 1, stride)]
    if high == low:
        return [low]
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw), default=raw)
    start = math.ceil(low / step) * step
    return [start + k * step for k in range(int((high - start) / step + 1e-9) + 1)]


def curve_svg(
    series: dict[str, Sequence[float]],
    x: Sequence[float] | None = None,
    *,
    x_label: str = "epoch",
    title: str | None = None,
) -> str:
    """Curves ``{label: values}`` against ``x`` (default 1, 2, ...) as a standalone SVG document."""
    series = {name: [float(v) for v in values] for name, values in series.items() if len(values)}
    if not series:
        raise fail("series", "at least one non-empty series", series)
    n = max(len(v) for v in series.values())
    xs = [float(v) for v in x] if x is not None else [float(k) for k in range(1, n + 1)]
    values = [v for vs in series.values() for v in vs if math.isfinite(v)]
    if not values:
        raise fail("series", "some finite values", series)
    low, high = min(values), max(values)
    log = low > 0 and high / low > 100
    if not log and high == low:
        low, high = low - 0.5, high + 0.5
    to_y = (lambda v: math.log10(v)) if log else (lambda v: v)
    y0, y1 = to_y(low), to_y(high)
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def px(xv: float) -> float:
        return _LEFT + (xv - x0) / (x1 - x0) * plot_w

    def py(v: float) -> float:
        return _TOP + (1 - (to_y(v) - y0) / ((y1 - y0) or 1)) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cr-curve" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">'
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append(f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fafbfc" stroke="#cdd6df"/>')
    for tick in _ticks(low, high, log):
        if low <= tick <= high or log:
            y = py(min(max(tick, low), high))
            out.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e8ee"/>')
            out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:.3g}</text>')
    out.extend(
        f'<text x="{px(tick):.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">{tick:g}</text>'
        for tick in _ticks(x0, x1, False)
        if x0 <= tick <= x1
    )
    out.append(f'<text x="{_LEFT + plot_w / 2}" y="{_H - 6}" text-anchor="middle">{escape(x_label)}</text>')
    for k, (name, vs) in enumerate(series.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        points = " ".join(
            f"{px(xv):.1f},{py(v):.1f}" for xv, v in zip(xs, vs) if math.isfinite(v) and (v > 0 or not log)
        )
        out.append(
            f'<polyline class="cr-series" data-name="{escape(name)}" fill="none" stroke="{colour}" '
            f'stroke-width="2" points="{points}"/>'
        )
        y = _TOP + 14 + 18 * k
        out.append(
            f'<line x1="{_W - _RIGHT + 12}" x2="{_W - _RIGHT + 32}" y1="{y - 4}" y2="{y - 4}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{_W - _RIGHT + 38}" y="{y}">{escape(name)} {vs[-1]:.4g}</text>')
    out.append("</svg>")
    return "\n".join(out)


def history_svg(history: History, names: Sequence[str] | None = None) -> str:
    """A :class:`~chainrule.training.history.History` as curves by epoch (default: every series it holds)."""
    if not isinstance(history, History):
        raise fail("history", "a chainrule History", type(history).__name__)
    chosen = list(history.series) if names is None else list(names)
    missing = [n for n in chosen if n not in history.series]
    if missing:
        raise fail("names", f"series of this history, some of {sorted(history.series)}", missing)
    if not len(history):
        raise fail("history", "at least one epoch", "an empty history")
    return curve_svg(
        {n: history.series[n] for n in chosen}, history.epoch, title=f"training history: {', '.join(chosen)}"
    )

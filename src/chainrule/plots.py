"""Plots as PNG files: loss curves, a decision boundary for 2-D data, a confusion matrix.

Needs matplotlib (the ``plot`` extra). Figures are drawn on the
Agg canvas directly (no pyplot), so nothing here changes matplotlib's global
backend or opens a window. Each function returns the ``matplotlib.figure.Figure``
and, given ``path``, writes it as a PNG.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .core.extras import install_hint
from .core.validation import Described, fail

__all__ = ["new_figure", "plot_confusion_matrix", "plot_decision_boundary", "plot_loss_curves", "save_png"]


def new_figure(width: float = 6.0, height: float = 4.5) -> Any:
    """A matplotlib Figure on the Agg canvas (no display needed), ``width`` x ``height`` inches."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"plots need matplotlib: {install_hint('plot')}") from None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Any, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` to ``path`` as a PNG, atomically."""
    import io

    from .io.atomic import atomic_write_bytes

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    atomic_write_bytes(path, buffer.getvalue())


def plot_loss_curves(history: Any, path: str | os.PathLike[str] | None = None, *, title: str = "Loss per epoch") -> Any:
    """Training loss (and validation loss, when recorded) against the epoch.

    ``history`` is a :class:`~chainrule.training.History`, its ``to_dict()``, or a
    mapping with ``"loss"`` (and optionally ``"val_loss"`` and ``"epoch"``).
    """
    data = history.to_dict() if hasattr(history, "to_dict") else dict(history)
    loss = data.get("loss")
    if not loss:
        raise fail("history", "at least one epoch of 'loss'", data)
    epochs = data.get("epoch") or list(range(1, len(loss) + 1))
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(epochs, loss, marker="o" if len(loss) < 30 else None, label="training loss")
    if data.get("val_loss"):
        ax.plot(epochs, data["val_loss"], marker="o" if len(loss) < 30 else None, label="validation loss")
    if min(loss) > 0 and max(loss) / min(loss) > 100:
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    if path is not None:
        save_png(fig, path)
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], npt.ArrayLike],
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    path: str | os.PathLike[str] | None = None,
    *,
    resolution: int = 200,
    feature_names: Sequence[str] = ("x1", "x2"),
    title: str = "Decision boundary",
) -> Any:
    """Regions of each predicted class over the plane of 2-D data, with the samples on top.

    ``predict`` maps ``(m, 2)`` points to ``m`` labels; ``X`` is ``(n, 2)``, ``y`` ``n`` labels.
    """
    points = np.asarray(X, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise fail("X", "2 features for a decision boundary", Described(f"shape {points.shape}"))
    labels = np.asarray(y)
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    gx, gy = np.meshgrid(
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution), np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    )
    grid_labels = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])))
    classes = list(dict.fromkeys(np.concatenate([np.unique(labels), np.unique(grid_labels)]).tolist()))
    index = {c: k for k, c in enumerate(classes)}
    regions = np.array([index[v] for v in grid_labels.tolist()]).reshape(gx.shape)
    fig = new_figure()
    ax = fig.add_subplot()
    cmap = "tab10" if len(classes) <= 10 else "tab20"
    ax.contourf(
        gx,
        gy,
        regions,
        levels=np.arange(len(classes) + 1) - 0.5,
        cmap=cmap,
        alpha=0.3,
        vmin=-0.5,
        vmax=(10 if len(classes) <= 10 else 20) - 0.5,
    )
    colours = [index[v] for v in labels.tolist()]
    scatter = ax.scatter(
        points[:, 0],
        points[:, 1],
        c=colours,
        cmap=cmap,
        vmin=-0.5,
        vmax=(10 if len(classes) <= 10 else 20) - 0.5,
        edgecolors="k",
        linewidths=0.4,
        s=18,
    )
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", markeredgecolor="k", markerfacecolor=scatter.cmap(scatter.norm(k)))
        for k in range(len(classes))
    ]
    ax.legend(handles, [str(c) for c in classes], title="class", loc="best", fontsize="small")
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.set_title(title)
    fig.tight_layout()
    if path is not None:
        save_png(fig, path)
    return fig


def plot_confusion_matrix(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    path: str | os.PathLike[str] | None = None,
    *,
    labels: Sequence[Any] | None = None,
    title: str = "Confusion matrix",
) -> Any:
    """Counts of (true class, predicted class), rows true, columns predicted, numbers in the cells."""
    y_true, y_pred = list(np.asarray(y_true).tolist()), list(np.asarray(y_pred).tolist())
    if len(y_true) != len(y_pred) or not y_true:
        raise fail("y_pred", f"{len(y_true)} labels (one per true label)", Described(f"{len(y_pred)} labels"))
    if labels is None:
        labels = list(dict.fromkeys(sorted(set(y_true) | set(y_pred), key=str)))
    index = {c: k for k, c in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred):
        counts[index[t], index[p]] += 1
    fig = new_figure(1.2 + 0.6 * max(4, len(labels)), 0.8 + 0.6 * max(4, len(labels)))
    ax = fig.add_subplot()
    image = ax.imshow(counts, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax)
    ticks = range(len(labels))
    ax.set_xticks(ticks, [str(c) for c in labels], rotation=45, ha="right")
    ax.set_yticks(ticks, [str(c) for c in labels])
    threshold = counts.max() / 2 if counts.max() else 1
    for i in ticks:
        for j in ticks:
            ax.text(
                j,
                i,
                str(counts[i, j]),
                ha="center",
                va="center",
                color="white" if counts[i, j] > threshold else "black",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    if path is not None:
        save_png(fig, path)
    return fig

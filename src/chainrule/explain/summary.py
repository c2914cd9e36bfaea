"""A per-layer summary of one training step: what to read when a trace would be too long.

For a network of any size, :func:`layer_summary` reports per layer the ranges
of net and out, the size of the deltas, of the gradients and of the update
``eta * dE/dW`` relative to the weights -- the numbers that say whether a
layer learns, saturates or explodes -- from the engine's own forward and
backward pass on one sample.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.json_numbers import dumps
from ..core.validation import check_positive_float
from .render.numbers import number

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = ["LayerSummary", "layer_summary", "render_summary"]


@dataclass(frozen=True)
class LayerSummary:
    """One layer's step. Norms are Euclidean (Frobenius for matrices)."""

    layer: str
    neurons: int
    activation: str
    parameters: int
    net_min: float
    net_max: float
    out_min: float
    out_max: float
    delta_max_abs: float
    weight_norm: float
    gradient_norm: float
    gradient_max_abs: float
    update_norm: float
    relative_update: float


def layer_summary(network: "Network", x: Any, y: Any, learning_rate: float) -> tuple[float, list[LayerSummary]]:
    """``(E_total, rows)``: one row per layer for one sample ``x`` ``(n_inputs,)`` with targets ``y``."""
    eta = check_positive_float(learning_rate, "learning_rate")
    work = network.copy()
    X = np.reshape(np.asarray(x, dtype=float), (1, -1))
    Y = np.reshape(np.asarray(y, dtype=float), (1, -1))
    error, grads = work.gradients(X, Y)
    rows = []
    for k, (layer, grad) in enumerate(zip(work.layers, grads)):
        g = np.concatenate([grad["W"].ravel(), grad.get("b", np.zeros(0)).ravel()]).astype(np.float64)
        params = np.concatenate([layer.W.ravel(), layer.b.ravel() if layer.train_bias else np.zeros(0)])
        weight_norm = float(np.linalg.norm(params.astype(np.float64)))
        update = eta * float(np.linalg.norm(g))
        rows.append(LayerSummary(
            layer=f"layer {k + 1} ({'output' if k == len(work.layers) - 1 else 'hidden'})",
            neurons=layer.n_out,
            activation=layer.activation.name,
            parameters=layer.W.size + layer.b.size,
            net_min=float(layer.z.min()), net_max=float(layer.z.max()),
            out_min=float(layer.a.min()), out_max=float(layer.a.max()),
            delta_max_abs=float(np.abs(layer.dz).max()),
            weight_norm=weight_norm,
            gradient_norm=float(np.linalg.norm(g)),
            gradient_max_abs=float(np.abs(g).max()) if g.size else 0.0,
            update_norm=update,
            relative_update=update / weight_norm if weight_norm > 0 else float("inf"),
        ))
    return float(error), rows


_COLUMNS = [
    ("layer", "layer"), ("neurons", "neurons"), ("activation", "activation"), ("parameters", "params"),
    ("net_min", "net min"), ("net_max", "net max"), ("out_min", "out min"), ("out_max", "out max"),
    ("delta_max_abs", "max |delta|"), ("gradient_norm", "|dE/dW|"), ("gradient_max_abs", "max |dE/dW|"),
    ("update_norm", "|update|"), ("relative_update", "|update|/|W|"),
]


def render_summary(network: "Network", error: float, rows: list[LayerSummary], learning_rate: float,
                   fmt: str = "text", precision: int = 4) -> str:
    """The summary as ``text`` (an aligned table), ``markdown``, ``latex`` or ``json``."""
    head = (f"Per-layer summary of one step: network sizes {network.sizes}, loss {network.loss_function.name}, "
            f"eta = {number(learning_rate, precision)}, E_total = {number(error, precision)}")
    if fmt == "json":
        return dumps({"schema": "chainrule.layer-summary/1", "sizes": network.sizes,
                      "loss": network.loss_function.config(), "learning_rate": learning_rate,
                      "E_total": error, "layers": [asdict(r) for r in rows]}, indent=2)

    def cell(row: LayerSummary, key: str) -> str:
        value = getattr(row, key)
        return number(value, precision) if isinstance(value, float) else str(value)

    headers = [title for _, title in _COLUMNS]
    table = [[cell(r, key) for key, _ in _COLUMNS] for r in rows]
    if fmt == "markdown":
        lines = ["# Per-layer summary", "", head.split(": ", 1)[1] + ".", "",
                 "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(r) + " |" for r in table]
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        from .render.latex import escape

        lines = [r"\documentclass[10pt]{article}", r"\usepackage[landscape,margin=1.5cm]{geometry}",
                 r"\begin{document}", r"\section*{Per-layer summary}", escape(head.split(": ", 1)[1]) + ".", "",
                 r"\begin{tabular}{" + "l" * 3 + "r" * (len(headers) - 3) + "}",
                 " & ".join(escape(h) for h in headers) + r" \\ \hline"]
        lines += [" & ".join(escape(c) for c in r) + r" \\" for r in table]
        lines += [r"\end{tabular}", r"\end{document}"]
        return "\n".join(lines) + "\n"
    widths = [max(len(h), *(len(r[k]) for r in table)) for k, h in enumerate(headers)]
    lines = [head, ""]
    lines.append("  ".join(h.rjust(w) if k >= 3 else h.ljust(w) for k, (h, w) in enumerate(zip(headers, widths))))
    for r in table:
        lines.append("  ".join(c.rjust(w) if k >= 3 else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines) + "\n"

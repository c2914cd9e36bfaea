"""A per-layer summary of one training step: what to read when a trace would be too long.

For a network of any size, :func:`layer_summary` reports per layer the ranges
of net and out, the size of the deltas, of the gradients and of the update
``eta * dE/dW`` relative to the weights -- the numbers that say whether a
layer learns, saturates or explodes -- from the engine's own forward and
backward pass on one sample.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.json_numbers import dumps
from ..core.validation import check_positive_float
from ..i18n import DEFAULT_LANGUAGE, N_, translator
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


def layer_summary(network: Network, x: Any, y: Any, learning_rate: float) -> tuple[float, list[LayerSummary]]:
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
        rows.append(
            LayerSummary(
                layer=f"layer {k + 1} ({'output' if k == len(work.layers) - 1 else 'hidden'})",
                neurons=layer.n_out,
                activation=layer.activation.name,
                parameters=layer.W.size + layer.b.size,
                net_min=float(layer.z.min()),
                net_max=float(layer.z.max()),
                out_min=float(layer.a.min()),
                out_max=float(layer.a.max()),
                delta_max_abs=float(np.abs(layer.dz).max()),
                weight_norm=weight_norm,
                gradient_norm=float(np.linalg.norm(g)),
                gradient_max_abs=float(np.abs(g).max()) if g.size else 0.0,
                update_norm=update,
                relative_update=update / weight_norm if weight_norm > 0 else float("inf"),
            )
        )
    return float(error), rows


def _width(text: str) -> int:
    """Terminal columns of ``text``: two for each wide (East Asian) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_COLUMNS = [
    ("layer", N_("layer")),
    ("neurons", N_("neurons")),
    ("activation", N_("activation")),
    ("parameters", N_("params")),
    ("net_min", N_("net min")),
    ("net_max", N_("net max")),
    ("out_min", N_("out min")),
    ("out_max", N_("out max")),
    ("delta_max_abs", N_("max |delta|")),
    ("gradient_norm", N_("|dE/dW|")),
    ("gradient_max_abs", N_("max |dE/dW|")),
    ("update_norm", N_("|update|")),
    ("relative_update", N_("|update|/|W|")),
]


def render_summary(
    network: Network,
    error: float,
    rows: list[LayerSummary],
    learning_rate: float,
    fmt: str = "text",
    precision: int = 4,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """The summary as ``text`` (an aligned table), ``markdown``, ``latex`` or ``json``; its words in ``lang``."""
    tr = translator(lang)
    title = tr("Per-layer summary")
    facts = tr(
        "network sizes {sizes}, loss {loss}, eta = {eta}, E_total = {error}",
        sizes=network.sizes,
        loss=network.loss_function.name,
        eta=number(learning_rate, precision),
        error=number(error, precision),
    )
    head = tr("Per-layer summary of one step: {facts}", facts=facts)
    if fmt == "json":
        return dumps(
            {
                "schema": "chainrule.layer-summary/1",
                "sizes": network.sizes,
                "loss": network.loss_function.config(),
                "learning_rate": learning_rate,
                "E_total": error,
                "layers": [asdict(r) for r in rows],
            },
            indent=2,
        )

    def cell(k: int, row: LayerSummary, key: str) -> str:
        if key == "layer":  # "layer 1 (hidden)", in the language asked for
            role = tr("output") if k == len(rows) - 1 else tr("hidden")
            return tr("layer {number} ({role})", number=k + 1, role=role)
        value = getattr(row, key)
        return number(value, precision) if isinstance(value, float) else str(value)

    headers = [tr.gettext(heading) for _, heading in _COLUMNS]
    table = [[cell(k, r, key) for key, _ in _COLUMNS] for k, r in enumerate(rows)]
    if fmt == "markdown":
        lines = [f"# {title}", "", facts + ".", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(r) + " |" for r in table]
        return "\n".join(lines) + "\n"
    if fmt == "latex":
        from .render.latex import document_setup, escape

        preamble, begin, end = document_setup(tr.lang)
        lines = [
            r"\documentclass[10pt]{article}",
            r"\usepackage[landscape,margin=1.5cm]{geometry}",
            *([preamble.rstrip()] if preamble else []),
            r"\begin{document}",
            *([begin] if begin else []),
            r"\section*{" + escape(title) + "}",
            escape(facts) + ".",
            "",
            r"\begin{tabular}{" + "l" * 3 + "r" * (len(headers) - 3) + "}",
            " & ".join(escape(h) for h in headers) + r" \\ \hline",
        ]
        lines += [" & ".join(escape(c) for c in r) + r" \\" for r in table]
        lines += [r"\end{tabular}", *([end] if end else []), r"\end{document}"]
        return "\n".join(lines) + "\n"
    widths = [max(_width(h), *(_width(r[k]) for r in table)) for k, h in enumerate(headers)]

    def pad(text: str, k: int) -> str:  # by the width a terminal shows (a Chinese character takes two columns)
        fill = " " * (widths[k] - _width(text))
        return fill + text if k >= 3 else text + fill

    lines = [head, ""]
    lines.append("  ".join(pad(h, k) for k, h in enumerate(headers)))
    for r in table:
        lines.append("  ".join(pad(c, k) for k, c in enumerate(r)))
    return "\n".join(lines) + "\n"

"""Gradient checking: backpropagation against central finite differences.

For every weight and trainable bias ``p`` the numerical derivative uses the
fourth-order central difference

    dE/dp ~ [E(p - 2h) - 8 E(p - h) + 8 E(p + h) - E(p + 2h)] / (12 h)

whose truncation error is O(h^4), so that with ``h = 1e-3`` both truncation
(~1e-12) and rounding (~1e-13) stay far below the errors a wrong derivative
makes. The check always runs on a float64 copy of the network.

Some activations have kinks, values of z where no finite difference is
meaningful: ReLU and leaky ReLU at 0, ELU at 0, softplus where it switches to
the identity; each activation lists its own (:attr:`Activation.kinks
<chainrule.core.activations.Activation.kinks>`). When a step of +-2h moves any
pre-activation of a layer across one of its activation's kinks, the step is
divided by 10 (down to ``h * 1e-4``); an element whose every step crosses a
kink is left out of the maxima and counted in ``kinks``.

The relative error of one element is ``|g_bp - g_fd| / max(|g_bp|, |g_fd|, floor)``
(0 where both are 0). ``floor`` (default 1e-6) makes gradient elements smaller
than it count by absolute error: for them the difference's own rounding noise
(~1e-13) would otherwise read as a large relative error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import Described
from .validation import as_2d, check_positive_float, check_positive_int, fail

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "MAX_GRADCHECK_WORK",
    "GradCheckRow",
    "check_gradcheck_size",
    "check_gradients",
    "format_gradcheck",
    "gradcheck_work",
]


@dataclass(frozen=True)
class GradCheckRow:
    """One parameter array's comparison."""

    parameter: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    max_abs_gradient: float
    kinks: int = 0


#: Default bound on ``samples x parameters**2``, the finite differences' cost in multiply-adds over 4
#: (each parameter takes at least 4 passes over the samples); about ten seconds of NumPy.
MAX_GRADCHECK_WORK = 10**10


def gradcheck_work(n_samples: int, n_parameters: int) -> int:
    """The cost measure :func:`check_gradients` bounds: ``n_samples * n_parameters**2``."""
    return n_samples * n_parameters * n_parameters


def check_gradcheck_size(
    n_samples: int,
    n_parameters: int,
    max_work: int = MAX_GRADCHECK_WORK,
    what: str = "network",
    hint: str = "pass max_work= to allow more",
) -> None:
    """Refuse a check whose cost (:func:`gradcheck_work`) exceeds ``max_work``, before any of it is done."""
    work = gradcheck_work(n_samples, n_parameters)
    if work > max_work:
        raise fail(
            what,
            f"a gradient check of at most {max_work:.3g} samples x parameters^2 (finite differences "
            f"take 4 passes over the samples per parameter; {hint})",
            Described(f"{n_samples} samples x {n_parameters} parameters^2 = {work:.3g}"),
        )


def check_gradients(
    network: Network,
    X: Any,
    Y: Any,
    *,
    h: float = 1e-3,
    floor: float = 1e-6,
    max_work: int = MAX_GRADCHECK_WORK,
) -> list[GradCheckRow]:
    """Compare backpropagated gradients with finite differences, parameter by parameter.

    Parameters
    ----------
    network : Network
        Left unchanged; a float64 copy is checked.
    X, Y : arrays ``(n, n_inputs)`` and ``(n, n_outputs)``
    h : float
        Finite-difference step.
    floor : float
        Smallest denominator of the relative error.
    max_work : int
        Refuse (before any work) a check of more than this many samples x
        parameters^2 (default :data:`MAX_GRADCHECK_WORK`).

    Returns
    -------
    list of GradCheckRow
        One row per trainable weight or bias array, in network order.
    """
    from .network import Network  # at call time: the network module is built on this package's modules

    if not isinstance(network, Network):
        raise fail("network", "a chainrule Network", network)
    h = check_positive_float(h, "h")
    floor = check_positive_float(floor, "floor")
    max_work = check_positive_int(max_work, "max_work")
    X = as_2d(X, "X", np.dtype(np.float64), network.n_inputs)
    check_gradcheck_size(X.shape[0], network.n_parameters(), max_work)  # before the float64 copy
    net = network.astype(np.float64)
    X = net.check_inputs(X)
    Y = net.check_targets(Y, X.shape[0])
    _, analytic = net.gradients(X, Y)
    _, pattern = _loss_and_pattern(net, X, Y)
    rows = []
    for layer, grads in zip(net.layers, analytic):
        for key, grad in grads.items():
            values = layer.W if key == "W" else layer.b
            numeric = np.full(values.shape, np.nan)
            for index in np.ndindex(values.shape):
                numeric[index] = _central_difference(net, X, Y, values, index, h, pattern)
            kinked = np.isnan(numeric)
            abs_err = np.where(kinked, 0.0, np.abs(grad - numeric))
            scale = np.maximum(np.maximum(np.abs(grad), np.abs(np.nan_to_num(numeric))), floor)
            rel_err = np.where(abs_err == 0, 0.0, abs_err / scale)
            rows.append(
                GradCheckRow(
                    parameter=f"{layer.name}.{key}",
                    shape=values.shape,
                    max_abs_error=float(abs_err.max()),
                    max_rel_error=float(rel_err.max()),
                    max_abs_gradient=float(np.abs(grad).max()),
                    kinks=int(kinked.sum()),
                )
            )
    return rows


def _central_difference(
    net: Network, X: np.ndarray, Y: np.ndarray, values: np.ndarray, index: tuple[int, ...], h: float, pattern: bytes
) -> float:
    """Fourth-order central difference of the loss in ``values[index]``; NaN if only kinks are met."""
    original = values[index]
    step = h
    try:
        while step >= h * 1e-4:
            losses = []
            for shift in (-2, -1, 1, 2):
                values[index] = original + shift * step
                loss, perturbed = _loss_and_pattern(net, X, Y)
                if perturbed != pattern:
                    break
                losses.append(loss)
            else:
                return (losses[0] - 8 * losses[1] + 8 * losses[2] - losses[3]) / (12 * step)
            step /= 10
        return float("nan")
    finally:
        values[index] = original


def _loss_and_pattern(net: Network, X: np.ndarray, Y: np.ndarray) -> tuple[float, bytes]:
    """The loss, and on which side of each of its activation's kinks every pre-activation lies."""
    result = net.infer(X, return_logits=True, return_layers=True)
    assert result.layers is not None and result.logits is not None  # both asked for
    sides = [
        np.packbits(seen.z > kink).tobytes()
        for layer, seen in zip(net.layers, result.layers)
        for kink in layer.activation.kinks
    ]
    return net.loss_function.value(result.outputs, result.logits, Y), b"|".join(sides)


def format_gradcheck(rows: list[GradCheckRow]) -> str:
    """An aligned text table of :func:`check_gradients`'s rows."""
    header = ("parameter", "shape", "max |grad|", "max abs error", "max rel error", "kinks")
    body = [
        (
            r.parameter,
            "x".join(map(str, r.shape)),
            f"{r.max_abs_gradient:.3e}",
            f"{r.max_abs_error:.3e}",
            f"{r.max_rel_error:.3e}",
            str(r.kinks),
        )
        for r in rows
    ]
    widths = [max(len(str(line[c])) for line in [header, *body]) for c in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(w) if c == 0 else str(cell).rjust(w) for c, (cell, w) in enumerate(zip(line, widths)))
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

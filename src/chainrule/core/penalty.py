"""The L2 penalty on a network's weights, as scikit-learn's MLP defines ``alpha``.

For one batch of ``n_batch`` rows (the whole batch's rows in a data-parallel
run), with ``W_l`` the weight matrix of layer ``l``::

    E      += 0.5 * alpha * sum_l ||W_l||^2 / n_batch
    dE/dW_l += alpha * W_l / n_batch

Biases are not penalised. Dividing by the batch's rows keeps the penalty's
share of the loss the same whatever the batch size: over an epoch of batches
the penalty weighs as ``0.5 * alpha * ||W||^2 / n_samples`` would on the whole
data set. This is not ``weight_decay`` (a torch optimizer's ``weight_decay *
w`` on every value's gradient, biases included, not divided by the batch).

:meth:`chainrule.Network.train_step` applies it (``l2=alpha``) after the
batch's gradients are complete (summed over every process), before the
divergence check, so that the step's loss, gradients and update all include it.
"""

from __future__ import annotations

import math
import weakref
from typing import TYPE_CHECKING

import numpy as np

from .validation import check_positive_float

if TYPE_CHECKING:
    from .network import Network

__all__ = ["add_l2_penalty", "check_l2", "l2_penalty_value"]

# One scratch array per network (its largest weight matrix's size), so that a step allocates nothing.
_SCRATCH: weakref.WeakKeyDictionary[Network, np.ndarray] = weakref.WeakKeyDictionary()


def check_l2(alpha: float, what: str = "l2") -> float:
    """``alpha`` as a finite float >= 0 (the library's error naming ``what`` otherwise)."""
    return check_positive_float(alpha, what, allow_zero=True)


def l2_penalty_value(network: Network, alpha: float, n_batch: int) -> float:
    """``0.5 * alpha * sum_l ||W_l||^2 / n_batch``: the penalty's share of a batch's loss."""
    total = 0.0
    for layer in network.layers:
        w = layer.weight.value.reshape(-1)  # a view: the weights are contiguous in the buffer
        total += float(np.dot(w, w))
    return 0.5 * alpha * total / n_batch


def add_l2_penalty(network: Network, alpha: float, n_batch: int) -> float:
    """Add ``alpha * W_l / n_batch`` to every trainable weight gradient; return the loss term.

    ``n_batch``: the rows of the whole batch the gradients are of (> 0).
    Allocates nothing after the first call for a network.
    """
    if n_batch <= 0 or not alpha:
        return 0.0
    scale = alpha / n_batch
    scratch = _SCRATCH.get(network)
    largest = max(layer.weight.value.size for layer in network.layers)
    if scratch is None or scratch.size < largest or scratch.dtype != network.dtype:
        scratch = _SCRATCH[network] = np.empty(largest, dtype=network.dtype)
    total = 0.0
    for layer in network.layers:
        weight = layer.weight
        if not weight.trainable:
            continue
        w = weight.value.reshape(-1)
        total += float(np.dot(w, w))
        step = scratch[: w.size]
        np.multiply(w, scale, out=step)
        g = weight.grad.reshape(-1)
        g += step
    value = 0.5 * alpha * total / n_batch
    return value if math.isfinite(value) else math.inf

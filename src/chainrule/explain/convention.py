"""Many updates under a hidden-deltas convention, fast: the engine's step, with the update moved.

The tutorial's readers reproduce a published mistake: the paths into a hidden
neuron use the *already updated* weights of the next layer
(``dE_o1/dout_h1 = delta_o1 * w5+``). :func:`~chainrule.explain.trace.build_trace`
shows one such step; :func:`train_with_convention` runs N of them without
building a trace, on the engine's own arrays:

=============  ==================================================================
convention     one update, layer by layer from the output
=============  ==================================================================
``original``   delta, dE/dW; ``dE/dX = delta @ W.T``; then ``W -= eta * dE/dW``
               (the chain rule: the same update as :meth:`Network.train`)
``updated``    delta, dE/dW; ``W -= eta * dE/dW``; then ``dE/dX = delta @ W.T``
               with the updated ``W`` (the mistake)
=============  ==================================================================

Each step is the engine's forward pass (:meth:`Dense.forward_unchecked`), the
loss's ``value_and_delta``, each layer's ``backward``/``backward_delta`` and the
same plain gradient-descent arithmetic as :class:`chainrule.optim.SGD`
(``step = dE/dW * eta; W = W - step``), into buffers reserved once: after the
first update a step allocates no array.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import DivergenceError
from ..core.validation import check_positive_float, check_positive_int, fail
from ..i18n import N_

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = ["HIDDEN_DELTAS", "HIDDEN_DELTA_PHRASES", "train_with_convention"]

#: Which weights the paths into a hidden neuron use: the chain rule's, or the published mistake's.
HIDDEN_DELTAS = ("original", "updated")
#: Each convention in a phrase, for the renderers' headers and the explorer's messages.
HIDDEN_DELTA_PHRASES = {
    "original": N_("hidden deltas from the original weights"),
    "updated": N_("hidden deltas from the ALREADY UPDATED weights (a published mistake)"),
}


def _rows(network: Network, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x``, ``y`` as checked 2-D batches; a 1-D ``x`` is one sample (as in the trace)."""
    x_arr, y_arr = np.asarray(x), np.asarray(y)
    if x_arr.ndim == 1:
        x_arr = x_arr.reshape(1, -1)
    X = network.check_inputs(x_arr, "x")
    if y_arr.ndim == 1 and X.shape[0] == 1:
        y_arr = y_arr.reshape(1, -1)
    return X, network.check_targets(y_arr, X.shape[0], "y")


def train_with_convention(
    network: Network,
    x: Any,
    y: Any,
    learning_rate: float,
    updates: int,
    *,
    hidden_deltas: str = "updated",
) -> list[float]:
    """Run ``updates`` steps of plain gradient descent on ``(x, y)`` under a hidden-deltas convention.

    Parameters
    ----------
    network : Network
        Trained in place, as by :meth:`Network.train`.
    x : array ``(n_inputs,)`` (one sample, as in the tutorial) or ``(n, n_inputs)`` (a full batch)
    y : array ``(n_outputs,)`` or ``(n, n_outputs)``
    learning_rate : float
        ``eta`` of ``w+ = w - eta * dE_total/dw``.
    updates : int
        How many updates.
    hidden_deltas : {"updated", "original"}
        ``"updated"`` (the default here, since this function exists for it):
        each layer is updated before its deltas are sent back, so the paths
        into a hidden layer use the next layer's updated weights, the
        published mistake; for one sample in float64 every weight equals,
        bit for bit, what ``trace_steps(..., hidden_deltas="updated")`` updates
        it to. ``"original"``: the chain rule, bit for bit the weights and
        losses of ``network.train(x, y, learning_rate=..., epochs=updates,
        shuffle=False)``.

    Returns
    -------
    list of float
        The error E before each update (``updates`` numbers), as :meth:`Network.train`
        returns them for a full batch.

    Raises
    ------
    DivergenceError
        At the first update whose loss, gradients or new weights are not
        finite; the weights are then those before that update (``epoch`` and
        ``step`` are both the update's number, as for :meth:`Network.train`
        with a full batch).
    """
    eta = check_positive_float(learning_rate, "learning_rate")
    updates = check_positive_int(updates, "updates")
    if hidden_deltas not in HIDDEN_DELTAS:
        raise fail("hidden_deltas", f"one of {list(HIDDEN_DELTAS)}", hidden_deltas)
    X, Y = _rows(network, x, y)
    update_first = hidden_deltas == "updated"

    # Everything a step touches, reserved once.
    n, layers, loss = X.shape[0], network.layers, network.loss_function
    network.reserve(n)
    spaces = [layer.workspace(n) for layer in layers]
    transposed = [layer.weight.value.T for layer in layers]  # views, made once
    # (W, dE/dW, scratch) and, for a trainable bias, (b, dE/db, scratch): the SGD update's arrays.
    rules = [
        [(layer.weight.value, layer.weight.grad, np.empty_like(layer.weight.value))]
        + ([(layer.bias.value, layer.bias.grad, np.empty_like(layer.bias.value))] if layer.train_bias else [])
        for layer in layers
    ]
    values = network.buffer.trainable_values
    before = np.empty_like(values)
    ones = np.ones_like(values)
    errors = np.empty(updates)
    top = len(layers) - 1
    last, output = layers[top], spaces[top]

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(updates):
            np.copyto(before, values)
            a = X
            for layer in layers:
                a = layer.forward_unchecked(a)
            value = loss.value_and_delta(output.a, output.z, Y, last.activation, out=output.dz)
            grad = None
            for l in range(top, -1, -1):
                layer, space = layers[l], spaces[l]
                if l == top:
                    layer.backward_delta(need_input_grad=False)
                else:
                    assert grad is not None  # sent back by the layer above
                    layer.backward(grad, need_input_grad=False)
                if l > 0 and not update_first:  # the chain rule: send the deltas back through W
                    grad = np.dot(space.dz, transposed[l], out=space.dx)
                for param, gradient, step in rules[l]:
                    np.multiply(gradient, eta, out=step)
                    np.subtract(param, step, out=param)
                if l > 0 and update_first:  # the published mistake: through the updated W
                    grad = np.dot(space.dz, transposed[l], out=space.dx)
            errors[k] = value
            if not (math.isfinite(value) and math.isfinite(np.dot(values, ones))):
                _diverged(network, before, value, k + 1)
    history: list[float] = errors.tolist()
    return history


def _diverged(network: Network, before: np.ndarray, loss: float, update: int) -> None:
    """Put back the weights from before update ``update`` and raise, naming the first non-finite array."""
    where = "the update"
    for layer in network.layers:
        if not np.isfinite(layer.W).all() or not np.isfinite(layer.b).all():
            where = f"the update of {layer.name} " + ("weights W" if not np.isfinite(layer.W).all() else "biases b")
            break
    np.copyto(network.buffer.trainable_values, before)
    # A non-finite loss or gradient is named as the engine names it; otherwise the update overflowed.
    network.check_finite(loss, epoch=update, step=update)
    raise DivergenceError(epoch=update, step=update, where=where, loss=loss)

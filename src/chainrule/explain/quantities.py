"""Every named quantity of one training step on one sample, the tutorial's way.

The forward values (net, out) come from the engine's forward pass. The
backward values are re-derived here scalar by scalar with the chain rule, as
the tutorial does by hand -- dE/dout, dout/dnet, their product delta, each
path into a hidden neuron and their sum -- so that comparing them with the
engine's vectorised gradients is a real check of both.

Names (see :mod:`chainrule.explain.naming` for neurons and parameters):

==========================  ======================================================
``i1``, ``net_h1``, ``out_h1``  input value, pre-activation, activation
``E_o1``, ``E_total``       each output's share of the error, and their sum
``dE_total/dout_o1``        derivative of the error with respect to an output
``dout_o1/dnet_o1``         the activation's derivative (softmax: the Jacobian's diagonal)
``dout_o2/dnet_o1``         softmax only: an off-diagonal Jacobian entry, ``-out_o2 * out_o1``
``delta_o1``                dE_total/dnet_o1
``dnet_o1/dw5``             the value the weight multiplies (source neuron's out, or input)
``dE_total/dw5``            delta of the target times dnet/dw
``dE_o1/dout_h1``           the path from out_h1 through o1: delta_o1 * w5
``dE_total/dout_h1``        the sum of every path into out_h1
``dE_total/db1``            for trainable biases only: the delta, or the layer's sum of deltas if shared
``w5+``, ``b1+``            the updated values ``w - eta * dE_total/dw``
==========================  ======================================================

``hidden_deltas="updated"`` reproduces a published mistake: the paths into a
hidden neuron use the *already updated* weights of the following layer
(``dE_o1/dout_h1 = delta_o1 * w5+``), so the hidden layers' values are then not
the gradient. The default ``"original"`` is the chain rule (and the tutorial).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.validation import fail
from .naming import Naming

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = ["step_quantities"]


HIDDEN_DELTAS = ("original", "updated")


def step_quantities(
    network: "Network", x: Any, y: Any, learning_rate: float, hidden_deltas: str = "original"
) -> dict[str, float]:
    """Named values of one forward pass, error, backward pass and update.

    ``x``: one sample, shape ``(n_inputs,)`` or ``(1, n_inputs)``; ``y``: its
    targets. ``hidden_deltas``: ``"original"`` (the chain rule) or ``"updated"``
    (see the module docstring). Nothing in ``network`` is changed.
    """
    if hidden_deltas not in HIDDEN_DELTAS:
        raise fail("hidden_deltas", f"one of {list(HIDDEN_DELTAS)}", hidden_deltas)
    eta = float(learning_rate)
    x = network.check_inputs(np.reshape(x, (1, -1)), "x")
    y = network.check_targets(np.reshape(y, (1, -1)), 1, "y")
    naming = Naming.of(network)
    q: dict[str, float] = {}

    # Forward pass, from the engine's inference pass (the network's caches are untouched).
    seen = network.infer(x, return_layers=True).layers
    assert seen is not None
    outs = [x[0].astype(np.float64)] + [layer.a[0].astype(np.float64) for layer in seen]
    nets = [layer.z[0].astype(np.float64) for layer in seen]
    for name, value in zip(naming.inputs, outs[0]):
        q[name] = float(value)
    for l, layer_names in enumerate(naming.neurons[1:]):
        for j, name in enumerate(layer_names):
            q[f"net_{name}"] = float(nets[l][j])
            q[f"out_{name}"] = float(outs[l + 1][j])

    # Error.
    a_out, z_out = outs[-1][None, :], nets[-1][None, :]
    y64 = y.astype(np.float64)
    per_output = network.loss_function.per_output(a_out, z_out, y64)[0]
    for name, value in zip(naming.outputs, per_output):
        q[f"E_{name}"] = float(value)
    q["E_total"] = float(per_output.sum())

    # Backward, output layer first; deltas[l] holds dE/dnet of layer l's neurons.
    deltas: list[np.ndarray] = [np.empty(0)] * len(network.layers)
    grad_out = network.loss_function.gradient(a_out, y64)[0]
    for l in range(len(network.layers) - 1, -1, -1):
        layer = network.layers[l]
        names = naming.neurons[l + 1]
        if l < len(network.layers) - 1:
            following = naming.neurons[l + 2]
            W_next = network.layers[l + 1].W.astype(np.float64)
            if hidden_deltas == "updated":  # the published mistake: use w+ of the following layer
                W_next = W_next - eta * np.outer(outs[l + 1], deltas[l + 1])
            grad_out = np.zeros(len(names))
            for i, name in enumerate(names):
                for k, target in enumerate(following):
                    path = float(deltas[l + 1][k] * W_next[i, k])
                    q[f"dE_{target}/dout_{name}"] = path
                    grad_out[i] += path
        for j, name in enumerate(names):
            q[f"dE_total/dout_{name}"] = float(grad_out[j])
        derivative = layer.activation.derivative_from(
            z=nets[l][None, :], a=outs[l + 1][None, :], out=np.empty((1, len(names)))
        )[0]
        if layer.activation.elementwise:
            delta = grad_out * derivative
        else:  # softmax: the full (symmetric) Jacobian, not only its diagonal
            delta = layer.activation.jacobian(outs[l + 1]) @ grad_out
        deltas[l] = delta
        for j, name in enumerate(names):
            q[f"dout_{name}/dnet_{name}"] = float(derivative[j])
            q[f"delta_{name}"] = float(delta[j])
        if not layer.activation.elementwise:
            jacobian = layer.activation.jacobian(outs[l + 1])
            for k, out_name in enumerate(names):
                for j, net_name in enumerate(names):
                    if k != j:
                        q[f"dout_{out_name}/dnet_{net_name}"] = float(jacobian[k, j])
        sources = naming.neurons[l]
        for j, target in enumerate(names):
            for i, source in enumerate(sources):
                w = naming.weight_between(l, i, j).name
                q[f"dnet_{target}/d{w}"] = float(outs[l][i])
                q[f"dE_total/d{w}"] = float(delta[j] * outs[l][i])
        if layer.train_bias:
            for p in naming.biases:
                if p.layer == l:
                    q[f"dE_total/d{p.name}"] = float(
                        delta.sum() if layer.bias_mode == "shared" else delta[p.index[0]]
                    )

    # Update: w+ = w - eta * dE_total/dw (frozen biases keep their values).
    for p in naming.weights:
        q[f"{p.name}+"] = naming.get(network, p.name) - eta * q[f"dE_total/d{p.name}"]
    for p in naming.biases:
        if network.layers[p.layer].train_bias:
            q[f"{p.name}+"] = naming.get(network, p.name) - eta * q[f"dE_total/d{p.name}"]
    return q

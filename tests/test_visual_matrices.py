"""The matrix view: each layer's vectors and matrices hold the trace's names, and the engine's numbers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from chainrule import Network
from chainrule.explain import build_trace, tutorial_network
from chainrule.explain.matrices import layer_matrices
from chainrule.visual.matrices import matrix_panels

CASES = [
    ("tutorial", lambda: tutorial_network(), [0.05, 0.1], [0.01, 0.99], "original"),
    (
        "softmax 3-4-3",
        lambda: Network.from_sizes(
            [3, 4, 3],
            "tanh",
            output_activation="softmax",
            loss="categorical_cross_entropy",
            seed=2,
            bias="per_neuron",
            train_bias=True,
        ),
        [0.5, -1.0, 2.0],
        [0.0, 1.0, 0.0],
        "original",
    ),
    (
        "deep, updated",
        lambda: Network.from_sizes([2, 3, 2, 2], "sigmoid", seed=5, bias="shared", train_bias=True),
        [0.3, 0.8],
        [0.2, 0.9],
        "updated",
    ),
]


def _engine(network, x, y):
    """The engine's own arrays for one sample: W, out, and the vectorised backward pass's dE/dW, dE/db."""
    X, Y = network.check_inputs(np.array([x]), "x"), network.check_targets(np.array([y]), 1, "y")
    seen = network.infer(X, return_layers=True).layers
    network.loss_and_gradients(X, Y)
    return (
        [layer.W.copy() for layer in network.layers],
        [s.a[0].copy() for s in seen],
        [layer.weight.grad.copy() for layer in network.layers],
        [layer.bias.grad.copy() if layer.train_bias else None for layer in network.layers],
    )


@pytest.mark.parametrize("label, make, x, y, convention", CASES, ids=[c[0] for c in CASES])
def test_the_matrices_are_the_engines_arrays(label, make, x, y, convention):
    network = make()
    trace = build_trace(network, x, y, 0.5, hidden_deltas=convention)
    W, outs, dW, db = _engine(network.copy(), x, y)
    v = trace.values()
    grid = lambda names: np.array([[v[n] for n in row] for row in names])  # noqa: E731
    for m in layer_matrices(trace):
        l = m.layer
        np.testing.assert_array_equal(grid(m.weights), W[l])  # the trace's orientation is the engine's
        np.testing.assert_array_equal([v[n] for n in m.out], outs[l])
        if convention == "original":  # the chain rule: the engine's vectorised gradients, to rounding
            np.testing.assert_allclose(grid(m.gradients), dW[l], rtol=1e-13, atol=1e-16)
            if m.bias_gradients is not None:
                np.testing.assert_allclose([v[n] for n in m.bias_gradients], db[l], rtol=1e-13, atol=1e-16)
        # dE/dW = a^T delta, an outer product; W+ = W - eta dE/dW.
        np.testing.assert_allclose(
            grid(m.gradients), np.outer([v[n] for n in m.inputs], [v[n] for n in m.delta]), rtol=1e-15, atol=0
        )
        np.testing.assert_allclose(grid(m.updated), W[l] - 0.5 * grid(m.gradients), rtol=1e-15, atol=1e-17)
        if m.next_weights is not None:  # dE/dout = delta_next W_next^T, with W or W+ as the convention says
            assert all(n.endswith("+") == (convention == "updated") for row in m.next_weights for n in row)
            np.testing.assert_allclose(
                [v[n] for n in m.dE_dout], grid(m.next_weights) @ [v[n] for n in m.next_delta], rtol=1e-13
            )
        if m.elementwise:
            np.testing.assert_allclose(
                [v[n] for n in m.delta],
                np.multiply([v[n] for n in m.dE_dout], [v[n] for n in m.derivative]),
                rtol=1e-15,
            )
        else:  # softmax: delta = dE/dout J, J[k][j] = dout_k/dnet_j
            np.testing.assert_allclose(
                [v[n] for n in m.delta], np.array([v[n] for n in m.dE_dout]) @ grid(m.derivative), rtol=1e-12
            )


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td":
            self.cells.append((a["data-q"], a.get("data-value")))


@pytest.mark.parametrize("label, make, x, y, convention", CASES, ids=[c[0] for c in CASES])
def test_every_cell_is_a_named_quantity_with_its_value(label, make, x, y, convention):
    trace = build_trace(make(), x, y, 0.5, hidden_deltas=convention)
    panels = matrix_panels(trace, 4)
    assert list(panels) == ["setup", "forward", "error", "backward", "update"]
    for stage, html in panels.items():
        parser = _Cells()
        parser.feed(html)
        assert parser.cells, stage
        for name, value in parser.cells:
            assert float(value) == trace[name].value, (stage, name)
    assert "⊙" in panels["backward"] and "ᵀ" in panels["backward"]
    if label.startswith("softmax"):
        assert "Jacobian" in panels["backward"]


def test_hidden_cells_show_no_value():
    trace = build_trace(tutorial_network(), [0.05, 0.1], [0.01, 0.99], 0.5)
    html = matrix_panels(trace, 4, hidden={"delta_o1", "dE_total/dw5"})["backward"]
    parser = _Cells()
    parser.feed(html)
    hidden = [(n, v) for n, v in parser.cells if n in ("delta_o1", "dE_total/dw5")]
    assert hidden and all(v is None for _, v in hidden)
    assert repr(trace["delta_o1"].value) not in html
    assert re.search(r'data-q="delta_o1"[^>]*>\?</td>', html)

"""The explorer's matrix view: each stage of the step as equations of whole vectors and matrices.

Beside the neuron-by-neuron equations, the same step written with layers
(see :mod:`chainrule.explain.matrices` for the orientation): ``net = a W + b``;
``delta = dE/dout * f'(net)``, ``dE/dout = delta_next W_next^T`` for a hidden
layer; ``dE/dW = a^T delta``; ``W+ = W - eta dE/dW``. Every entry is a table
cell carrying ``data-q`` (the trace's name) and ``data-value``, so the page
links it, element by element, to the diagram and to that quantity's equation;
its number is the trace's. Hidden names (practice) show ``?``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from html import escape

from ..explain import names as qn
from ..explain.matrices import LayerMatrices, layer_matrices
from ..explain.trace import Trace
from ..i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from .diagram import number_text

__all__ = ["matrix_panels"]

_LAYER_NOTE = N_(
    "chainrule stores W as inputs × outputs (w{first} in row {row}, column {col}), a sample as a row: "
    "written with columns and W as outputs × inputs, δ = (Wᵀ δ_next) ⊙ f′(net) is the same step."
)


class _Cells:
    def __init__(self, values: Mapping[str, float], digits: int, hidden: Collection[str], tr: Translator) -> None:
        self.values, self.digits, self.hidden, self.tr = values, digits, set(hidden), tr

    def cell(self, name: str) -> str:
        if name in self.hidden:
            return f'<td class="hidden" data-q="{escape(name)}" title="{escape(name)}">?</td>'
        value = float(self.values[name])
        return (
            f'<td data-q="{escape(name)}" data-value="{value!r}" title="{escape(name)}">'
            f'<span class="v">{escape(number_text(value, self.digits))}</span>'
            f'<span class="n">{escape(name)}</span></td>'
        )

    def matrix(self, label: str, rows: list[list[str]], shape: str | None = None) -> str:
        body = "".join("<tr>" + "".join(self.cell(n) for n in row) + "</tr>" for row in rows)
        caption = f'<span class="label">{label}</span>' + (f'<span class="shape">{shape}</span>' if shape else "")
        return f'<span class="term"><table class="mat">{body}</table>{caption}</span>'

    def row(self, label: str, names: list[str]) -> str:
        return self.matrix(label, [names], f"1×{len(names)}")

    def column(self, label: str, names: list[str]) -> str:
        return self.matrix(label, [[n] for n in names], f"{len(names)}×1")


def _op(text: str) -> str:
    return f'<span class="op">{text}</span>'


def _equation(*parts: str, title: str = "") -> str:
    head = f'<div class="mtitle">{title}</div>' if title else ""
    return f'<div class="mequation">{head}<div class="mterms">{"".join(parts)}</div></div>'


def _sub(text: str) -> str:
    return f"<sub>{escape(text)}</sub>"


def _layer_heading(trace: Trace, m: LayerMatrices, tr: Translator) -> str:
    last = m.layer == len(trace.layers) - 1
    title = (
        tr("output layer")
        if last
        else tr("hidden layer")
        if len(trace.layers) == 2
        else tr("hidden layer {number}", number=m.layer + 1)
    )
    activation = trace.layers[m.layer]["activation"]["name"]
    return (
        "<h4>"
        + escape(tr("layer {number}: {title} ({activation})", number=m.layer + 1, title=title, activation=activation))
        + "</h4>"
    )


def _forward(trace: Trace, m: LayerMatrices, c: _Cells) -> str:
    l = m.layer + 1
    bias = (
        (c.row(f"b{_sub(str(l))}", m.biases) + "")
        if not m.shared_bias
        else c.row(f"b{_sub(str(l))} " + escape(c.tr("(shared)")), m.biases)
    )
    return (
        _layer_heading(trace, m, c.tr)
        + _equation(
            c.row(f"net{_sub(str(l))}", m.net),
            _op("="),
            c.row(f"a{_sub(str(l - 1))}", m.inputs),
            c.matrix(f"W{_sub(str(l))}", m.weights, f"{len(m.weights)}×{len(m.weights[0])}"),
            _op("+"),
            bias,
        )
        + _equation(c.row(f"out{_sub(str(l))}", m.out), _op("="), f'<span class="op">f(net{_sub(str(l))})</span>')
    )


def _backward(trace: Trace, m: LayerMatrices, c: _Cells) -> str:
    l = m.layer + 1
    tr = c.tr
    parts = [_layer_heading(trace, m, tr)]
    last = m.layer == len(trace.layers) - 1
    if not last:
        assert m.next_weights is not None and m.next_delta is not None
        transposed = [list(col) for col in zip(*m.next_weights)]
        used = "W⁺" if m.next_weights and m.next_weights[0][0].endswith("+") else "W"
        parts.append(
            _equation(
                c.row(f"∂E/∂out{_sub(str(l))}", m.dE_dout),
                _op("="),
                c.row(f"δ{_sub(str(l + 1))}", m.next_delta),
                c.matrix(f"{used}{_sub(str(l + 1))}ᵀ", transposed, f"{len(transposed)}×{len(transposed[0])}"),
                title=escape(
                    tr(
                        "the error reaches this layer through the next layer's weights (already updated: the "
                        "published mistake)"
                    )
                    if used == "W⁺"
                    else tr("the error reaches this layer through the next layer's weights")
                ),
            )
        )
    else:
        parts.append(_equation(c.row(f"∂E/∂out{_sub(str(l))}", m.dE_dout), title=escape(tr("from the loss"))))
    if m.elementwise:
        parts.append(
            _equation(
                c.row(f"δ{_sub(str(l))}", m.delta),
                _op("="),
                c.row(f"∂E/∂out{_sub(str(l))}", m.dE_dout),
                _op("⊙"),
                c.row(f"f′(net{_sub(str(l))})", m.derivative),  # type: ignore[arg-type]
                title=escape(tr("⊙: element by element")),
            )
        )
    else:
        parts.append(
            _equation(
                c.row(f"δ{_sub(str(l))}", m.delta),
                _op("="),
                c.row(f"∂E/∂out{_sub(str(l))}", m.dE_dout),
                c.matrix(
                    f"J{_sub(str(l))}",
                    m.derivative,  # type: ignore[arg-type]
                    f"{len(m.derivative)}×{len(m.derivative)}",
                ),
                title=escape(tr("softmax: J[k, j] = ∂out_k/∂net_j, a full Jacobian")),
            )
        )
    parts.append(
        _equation(
            c.matrix(f"∂E/∂W{_sub(str(l))}", m.gradients, f"{len(m.gradients)}×{len(m.gradients[0])}"),
            _op("="),
            c.column(f"a{_sub(str(l - 1))}ᵀ", m.inputs),
            c.row(f"δ{_sub(str(l))}", m.delta),
            title=escape(tr("an outer product: row i is input i times the deltas")),
        )
    )
    if m.bias_gradients is not None:
        if m.shared_bias:
            parts.append(
                _equation(
                    c.row(f"∂E/∂b{_sub(str(l))}", m.bias_gradients),
                    _op("= Σ"),
                    c.row(f"δ{_sub(str(l))}", m.delta),
                    title=escape(tr("a shared bias: the sum of the deltas")),
                )
            )
        else:
            parts.append(
                _equation(c.row(f"∂E/∂b{_sub(str(l))}", m.bias_gradients), _op("="), c.row(f"δ{_sub(str(l))}", m.delta))
            )
    return "".join(parts)


def _update(trace: Trace, m: LayerMatrices, c: _Cells) -> str:
    l = m.layer + 1
    shape = f"{len(m.weights)}×{len(m.weights[0])}"
    parts = [
        _layer_heading(trace, m, c.tr),
        _equation(
            c.matrix(f"W{_sub(str(l))}⁺", m.updated, shape),
            _op("="),
            c.matrix(f"W{_sub(str(l))}", m.weights, shape),
            _op("−"),
            c.row("η", [qn.LEARNING_RATE]),
            c.matrix(f"∂E/∂W{_sub(str(l))}", m.gradients, shape),
        ),
    ]
    if m.updated_biases is not None and m.bias_gradients is not None:
        params = sorted(set(m.biases), key=m.biases.index)
        parts.append(
            _equation(
                c.row(f"b{_sub(str(l))}⁺", m.updated_biases),
                _op("="),
                c.row(f"b{_sub(str(l))}", params),
                _op("−"),
                c.row("η", [qn.LEARNING_RATE]),
                c.row(f"∂E/∂b{_sub(str(l))}", m.bias_gradients),
            )
        )
    return "".join(parts)


def _error(trace: Trace, c: _Cells) -> str:
    outputs = trace.neurons[-1]
    return _equation(
        c.row("E", [qn.error(o) for o in outputs]),
        _op("Σ →"),
        c.row("E_total", [qn.ERROR_TOTAL]),
        title=escape(c.tr("E_total is the sum of the outputs' shares")),
    )


def matrix_panels(
    trace: Trace, digits: int, hidden: Collection[str] = (), lang: str | Translator = DEFAULT_LANGUAGE
) -> dict[str, str]:
    """Explorer stage -> the HTML of that stage in matrix form (``setup`` shows the weight matrices), in ``lang``."""
    tr = lang if isinstance(lang, Translator) else translator(lang)
    c = _Cells(trace.values(), digits, hidden, tr)
    layers = layer_matrices(trace)
    first = layers[-1]
    note = tr(_LAYER_NOTE, first=first.weights[0][0][1:], row=trace.neurons[-2][0], col=trace.neurons[-1][0])
    setup = "".join(
        _layer_heading(trace, m, tr)
        + _equation(
            c.matrix(f"W{_sub(str(m.layer + 1))}", m.weights, f"{len(m.weights)}×{len(m.weights[0])}"),
            c.row(f"b{_sub(str(m.layer + 1))}", m.biases),
        )
        for m in layers
    )
    return {
        "setup": f'<p class="note">{escape(note)}</p>' + setup,
        "forward": "".join(_forward(trace, m, c) for m in layers),
        "error": _error(trace, c),
        # From the output back, as the step computes.
        "backward": "".join(_backward(trace, m, c) for m in reversed(layers)),
        "update": "".join(_update(trace, m, c) for m in reversed(layers)),
    }

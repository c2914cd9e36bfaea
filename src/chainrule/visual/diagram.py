"""SVG diagrams of small fully connected networks, optionally with one step's numbers.

The picture is the tutorial's lost figure: inputs on the left, one column per
layer, every connection labelled with its weight's name and value, and one
bias node per layer (a constant 1 feeding each neuron through its bias; the
connection is labelled with the bias's name, so a shared bias shows the same
name on every line).

An *overlay* adds the numbers of one training step, cumulatively, in the
order the step computes them:

=============  ===========================================================
``forward``    ``net`` and ``out`` beside every neuron
``error``      each output's target and ``E_o``; ``E_total`` in the corner
``backward``   each neuron's ``delta``; each connection's ``dE_total/dw``;
               the paths summed into one hidden neuron (``focus``) highlighted
               with their contributions ``dE_o/dout_h``
``update``     each connection's updated weight ``w+`` (biases too, when trained)
=============  ===========================================================

Every element that shows a named quantity carries ``data-q`` (its name, as in
:mod:`chainrule.explain.naming`) and ``data-value`` (the full-precision
number), so a page can highlight it and a test can read it back.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Iterable, Mapping

from ..core.validation import check_positive_int, fail
from ..explain import names as qn
from ..explain.naming import Naming

if TYPE_CHECKING:
    from ..explain.trace import Trace
    from ..core.network import Network

__all__ = ["network_svg", "trace_network", "trace_svg", "OVERLAYS", "MAX_DIAGRAM_NEURONS"]

#: Overlays in the order of a training step; each includes the ones before it.
OVERLAYS = ("forward", "error", "backward", "update")
#: Larger networks are refused: past this many neurons in one column the labels overlap.
MAX_DIAGRAM_NEURONS = 12

_COL = 360  # horizontal distance between layers
_ROW = 170  # vertical distance between neurons of one layer
_R = 27  # neuron radius
_TOP = 120  # room above the first neuron for the bias nodes
_LEFT = 110  # room for the inputs' values
_RIGHT = 190  # room for the outputs' targets and errors

_STYLE = """
.cr-diagram { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 13px; }
.cr-diagram .cr-neuron circle { fill: #fff; stroke: #345; stroke-width: 2; }
.cr-diagram .cr-input circle { fill: #eef3f8; }
.cr-diagram .cr-bias circle { fill: #f6f0e0; stroke: #a83; stroke-width: 1.5; }
.cr-diagram .cr-name { font-weight: bold; font-size: 15px; text-anchor: middle; dominant-baseline: central; }
.cr-diagram .cr-conn line { stroke: #8a9aa8; stroke-width: 1.6; }
.cr-diagram .cr-bconn line { stroke: #c9a55a; stroke-width: 1.2; stroke-dasharray: 5 4; }
.cr-diagram text.cr-label { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.cr-diagram .cr-fwd { fill: #1d5fa8; }
.cr-diagram .cr-err { fill: #a3267a; }
.cr-diagram .cr-bwd { fill: #b3411b; }
.cr-diagram .cr-upd { fill: #217a3c; }
.cr-diagram .cr-path line { stroke: #1f6fd1; stroke-width: 4; }
.cr-diagram .cr-path-into circle { stroke: #1f6fd1; stroke-width: 4; }
.cr-diagram .cr-hl, .cr-diagram .cr-hl text { fill: #d11 !important; font-weight: bold; }
.cr-diagram g.cr-hl line { stroke: #d11; stroke-width: 3.5; }
.cr-diagram g.cr-hl circle { stroke: #d11; stroke-width: 4; }
"""


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


class _Svg:
    """A tiny builder: elements as strings, with the quantity attributes in one place."""

    def __init__(self, values: Mapping[str, float], digits: int) -> None:
        self.parts: list[str] = []
        self.values = values
        self.digits = digits

    def add(self, text: str) -> None:
        self.parts.append(text)

    def qtext(self, x: float, y: float, label: str, name: str, cls: str, anchor: str = "middle") -> None:
        """A ``label = value`` text for the named quantity ``name``."""
        value = float(self.values[name])
        self.add(
            f'<text class="cr-label cr-q {cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'data-q="{escape(name)}" data-value="{value!r}">{escape(label)} = {_fmt(value, self.digits)}</text>'
        )


def network_svg(
    network: "Network",
    values: Mapping[str, float] | None = None,
    *,
    overlay: str | None = None,
    focus: str | None = None,
    targets: Iterable[float] | None = None,
    highlight: Iterable[str] = (),
    digits: int = 4,
    title: str | None = None,
) -> str:
    """The network as a standalone SVG document (a string).

    Parameters
    ----------
    network : Network
        At most :data:`MAX_DIAGRAM_NEURONS` neurons per layer.
    values : mapping of name to number, optional
        One step's named quantities, e.g. from
        :func:`chainrule.explain.step_quantities` or a trace; required for an overlay.
    overlay : {None, "forward", "error", "backward", "update"}
        How far through the step to show numbers (see the module docstring).
    focus : str, optional
        The hidden neuron whose summed paths the backward overlay highlights
        (default: the first hidden neuron, as in the tutorial).
    targets : sequence of float, optional
        The outputs' targets, shown from the ``error`` overlay on.
    highlight : names
        Quantities (``"w5"``, ``"delta_o1"``, ``"h1"``) whose elements get the
        class ``cr-hl``.
    digits : int
        Significant digits of the numbers shown (``data-value`` keeps them all).
    """
    if overlay is not None and overlay not in OVERLAYS:
        raise fail("overlay", f"None or one of {list(OVERLAYS)}", overlay)
    if overlay is not None and values is None:
        raise fail("values", f"the step's named quantities for overlay {overlay!r}", values)
    digits = check_positive_int(digits, "digits")
    sizes = network.sizes
    if max(sizes) > MAX_DIAGRAM_NEURONS:
        raise fail("network", f"at most {MAX_DIAGRAM_NEURONS} neurons per layer for a diagram "
                   "(use chainrule.explain's per-layer summary instead)", f"sizes {sizes}")
    naming = Naming.of(network)
    level = -1 if overlay is None else OVERLAYS.index(overlay)
    shows = {stage: level >= k for k, stage in enumerate(OVERLAYS)}
    hidden = [n for layer in naming.neurons[1:-1] for n in layer]
    if focus is None and shows["backward"] and hidden:
        focus = hidden[0]
    if focus is not None and focus not in hidden:
        raise fail("focus", f"a hidden neuron, one of {hidden}", focus)
    highlight = set(highlight)
    if targets is not None:
        targets = [float(t) for t in targets]
        if len(targets) != network.n_outputs:
            raise fail("targets", f"{network.n_outputs} values", targets)

    height_rows = max(sizes)
    width = _LEFT + _RIGHT + _COL * (len(sizes) - 1)
    height = _TOP + _ROW * (height_rows - 1) + 2 * _R + 75

    def pos(l: int, j: int) -> tuple[float, float]:
        offset = (height_rows - sizes[l]) * _ROW / 2
        return _LEFT + l * _COL, _TOP + _R + offset + j * _ROW

    values = values or {}
    svg = _Svg(values, digits)
    svg.add(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cr-diagram" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" data-overlay="{overlay or "none"}">'
    )
    svg.add(f"<title>{escape(title or f'A {sizes} network: ' + (overlay or 'weights and biases'))}</title>")
    svg.add(f"<style>{_STYLE}</style>")

    path_weights: set[str] = set()
    if focus is not None and shows["backward"]:
        l_focus = next(k for k, layer in enumerate(naming.neurons) if focus in layer)
        i_focus = naming.neurons[l_focus].index(focus)
        path_weights = {naming.weight_between(l_focus, i_focus, k).name for k in range(sizes[l_focus + 1])}

    # Connections first so that neurons are drawn over them.
    for layer in range(len(sizes) - 1):
        for j in range(sizes[layer + 1]):
            for i in range(sizes[layer]):
                w = naming.weight_between(layer, i, j)
                (x1, y1), (x2, y2) = pos(layer, i), pos(layer + 1, j)
                names = [w.name] + ([qn.gradient(w.name)] if shows["backward"] else [])
                cls = "cr-conn" + (" cr-path" if w.name in path_weights else "")
                cls += " cr-hl" if highlight & set(names) else ""
                svg.add(
                    f'<g class="{cls}" data-weight="{w.name}" data-source="{w.source}" '
                    f'data-target="{w.targets[0]}" data-q="{escape(" ".join(names))}">'
                )
                svg.add(f'<line x1="{x1 + _R}" y1="{y1}" x2="{x2 - _R}" y2="{y2}"/>')
                # Spread labels along the line by target neuron, so that the labels of
                # crossing lines sit at different heights and never on a neuron.
                t = 0.25 + 0.5 * j / max(1, sizes[layer + 1] - 1)
                lx, ly = x1 + _R + t * (x2 - x1 - 2 * _R), y1 + t * (y2 - y1)
                weight_value = network.layers[layer].W[w.index]
                svg.add(
                    f'<text class="cr-label cr-q cr-wlabel" x="{lx:.1f}" y="{ly - 4:.1f}" text-anchor="middle" '
                    f'data-q="{w.name}" data-value="{float(weight_value)!r}">{w.name} = '
                    f"{_fmt(float(weight_value), digits)}</text>"
                )
                if shows["update"]:
                    svg.qtext(lx, ly + 13, qn.updated(w.name), qn.updated(w.name), "cr-upd")
                elif shows["backward"]:
                    svg.qtext(lx, ly + 13, f"dE/d{w.name}", qn.gradient(w.name), "cr-bwd")
                if w.name in path_weights and focus is not None:
                    target = w.targets[0]
                    # Above the weight's label, and clear of the focus neuron's circle.
                    px = max(lx, x1 + _R + 90)
                    name = qn.path(target, focus, output=layer == len(sizes) - 2,
                                   elementwise=network.layers[layer].activation.elementwise)
                    svg.qtext(px, ly - 19, name, name, "cr-bwd")
                svg.add("</g>")

    # Biases. A shared bias is a node above the layer (a constant 1) with a dashed line
    # to each neuron it feeds; a per-neuron bias is written beside its neuron.
    for layer in range(len(sizes) - 1):
        dense = network.layers[layer]
        state = "trained" if dense.train_bias else "frozen"
        for j in range(sizes[layer + 1]):
            p = naming.bias_of(layer, j)
            assert p is not None
            value = float(dense.b[p.index])
            x2, y2 = pos(layer + 1, j)
            target = naming.neurons[layer + 1][j]
            if dense.bias_mode == "shared":
                bx, by = _LEFT + (layer + 0.5) * _COL, _R + 10
                svg.add(f'<g class="cr-bconn" data-bias="{p.name}" data-target="{target}" data-q="{p.name}">'
                        f'<line x1="{bx}" y1="{by + 12}" x2="{x2 - _R * 0.7}" y2="{y2 - _R * 0.7}"/></g>')
                if j > 0:
                    continue
                lx, ly, anchor = bx + 18, by - 6, "start"
            else:
                lx, ly, anchor = x2, y2 - _R - 22, "middle"
            svg.add(
                f'<text class="cr-label cr-q cr-blabel" x="{lx}" y="{ly}" text-anchor="{anchor}" '
                f'data-q="{p.name}" data-value="{value!r}" data-state="{state}">{p.name} = {_fmt(value, digits)}</text>'
            )
            if shows["update"] and qn.updated(p.name) in values:
                svg.qtext(lx, ly + 14, qn.updated(p.name), qn.updated(p.name), "cr-upd", anchor=anchor)
            if dense.bias_mode == "shared":
                svg.add(f'<g class="cr-neuron cr-bias" data-layer="{layer}"><circle cx="{bx}" cy="{by}" r="12"/>'
                        f'<text class="cr-name" x="{bx}" y="{by}" style="font-size:12px">1</text></g>')

    # Neurons with their values.
    for l, layer_names in enumerate(naming.neurons):
        for j, name in enumerate(layer_names):
            x, y = pos(l, j)
            cls = "cr-neuron" + (" cr-input" if l == 0 else "") + (" cr-path-into" if name == focus else "")
            quantities = [name] if l == 0 else [qn.net(name), qn.out(name), qn.delta(name)]
            cls += " cr-hl" if highlight & set(quantities + [name]) else ""
            svg.add(f'<g class="{cls}" data-neuron="{name}" data-q="{escape(" ".join(quantities))}">')
            svg.add(f'<circle cx="{x}" cy="{y}" r="{_R}"/><text class="cr-name" x="{x}" y="{y}">{name}</text>')
            svg.add("</g>")
            if l == 0:
                if name in values:
                    svg.qtext(x - _R - 8, y + 5, name, name, "cr-fwd", anchor="end")
                continue
            if shows["forward"]:
                svg.qtext(x, y + _R + 16, qn.net(name), qn.net(name), "cr-fwd")
                svg.qtext(x, y + _R + 31, qn.out(name), qn.out(name), "cr-fwd")
            if shows["backward"]:
                svg.qtext(x, y + _R + 46, qn.delta(name), qn.delta(name), "cr-bwd")
            if l == len(sizes) - 1 and shows["error"]:
                tx = x + _R + 10
                if targets is not None:
                    t = targets[j]
                    svg.add(f'<text class="cr-label cr-q cr-err" x="{tx}" y="{y - 4}" data-q="{qn.target(name)}" '
                            f'data-value="{t!r}">target = {_fmt(t, digits)}</text>')
                svg.qtext(tx, y + 12, qn.error(name), qn.error(name), "cr-err", anchor="start")
    if shows["error"]:
        svg.qtext(width - 12, height - 12, qn.ERROR_TOTAL, qn.ERROR_TOTAL, "cr-err", anchor="end")
    svg.add("</svg>")
    return "\n".join(svg.parts)


def trace_network(trace: "Trace") -> "Network":
    """The network a trace describes, with the weights and biases it started from."""
    from ..core.layers import Dense
    from ..core.network import Network

    layers = [
        Dense(trace.sizes[k], trace.sizes[k + 1], info["activation"], bias=info["bias"],
              train_bias=info["train_bias"], init="zeros", dtype=trace.dtype, name=f"layer {k + 1}")
        for k, info in enumerate(trace.layers)
    ]
    network = Network(layers, loss=trace.loss)
    naming = Naming.of(network)
    naming.assign(network, {p.name: trace[p.name].value for p in naming.weights + naming.biases})
    return network


def trace_svg(trace: "Trace", overlay: str | None = None, **options: object) -> str:
    """:func:`network_svg` of a trace's network, with the trace's numbers and targets."""
    values = trace.values()
    targets = [values[qn.target(o)] for o in trace.neurons[-1]]
    return network_svg(trace_network(trace), values, overlay=overlay, targets=targets, **options)  # type: ignore[arg-type]

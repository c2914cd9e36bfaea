"""SVG diagrams of small fully connected networks, optionally with one step's numbers.

The picture is the tutorial's lost figure: inputs on the left, one column per
layer, every connection labelled with its weight's name and value, and the
biases (a shared bias is a node above the layer, a constant 1 feeding each
neuron through a dashed line; a per-neuron bias is written above its
neuron). Each connection's colour is its weight's sign (blue positive,
orange negative) and its thickness the weight's size; a legend under the
diagram says so.

An *overlay* adds the numbers of one training step, cumulatively, in the
order the step computes them, so that no number appears before the stage
that computes it:

=============  ===========================================================
``forward``    ``net`` and ``out`` beside every neuron
``error``      each output's target and ``E_o``; ``E_total`` under the diagram
``backward``   each neuron's ``delta``; each connection's ``dE_total/dw``;
               the paths summed into one hidden neuron (``focus``) highlighted
               with their contributions (:func:`chainrule.explain.names.path`)
``update``     each connection's updated weight ``w+`` (biases too, when trained)
=============  ===========================================================

Labels never collide: :mod:`chainrule.visual.layout` places every block of
text clear of the others, of the neurons and of the highlighted paths, with
room for the longest number ``digits`` can print, so that the labels of all
five stages (and of every later step) sit in the same places.

Every element that shows a named quantity carries ``data-q`` (its name, as in
:mod:`chainrule.explain.names`) and ``data-value`` (the full-precision
number), so a page can highlight it and a test can read it back. A quantity
in ``hidden`` (the explorer's practice mode) is drawn as ``name = ?`` with no
``data-value``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING

from ..core.validation import check_positive_int, fail
from ..explain import names as qn
from ..explain.naming import Naming
from ..i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from .layout import BAND, BASELINE, BIAS_RADIUS, LINE, RADIUS, Block, Layout, layout
from .textmetrics import text_width

if TYPE_CHECKING:
    from ..core.network import Network
    from ..explain.trace import Trace

__all__ = [
    "network_svg",
    "trace_network",
    "trace_svg",
    "OVERLAYS",
    "MAX_DIAGRAM_NEURONS",
    "number_text",
    "label_runs",
    "LABEL_SIZE",
    "SCRIPT_SIZE",
]

#: Overlays in the order of a training step; each includes the ones before it.
OVERLAYS = ("forward", "error", "backward", "update")
#: Larger networks are refused: past this many neurons in one column a diagram stops being a picture.
MAX_DIAGRAM_NEURONS = 12
#: Label text size and the size of its sub- and superscripts (px); both stay readable (>= 11 px).
LABEL_SIZE = 12.0
SCRIPT_SIZE = 11.0
_NAME_SIZE = 13.0
_SUB_SHIFT, _SUP_SHIFT = 2.5, 2.0
_MAX_DIGITS = 17

#: Colours of a weight's sign, and of a highlighted path's band.
POSITIVE, NEGATIVE, PATH = "#2f6db5", "#dd6b20", "#ffd54a"

_STYLE = f"""
.cr-diagram {{ font-family: 'DejaVu Sans', Verdana, Arial, 'WenQuanYi Micro Hei', 'Noto Sans CJK SC',
                             'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif;
               font-size: {LABEL_SIZE:g}px; }}
.cr-diagram text {{ font-size: {LABEL_SIZE:g}px; }}
.cr-diagram tspan.cr-s {{ font-size: {SCRIPT_SIZE:g}px; }}
.cr-diagram .cr-neuron circle {{ fill: #fff; stroke: #345; stroke-width: 2; }}
.cr-diagram .cr-input circle {{ fill: #eef3f8; }}
.cr-diagram .cr-bias circle {{ fill: #f6f0e0; stroke: #a83; stroke-width: 1.5; }}
.cr-diagram text.cr-name {{ font-weight: bold; font-size: {_NAME_SIZE:g}px; text-anchor: middle; }}
.cr-diagram .cr-conn line.cr-edge {{ stroke-linecap: round; }}
.cr-diagram .cr-bconn line {{ stroke-width: 1.3; stroke-dasharray: 5 4; }}
.cr-diagram line.cr-band {{ stroke: {PATH}; stroke-width: {BAND:g}; stroke-linecap: butt; }}
.cr-diagram text.cr-label {{ paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }}
.cr-diagram .cr-fwd {{ fill: #1d5fa8; }}
.cr-diagram .cr-err {{ fill: #a3267a; }}
.cr-diagram .cr-bwd {{ fill: #b3411b; }}
.cr-diagram .cr-upd {{ fill: #217a3c; }}
.cr-diagram .cr-legend text {{ fill: #334; }}
.cr-diagram .cr-path-into circle {{ stroke: #c79a00; stroke-width: 4; }}
.cr-diagram text.cr-hl {{ fill: #c00 !important; stroke: #ffe680; }}
.cr-diagram g.cr-hl line.cr-edge {{ stroke: #c00 !important; }}
.cr-diagram g.cr-hl circle {{ stroke: #c00; stroke-width: 4; }}
"""


def number_text(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits, as every label shows it (true minus signs, never ``-0``)."""
    text = "0" if value == 0 else f"{value:.{digits}g}"
    return text.replace("-", "\u2212")


def _widest_number(digits: int) -> float:
    """The width of the longest number :func:`number_text` prints at ``digits`` (so labels never move)."""
    fixed = "\u22120.000" + "8" * digits  # 1e-4 <= |v| < 1: at most three zeros after the point
    exponent = "\u22128." + "8" * max(digits - 1, 0) + "e\u221288"  # |v| < 1e-4 or >= 10**digits
    return max(text_width(fixed, LABEL_SIZE), text_width(exponent, LABEL_SIZE))


_SPLIT = re.compile(r"^([A-Za-z]+)_(.+)$")
_INDEXED = re.compile(r"^([a-z])(\d+)$")


def _base_runs(name: str) -> list[tuple[str, str]]:
    """A plain name as runs: ``net_h1`` is net with subscript h1, ``w5`` w with subscript 5."""
    m = _SPLIT.match(name)
    if m:
        head, tail = m.groups()
        return [("\u03b4" if head == "delta" else head, ""), (tail, "sub")]
    m = _INDEXED.match(name)
    if m:
        return [(m.group(1), ""), (m.group(2), "sub")]
    return [(name, "")]


def label_runs(name: str, tr: Translator | None = None) -> list[tuple[str, str]]:
    """The diagram's short form of a quantity name, as ``(text, "" | "sub" | "sup")`` runs.

    ``dE_total/dw5`` is ∂E/∂w5 (E is E_total throughout the diagram), ``w5+``
    w5 with a superscript +, a path's ``dE_o1/dout_h1`` ∂E_o1/∂out_h1, and a
    path's ``dE_total/dout_h1[o1]`` (the term via o1 of dE_total/dout_h1, drawn
    on its highlighted edge, which the legend names) just "via o1" ("via" in
    ``tr``'s language; English without ``tr``).
    """
    term = re.match(r"^(.+)\[(.+)\]$", name)
    if term:  # on its highlighted edge, whose legend names the sum: just the neuron it goes through
        # NOTE: a path's share of a derivative is written "via o1" (the neuron the path goes through).
        word = N_("via")
        via = tr.gettext(word) if tr is not None else word
        return [(via + " ", "")] + _base_runs(term.group(2))
    if name.startswith("d") and "/" in name:
        top, bottom = name[1:].split("/", 1)
        top_runs = [("E", "")] if top == qn.ERROR_TOTAL else _base_runs(top)
        return [("\u2202", "")] + top_runs + [("/\u2202", "")] + _base_runs(bottom[1:])
    if name.endswith("+"):
        return _base_runs(name[:-1]) + [("+", "sup")]
    return _base_runs(name)


def _runs_width(runs: list[tuple[str, str]]) -> float:
    return sum(text_width(t, SCRIPT_SIZE if role else LABEL_SIZE) for t, role in runs)


def _tspans(runs: list[tuple[str, str]]) -> str:
    parts = []
    for text, role in runs:
        if role == "sub":
            parts.append(f'<tspan class="cr-s" baseline-shift="-{_SUB_SHIFT:g}">{escape(text)}</tspan>')
        elif role == "sup":
            parts.append(f'<tspan class="cr-s" baseline-shift="{_SUP_SHIFT:g}">{escape(text)}</tspan>')
        else:
            parts.append(f"<tspan>{escape(text)}</tspan>")
    return "".join(parts)


class _Labels:
    """The label blocks of one diagram: what each line says, and how wide it may get."""

    def __init__(self, digits: int, tr: Translator) -> None:
        self.tr = tr
        self.number_width = _widest_number(digits)
        self.equals = text_width(" = ", LABEL_SIZE)
        self.blocks: list[Block] = []
        self.lines: dict[str, list[str]] = {}

    def width(self, name: str) -> float:
        return _runs_width(label_runs(name, self.tr)) + self.equals + self.number_width

    def add(self, key: str, kind: str, owner: str, names: list[str]) -> None:
        self.blocks.append(Block(key, kind, owner, tuple(self.width(n) for n in names)))
        self.lines[key] = list(names)


def _shape_blocks(network: Network, naming: Naming, focus: str | None, labels: _Labels) -> None:
    """Every block any overlay can show, with its longest lines (the layout is the same for every stage)."""
    sizes = network.sizes
    last = len(sizes) - 1
    for name in naming.neurons[0]:
        labels.add(f"input:{name}", "input", name, [name])
    for l in range(1, len(sizes)):
        for name in naming.neurons[l]:
            labels.add(f"stack:{name}", "stack", name, [qn.net(name), qn.out(name), qn.delta(name)])
            if l == last:
                labels.add(f"output:{name}", "output", name, [qn.target(name), qn.error(name)])
    for layer, dense in enumerate(network.layers):
        trained = dense.train_bias
        if dense.bias_mode == "shared":
            p = naming.bias_of(layer, 0)
            assert p is not None
            labels.add(f"bias:{p.name}", "shared", str(layer), [p.name] + ([qn.updated(p.name)] if trained else []))
        else:
            for j, target in enumerate(naming.neurons[layer + 1]):
                p = naming.bias_of(layer, j)
                assert p is not None
                labels.add(f"bias:{p.name}", "bias", target, [p.name] + ([qn.updated(p.name)] if trained else []))
    for w in naming.weights:
        second = max([qn.gradient(w.name), qn.updated(w.name)], key=labels.width)
        path = [_path_name(network, naming, w.targets[0], focus)] if focus is not None and w.source == focus else []
        labels.add(f"edge:{w.name}", "edge", w.name, path + [w.name, second])


def _path_name(network: Network, naming: Naming, through: str, neuron: str) -> str:
    l = next(k for k, layer in enumerate(naming.neurons) if through in layer)
    return qn.path(
        through, neuron, output=l == len(naming.neurons) - 1, elementwise=network.layers[l - 1].activation.elementwise
    )


def network_svg(
    network: Network,
    values: Mapping[str, float] | None = None,
    *,
    overlay: str | None = None,
    focus: str | None = None,
    targets: Iterable[float] | None = None,
    highlight: Iterable[str] = (),
    hidden: Iterable[str] = (),
    digits: int = 4,
    title: str | None = None,
    lang: str | Translator = DEFAULT_LANGUAGE,
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
        (default: the first hidden neuron, as in the tutorial). Every overlay
        lays its labels out for this focus, so that they stay in place.
    targets : sequence of float, optional
        The outputs' targets, shown from the ``error`` overlay on.
    highlight : names
        Quantities (``"w5"``, ``"delta_o1"``, ``"h1"``) whose elements get the
        class ``cr-hl``.
    hidden : names
        Quantities drawn as ``name = ?``, without their value.
    digits : int
        Significant digits of the numbers shown, 1 to 17 (``data-value`` keeps them all).
    title : str, optional
        The document's ``<title>`` (default: the network's sizes and the overlay).
    lang : str or Translator
        The language of the legend, the title and the word "via" of path labels
        (see :func:`chainrule.i18n.languages`); names and numbers do not change.
    """
    tr = lang if isinstance(lang, Translator) else translator(lang)
    if overlay is not None and (not isinstance(overlay, str) or overlay not in OVERLAYS):
        raise fail("overlay", f"None or one of {list(OVERLAYS)}", overlay)
    if overlay is not None and values is None:
        raise fail("values", f"the step's named quantities for overlay {overlay!r}", values)
    digits = check_positive_int(digits, "digits")
    if digits > _MAX_DIGITS:
        raise fail("digits", f"an integer from 1 to {_MAX_DIGITS}", digits)
    sizes = network.sizes
    if max(sizes) > MAX_DIAGRAM_NEURONS:
        raise fail(
            "network",
            f"at most {MAX_DIAGRAM_NEURONS} neurons per layer for a diagram "
            "(use chainrule.explain's per-layer summary instead)",
            f"sizes {sizes}",
        )
    naming = Naming.of(network)
    level = -1 if overlay is None else OVERLAYS.index(overlay)
    shows = {stage: level >= k for k, stage in enumerate(OVERLAYS)}
    hidden_neurons = [n for layer in naming.neurons[1:-1] for n in layer]
    if focus is not None and focus not in hidden_neurons:
        raise fail("focus", f"a hidden neuron, one of {hidden_neurons}", focus)
    if focus is None and hidden_neurons:
        focus = hidden_neurons[0]
    if targets is not None:
        targets = [float(t) for t in targets]
        if len(targets) != network.n_outputs:
            raise fail("targets", f"{network.n_outputs} values", targets)
    values = dict(values or {})
    for p in naming.weights + naming.biases:
        values.setdefault(p.name, naming.get(network, p.name))
    if targets is not None:
        values.update({qn.target(o): t for o, t in zip(naming.outputs, targets)})

    labels = _Labels(digits, tr)
    _shape_blocks(network, naming, focus, labels)
    # Every weight leaves a neuron (only biases have no source).
    edges = [(w.name, w.source, w.targets[0]) for w in naming.weights if w.source is not None]
    shared = [dense.bias_mode == "shared" for dense in network.layers]
    placed = layout(sizes, naming.neurons, edges, shared, focus, labels.blocks)
    drawing = _Drawing(placed, values, digits, set(highlight), set(hidden), tr)

    # What each overlay adds; a name absent from the values is not drawn.
    shown: set[str] = {p.name for p in naming.weights + naming.biases} | set(naming.inputs)
    if shows["forward"]:
        shown |= {f(n) for layer in naming.neurons[1:] for n in layer for f in (qn.net, qn.out)}
    if shows["error"]:
        shown |= {qn.error(o) for o in naming.outputs} | {qn.target(o) for o in naming.outputs} | {qn.ERROR_TOTAL}
    paths_on = shows["backward"] and focus is not None
    if shows["backward"]:
        shown |= {qn.delta(n) for layer in naming.neurons[1:] for n in layer}
        shown |= {
            _path_name(network, naming, w.targets[0], focus)
            for w in naming.weights
            if focus is not None and w.source == focus
        }
    if shows["update"]:
        shown |= {qn.updated(p.name) for p in naming.weights + naming.biases}
    elif shows["backward"]:
        shown |= {qn.gradient(w.name) for w in naming.weights}

    svg = drawing
    # Thickness is relative to the largest weight, or to 1 when every weight is smaller.
    reference = max([1.0] + [abs(values[w.name]) for w in naming.weights])
    legend = _legend(values, shows, paths_on, focus, reference, any(shared), svg)
    title = title or tr(
        "A {sizes} network: {stage}", sizes="-".join(map(str, sizes)), stage=tr.gettext(_STAGE_NAMES[overlay])
    )
    svg.open(overlay, title, legend)

    # Layer 1: bias lines and connections (the highlighted paths with their band), under everything.
    for layer, dense in enumerate(network.layers):
        if dense.bias_mode != "shared":
            continue
        bias = naming.bias_of(layer, 0)
        assert bias is not None
        p = bias
        bx, by = placed.bias_nodes[layer]
        colour = POSITIVE if values[p.name] >= 0 else NEGATIVE
        for target in naming.neurons[layer + 1]:
            tx, ty = placed.neurons[target]
            svg.add(
                f'<g class="cr-bconn" data-bias="{p.name}" data-target="{target}" data-q="{p.name}">'
                f'<line x1="{bx:.1f}" y1="{by + BIAS_RADIUS:.1f}" x2="{tx - RADIUS * 0.7:.1f}" '
                f'y2="{ty - RADIUS * 0.7:.1f}" stroke="{colour}"/></g>'
            )
    for w in naming.weights:
        x1, y1, x2, y2 = placed.edges[w.name]
        names = [w.name] + ([qn.gradient(w.name)] if shows["backward"] else [])
        on_path = paths_on and w.name in placed.highlighted
        cls = "cr-conn" + (" cr-path" if on_path else "") + (" cr-hl" if svg.highlight & set(names) else "")
        value = values[w.name]
        width = 1.0 + 4.5 * min(abs(value) / reference, 1.0)
        svg.add(
            f'<g class="{cls}" data-weight="{w.name}" data-source="{w.source}" data-target="{w.targets[0]}" '
            f'data-q="{escape(" ".join(names))}">'
        )
        if on_path:
            svg.add(f'<line class="cr-band" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
        svg.add(
            f'<line class="cr-edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{POSITIVE if value >= 0 else NEGATIVE}" stroke-width="{width:.2f}"/></g>'
        )

    # Layer 2: neurons and bias nodes.
    for l, layer_names in enumerate(naming.neurons):
        for name in layer_names:
            x, y = placed.neurons[name]
            quantities = [name] if l == 0 else [qn.net(name), qn.out(name), qn.delta(name)]
            cls = (
                "cr-neuron" + (" cr-input" if l == 0 else "") + (" cr-path-into" if paths_on and name == focus else "")
            )
            cls += " cr-hl" if svg.highlight & set(quantities + [name]) else ""
            svg.add(
                f'<g class="{cls}" data-neuron="{name}" data-q="{escape(" ".join(quantities))}">'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS:g}"/>'
                f'<text class="cr-name" x="{x:.1f}" y="{y + 0.36 * _NAME_SIZE:.1f}">{escape(name)}</text></g>'
            )
    for layer, (bx, by) in placed.bias_nodes.items():
        svg.add(
            f'<g class="cr-neuron cr-bias" data-layer="{layer}"><circle cx="{bx:.1f}" cy="{by:.1f}" '
            f'r="{BIAS_RADIUS:g}"/><text class="cr-name" x="{bx:.1f}" y="{by + 4:.1f}">1</text></g>'
        )

    # Layer 3: every label, over everything else.
    stage_class = {
        "input": "cr-fwd",
        "net": "cr-fwd",
        "out": "cr-fwd",
        "target": "cr-err",
        "error": "cr-err",
        "delta": "cr-bwd",
        "gradient": "cr-bwd",
        "path": "cr-bwd",
        "update": "cr-upd",
        "weight": "cr-wlabel",
        "bias": "cr-blabel",
    }
    for key, lines in labels.lines.items():
        for k, name in enumerate(lines):
            if key.startswith("edge:") and k == len(lines) - 1:
                # The second line is the gradient (backward) or the updated weight (update).
                owner = key[5:]
                name = qn.updated(owner) if shows["update"] else qn.gradient(owner)
            if name in shown and (name in values or name in svg.hidden):
                svg.label(key, k, name, stage_class[_kind(name)])

    svg.legend(legend)
    svg.add("</svg>")
    return "\n".join(svg.parts)


def _kind(name: str) -> str:
    if name.endswith("+"):
        return "update"
    if name.startswith("dE_total/d") and "[" not in name and not name.startswith("dE_total/dout"):
        return "gradient"
    if name.startswith("dE"):
        return "path"
    for prefix, kind in (("net_", "net"), ("out_", "out"), ("delta_", "delta"), ("target_", "target"), ("E_", "error")):
        if name.startswith(prefix):
            return kind
    if name[0] in "wb":
        return "weight" if name[0] == "w" else "bias"
    return "input"


class _Drawing:
    """The SVG's parts, with the label and legend writers in one place."""

    def __init__(
        self,
        placed: Layout,
        values: Mapping[str, float],
        digits: int,
        highlight: set[str],
        hidden: set[str],
        tr: Translator,
    ) -> None:
        self.tr = tr
        self.placed = placed
        self.values = values
        self.digits = digits
        self.highlight = highlight
        self.hidden = hidden
        self.parts: list[str] = []
        self.width = placed.width
        self.height = placed.height
        self.legend_rows: list[tuple[int, float]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def open(self, overlay: str | None, title: str, legend: list[tuple[str, str, float]]) -> None:
        """Start the document; ``legend``'s rows (see :meth:`legend`) decide the height."""
        self.width = max(self.placed.width, 470.0)
        self.legend_rows = self._rows(legend)
        rows = 1 + max((row for row, _ in self.legend_rows), default=0)
        self.height = self.placed.footer_top + rows * LINE + 8
        self.add(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="cr-diagram" viewBox="0 0 {self.width:.0f} '
            f'{self.height:.0f}" width="{self.width:.0f}" height="{self.height:.0f}" role="img" '
            f'data-overlay="{overlay or "none"}">'
        )
        self.add(f"<title>{escape(title)}</title>")
        self.add(f"<style>{_STYLE}</style>")

    def label(self, key: str, line: int, name: str, cls: str) -> None:
        """Line ``line`` of block ``key``: ``name = value`` (``name = ?`` when hidden)."""
        spot = self.placed.lines[key][line]
        x, y = spot.point()
        self._text(x, y, spot.anchor, name, cls, spot.angle)

    def _text(self, x: float, y: float, anchor: str, name: str, cls: str, angle: float = 0.0) -> None:
        hl = " cr-hl" if name in self.highlight else ""
        if name in self.hidden:
            value_attr, shown = "", "?"
        else:
            value = float(self.values[name])
            value_attr, shown = f' data-value="{value!r}"', number_text(value, self.digits)
        turn = f' transform="rotate({angle:.2f} {x:.1f} {y:.1f})"' if abs(angle) > 0.005 else ""
        self.add(
            f'<text class="cr-label cr-q {cls}{hl}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{turn} '
            f'data-q="{escape(name)}"{value_attr}>{_tspans(label_runs(name, self.tr))}<tspan> = {shown}</tspan></text>'
        )

    def _rows(self, legend: list[tuple[str, str, float]]) -> list[tuple[int, float]]:
        """Each legend entry's row and x, left to right, wrapping at the diagram's width."""
        x, row, out = 8.0, 0, []
        for _, _, width in legend:
            if x > 8.0 and x + width > self.width - 8:
                x, row = 8.0, row + 1
            out.append((row, x))
            x += width + 16
        return out

    def legend(self, legend: list[tuple[str, str, float]]) -> None:
        """Write the legend under the diagram, in the rows :meth:`open` counted."""
        top = self.placed.footer_top
        self.add('<g class="cr-legend">')
        for (kind, content, _), (row, x) in zip(legend, self.legend_rows):
            y = top + row * LINE
            if kind == "quantity":
                self._text(x, y + _BASELINE, "start", content, "cr-err")
                continue
            sample, text = content.split("\0")
            self.add(sample.format(x=x, x2=x + _SAMPLE, y=y + LINE / 2 - 1))
            self.add(f'<text x="{x + _SAMPLE + 6:.1f}" y="{y + _BASELINE:.1f}">{escape(text)}</text>')
        self.add("</g>")


#: What each overlay adds, for the diagram's title.
_STAGE_NAMES = {
    None: N_("weights and biases"),
    "forward": N_("forward pass"),
    "error": N_("error"),
    "backward": N_("backward pass"),
    "update": N_("update"),
}
_SAMPLE = 26.0
_BASELINE = BASELINE
_LINE_SAMPLE = '<line x1="{{x:.1f}}" y1="{{y:.1f}}" x2="{{x2:.1f}}" y2="{{y:.1f}}" stroke="{colour}" {extra}/>'


def _legend(
    values: Mapping[str, float],
    shows: dict[str, bool],
    paths_on: bool,
    focus: str | None,
    reference: float,
    any_shared: bool,
    drawing: _Drawing,
) -> list[tuple[str, str, float]]:
    """The legend's entries ``(kind, content, width)``: E_total (from the error stage on), then the keys."""
    entries: list[tuple[str, str, float]] = []
    if shows["error"] and qn.ERROR_TOTAL in values:
        shown = "?" if qn.ERROR_TOTAL in drawing.hidden else number_text(float(values[qn.ERROR_TOTAL]), drawing.digits)
        width = _runs_width(label_runs(qn.ERROR_TOTAL)) + text_width(" = " + shown, LABEL_SIZE) + 6
        entries.append(("quantity", qn.ERROR_TOTAL, width))

    def key(colour: str, extra: str, text: str) -> None:
        sample = _LINE_SAMPLE.format(colour=colour, extra=extra)
        entries.append(("key", sample + "\0" + text, _SAMPLE + 6 + text_width(text, LABEL_SIZE)))

    key(POSITIVE, 'stroke-width="3"', "w > 0")
    key(NEGATIVE, 'stroke-width="3"', "w < 0")
    key("#667", 'stroke-width="1"', "|w| = 0")
    key("#667", 'stroke-width="5.5"', f"|w| \u2265 {reference:.3g}")
    tr = drawing.tr
    if any_shared:
        key("#a83", 'stroke-width="1.3" stroke-dasharray="5 4"', tr("shared bias (times 1)"))
    if paths_on:
        key(PATH, f'stroke-width="{BAND:g}" stroke-linecap="round"', tr("paths summed into {neuron}", neuron=focus))
    return entries


def trace_network(trace: Trace) -> Network:
    """The network a trace describes, with the weights and biases it started from."""
    from ..core.layers import Dense
    from ..core.network import Network

    layers = [
        Dense(
            trace.sizes[k],
            trace.sizes[k + 1],
            info["activation"],
            bias=info["bias"],
            train_bias=info["train_bias"],
            init="zeros",
            dtype=trace.dtype,
            name=f"layer {k + 1}",
        )
        for k, info in enumerate(trace.layers)
    ]
    network = Network(layers, loss=trace.loss)
    naming = Naming.of(network)
    naming.assign(network, {p.name: trace[p.name].value for p in naming.weights + naming.biases})
    return network


def trace_svg(trace: Trace, overlay: str | None = None, **options: object) -> str:
    """:func:`network_svg` of a trace's network, with the trace's numbers and targets."""
    values = trace.values()
    targets = [values[qn.target(o)] for o in trace.neurons[-1]]
    return network_svg(trace_network(trace), values, overlay=overlay, targets=targets, **options)  # type: ignore[arg-type]

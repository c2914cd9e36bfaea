"""Where a network diagram's labels go: a placement in which no two texts meet.

:func:`layout` takes the network's shape and every block of labels the
diagram will draw (one block per edge, per neuron's values, per bias ...; each
a few lines of text whose widths are known from :mod:`.textmetrics`) and
returns the position of every neuron and of every line of text, such that

* no two lines of different blocks come closer than ``2 * GAP``, and none
  overlaps a neuron or a bias node;
* no line touches a highlighted path (the edges leaving the focus neuron,
  drawn as a band ``BAND`` wide);
* an edge's labels run along their edge, the weight above it and the gradient
  (or the updated weight) under it, so that the line between them is theirs;
  on a highlighted edge they keep clear of its band.

Every line is an oriented rectangle (edge labels are turned to their edge's
direction; the others are level). The blocks are placed greedily, most
constrained first, each at the best free spot among candidates ordered by
preference (on its edge, near its preferred distance; among the first few
free spots, the one fewest other edges cross). When a block finds no free
spot, the gap where it failed (and the rows) widen and the placement starts
again, so it always ends with every block placed. A layout depends only on
the network's shape, the focus and the widths, never on the values: the
diagram reserves the width of the longest number the chosen digits can print,
so that the labels stay in place while the numbers change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Block",
    "Layout",
    "LayoutError",
    "Line",
    "clear_cache",
    "layout",
    "LINE",
    "RADIUS",
    "BAND",
    "BIAS_RADIUS",
    "BASELINE",
]

#: Neuron radius, a shared bias node's radius, and the width of a highlighted path's band (px).
RADIUS = 22.0
BIAS_RADIUS = 11.0
BAND = 12.0
#: Height of one line of text (12 px text with 11 px sub- and superscripts), and its baseline
#: from the line's top: room above for a superscript, below for a subscript.
LINE = 19.0
BASELINE = 13.5
#: Free space kept around every line (px): between two blocks there are at least 2 * GAP.
GAP = 1.5
_MAX_ATTEMPTS = 60
#: Free spots compared for each block (the one fewest other edges cross wins).
_CHOICES = 6

Rect = tuple[float, float, float, float, float, float]  # centre x, y; half width, half height; cos, sin


class LayoutError(RuntimeError):
    """No placement found within the growth budget (never expected: the tests cover every allowed shape)."""


@dataclass(frozen=True)
class Block:
    """A block of label lines, to be placed by its ``kind`` near its ``owner``.

    ``kind``: ``"input"`` (left of input neuron ``owner``), ``"stack"`` (a
    neuron's values, under or over it), ``"output"`` (right of output neuron
    ``owner``), ``"bias"`` (a per-neuron bias, over its neuron), ``"shared"``
    (a shared bias, beside its node; ``owner`` the layer index as a string) or
    ``"edge"`` (``owner`` the weight's name; lines: the weight, the gradient,
    and on a highlighted edge first the path's contribution). ``widths``: each
    line's width.
    """

    key: str
    kind: str
    owner: str
    widths: tuple[float, ...]


@dataclass(frozen=True)
class Line:
    """Where one line of text goes: the centre of its box, its direction, and the text anchor.

    Draw it with ``text-anchor`` ``anchor`` at :meth:`point`, turned by
    ``angle`` degrees about that point.
    """

    cx: float
    cy: float
    width: float
    angle: float
    anchor: str

    def point(self) -> tuple[float, float]:
        """The text's anchor point on its baseline (before the turn)."""
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        # The baseline is BASELINE below the line's top edge, i.e. (BASELINE - LINE / 2) below its centre.
        down = BASELINE - LINE / 2
        along = {"start": -self.width / 2, "end": self.width / 2}.get(self.anchor, 0.0)
        return self.cx + along * c - down * s, self.cy + along * s + down * c

    def rect(self) -> Rect:
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        return self.cx, self.cy, self.width / 2, LINE / 2, c, s


@dataclass
class Layout:
    """Positions: neuron centres, shared-bias nodes, edge ends, every block's lines, the highlighted edges."""

    width: float
    height: float
    neurons: dict[str, tuple[float, float]]
    bias_nodes: dict[int, tuple[float, float]]
    edges: dict[str, tuple[float, float, float, float]]
    lines: dict[str, list[Line]]
    highlighted: tuple[str, ...]
    footer_top: float


# -- geometry of oriented rectangles ---------------------------------------------------------
def _aabb(r: Rect) -> tuple[float, float, float, float]:
    cx, cy, hw, hh, c, s = r
    ex, ey = hw * abs(c) + hh * abs(s), hw * abs(s) + hh * abs(c)
    return cx - ex, cy - ey, cx + ex, cy + ey


def _overlap(a: Rect, b: Rect, margin: float) -> bool:
    """Whether two oriented rectangles come within ``margin`` of each other (separating axes)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    for ux, uy in ((a[4], a[5]), (-a[5], a[4]), (b[4], b[5]), (-b[5], b[4])):
        ra = a[2] * abs(a[4] * ux + a[5] * uy) + a[3] * abs(-a[5] * ux + a[4] * uy)
        rb = b[2] * abs(b[4] * ux + b[5] * uy) + b[3] * abs(-b[5] * ux + b[4] * uy)
        if abs(dx * ux + dy * uy) >= ra + rb + margin:
            return False
    return True


def _segment_hits(seg: tuple[float, float, float, float], r: Rect, reach: float) -> bool:
    """Whether the segment comes within ``reach`` of the rectangle (in its frame; Liang-Barsky)."""
    cx, cy, hw, hh, c, s = r
    ax, ay = seg[0] - cx, seg[1] - cy
    bx, by = seg[2] - cx, seg[3] - cy
    x1, y1 = ax * c + ay * s, -ax * s + ay * c
    x2, y2 = bx * c + by * s, -bx * s + by * c
    dx, dy = x2 - x1, y2 - y1
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x1 + hw + reach), (dx, hw + reach - x1), (-dy, y1 + hh + reach), (dy, hh + reach - y1)):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
            if lo > hi:
                return False
    return True


def _cross(p: tuple[float, float], q: tuple[float, float], seg: tuple[float, float, float, float]) -> bool:
    """Whether segment ``p``-``q`` crosses ``seg`` (orientation tests)."""
    a, b = (seg[0], seg[1]), (seg[2], seg[3])

    def side(u: tuple[float, float], v: tuple[float, float], w: tuple[float, float]) -> float:
        return (v[0] - u[0]) * (w[1] - u[1]) - (v[1] - u[1]) * (w[0] - u[0])

    return side(p, q, a) * side(p, q, b) < 0 and side(a, b, p) * side(a, b, q) < 0


def _level(x0: float, y0: float, x1: float, y1: float) -> Rect:
    return (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2, 1.0, 0.0


class _Index:
    """Placed rectangles in a grid of cells (by their bounding boxes), for quick overlap queries."""

    CELL = 64.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[Rect, tuple[float, float, float, float]]]] = {}

    def _keys(self, box: tuple[float, float, float, float]) -> Iterator[tuple[int, int]]:
        c = self.CELL
        for i in range(math.floor(box[0] / c), math.floor(box[2] / c) + 1):
            for j in range(math.floor(box[1] / c), math.floor(box[3] / c) + 1):
                yield i, j

    def add(self, r: Rect) -> None:
        box = _aabb(r)
        for key in self._keys(box):
            self.cells.setdefault(key, []).append((r, box))

    def hits(self, r: Rect) -> bool:
        x0, y0, x1, y1 = _aabb(r)
        m = 2 * GAP
        for key in self._keys((x0, y0, x1, y1)):
            for other, (a0, b0, a1, b1) in self.cells.get(key, ()):
                if x0 < a1 + m and a0 < x1 + m and y0 < b1 + m and b0 < y1 + m and _overlap(r, other, m):
                    return True
        return False


# -- the layout ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Edge:
    name: str
    source: str
    target: str


def layout(
    sizes: Iterable[int],
    neurons: Iterable[Iterable[str]],
    edges: Iterable[tuple[str, str, str]],
    shared: Iterable[bool],
    focus: str | None,
    blocks: Iterable[Block],
) -> Layout:
    """Place every block (see the module docstring); cached, since the page asks for the same shape often.

    ``edges``: ``(weight, source, target)`` per connection; ``shared``: per
    layer, whether its bias is one shared node; ``focus``: the neuron whose
    outgoing edges are highlighted, or None.
    """
    return _layout(
        tuple(sizes),
        tuple(tuple(n) for n in neurons),
        tuple(_Edge(*e) for e in edges),
        tuple(shared),
        focus,
        tuple(blocks),
    )


def clear_cache() -> None:
    """Forget the cached layouts (for measuring the cold cost)."""
    _layout.cache_clear()


@dataclass
class _Shape:
    sizes: tuple[int, ...]
    neurons: tuple[tuple[str, ...], ...]
    edges: tuple[_Edge, ...]
    shared: tuple[bool, ...]
    focus: str | None
    blocks: tuple[Block, ...]
    gaps: list[float]
    row: float


@lru_cache(maxsize=512)
def _layout(
    sizes: tuple[int, ...],
    neurons: tuple[tuple[str, ...], ...],
    edges: tuple[_Edge, ...],
    shared: tuple[bool, ...],
    focus: str | None,
    blocks: tuple[Block, ...],
) -> Layout:
    shape = _Shape(sizes, neurons, edges, shared, focus, blocks, [], 0.0)
    _first_guess(shape)
    # Find a size that works with the quick first-fit placement, then place for real at that size,
    # comparing free spots by the edges crossing them (which may need a little more room).
    careful = False
    for _ in range(_MAX_ATTEMPTS):
        result = _attempt(shape, careful)
        if isinstance(result, Layout):
            if careful:
                return result
            careful = True
            continue
        kind, gap = result
        # Widen where it failed, in small steps, so that the diagram ends near the smallest size
        # that works: an edge's gap (the rows a little: they part crossing edges), or the rows
        # beside a neuron.
        if kind == "edge":
            shape.gaps[gap] *= 1.12
            shape.row *= 1.03
        else:
            shape.row *= 1.1
            for k in (gap - 1, gap):
                if 0 <= k < len(shape.gaps):
                    shape.gaps[k] *= 1.05
    raise LayoutError(f"no label placement for sizes {list(sizes)} (focus {focus}) after {_MAX_ATTEMPTS} attempts")


def _first_guess(shape: _Shape) -> None:
    """Gaps and rows near the usual result, so that few attempts are needed."""
    edge_w = max((max(b.widths) for b in shape.blocks if b.kind == "edge"), default=60.0)
    stack_h = max((LINE * len(b.widths) for b in shape.blocks if b.kind == "stack"), default=0.0)
    bias_h = max((LINE * len(b.widths) for b in shape.blocks if b.kind == "bias"), default=0.0)
    focus_layer = next((l for l, layer in enumerate(shape.neurons) if shape.focus in layer), None)
    for l in range(len(shape.sizes) - 1):
        n = max(shape.sizes[l], shape.sizes[l + 1])
        gap = edge_w * (0.9 + 0.22 * n)
        if l == focus_layer:  # the fan of highlighted edges, with three lines on each
            gap *= 1 + 0.08 * (shape.sizes[l + 1] - 1)
        shape.gaps.append(max(2 * RADIUS + 40, gap))
    shape.row = max(2 * RADIUS + stack_h + bias_h + 12, 2 * RADIUS + 3 * LINE)


def _attempt(shape: _Shape, careful: bool) -> Layout | tuple[str, int]:
    """One placement at the shape's current size, or ``(kind, gap)`` of the first block that found no room.

    ``careful``: compare the first few free spots of each block by the edges that
    cross them; otherwise take the first free spot (quick, for finding a size).
    """
    sizes, row = shape.sizes, shape.row
    tallest = max(sizes)
    xs = [0.0]
    for g in shape.gaps:
        xs.append(xs[-1] + 2 * RADIUS + g)
    neuron_at: dict[str, tuple[float, float]] = {}
    layer_of: dict[str, int] = {}
    for l, names in enumerate(shape.neurons):
        offset = (tallest - sizes[l]) * row / 2
        for j, name in enumerate(names):
            neuron_at[name] = (xs[l], offset + j * row)
            layer_of[name] = l
    index = _Index()
    for x, y in neuron_at.values():
        index.add(_level(x - RADIUS - 1, y - RADIUS - 1, x + RADIUS + 1, y + RADIUS + 1))
    # Edges from circle to circle; the ones leaving the focus are the highlighted paths.
    ends: dict[str, tuple[float, float, float, float]] = {}
    for e in shape.edges:
        (x1, y1), (x2, y2) = neuron_at[e.source], neuron_at[e.target]
        d = math.hypot(x2 - x1, y2 - y1)
        ux, uy = (x2 - x1) / d, (y2 - y1) / d
        ends[e.name] = (x1 + RADIUS * ux, y1 + RADIUS * uy, x2 - RADIUS * ux, y2 - RADIUS * uy)
    highlighted = tuple(e.name for e in shape.edges if e.source == shape.focus)
    reach = BAND / 2 + GAP
    bands = [(ends[n], _box_of(ends[n], reach)) for n in highlighted]

    def free(parts: list[Rect]) -> bool:
        for r in parts:
            if index.hits(r):
                return False
            x0, y0, x1, y1 = _aabb(r)
            for seg, (a0, b0, a1, b1) in bands:
                if a0 < x1 and x0 < a1 and b0 < y1 and y0 < b1 and _segment_hits(seg, r, reach):
                    return False
        return True

    # Each gap's edges with their boxes, for counting the edges that cross a block.
    by_gap: list[list[tuple[str, tuple[float, float, float, float], tuple[float, float, float, float]]]] = [
        [] for _ in shape.gaps
    ]
    for e in shape.edges:
        by_gap[layer_of[e.source]].append((e.name, ends[e.name], _box_of(ends[e.name], 0.0)))

    def crossings(parts: list[Rect], own: str | None) -> int:
        """How many other edges run through the block's lines (fewer: it reads as its own edge's).

        Each line counts as its midline, a segment: an edge crossing the text crosses it.
        """
        count = 0
        for cx, cy, hw, _, c, s in parts:
            p, q = (cx - hw * c, cy - hw * s), (cx + hw * c, cy + hw * s)
            x0, x1 = min(p[0], q[0]), max(p[0], q[0])
            y0, y1 = min(p[1], q[1]), max(p[1], q[1])
            for l, gap_edges in enumerate(by_gap):
                if x1 < xs[l] or x0 > xs[l + 1]:
                    continue
                for name, seg, (a0, b0, a1, b1) in gap_edges:
                    if name != own and a0 <= x1 and x0 <= a1 and b0 <= y1 and y0 <= b1 and _cross(p, q, seg):
                        count += 1
        return count

    edge_of = {e.name: e for e in shape.edges}
    placed: dict[str, list[Line]] = {}
    order = {"input": 0, "output": 0, "stack": 1, "bias": 2, "edge": 3, "shared": 4}
    blocks = sorted(shape.blocks, key=lambda b: (order[b.kind], b.kind != "edge" or b.owner not in highlighted))
    for block in blocks:
        if block.kind == "shared":
            continue  # above everything else, once the rest is placed
        own = block.owner if block.kind == "edge" else None
        if own is not None:
            tiers = _edge_candidates(shape, edge_of[own], ends[own], block.widths, own in highlighted)
        else:
            x, y = neuron_at[block.owner]
            tiers = [_node_candidates(block.kind, x, y, block.widths)]
        chosen = None
        for tier in tiers:
            # Among the first few free spots of the best tier, the one fewest other edges cross.
            spots = []
            for lines in tier:
                if free([ln.rect() for ln in lines]):
                    spots.append(lines)
                    if len(spots) == (_CHOICES if careful else 1):
                        break
            if spots:
                chosen = (
                    spots[0] if len(spots) == 1 else min(spots, key=lambda ls: crossings([ln.rect() for ln in ls], own))
                )
                break
        if chosen is None:
            l = layer_of[edge_of[own].source] if own is not None else layer_of[block.owner]
            return block.kind, min(l, len(shape.gaps) - 1)
        placed[block.key] = chosen
        for ln in chosen:
            index.add(ln.rect())

    # Shared biases' nodes go in a row above everything else, each over the gap it feeds, with its
    # label beside it: nothing can be in the way.
    extents = [_aabb(ln.rect()) for lines in placed.values() for ln in lines]
    ceiling = min(
        [b[1] for b in extents]
        + [y - RADIUS for _, y in neuron_at.values()]
        + [min(seg[1], seg[3]) - BAND for seg, _ in bands]
    )
    bias_nodes = {}
    for block in (b for b in shape.blocks if b.kind == "shared"):
        l = int(block.owner)
        bx = xs[l] + RADIUS + shape.gaps[l] / 2
        height = LINE * len(block.widths)
        by = ceiling - max(BIAS_RADIUS, height / 2) - LINE / 2
        bias_nodes[l] = (bx, by)
        x0 = bx + BIAS_RADIUS + 5
        placed[block.key] = [
            Line(x0 + w / 2, by - height / 2 + (k + 0.5) * LINE, w, 0.0, "start") for k, w in enumerate(block.widths)
        ]

    # Everything is placed: shift so that the top-left item sits at the margin.
    margin = 8.0
    items = [_aabb(ln.rect()) for lines in placed.values() for ln in lines]
    items += [(x - RADIUS, y - RADIUS, x + RADIUS, y + RADIUS) for x, y in neuron_at.values()]
    items += [(x - BIAS_RADIUS, y - BIAS_RADIUS, x + BIAS_RADIUS, y + BIAS_RADIUS) for x, y in bias_nodes.values()]
    min_x, min_y = min(b[0] for b in items), min(b[1] for b in items)
    max_x, max_y = max(b[2] for b in items), max(b[3] for b in items)
    dx, dy = margin - min_x, margin - min_y
    return Layout(
        width=max_x - min_x + 2 * margin,
        height=max_y - min_y + 2 * margin,
        neurons={n: (x + dx, y + dy) for n, (x, y) in neuron_at.items()},
        bias_nodes={l: (x + dx, y + dy) for l, (x, y) in bias_nodes.items()},
        edges={n: (s[0] + dx, s[1] + dy, s[2] + dx, s[3] + dy) for n, s in ends.items()},
        lines={
            k: [Line(ln.cx + dx, ln.cy + dy, ln.width, ln.angle, ln.anchor) for ln in lines]
            for k, lines in placed.items()
        },
        highlighted=highlighted,
        footer_top=max_y + dy + margin,
    )


def _box_of(seg: tuple[float, float, float, float], reach: float) -> tuple[float, float, float, float]:
    return (
        min(seg[0], seg[2]) - reach,
        min(seg[1], seg[3]) - reach,
        max(seg[0], seg[2]) + reach,
        max(seg[1], seg[3]) + reach,
    )


def _stacked(x0: float, top: float, widths: tuple[float, ...], anchor: str) -> list[Line]:
    """Level lines from ``top`` down; ``x0`` is the left edge (start), right edge (end) or centre (middle)."""
    out = []
    for k, w in enumerate(widths):
        cx = {"start": x0 + w / 2, "end": x0 - w / 2}.get(anchor, x0)
        out.append(Line(cx, top + (k + 0.5) * LINE, w, 0.0, anchor))
    return out


def _node_candidates(kind: str, x: float, y: float, widths: tuple[float, ...]) -> Iterator[list[Line]]:
    """Candidate places for a neuron's block, best first."""
    h, w = LINE * len(widths), max(widths)
    if kind == "input":
        for dy in (0, LINE / 2, -LINE / 2, LINE, -LINE, 1.5 * LINE, -1.5 * LINE):
            yield _stacked(x - RADIUS - 6, y - h / 2 + dy, widths, "end")
        return
    if kind == "output":
        for dy in (0, -LINE / 2, LINE / 2, -LINE, LINE, -1.5 * LINE, 1.5 * LINE, -2 * LINE, 2 * LINE):
            yield _stacked(x + RADIUS + 6, y - h / 2 + dy, widths, "start")
        return
    # Centred first, then shifted further and further to either side (clear of a highlighted path
    # leaving the neuron to the right, or of one arriving from the left).
    shifts = [0.0]
    for s in (w / 6, w / 3, w / 2 - RADIUS, w / 2, w / 2 + RADIUS / 2, w / 2 + RADIUS):
        shifts += [s, -s]
    # Under and over the neuron alternate (the stack prefers under, a bias over), so that the few
    # free spots compared include both sides: fewest crossing edges wins (a top neuron's values go
    # over it, a bottom neuron's under it).
    below = [(s, y + RADIUS + 5 + dy) for dy in (0.0, 4.0, 10.0) for s in shifts]
    above = [(s, y - RADIUS - 5 - dy - h) for dy in (0.0, 4.0, 10.0) for s in shifts]
    first, second = (below, above) if kind == "stack" else (above, below)
    for a, b in zip(first, second):
        yield _stacked(x + a[0], a[1], widths, "middle")
        yield _stacked(x + b[0], b[1], widths, "middle")


def _edge_candidates(
    shape: _Shape, edge: _Edge, seg: tuple[float, float, float, float], widths: tuple[float, ...], on_path: bool
) -> list[Iterator[list[Line]]]:
    """Tiers of places for an edge's lines, best first, each tried along the whole edge.

    An ordinary edge: the weight just above the line and the gradient just under
    it, then both above, then both under. A highlighted edge (its lines are the
    path's share, the weight, the gradient): the first two above the band and the
    gradient under it, then all above, then all under. Each target neuron has its
    own preferred distance along the gap, so that the labels of crossing edges sit
    in different columns.
    """
    x1, y1, x2, y2 = seg
    targets = shape.neurons[next(l for l, layer in enumerate(shape.neurons) if edge.target in layer)]
    j, n = targets.index(edge.target), len(targets)
    preferred = 0.5 if n == 1 else 0.2 + 0.6 * j / (n - 1)
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    angle = math.degrees(math.atan2(uy, ux))
    # Positions along the edge where the longest line still fits between its ends.
    half = max(widths) / 2 / length
    lo, hi = min(0.5, 0.04 + half), max(0.5, 0.96 - half)
    ts = sorted((lo + (hi - lo) * k / 30 for k in range(31)), key=lambda t: abs(t - preferred))
    # Offsets of each line's centre along the downward normal (-uy... see Line.rect: (-sin, cos)).
    c = BAND / 2 + GAP + 0.5 if on_path else 0.0
    k = len(widths)
    if on_path:  # path share, weight | band | gradient
        arrangements = [
            [-c - 1.5 * LINE, -c - 0.5 * LINE, c + 0.5 * LINE],
            [-c - (k - i - 0.5) * LINE for i in range(k)],
            [c + (i + 0.5) * LINE for i in range(k)],
        ]
    else:  # weight | line | gradient
        arrangements = [
            [-0.5 * LINE, 0.5 * LINE],
            [-1.5 * LINE - 1.5, -0.5 * LINE - 1.5],
            [0.5 * LINE + 1.5, 1.5 * LINE + 1.5],
        ]
    nx, ny = -uy, ux  # the downward normal of a left-to-right edge

    def tier(offsets: list[float]) -> Iterator[list[Line]]:
        for t in ts:
            px, py = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            yield [Line(px + nx * v, py + ny * v, w, angle, "middle") for v, w in zip(offsets, widths)]

    return [tier(a) for a in arrangements]

// Every text of the diagram as the polygon Chromium draws it, and every collision between them.
// Used by tests/test_explorer_browser.py: (root) => {texts, smallest, collisions, underPaths, outside}.
// A text's box is its getBBox() (the glyph cells of every run, sub- and superscripts included) carried
// to the page by getScreenCTM(), so a turned label is the turned rectangle, not its bounding box.
(root) => {
  const svg = root.querySelector("svg");
  const corners = (el, box, grow) => {
    const m = el.getScreenCTM();
    const pts = [[box.x - grow, box.y - grow], [box.x + box.width + grow, box.y - grow],
                 [box.x + box.width + grow, box.y + box.height + grow], [box.x - grow, box.y + box.height + grow]];
    return pts.map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  // Two convex polygons overlap unless some edge's normal separates them (by more than `slack` px).
  const separated = (p, q, slack) => {
    for (const poly of [p, q]) {
      for (let i = 0; i < poly.length; i++) {
        const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % poly.length];
        const nx = y1 - y2, ny = x2 - x1, len = Math.hypot(nx, ny);
        if (len === 0) continue;
        const proj = (pts) => pts.map(([x, y]) => (x * nx + y * ny) / len);
        const a = proj(p), b = proj(q);
        if (Math.max(...a) <= Math.min(...b) + slack || Math.max(...b) <= Math.min(...a) + slack) return true;
      }
    }
    return false;
  };
  const texts = [...svg.querySelectorAll("text")].filter((t) => t.getBBox().width > 0).map((t) => {
    const scale = Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b);
    const sizes = [t, ...t.querySelectorAll("tspan")].map((e) => parseFloat(getComputedStyle(e).fontSize) * scale);
    return {el: t, label: t.textContent, q: t.dataset.q || null, poly: corners(t, t.getBBox(), 0),
            size: Math.min(...sizes)};
  });
  // A highlighted path is its band: the line's length and the band's stroke width.
  const bands = [...svg.querySelectorAll("line.cr-band")].map((l) => {
    const x1 = l.x1.baseVal.value, y1 = l.y1.baseVal.value, x2 = l.x2.baseVal.value, y2 = l.y2.baseVal.value;
    const half = parseFloat(getComputedStyle(l).strokeWidth) / 2;
    const len = Math.hypot(x2 - x1, y2 - y1), nx = -(y2 - y1) / len * half, ny = (x2 - x1) / len * half;
    const m = l.getScreenCTM();
    const pts = [[x1 + nx, y1 + ny], [x2 + nx, y2 + ny], [x2 - nx, y2 - ny], [x1 - nx, y1 - ny]];
    // Round or square caps reach half the width past each end: lengthen by that much.
    const cap = getComputedStyle(l).strokeLinecap === "butt" ? 0 : half;
    const ux = (x2 - x1) / len * cap, uy = (y2 - y1) / len * cap;
    const capped = [[pts[0][0] - ux, pts[0][1] - uy], [pts[1][0] + ux, pts[1][1] + uy],
                    [pts[2][0] + ux, pts[2][1] + uy], [pts[3][0] - ux, pts[3][1] - uy]];
    return {weight: l.closest("[data-weight]").dataset.weight,
            poly: capped.map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f])};
  });
  const collisions = [], underPaths = [], outside = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      if (!separated(texts[i].poly, texts[j].poly, 0)) collisions.push([texts[i].label, texts[j].label]);
    }
    for (const band of bands) {
      if (!separated(texts[i].poly, band.poly, 0)) underPaths.push([texts[i].label, band.weight]);
    }
  }
  const frame = svg.getBoundingClientRect();
  for (const t of texts) {
    if (t.poly.some(([x, y]) => x < frame.left - 0.5 || x > frame.right + 0.5 || y < frame.top - 0.5 || y > frame.bottom + 0.5))
      outside.push(t.label);
  }
  return {texts: texts.length, bands: bands.length, smallest: Math.min(...texts.map((t) => t.size)),
          collisions, underPaths, outside};
}

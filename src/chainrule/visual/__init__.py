"""See it: network diagrams, an HTML report of a trace, and the interactive explorer.

Nothing here is a second implementation of backpropagation: every number
drawn or typeset comes from the engine, through :mod:`chainrule.explain`.
"""

from .diagram import MAX_DIAGRAM_NEURONS, OVERLAYS, network_svg, trace_network, trace_svg
from .report import render_html

__all__ = ["network_svg", "trace_svg", "trace_network", "render_html", "OVERLAYS", "MAX_DIAGRAM_NEURONS"]

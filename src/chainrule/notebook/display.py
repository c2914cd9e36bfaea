"""What a notebook shows for chainrule's objects, registered with IPython's display formatters.

The core's classes know nothing of notebooks (the engine imports nothing
above it), so the displays are registered from outside, by class name:
``import chainrule`` does it when IPython is running, and
:func:`register` does it by hand. Each display is built only when an object
is shown:

==============  ==================  =================================================
object          MIME type           what is shown
==============  ==================  =================================================
``Network``     ``image/svg+xml``   its diagram (:func:`chainrule.visual.network_svg`)
``Trace``       ``text/html``       the report (:func:`chainrule.visual.report_html`),
                                    every style rule scoped under its own ``div``
``History``     ``image/svg+xml``   the loss curves (:func:`chainrule.visual.curve.history_svg`)
==============  ==================  =================================================

A network too wide for a diagram, or a trace too large for a report, falls
back to its plain ``repr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from ..i18n import DEFAULT_LANGUAGE, check_language

__all__ = ["Report", "language", "register", "set_language"]


class _Settings(TypedDict):
    lang: str
    precision: int


_SETTINGS: _Settings = {"lang": DEFAULT_LANGUAGE, "precision": 9}


def set_language(lang: str) -> None:
    """The language of the reports a notebook shows from now on (``"en"``, ``"zh"``)."""
    _SETTINGS["lang"] = check_language(lang)


def language() -> str:
    """The language of the notebook's reports."""
    return _SETTINGS["lang"]


class Report:
    """One trace or several, shown as the report in a notebook: ``Report(traces, lang="zh")``."""

    def __init__(self, traces: Any, precision: int = 9, lang: str | None = None) -> None:
        self.traces, self.precision = traces, precision
        self.lang = check_language(lang) if lang is not None else None

    def _repr_html_(self) -> str:
        from ..visual.report import report_html

        return report_html(self.traces, self.precision, lang=self.lang or language())


def network_svg(network: Any) -> str | None:
    from ..visual.diagram import MAX_DIAGRAM_NEURONS
    from ..visual.diagram import network_svg as draw

    if max(network.sizes) > MAX_DIAGRAM_NEURONS:
        return None  # IPython then shows the repr
    return draw(network, digits=3)


def trace_html(trace: Any) -> str | None:
    return Report(trace)._repr_html_()


def history_svg(history: Any) -> str | None:
    from ..visual.curve import history_svg as draw

    return draw(history) if len(history) else None


#: (module, class name, MIME type, function): registered by name, so nothing is imported until shown.
DISPLAYS: Sequence[tuple[str, str, str, Any]] = (
    ("chainrule.core.network", "Network", "image/svg+xml", network_svg),
    ("chainrule.explain.model", "Trace", "text/html", trace_html),
    ("chainrule.training.history", "History", "image/svg+xml", history_svg),
)


def register(ipython: Any = None) -> bool:
    """Register the displays with IPython's formatters (the running shell by default); False without IPython."""
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        ipython = get_ipython()
        if ipython is None:
            return False
    formatters = ipython.display_formatter.formatters
    for module, name, mime, function in DISPLAYS:
        formatters[mime].for_type_by_name(module, name, function)
    return True

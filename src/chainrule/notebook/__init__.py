"""chainrule in a Jupyter notebook: rich displays, and the explorer as a widget.

=============  ==================================================================
module         what it holds
=============  ==================================================================
``display``    what a notebook shows for a Network or Dense (its diagram), a Trace
               (the report, styles scoped to it) and a History (its loss curve);
               :func:`register` (done by ``import chainrule`` inside IPython),
               :func:`set_language`, :class:`Report`
``widget``     :class:`ExplorerWidget`: the explorer page, driven in-process through
               the same JSON API as ``chainrule serve`` (the ``notebook`` extra: anywidget)
=============  ==================================================================
"""

from typing import Any

from .display import Report, language, register, set_language

__all__ = ["ExplorerWidget", "Report", "language", "register", "set_language"]


def __getattr__(name: str) -> Any:
    if name == "ExplorerWidget":  # needs the optional extra; imported when asked for
        from .widget import ExplorerWidget

        return ExplorerWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext chainrule.notebook``: register the displays in this shell."""
    register(ipython)

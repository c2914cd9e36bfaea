"""Names a package exports but loads on first use (PEP 562 module ``__getattr__``).

``import chainrule`` loads the engine only; the renderers, the explorer, model
files, tables, exporters and plots load when a program first touches one of
their names. A package that re-exports names from its submodules this way
writes::

    from typing import TYPE_CHECKING

    from .core.lazy import lazy_exports

    __all__ = ["render_html", "network_svg"]

    if TYPE_CHECKING:  # what type checkers and editors see; at run time each loads on first use
        from .visual import network_svg, render_html

    __getattr__, __dir__ = lazy_exports(__name__, {".visual": ["network_svg", "render_html"]})

``from package import render_html`` and ``package.render_html`` then work as
with an eager import: the first use imports the submodule and keeps the value
in the package's namespace, so later uses cost a dictionary look-up.
``tests/test_import.py`` checks that each package's ``__all__``, its
``TYPE_CHECKING`` imports and its mapping name the same things.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    exports: Mapping[str, Iterable[str]],
    submodules: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``(__getattr__, __dir__)`` pair of ``package`` that loads ``exports`` on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to iterable of str
        Module (relative to ``package`` when it starts with a dot) -> the names
        ``package`` exports from it, under the same name.
    submodules : iterable of str
        Subpackages reachable as attributes (``chainrule.explain`` after
        ``import chainrule``) before anything imported them.

    Returns
    -------
    (__getattr__, __dir__)
        To assign at the package's module level. ``dir(package)`` lists what is
        loaded, every export and every submodule.
    """
    where: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in where:
                raise ValueError(f"{package}: {name!r} is exported from both {where[name]!r} and {module!r}")
            where[name] = module
    reachable = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        namespace = vars(sys.modules[package])
        module = where.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module, package), name)
        elif name in reachable:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value  # the next look-up finds it without calling this hook
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where) | reachable)

    return __getattr__, __dir__

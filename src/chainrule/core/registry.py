"""Named parts (activations, losses): their shared base class and the registry that finds them by name.

A :class:`Component` is a small object known by a ``name`` and rebuilt from its
:meth:`~Component.config` (``{"name": ..., **options}``, JSON-ready), which is how
layers, model files and explain configs store it. Two components are equal when
they are of the same class with the same config; copies and pickles leave out
attributes whose names start with ``_`` (scratch space, rebuilt on first use).

A :class:`Registry` maps names to component classes. The library registers its
own classes as *built-ins*; users add theirs with :meth:`Registry.register`
(``chainrule.register_activation`` and ``chainrule.register_loss``), which also
works as a class decorator::

    import numpy as np
    from chainrule import Activation, register_activation

    @register_activation
    class Cube(Activation):
        name = "cube"
        needs_z = True  # its derivative reads the pre-activation z

        def forward(self, z, out):
            return np.power(z, 3, out=out)

        def derivative(self, a, out, *, z):
            np.multiply(z, z, out=out)
            return np.multiply(out, 3.0, out=out)

Rules for names, decided once for both registries:

* a built-in's name (and a loss alias such as ``"mse"``) can never be taken:
  a model file that says ``"relu"`` always means the library's ReLU;
* a name already registered by the user for another class is refused unless
  ``replace=True`` is passed (re-running a notebook cell that redefines the
  class needs it); registering the same class again changes nothing;
* a name is lower case: a letter, then letters, digits or ``_``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar, overload

from .errors import Described
from .validation import fail

__all__ = ["Component", "Registry", "NAME_PATTERN"]

#: What a registered name looks like (it appears in model files, traces and formulas).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a JSON-like config value (lists and dicts become tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


_Self = TypeVar("_Self", bound="Component")


class Component:
    """Base of :class:`~chainrule.core.activations.Activation` and :class:`~chainrule.core.losses.Loss`.

    Subclasses set the class attribute ``name`` and, when they take options,
    override :meth:`config` to return ``{"name": self.name, **options}`` where the
    options are exactly the keyword arguments of ``__init__``.
    """

    name: ClassVar[str] = ""

    def config(self) -> dict[str, Any]:
        """A JSON-ready description, ``{"name": ..., **options}``, from which the registry rebuilds it."""
        return {"name": self.name}

    @classmethod
    def from_config(cls: type[_Self], options: Mapping[str, Any]) -> _Self:
        """A new instance from the options of :meth:`config` (without ``name``)."""
        return cls(**options)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Component) and type(self) is type(other) and self.config() == other.config()

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, _frozen(self.config())))

    def __getstate__(self) -> dict[str, Any]:
        # Attributes starting with "_" are scratch space (class-level None until first use).
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


C = TypeVar("C", bound=Component)


class Registry(Mapping[str, type[C]], Generic[C]):
    """Names to component classes: the built-ins, then what users registered.

    Reads like a read-only ``dict`` (``"relu" in ACTIVATIONS``, ``ACTIVATIONS["relu"]``,
    ``sorted(ACTIVATIONS)``); changes go through :meth:`register` and :meth:`unregister`.

    Parameters
    ----------
    kind : str
        What the components are, for messages (``"activation"``).
    base : type
        The class every registered class must derive from.
    register_with : str
        The public function users call, for messages (``"chainrule.register_activation"``).
    required : tuple of str
        Methods a registered class must define itself (not inherit from ``base``);
        a tuple inside means "at least one of these".
    aliases : mapping, optional
        Extra names for built-ins (``{"mse": "squared_error"}``); they are reserved too.
    """

    def __init__(
        self,
        kind: str,
        base: type[C],
        register_with: str,
        required: tuple[str | tuple[str, ...], ...] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.base = base
        self.register_with = register_with
        self.required = required
        self.aliases: dict[str, str] = dict(aliases or {})
        self._classes: dict[str, type[C]] = {}
        self._builtins: list[str] = []

    # -- the mapping ------------------------------------------------------------------------
    def __getitem__(self, name: str) -> type[C]:
        return self._classes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._classes)})"

    @property
    def builtins(self) -> tuple[str, ...]:
        """The library's own names, in the order they were registered."""
        return tuple(self._builtins)

    # -- changing it ------------------------------------------------------------------------
    @overload
    def register(self, cls: type[C], *, replace: bool = False) -> type[C]: ...

    @overload
    def register(self, cls: None = None, *, replace: bool = False) -> Callable[[type[C]], type[C]]: ...

    def register(self, cls: type[C] | None = None, *, replace: bool = False) -> Any:
        """Make ``cls`` findable by its ``name`` (in layers, model files, explain configs); return it.

        Usable as ``register(MyClass)``, ``@register`` or ``@register(replace=True)``.
        ``replace=True`` lets a class take over a name an earlier *user* registration
        holds; built-in names are never replaced.
        """
        if cls is None:
            return lambda c: self.register(c, replace=replace)
        self._add(cls, replace=replace, builtin=False)
        return cls

    def unregister(self, name: str) -> None:
        """Forget a user registration (built-ins stay)."""
        if name in self._builtins:
            raise fail(f"{self.kind} name", "a name you registered (built-ins cannot be removed)", name)
        if name not in self._classes:
            raise fail(f"{self.kind} name", f"a registered name, one of {self._user_names()}", name)
        del self._classes[name]

    def add_builtin(self, cls: type[C]) -> type[C]:
        """Register one of the library's own classes (used by the library's modules only)."""
        self._add(cls, replace=False, builtin=True)
        self._builtins.append(cls.name)
        return cls

    def _user_names(self) -> list[str]:
        return sorted(n for n in self._classes if n not in self._builtins)

    def _add(self, cls: Any, *, replace: bool, builtin: bool) -> None:
        kind = self.kind
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise fail(f"register_{kind}", f"a subclass of {self.base.__name__}", cls)
        name = cls.__dict__.get("name", None)
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise fail(
                f"{kind} {cls.__name__}.name",
                "a class attribute of its own: lower case, a letter then letters, digits or _ (e.g. 'cube')",
                name if isinstance(name, str) else Described("no name of its own"),
            )
        for required in self.required:
            options = required if isinstance(required, tuple) else (required,)
            if all(getattr(cls, m) is getattr(self.base, m) for m in options):
                raise fail(
                    f"{kind} {cls.__name__}",
                    f"a class that defines {' or '.join(options)}",
                    Described(f"{cls.__name__}, which inherits it from {self.base.__name__}"),
                )
        if not isinstance(replace, bool):
            raise fail("replace", "True or False", replace)
        holder = self._classes.get(name)
        if holder is cls:
            return
        if name in self._builtins or name in self.aliases:
            raise fail(
                f"{kind} name",
                f"a name no built-in uses (built-ins cannot be replaced; give {cls.__name__} another name)",
                name,
            )
        if holder is not None and not replace and not builtin:
            raise fail(
                f"{kind} name",
                f"a name not yet registered (it belongs to {holder.__qualname__}; "
                "pass replace=True to replace that registration)",
                name,
            )
        self._classes[name] = cls

    # -- finding ----------------------------------------------------------------------------
    def resolve(self, spec: Any) -> C:
        """A fresh instance from a name, a config dict ``{"name": ..., **options}`` or an instance.

        An instance's class need not be registered (``Dense(2, 2, MyActivation())``
        works); it is rebuilt from its config, so that no two layers share scratch
        space. A class whose name belongs to a *different* registered class is
        refused: a model file would load that other class.
        """
        kind = self.kind
        if isinstance(spec, self.base):
            config = spec.config()
            cls = type(spec)
            name = config.get("name") if isinstance(config, dict) else None
            if not isinstance(name, str) or not NAME_PATTERN.match(name):
                raise fail(
                    f"{kind} {cls.__name__}.name",
                    "a lower-case name such as 'cube' (set the class attribute name)",
                    name,
                )
            holder = self._classes.get(name)
            if holder is not None and holder is not cls:
                raise fail(
                    kind,
                    f"an instance whose name is its own ({name!r} belongs to {holder.__qualname__}; "
                    f"give {cls.__name__} another name)",
                    Described(f"{cls.__qualname__}()"),
                )
            options = {k: v for k, v in config.items() if k != "name"}
            return self._build(cls, name, options, hint=" (config() must return the keyword arguments of __init__)")
        if isinstance(spec, dict):
            options = dict(spec)
            name = options.pop("name", None)
            if not isinstance(name, str):
                raise fail(f"{kind} name", f"a string, one of {self._choices()}", name)
        elif isinstance(spec, str):
            name, options = spec, {}
        else:
            raise fail(
                kind,
                f"a name (one of {self._choices()}), a config dict with 'name', or an instance of {self.base.__name__}",
                spec,
            )
        name = self.aliases.get(name, name)
        registered = self._classes.get(name)
        if registered is None:
            raise fail(
                kind,
                f"one of {self._choices()} (register your own {kind} class with "
                f"{self.register_with}(YourClass) before using or loading it)",
                name,
            )
        return self._build(registered, name, options)

    def _choices(self) -> list[str]:
        return sorted(self._classes) + sorted(self.aliases)

    def _build(self, cls: type[C], name: str, options: dict[str, Any], hint: str = "") -> C:
        try:
            return cls.from_config(options)
        except TypeError as err:
            raise fail(f"{self.kind} {name!r} options", f"no unknown options{hint}", options) from err

"""One description of a network: its architecture and conventions, without values.

A :class:`NetworkSpec` is what :meth:`Network.spec() <chainrule.core.network.Network.spec>`
returns and :meth:`Network.from_spec` builds from; its dict
(:meth:`NetworkSpec.to_dict`, JSON-ready) is :meth:`Network.config`, the
architecture of a model file, and the network part of a ``chainrule explain``
config file and of an explorer network file. For the tutorial's 2-2-2 network::

    {"version": 1,
     "layers": [{"type": "dense", "n_in": 2, "n_out": 2, "activation": {"name": "sigmoid"},
                 "bias": "shared", "train_bias": false},
                {"type": "dense", "n_in": 2, "n_out": 2, "activation": {"name": "sigmoid"},
                 "bias": "shared", "train_bias": false}],
     "loss": {"name": "squared_error", "reduction": "mean", "output_reduction": "half_sum"},
     "dtype": "float64"}

=====================  =============================================================
field                  meaning
=====================  =============================================================
``version``            :data:`SPEC_VERSION`; a newer one is refused, not guessed at
``layers[k].type``     one of :data:`LAYER_TYPES` (``"dense"``)
``layers[k].n_in``     inputs of layer ``k``: ``n_out`` of layer ``k - 1``
``layers[k].n_out``    its neurons
``layers[k].activation``  ``{"name": ..., options}`` of a registered activation
                       (:func:`~chainrule.core.activations.get_activation`); a bare
                       name is accepted and written back as ``{"name": ...}``
``layers[k].bias``     one of :data:`BIAS_MODES`: one bias per neuron, or one shared
                       by the layer (the tutorial's b1, b2)
``layers[k].train_bias``  whether the optimizer updates the bias
``loss``               ``{"name": ..., options}`` of a registered loss
                       (:func:`~chainrule.core.losses.get_loss`): ``reduction`` over
                       samples (:data:`REDUCTIONS`) and, for the squared error,
                       ``output_reduction`` over outputs (:data:`OUTPUT_REDUCTIONS`)
``dtype``              ``"float32"`` or ``"float64"``
=====================  =============================================================

Every field is required and no other is allowed. A spec has at most
:data:`~chainrule.core.limits.MAX_LAYERS` layers and
:data:`~chainrule.core.limits.MAX_PARAMETERS` weights and biases (see
:mod:`chainrule.core.limits` for why): sizes are checked, with exact integer
arithmetic, before any activation or loss is looked up, and nothing is ever
allocated for a spec.  :meth:`NetworkSpec.to_dict`
writes every option of every activation and loss, so a dict is the whole
description. A bad dict raises :class:`~chainrule.core.errors.ValidationError`
whose ``field`` is the path in the dict (``"layers[1].activation"``,
``"layers[0].activation.alpha"``, ``"loss.reduction"``). Callers that read the
spec out of a larger document (a config file, the explorer's page) pass
``field_name`` to :meth:`NetworkSpec.from_dict`: it turns a path (a tuple such
as ``("layers", 1, "activation")``) into the name their users know, so no
caller ever takes a message apart.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .errors import Described, ValidationError, excerpt
from .layers import BIAS_MODES
from .limits import MAX_LAYERS, MAX_PARAMETERS, load_json
from .losses import REDUCTIONS, Loss, SquaredError, get_loss
from .validation import FLOAT_DTYPES, check_positive_int, fail

__all__ = [
    "BIAS_MODES",
    "DTYPES",
    "LAYER_FIELDS",
    "LAYER_TYPES",
    "OUTPUT_REDUCTIONS",
    "REDUCTIONS",
    "SPEC_VERSION",
    "TOP_FIELDS",
    "FieldName",
    "LayerSpec",
    "NetworkSpec",
    "Path",
    "spec_path",
]

#: The version :meth:`NetworkSpec.to_dict` writes; bump when an older reader could misread a new dict.
SPEC_VERSION = 1
#: Layer types a spec may name.
LAYER_TYPES = ("dense",)
#: The dtype names a spec may name (``float32`` and ``float64``).
DTYPES = tuple(dtype.name for dtype in FLOAT_DTYPES)
#: The squared error's forms over the outputs: the tutorial's ``sum 1/2 (t - out)^2``, or the mean.
OUTPUT_REDUCTIONS = SquaredError.OUTPUT_REDUCTIONS

#: The fields of a spec dict, and of each of its layers: all required, no others.
TOP_FIELDS = ("version", "layers", "loss", "dtype")
LAYER_FIELDS = ("type", "n_in", "n_out", "activation", "bias", "train_bias")

#: A place in a spec dict: keys and list indices from the top, e.g. ``("layers", 1, "activation")``.
Path = tuple[str | int, ...]
#: Turns a :data:`Path` into the field name an error reports.
FieldName = Callable[[Path], str]


def spec_path(path: Path) -> str:
    """The default field name of a path: ``("layers", 1, "activation")`` -> ``"layers[1].activation"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "spec"


class _Checker:
    """The checks of one dict, reporting each failure under ``field_name(path)``."""

    def __init__(self, field_name: FieldName) -> None:
        self.name = field_name

    def fail(self, path: Path, expected: str, received: Any) -> ValidationError:
        return fail(self.name(path), expected, received)

    def fields(self, data: Any, path: Path, names: tuple[str, ...], what: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(path, f"{what}: an object with the fields {list(names)}", data)
        for name in names:
            if name not in data:
                raise self.fail(
                    path + (name,), "a value (the field is required)", Described("nothing, the field is missing")
                )
        for name in data:
            if name not in names:
                raise self.fail(path + (str(name),), f"one of the fields {list(names)}", Described("an unknown field"))
        return data

    def version(self, value: Any, path: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(path, f"a whole number from 1 to {SPEC_VERSION}", value)
        if value > SPEC_VERSION:
            raise self.fail(
                path,
                f"a spec version this chainrule reads (up to {SPEC_VERSION}); upgrade chainrule to read newer ones",
                value,
            )
        return value

    def size(self, value: Any, path: Path) -> int:
        return check_positive_int(value, self.name(path))

    def choice(self, value: Any, path: Path, choices: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.fail(path, f"one of {list(choices)}", value)
        return value

    def boolean(self, value: Any, path: Path) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "true or false", value)
        return value

    def dtype(self, value: Any, path: Path) -> str:
        """A dtype name; in Python also a NumPy float dtype or type (``np.float32``), written as its name."""
        if isinstance(value, str):
            name = value
        elif isinstance(value, (type, np.dtype)):
            try:
                name = np.dtype(value).name
            except TypeError:
                name = None
        else:
            name = None
        if name is None or name not in DTYPES:
            raise self.fail(path, " or ".join(DTYPES), value)
        return name

    def named(self, value: Any, path: Path, resolve: Callable[[Any], Any], what: str) -> dict[str, Any]:
        """A registered activation or loss: ``value`` is a name or ``{"name": ..., options}``.

        The name is resolved alone first, then each option with it, so that a
        refusal points at the option (``path + (option,)``) that caused it.
        Returns the canonical config (every option, as ``resolve(...).config()`` writes it).
        """
        if isinstance(value, (Activation, Loss)):
            value = value.config()
        if isinstance(value, str):
            name, options = value, {}
        elif isinstance(value, Mapping):
            options = {k: v for k, v in value.items() if k != "name"}
            given = value.get("name")
            if not isinstance(given, str):
                raise self.fail(path + ("name",), f"the name of a registered {what}", given)
            name = given
        else:
            article = "an" if what[0] in "aeiou" else "a"
            raise self.fail(path, f'{article} {what} name or an object {{"name": ..., options}}', value)
        try:
            known = resolve(name).config()
        except ValidationError as err:
            raise self.fail(path, err.expected, name) from None
        for option, setting in options.items():
            if option not in known:
                choices = [key for key in known if key != "name"]
                raise self.fail(
                    path + (str(option),),
                    f"an option of {what} {name!r} ({'one of ' + str(choices) if choices else 'it takes none'})",
                    Described("an unknown option"),
                )
            try:
                resolve({"name": name, option: setting})
            except (ValidationError, TypeError, ValueError, OverflowError) as err:  # a component's own refusal
                expected = err.expected if isinstance(err, ValidationError) else f"a valid {option}"
                raise self.fail(path + (option,), expected, setting) from None
        try:
            config = resolve({"name": name, **options}).config()
        except (ValidationError, TypeError, ValueError, OverflowError) as err:  # fine alone but not together
            expected = err.expected if isinstance(err, ValidationError) else f"options of {what} {name!r}"
            raise self.fail(path, expected, value) from None
        try:
            plain: dict[str, Any] = json.loads(json.dumps(config, allow_nan=False))  # a JSON-ready copy
            return plain
        except (TypeError, ValueError):
            raise self.fail(
                path, f"a {what} whose config() is JSON (finite numbers, strings, lists)", Described(repr(config))
            ) from None

    def layer_sizes(self, data: Any, path: Path) -> tuple[int, int, int]:
        """``(n_in, n_out, n_bias)`` of a layer dict, checked before the rest of it (see :meth:`layer`)."""
        if isinstance(data, LayerSpec):
            data = data.to_dict()
        self.fields(data, path, LAYER_FIELDS, "a layer")
        n_in, n_out = self.size(data["n_in"], path + ("n_in",)), self.size(data["n_out"], path + ("n_out",))
        bias = self.choice(data["bias"], path + ("bias",), BIAS_MODES)
        n_bias = n_out if bias == "per_neuron" else 1
        if n_in * n_out + n_bias > MAX_PARAMETERS:
            raise self.fail(
                path,
                f"a layer of at most {_count(MAX_PARAMETERS)} weights and biases",
                Described(f"{excerpt(n_in)} inputs x {excerpt(n_out)} neurons = {_count(n_in * n_out)} weights"),
            )
        return n_in, n_out, n_bias

    def layer(self, data: Any, path: Path) -> dict[str, Any]:
        if isinstance(data, LayerSpec):
            data = data.to_dict()
        self.layer_sizes(data, path)
        return {
            "type": self.choice(data["type"], path + ("type",), LAYER_TYPES),
            "n_in": self.size(data["n_in"], path + ("n_in",)),
            "n_out": self.size(data["n_out"], path + ("n_out",)),
            "activation": self.named(data["activation"], path + ("activation",), get_activation, "activation"),
            "bias": self.choice(data["bias"], path + ("bias",), BIAS_MODES),
            "train_bias": self.boolean(data["train_bias"], path + ("train_bias",)),
        }

    def network(self, data: Any) -> dict[str, Any]:
        self.fields(data, (), TOP_FIELDS, "a network spec")
        self.version(data["version"], ("version",))
        layers_in = data["layers"]
        if isinstance(layers_in, (str, bytes, Mapping)) or not isinstance(layers_in, Iterable):
            raise self.fail(("layers",), "a list of layers", layers_in)
        layers_in = list(itertools.islice(layers_in, MAX_LAYERS + 1))
        if not layers_in:
            raise self.fail(("layers",), "at least one layer", layers_in)
        if len(layers_in) > MAX_LAYERS:
            raise self.fail(("layers",), f"at most {MAX_LAYERS:,} layers", Described(f"more than {MAX_LAYERS:,}"))
        # Sizes first, with exact integers: a spec past the bounds is refused before anything else is looked at.
        sizes = [self.layer_sizes(entry, ("layers", k)) for k, entry in enumerate(layers_in)]
        for k in range(1, len(sizes)):
            if sizes[k][0] != sizes[k - 1][1]:
                raise self.fail(("layers", k, "n_in"), f"{sizes[k - 1][1]} (the n_out of layers[{k - 1}])", sizes[k][0])
        total = sum(n_in * n_out + n_bias for n_in, n_out, n_bias in sizes)
        if total > MAX_PARAMETERS:
            shown = [sizes[0][0]] + [n_out for _, n_out, _ in sizes]
            raise self.fail(
                ("layers",),
                f"a network of at most {_count(MAX_PARAMETERS)} weights and biases",
                Described(f"sizes {excerpt(shown)}: {_count(total)} parameters"),
            )
        layers = [self.layer(entry, ("layers", k)) for k, entry in enumerate(layers_in)]
        loss = self.named(data["loss"], ("loss",), get_loss, "loss")
        try:
            get_loss(loss).check_activation(get_activation(layers[-1]["activation"]))
        except ValidationError as err:
            raise self.fail(("loss",), err.expected, Described(err.received)) from None
        return {"layers": layers, "loss": loss, "dtype": self.dtype(data["dtype"], ("dtype",))}


def _count(n: int) -> str:
    """``1,000,000`` for a count; its size in digits when it is too long to print."""
    return f"{n:,}" if n.bit_length() <= 128 else excerpt(n)


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer: ``n_in`` inputs, ``n_out`` neurons, an activation and its bias convention.

    ``activation`` may be given as a name, a config dict or an
    :class:`~chainrule.core.activations.Activation`; it is kept as its full
    config dict (``{"name": "leaky_relu", "alpha": 0.01}``). Invalid values
    raise :class:`ValidationError` naming the field (``"n_out"``, ``"activation"``...).
    """

    n_in: int
    n_out: int
    activation: Any = "sigmoid"
    bias: str = "per_neuron"
    train_bias: bool = True
    type: str = "dense"

    def __post_init__(self) -> None:
        checked = _Checker(spec_path).layer(self._raw(), ())
        for key, value in checked.items():
            object.__setattr__(self, key, value)

    def _raw(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in LAYER_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        """The layer's JSON-ready dict (every field of :data:`LAYER_FIELDS`)."""
        plain: dict[str, Any] = json.loads(json.dumps(self._raw()))
        return plain

    @classmethod
    def from_dict(cls, data: Any, *, field_name: FieldName = spec_path) -> LayerSpec:
        """Check ``data`` (errors name ``field_name(("n_in",))``...) and build the layer spec."""
        return cls(**_Checker(field_name).layer(data, ()))

    @property
    def n_bias(self) -> int:
        """Number of bias values: ``n_out`` per neuron, 1 when shared."""
        return self.n_out if self.bias == "per_neuron" else 1

    def __hash__(self) -> int:
        return hash(json.dumps(self._raw(), sort_keys=True))


@dataclass(frozen=True)
class NetworkSpec:
    """A network's architecture and conventions (see the module docstring for the fields).

    Parameters
    ----------
    layers : sequence of LayerSpec or layer dicts
        Consecutive layers must agree (``layers[k].n_in == layers[k - 1].n_out``).
    loss : str, dict or Loss
        A registered loss; kept as its full config dict. It must suit the
        output layer's activation (the cross-entropies fuse with softmax and sigmoid).
    dtype : ``"float32"`` or ``"float64"`` (or a NumPy float dtype)

    Notes
    -----
    A spec is immutable and checked when it is made: an invalid one raises
    :class:`ValidationError` with the path of the bad field.
    """

    layers: tuple[LayerSpec, ...]
    loss: Any = "squared_error"
    dtype: Any = "float64"
    #: Always :data:`SPEC_VERSION`: older dicts are upgraded by :meth:`from_dict`.
    version: int = field(default=SPEC_VERSION, init=False)

    def __post_init__(self) -> None:
        layers: Any = self.layers  # as given: one layer, or a sequence of LayerSpecs or dicts
        if isinstance(layers, (LayerSpec, Mapping)):
            layers = [layers]
        checked = _Checker(spec_path).network(
            {"version": SPEC_VERSION, "layers": layers, "loss": self.loss, "dtype": self.dtype}
        )
        object.__setattr__(self, "layers", tuple(LayerSpec(**layer) for layer in checked["layers"]))
        object.__setattr__(self, "loss", checked["loss"])
        object.__setattr__(self, "dtype", checked["dtype"])

    # -- the dict -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict: ``version``, ``layers``, ``loss`` and ``dtype``, every option written."""
        return {
            "version": self.version,
            "layers": [layer.to_dict() for layer in self.layers],
            "loss": json.loads(json.dumps(self.loss)),
            "dtype": self.dtype,
        }

    @classmethod
    def from_dict(cls, data: Any, *, field_name: FieldName = spec_path) -> NetworkSpec:
        """Check a spec dict and build the spec.

        Raises :class:`ValidationError` whose ``field`` is ``field_name(path)``
        for the first bad field (by default the path itself, ``"layers[1].activation"``):
        a missing or unknown field, a newer ``version``, an unknown layer type,
        activation, loss or option, sizes that do not chain, a loss that does
        not suit the output activation, a dtype other than float32 and float64.
        """
        checked = _Checker(field_name).network(data)
        return cls(tuple(LayerSpec(**layer) for layer in checked["layers"]), checked["loss"], checked["dtype"])

    def to_json(self, **options: Any) -> str:
        """:meth:`to_dict` as JSON text (``options`` go to :func:`json.dumps`, e.g. ``indent=2``)."""
        return json.dumps(self.to_dict(), **options)

    @classmethod
    def from_json(cls, text: str | bytes) -> NetworkSpec:
        """The spec a JSON text describes (see :meth:`from_dict`)."""
        return cls.from_dict(load_json(text, "spec"))

    # -- what it describes -----------------------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        """Layer sizes, inputs first: ``[n_inputs, ..., n_outputs]``."""
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    def n_parameters(self) -> int:
        """Number of scalar weights and biases of a network built from this spec."""
        return sum(layer.n_in * layer.n_out + layer.n_bias for layer in self.layers)

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

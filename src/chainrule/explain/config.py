"""What ``chainrule explain`` traces: a network, one sample, its targets, a learning rate.

From a file (JSON, TOML or YAML, by extension) or, by default, the tutorial's
2-2-2 network. A file holds one table/object: the fields of the network's spec
(:mod:`chainrule.core.spec`, what ``Network.spec().to_dict()`` writes), its
values, the sample and the learning rate:

=================  ========  ================================================================
field              required  meaning
=================  ========  ================================================================
``version``        yes       the spec's version, 1
``layers``         yes       the spec's layers, one table each: ``type = "dense"``, ``n_in``,
                             ``n_out``, ``activation`` (a name or ``{name = "leaky_relu",
                             alpha = 0.1}``), ``bias`` (``shared``: one per layer, the
                             tutorial's b1, b2; or ``per_neuron``), ``train_bias``
``loss``           yes       the spec's loss: a name or ``{name = "squared_error", reduction =
                             "mean", output_reduction = "half_sum"}`` (``half_sum`` is the
                             tutorial's ``sum 1/2 (target - out)^2``, ``mean`` PyTorch's MSELoss)
``dtype``          yes       ``float64`` or ``float32``
``weights``        yes       per layer, one row per neuron listing its incoming weights in
                             input order (the tutorial's order: ``[[w1, w2], [w3, w4]]`` for
                             h1, h2), i.e. ``n_out`` rows of ``n_in`` numbers; or a table of
                             names ``{w1 = 0.15, w2 = 0.2, ...}`` covering every weight
``biases``         no        per layer: one number (for a per-neuron bias, every neuron's) or
                             a list with one per neuron; default 0
``input``          yes       the sample, ``n_inputs`` numbers
``target``         yes       its targets, ``n_outputs`` numbers
``learning_rate``  yes       eta > 0
``hidden_deltas``  no        ``original`` (default, the chain rule) or ``updated`` (see
                             :mod:`chainrule.explain.quantities`)
=================  ========  ================================================================

:func:`config_from_network` writes such a dict and :func:`config_to_json` its
text (the explorer's network files are these); :func:`setup_from_config` reads it back.

Files written before the spec (no ``version``; ``sizes``, ``activations`` -- one
name for all or one per layer --, ``loss`` as a name, ``error``, ``biases`` whose
shape chose the bias convention, ``train_biases``, all but the first two
optional) are still read, with errors naming their own fields;
:func:`convert_config` turns one into the current form.

The conventions (:class:`Conventions`) can be overridden from the command line;
unset switches keep what the file says. A bad file raises
:class:`~chainrule.core.errors.ValidationError` naming the field:
``config field 'weights[1]': expected 2 rows (one per neuron of layer 2), received: 3 rows``,
``config field 'layers[1].activation': expected one of [...], received: 'swish'``.

TOML needs Python 3.11's ``tomllib`` or the ``toml`` extra (``tomli``); YAML the
``yaml`` extra (PyYAML).

Reading is bounded (:mod:`chainrule.core.limits`): a file of at most
``MAX_FILE_BYTES``, UTF-8, nested at most ``MAX_DEPTH`` deep, with YAML
aliases expanding to at most ``MAX_NODES`` values (counted while the YAML is
composed, so an alias bomb is refused before it is built), numbers of fewer
than ``MAX_NUMBER_LENGTH`` digits, and a network of at most
``MAX_FILE_PARAMETERS`` weights and biases -- checked on the spec, and the
weights' and biases' counts checked against it, before the network is built.
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import Described, ValidationError
from ..core.extras import install_hint
from ..core.limits import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_FILE_PARAMETERS,
    MAX_NODES,
    DocumentPath,
    check_document,
    check_file_size,
    document_path,
    load_json,
)
from ..core.network import Network
from ..core.spec import BIAS_MODES, OUTPUT_REDUCTIONS, SPEC_VERSION, TOP_FIELDS, NetworkSpec, spec_path
from ..core.spec import Path as SpecPath
from ..core.validation import check_choice, fail
from .naming import Naming
from .trace import HIDDEN_DELTAS
from .tutorial import TUTORIAL_INPUT, TUTORIAL_LEARNING_RATE, TUTORIAL_TARGET, tutorial_network

__all__ = [
    "CONFIG_FIELDS",
    "Conventions",
    "ExplainSetup",
    "config_from_network",
    "config_to_json",
    "convert_config",
    "load_setup",
    "parse_toml",
    "parse_yaml",
    "parse_config_text",
    "read_config_file",
    "read_text_file",
    "setup_from_config",
    "tutorial_setup",
]

#: The file name endings of the formats a config may be written in.
CONFIG_SUFFIXES = (".json", ".toml", ".yaml", ".yml")
#: The fields of a config file besides the spec's: the values, the sample, the learning rate, explain's convention.
VALUE_FIELDS = ("weights", "biases", "input", "target", "learning_rate", "hidden_deltas")
CONFIG_FIELDS = TOP_FIELDS + VALUE_FIELDS
REQUIRED = TOP_FIELDS + ("weights", "input", "target", "learning_rate")
#: The fields of a file written before the spec.
LEGACY_REQUIRED = ("sizes", "activations", "weights", "input", "target", "learning_rate")
LEGACY_OPTIONAL = ("loss", "biases", "train_biases", "error", "hidden_deltas", "dtype")


@dataclass(frozen=True)
class Conventions:
    """Switches of ``chainrule explain``; None keeps the file's choice.

    bias : one of :data:`~chainrule.core.spec.BIAS_MODES`
        One bias per layer (``"shared"``, the tutorial's b1, b2) or one per
        neuron, in every layer. A shared value is copied to every neuron;
        per-neuron values can only be shared when they are equal.
    train_bias : bool
        Update the biases (True) or keep them frozen (False, the tutorial), in every layer.
    error : one of :data:`~chainrule.core.spec.OUTPUT_REDUCTIONS`
        The squared error's form over the outputs (the loss's ``output_reduction``):
        ``sum 1/2 (target - out)^2`` (the tutorial) or ``mean (target - out)^2``
        (PyTorch's MSELoss).
    hidden_deltas : one of ``HIDDEN_DELTAS`` (:mod:`chainrule.explain.trace`)
        Paths into hidden neurons through the original weights (the chain
        rule, the tutorial) or through the already-updated ones (a published
        mistake, to reproduce such figures).
    """

    bias: str | None = None
    train_bias: bool | None = None
    error: str | None = None
    hidden_deltas: str | None = None

    def __post_init__(self) -> None:
        if self.bias is not None:
            check_choice(self.bias, "bias convention", BIAS_MODES)
        if self.train_bias is not None and not isinstance(self.train_bias, bool):
            raise fail("train_bias convention", "True or False", self.train_bias)
        if self.error is not None:
            check_choice(self.error, "error convention", OUTPUT_REDUCTIONS)
        if self.hidden_deltas is not None:
            check_choice(self.hidden_deltas, "hidden_deltas convention", HIDDEN_DELTAS)


@dataclass
class ExplainSetup:
    """Everything a trace needs: ``network``, ``x`` ``(n_inputs,)``, ``y`` ``(n_outputs,)``."""

    network: Network
    x: np.ndarray
    y: np.ndarray
    learning_rate: float
    hidden_deltas: str
    source: str
    is_tutorial: bool = False

    @property
    def spec(self) -> NetworkSpec:
        """The network's architecture and conventions."""
        return self.network.spec()


# -- reading files ---------------------------------------------------------------------------
def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a JSON, TOML or YAML file (by extension) into a mapping, within the bounds (module docstring)."""
    path = Path(path)
    if path.suffix.lower() not in CONFIG_SUFFIXES:
        raise fail("config file", "a name ending in .json, .toml, .yaml or .yml", str(path))
    return parse_config_text(read_text_file(path), path.suffix, f"config file {str(path)!r}")


def parse_config_text(text: str, suffix: str, what: str = "config file") -> dict[str, Any]:
    """The mapping a config's text describes, in the format its ``suffix`` names (``.json``,
    ``.toml``, ``.yaml``, ``.yml``), within the bounds; errors about the text as a whole name ``what``."""
    suffix = suffix.lower()
    if suffix == ".toml":
        document = parse_toml(text, what)
    elif suffix in (".yaml", ".yml"):
        document = parse_yaml(text, what)
    elif suffix == ".json":
        document = load_json(_text(text, what), what, field_name=_document_field(what))
    else:
        raise fail(what, "a name ending in .json, .toml, .yaml or .yml", Described(f"a {suffix or 'bare'} name"))
    if not isinstance(document, dict):
        raise fail(what, "a table/object of fields", Described(type(document).__name__))
    return document


def read_text_file(path: str | Path, what: str = "config file", limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; errors name ``what`` and the path.

    Anything but a regular file (a folder, a FIFO that would block, a device)
    is refused before it is opened; so is a file past ``limit``, before it is read:
    ``config file: expected a readable file, received: 'data' (a folder)``.
    """
    path = Path(path)

    def refuse(expected: str, problem: str) -> ValidationError:
        return fail(what, expected, Described(f"{_cut(repr(str(path)), 80)} ({problem})"))

    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise refuse("a readable file", "a folder")
        if not stat.S_ISREG(info.st_mode):
            raise refuse("a readable file", "not a regular file: a named pipe, a device or a socket")
        if info.st_size > limit:
            raise refuse(f"a file of at most {limit:,} bytes", f"{info.st_size:,} bytes")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise refuse("a readable file", "no such file") from None
    except OSError as err:
        raise refuse("a readable file", err.strerror or type(err).__name__) from None
    if len(data) > limit:  # it grew since stat
        raise refuse(f"a file of at most {limit:,} bytes", f"more than {limit:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise refuse(
            "a UTF-8 text file", f"line {line} is not UTF-8: byte {data[err.start]:#04x} at offset {err.start}"
        ) from None


def _document_field(what: str) -> Callable[[DocumentPath], str]:
    """Field names for a bound checked on a parsed file: the field's path, or the file itself."""
    return lambda path: _field_text(document_path(path)) if path else what


def _text(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise fail(what, "text", text)
    check_file_size(len(text.encode("utf-8", errors="surrogatepass")), what)
    return text


def parse_toml(text: str, what: str = "config file") -> Any:
    """The mapping a TOML text describes (tomllib, or tomli before Python 3.11), within the bounds."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ImportError(f"reading TOML on Python 3.10 needs tomli: {install_hint('toml')}") from None
    text = _text(text, what)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise fail(what, "valid TOML", Described(str(err))) from None
    except RecursionError:  # inline arrays or tables nested past Python's stack (tomllib recurses)
        raise fail(what, f"TOML nested at most {MAX_DEPTH} levels deep", Described("nesting deeper")) from None
    except ValueError as err:  # e.g. an integer past Python's digit limit
        raise fail(what, "valid TOML", Described(str(err))) from None
    return check_document(data, _document_field(what))


def parse_yaml(text: str, what: str = "config file") -> Any:
    """The data a YAML text describes (PyYAML's safe loader: no tags, no code), within the bounds.

    Nesting and the values that aliases expand to are counted while the
    document is composed, so an alias bomb is refused before anything is built.
    """
    try:
        import yaml
    except ModuleNotFoundError:
        raise ImportError(f"reading YAML needs PyYAML: {install_hint('yaml')}") from None
    text = _text(text, what)
    loader = None
    try:
        loader = _bounded_loader(yaml)(text, what)  # its reader already checks the characters
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        raise fail(what, "valid YAML", Described(str(err).replace("\n", " "))) from None
    except (RecursionError, ValueError, TypeError, OverflowError) as err:
        if isinstance(err, ValidationError):
            raise
        raise fail(what, "valid YAML", Described(f"{type(err).__name__}: {str(err)[:60]}")) from None
    finally:
        if loader is not None:
            loader.dispose()
    return check_document(data, _document_field(what))


_BOUNDED_LOADERS: dict[int, type] = {}


def _bounded_loader(yaml: Any) -> type:
    """PyYAML's safe loader, counting nesting and expanded values as it composes (one class per module)."""
    cls = _BOUNDED_LOADERS.get(id(yaml))
    if cls is not None:
        return cls

    # yaml is the optional module, imported by the caller and passed in: its classes are Any here.
    class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]
        def __init__(self, stream: str, what: str) -> None:
            super().__init__(stream)
            self.what = what
            self.counts: list[int] = [0]  # values composed so far under each open node, aliases expanded
            self.expanded: dict[int, int] = {}  # id(node) -> the values it expands to
            self.nodes: list[Any] = []  # keeps the counted nodes alive, so that their ids stay theirs

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                anchor = self.peek_event().anchor
                node = self.anchors.get(anchor)
                size = None if node is None else self.expanded.get(id(node))
                if node is not None and size is None:
                    raise fail(
                        self.what,
                        "YAML without recursive aliases",
                        Described(f"alias *{_cut(anchor)} inside its own anchor"),
                    )
                self._add(size or 0)
                return super().compose_node(parent, index)
            if len(self.counts) > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise fail(
                    self.what,
                    f"YAML nested at most {MAX_DEPTH} levels deep",
                    Described(f"deeper at line {mark.line + 1}"),
                )
            self.counts.append(0)
            try:
                node = super().compose_node(parent, index)
            finally:
                size = 1 + self.counts.pop()
            self.expanded[id(node)] = size
            self.nodes.append(node)
            self._add(size)
            return node

        def _add(self, size: int) -> None:
            self.counts[-1] += size
            if self.counts[-1] > MAX_NODES:
                raise fail(
                    self.what,
                    f"a document of at most {MAX_NODES:,} values (YAML aliases expanded)",
                    Described(f"more than {MAX_NODES:,} values"),
                )

    _BOUNDED_LOADERS[id(yaml)] = BoundedLoader
    return BoundedLoader


def _cut(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- field names -------------------------------------------------------------------------------
def _field_text(name: str) -> str:
    return f"config field {name!r}"


def _field(name: str, expected: str, received: Any) -> ValidationError:
    return fail(_field_text(name), expected, received)


def _current_field(path: SpecPath) -> str:
    """A spec path in a current file: the path itself (``layers[1].activation``)."""
    return _field_text(spec_path(path))


def _legacy_field(path: SpecPath) -> str:
    """A spec path in a file written before the spec: the field of that file it came from."""
    head = path[0] if path else None
    if head == "layers":
        key = str(path[2]) if len(path) >= 3 else ""
        name = {
            "activation": f"activations[{path[1]}]" if len(path) >= 2 else "activations",
            "bias": "biases",
            "train_bias": "train_biases",
        }.get(key, "sizes")
    elif head == "loss":
        name = "error" if path[1:2] == ("output_reduction",) else "loss"
    elif head == "dtype":
        name = "dtype"
    else:
        name = "config"
    return _field_text(name)


# -- values ----------------------------------------------------------------------------------------
def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _field(path, "a number", value)
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):  # an integer past float64's range
        number = math.inf
    if not math.isfinite(number):
        raise _field(path, "a finite number", value)
    return number


def _numbers(value: Any, path: str, n: int, what: str) -> list[float]:
    if not isinstance(value, (list, tuple)):
        raise _field(path, f"a list of {n} numbers ({what})", value)
    if len(value) != n:
        raise _field(path, f"{n} numbers ({what})", Described(f"{len(value)} numbers"))
    return [_number(v, f"{path}[{k}]") for k, v in enumerate(value)]


def _weight_index(name: Any, n_weights: int) -> int | None:
    """``k`` for the name ``"wk"`` of one of ``n_weights`` weights, else None."""
    if not isinstance(name, str) or not name.startswith("w") or not name[1:].isdigit() or len(name) > 20:
        return None
    k = int(name[1:])
    return k if 1 <= k <= n_weights and name == f"w{k}" else None


def _read_weights(spec: NetworkSpec, value: Any) -> Callable[[Network], None]:
    """Check the file's weights against ``spec`` (before any network is built); return what sets them.

    A table of names ``w1 .. wN`` (every weight once), or per layer one row per
    neuron listing its incoming weights in input order.
    """
    sizes = spec.sizes
    if isinstance(value, Mapping):
        n_weights = sum(a * b for a, b in itertools.pairwise(sizes))
        found: set[int] = set()
        unknown = None
        for name in value:
            k = _weight_index(name, n_weights)
            if k is None:
                unknown = name if unknown is None else unknown
            else:
                found.add(k)
        if len(found) < n_weights:
            missing = next(k for k in range(1, n_weights + 1) if k not in found)
            raise _field(
                f"weights.w{missing}",
                f"a number (every weight w1..w{n_weights} needs one)",
                Described("nothing, the weight is missing"),
            )
        if unknown is not None:
            raise _field(
                f"weights.{_cut(str(unknown))}", f"a weight name among w1..w{n_weights}", Described("an unknown name")
            )
        weights = {name: _number(number, f"weights.{name}") for name, number in value.items()}
        return lambda network: Naming.of(network).assign(network, weights)
    n_layers = len(sizes) - 1
    if not isinstance(value, list) or len(value) != n_layers:
        raise _field(
            "weights",
            f"a list of {n_layers} matrices (one per layer) or a table of names w1, w2, ...",
            value if not isinstance(value, list) else Described(f"{len(value)} matrices"),
        )
    matrices = []
    for l, rows in enumerate(value):
        n_in, n_out = sizes[l], sizes[l + 1]
        what = f"one per neuron of layer {l + 1}"
        if not isinstance(rows, list):
            raise _field(f"weights[{l}]", f"{n_out} rows ({what})", rows)
        if len(rows) != n_out:
            raise _field(f"weights[{l}]", f"{n_out} rows ({what})", Described(f"{len(rows)} rows"))
        matrix = [
            _numbers(row, f"weights[{l}][{j}]", n_in, "the neuron's incoming weights, in input order")
            for j, row in enumerate(rows)
        ]
        matrices.append(np.array(matrix).T)  # the engine's W is (n_in, n_out)

    def assign(network: Network) -> None:
        for layer, W in zip(network.layers, matrices):
            layer.set_weights(W=W)

    return assign


def _read_biases(spec: NetworkSpec, value: Any) -> list[np.ndarray] | None:
    """The file's biases checked against ``spec``, one array per layer in its bias convention (None: zeros)."""
    layers = spec.layers
    if value is None:
        return None  # the layers' biases start at zero
    if not isinstance(value, list) or len(value) != len(layers):
        raise _field("biases", f"a list of {len(layers)} entries (one per layer: a number or a list per neuron)", value)
    arrays = []
    for l, (entry, layer) in enumerate(zip(value, layers)):
        if isinstance(entry, list):
            values = _numbers(entry, f"biases[{l}]", layer.n_out, f"one per neuron of layer {l + 1}")
            if layer.bias == "shared":
                if any(v != values[0] for v in values):
                    raise _field(f"biases[{l}]", "one number, or equal values, for a bias shared by the layer", values)
                values = values[:1]
        else:
            values = [_number(entry, f"biases[{l}]")] * layer.n_bias
        arrays.append(np.array(values))
    return arrays


# -- the spec, and the conventions applied to it ------------------------------------------------------
def _with_conventions(spec: NetworkSpec, conventions: Conventions, error: str | None, error_field: str) -> NetworkSpec:
    """``spec`` with the switches that are set (``error``: a form over outputs, named ``error_field``)."""
    if conventions.bias is None and conventions.train_bias is None and error is None:
        return spec
    data = spec.to_dict()
    for layer in data["layers"]:
        if conventions.bias is not None:
            layer["bias"] = conventions.bias
        if conventions.train_bias is not None:
            layer["train_bias"] = conventions.train_bias
    if error is not None:
        if "output_reduction" not in data["loss"]:
            raise fail(
                error_field,
                f"no error convention for loss {data['loss']['name']!r} (only a loss with an "
                "output_reduction, the squared error, takes one)",
                error,
            )
        data["loss"]["output_reduction"] = error
    return NetworkSpec.from_dict(data)


def _upgrade(data: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A file written before the spec, in the current form; and its ``error`` field (applied later).

    Checks what only that form has (``sizes``, the number of ``activations``,
    ``error``); the rest is checked as in a current file, under this file's field names.
    """
    if "layers" in data:
        raise _field(
            "version",
            f"the spec's version, {SPEC_VERSION} (a file that lists 'layers' describes its "
            "network by the spec, which starts with its version)",
            Described("nothing, the field is missing"),
        )
    for key in LEGACY_REQUIRED:
        if key not in data:
            raise _field(key, "a value (the field is required)", Described("nothing, the field is missing"))
    unknown = sorted(set(data) - set(LEGACY_REQUIRED) - set(LEGACY_OPTIONAL))
    if unknown:
        raise _field(
            unknown[0], f"one of the fields {list(LEGACY_REQUIRED + LEGACY_OPTIONAL)}", Described("an unknown field")
        )
    sizes = data["sizes"]
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise _field("sizes", "a list of at least 2 layer sizes (inputs, ..., outputs)", sizes)
    for k, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise _field(f"sizes[{k}]", "an integer >= 1", s)
    n_layers = len(sizes) - 1
    activations = data["activations"]
    if isinstance(activations, (str, Mapping)):
        activations = [activations] * n_layers
    if not isinstance(activations, list) or len(activations) != n_layers:
        raise _field("activations", f"one activation name or a list of {n_layers} (one per layer)", data["activations"])
    biases = data.get("biases", [0.0] * n_layers)
    # The biases' shape chose the convention: a number for every layer is one shared bias each.
    shared = isinstance(biases, list) and not any(isinstance(entry, list) for entry in biases)
    bias = "shared" if shared else "per_neuron"
    error = data.get("error")
    if error is not None:
        check_choice(error, _field_text("error"), OUTPUT_REDUCTIONS)
    train = data.get("train_biases", False)
    current: dict[str, Any] = {
        "version": SPEC_VERSION,
        "layers": [
            {
                "type": "dense",
                "n_in": sizes[k],
                "n_out": sizes[k + 1],
                "activation": activations[k],
                "bias": bias,
                "train_bias": train,
            }
            for k in range(n_layers)
        ],
        "loss": data.get("loss", "squared_error"),
        "dtype": data.get("dtype", "float64"),
    }
    current.update({key: data[key] for key in VALUE_FIELDS if key in data})
    current["biases"] = biases
    return current, error


def _read(data: Any) -> tuple[dict[str, Any], Callable[[SpecPath], str], str | None]:
    """The file in the current form, how to name its spec's fields, and a legacy ``error`` to apply."""
    if not isinstance(data, Mapping):
        raise fail("config", "a table/object of fields", data)
    if "version" not in data:
        current, error = _upgrade(data)
        return current, _legacy_field, error
    for key in REQUIRED:
        if key not in data:
            raise _field(key, "a value (the field is required)", Described("nothing, the field is missing"))
    for key in data:
        if key not in CONFIG_FIELDS:
            hint = ""
            if key in LEGACY_REQUIRED + LEGACY_OPTIONAL:
                hint = (
                    f" ({key!r} belongs to the form before the spec, which has no 'version': describe the "
                    "network by its 'layers' and 'loss', or drop 'version' to read the file in the old form; "
                    "chainrule.explain.convert_config converts such a file)"
                )
            raise _field(str(key), f"one of the fields {list(CONFIG_FIELDS)}{hint}", Described("an unknown field"))
    return dict(data), _current_field, None


def convert_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """A config in the current form (spec fields first), from one in either form.

    A file written before the spec keeps its values as written (weights as
    rows or names, biases as numbers or lists); its network becomes the spec's
    full dict. Every field is checked as :func:`setup_from_config` checks it.
    """
    setup_from_config(data)  # every check, with the file's own field names
    current, name, error = _read(data)
    spec = NetworkSpec.from_dict({key: current[key] for key in TOP_FIELDS}, field_name=name)
    spec = _with_conventions(spec, Conventions(), error, _field_text("error"))
    return {**spec.to_dict(), **{key: current[key] for key in VALUE_FIELDS if key in current}}


def setup_from_config(
    data: Mapping[str, Any],
    conventions: Conventions = Conventions(),
    source: str = "config",
    *,
    check_spec: Callable[[NetworkSpec], None] | None = None,
) -> ExplainSetup:
    """Build the network, sample and learning rate described by ``data`` (see the module docstring).

    Everything is checked before the network is built: the spec (with at most
    ``MAX_FILE_PARAMETERS`` weights and biases), ``check_spec(spec)`` when
    given (a caller's own limits, e.g. the explorer's), then the values' counts
    and numbers against the spec.
    """
    current, name, error = _read(data)
    spec = NetworkSpec.from_dict({key: current[key] for key in TOP_FIELDS}, field_name=name)
    if spec.n_parameters() > MAX_FILE_PARAMETERS:
        raise fail(
            name(("layers",)),
            f"a network of at most {MAX_FILE_PARAMETERS:,} weights and biases in a "
            "network file (store larger networks in a model file)",
            Described(f"sizes {spec.sizes}: {spec.n_parameters():,} parameters"),
        )
    spec = _with_conventions(spec, Conventions(), error, _field_text("error"))
    spec = _with_conventions(spec, conventions, conventions.error, "error convention")
    if check_spec is not None:
        check_spec(spec)
    hidden_deltas = conventions.hidden_deltas or check_choice(
        current.get("hidden_deltas", HIDDEN_DELTAS[0]), _field_text("hidden_deltas"), HIDDEN_DELTAS
    )

    set_weights = _read_weights(spec, current["weights"])
    biases = _read_biases(spec, current.get("biases"))
    x = np.array(_numbers(current["input"], "input", spec.n_inputs, "one per input"))
    y = np.array(_numbers(current["target"], "target", spec.n_outputs, "one per output"))
    network = Network.from_spec(spec, init="zeros")
    set_weights(network)
    for layer, b in zip(network.layers, biases or ()):
        layer.set_weights(b=b)
    try:
        network.check_targets(y[None, :], 1, "target")
    except ValidationError as err:
        raise _field("target", err.expected, list(y)) from None
    eta = _number(current["learning_rate"], "learning_rate")
    if eta <= 0:
        raise _field("learning_rate", "a number > 0", eta)
    return ExplainSetup(network, x, y, eta, hidden_deltas, source)


# -- writing ---------------------------------------------------------------------------------------
def config_from_network(
    network: Network, x: Any, y: Any, learning_rate: float, hidden_deltas: str = HIDDEN_DELTAS[0]
) -> dict[str, Any]:
    """The config of ``network`` and one sample (current form; :func:`setup_from_config` reads it back).

    The weights are written as a table of names (``w1 ... wN``), each layer's
    biases as one number when shared, else one per neuron.
    """
    naming = Naming.of(network)
    biases = [
        float(layer.b[0]) if layer.bias_mode == "shared" else [float(v) for v in layer.b] for layer in network.layers
    ]
    return {
        **network.spec().to_dict(),
        "weights": {p.name: naming.get(network, p.name) for p in naming.weights},
        "biases": biases,
        "input": [float(v) for v in np.ravel(x)],
        "target": [float(v) for v in np.ravel(y)],
        "learning_rate": float(learning_rate),
        "hidden_deltas": check_choice(hidden_deltas, "hidden_deltas", HIDDEN_DELTAS),
    }


def config_to_json(config: Mapping[str, Any]) -> str:
    """The JSON text of a config: one field per line, one layer per line (as in ``examples/tutorial.json``)."""
    lines = []
    for key, value in config.items():
        if key == "layers" and isinstance(value, list):
            layers = ",\n".join(f"    {json.dumps(layer, allow_nan=False)}" for layer in value)
            lines.append(f'  "layers": [\n{layers}\n  ]')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, allow_nan=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def tutorial_setup(conventions: Conventions = Conventions()) -> ExplainSetup:
    """The tutorial's network, sample and learning rate, with ``conventions`` applied."""
    config = config_from_network(tutorial_network(), TUTORIAL_INPUT, TUTORIAL_TARGET, TUTORIAL_LEARNING_RATE)
    setup = setup_from_config(config, conventions, source="the tutorial's worked example")
    setup.is_tutorial = True
    return setup


def load_setup(path: str | Path | None, conventions: Conventions = Conventions()) -> ExplainSetup:
    """From a file, or the tutorial's example when ``path`` is None."""
    if path is None:
        return tutorial_setup(conventions)
    return setup_from_config(read_config_file(path), conventions, source=str(path))

"""What ``chainrule explain`` traces: a network, one sample, its targets, a learning rate.

From a file (JSON, TOML or YAML, by extension) or, by default, the tutorial's
2-2-2 network. A file holds one table/object with these fields:

=================  ========  ================================================================
field              required  meaning
=================  ========  ================================================================
``sizes``          yes       layer sizes, inputs first: ``[3, 4, 2]``
``activations``    yes       one per layer after the inputs (``["tanh", "softmax"]``), or one
                             name for all; an entry may be a table ``{name = "leaky_relu", alpha = 0.1}``
``weights``        yes       per layer, one row per neuron listing its incoming weights in
                             input order (the tutorial's order: ``[[w1, w2], [w3, w4]]`` for
                             h1, h2), i.e. ``n_out`` rows of ``n_in`` numbers; or a table of
                             names ``{w1 = 0.15, w2 = 0.2, ...}`` covering every weight
``input``          yes       the sample, ``n_inputs`` numbers
``target``         yes       its targets, ``n_outputs`` numbers
``learning_rate``  yes       eta > 0
``loss``           no        ``squared_error`` (default), ``categorical_cross_entropy``
                             (softmax output), ``binary_cross_entropy`` (sigmoid output)
``biases``         no        per layer: one number (a bias shared by the layer, the tutorial's)
                             or a list with one per neuron; default 0 shared
``train_biases``   no        true or false (default false: frozen, as in the tutorial)
``error``          no        squared error only: ``half_sum`` (default) or ``mean``
``hidden_deltas``  no        ``original`` (default) or ``updated``
``dtype``          no        ``float64`` (default) or ``float32``
=================  ========  ================================================================

The conventions (:class:`Conventions`) can be overridden from the command line;
unset switches keep what the file says, or the tutorial's choice. A bad file
raises ``ValueError`` naming the field: ``weights[1]: expected 2 rows (one per
neuron of layer 2), received: 3 rows``.

TOML needs Python 3.11's ``tomllib`` or the ``toml`` extra (``tomli``); YAML the
``yaml`` extra (PyYAML).
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..core.validation import Described, ValidationError, check_dtype, fail
from ..core.activations import ACTIVATIONS
from ..core.layers import Dense
from ..core.losses import get_loss
from ..core.network import Network
from .naming import Naming
from .quantities import HIDDEN_DELTAS
from .tutorial import (
    TUTORIAL_BIASES,
    TUTORIAL_INPUT,
    TUTORIAL_LEARNING_RATE,
    TUTORIAL_TARGET,
    TUTORIAL_WEIGHTS,
)

__all__ = ["Conventions", "ExplainSetup", "load_setup", "parse_toml", "parse_yaml", "read_config_file", "setup_from_config", "tutorial_setup"]

REQUIRED = ("sizes", "activations", "weights", "input", "target", "learning_rate")
OPTIONAL = ("loss", "biases", "train_biases", "error", "hidden_deltas", "dtype")
BIAS_CHOICES = ("shared", "per_neuron")
ERROR_CHOICES = ("half_sum", "mean")


@dataclass(frozen=True)
class Conventions:
    """Switches of ``chainrule explain``; None keeps the file's choice (or the tutorial's).

    bias : {"shared", "per_neuron"}
        One bias per layer (the tutorial's b1, b2) or one per neuron. A file's
        shared value is copied to every neuron; per-neuron values can only be
        shared when they are equal.
    train_bias : bool
        Update the biases (True) or keep them frozen (False, the tutorial).
    error : {"half_sum", "mean"}
        Squared error as ``sum 1/2 (target - out)^2`` (the tutorial) or
        ``mean (target - out)^2`` over the outputs (PyTorch's MSELoss).
    hidden_deltas : {"original", "updated"}
        Paths into hidden neurons through the original weights (the chain
        rule, the tutorial) or through the already-updated ones (a published
        mistake, to reproduce such figures).
    """

    bias: str | None = None
    train_bias: bool | None = None
    error: str | None = None
    hidden_deltas: str | None = None

    def __post_init__(self) -> None:
        if self.bias is not None and self.bias not in BIAS_CHOICES:
            raise fail("bias convention", f"one of {list(BIAS_CHOICES)}", self.bias)
        if self.train_bias is not None and not isinstance(self.train_bias, bool):
            raise fail("train_bias convention", "True or False", self.train_bias)
        if self.error is not None and self.error not in ERROR_CHOICES:
            raise fail("error convention", f"one of {list(ERROR_CHOICES)}", self.error)
        if self.hidden_deltas is not None and self.hidden_deltas not in HIDDEN_DELTAS:
            raise fail("hidden_deltas convention", f"one of {list(HIDDEN_DELTAS)}", self.hidden_deltas)


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


def _field(path: str, expected: str, received: Any) -> ValueError:
    return fail(f"config field {path!r}", expected, received)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _field(path, "a number", value)
    if not math.isfinite(value):
        raise _field(path, "a finite number", value)
    return float(value)


def _numbers(value: Any, path: str, n: int, what: str) -> list[float]:
    if not isinstance(value, (list, tuple)):
        raise _field(path, f"a list of {n} numbers ({what})", value)
    if len(value) != n:
        raise _field(path, f"{n} numbers ({what})", Described(f"{len(value)} numbers"))
    return [_number(v, f"{path}[{k}]") for k, v in enumerate(value)]


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a JSON, TOML or YAML file (by extension) into a mapping."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise fail("config file", "a readable file", Described(f"{str(path)!r} ({err.strerror})")) from None
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = parse_toml(text)
        elif suffix in (".yaml", ".yml"):
            data = parse_yaml(text)
        else:
            raise fail("config file", "a name ending in .json, .toml, .yaml or .yml", str(path))
    except (json.JSONDecodeError,) as err:
        raise fail(f"config file {str(path)!r}", "valid JSON", Described(str(err))) from None
    if not isinstance(data, dict):
        raise fail(f"config file {str(path)!r}", "a table/object of fields", Described(type(data).__name__))
    return data


def parse_toml(text: str) -> Any:
    """The mapping a TOML text describes (tomllib, or tomli before Python 3.11)."""
    try:
        import tomllib  # type: ignore[import-not-found]  # Python >= 3.11
    except ModuleNotFoundError:
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef]
        except ModuleNotFoundError:
            raise ImportError("reading TOML on Python 3.10 needs tomli: pip install 'chainrule[toml]'") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise fail("config file", "valid TOML", Described(str(err))) from None


def parse_yaml(text: str) -> Any:
    """The data a YAML text describes (PyYAML's safe loader: no tags, no code)."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        raise ImportError("reading YAML needs PyYAML: pip install 'chainrule[yaml]'") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise fail("config file", "valid YAML", Described(str(err).replace("\n", " "))) from None


def _sizes(data: Mapping[str, Any]) -> list[int]:
    sizes = data["sizes"]
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise _field("sizes", "a list of at least 2 layer sizes (inputs, ..., outputs)", sizes)
    for k, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise _field(f"sizes[{k}]", "an integer >= 1", s)
    return sizes


def _activations(data: Mapping[str, Any], n_layers: int) -> list[Any]:
    spec = data["activations"]
    entries = [spec] * n_layers if isinstance(spec, (str, dict)) else spec
    if not isinstance(entries, list) or len(entries) != n_layers:
        raise _field("activations", f"one activation name or a list of {n_layers} (one per layer)", spec)
    for k, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else entry
        if name not in ACTIVATIONS:
            raise _field(f"activations[{k}]", f"one of {sorted(ACTIVATIONS)}", entry)
    return entries


def _weights(data: Mapping[str, Any], sizes: list[int]) -> list[np.ndarray] | dict[str, float]:
    spec = data["weights"]
    if isinstance(spec, dict):
        return {str(name): _number(value, f"weights.{name}") for name, value in spec.items()}
    n_layers = len(sizes) - 1
    if not isinstance(spec, list) or len(spec) != n_layers:
        raise _field("weights", f"a list of {n_layers} matrices (one per layer) or a table of names w1, w2, ...",
                     spec if not isinstance(spec, list) else Described(f"{len(spec)} matrices"))
    matrices = []
    for l, rows in enumerate(spec):
        n_in, n_out = sizes[l], sizes[l + 1]
        what = f"one per neuron of layer {l + 1}"
        if not isinstance(rows, list):
            raise _field(f"weights[{l}]", f"{n_out} rows ({what})", rows)
        if len(rows) != n_out:
            raise _field(f"weights[{l}]", f"{n_out} rows ({what})", Described(f"{len(rows)} rows"))
        matrix = [_numbers(row, f"weights[{l}][{j}]", n_in, "the neuron's incoming weights, in input order")
                  for j, row in enumerate(rows)]
        matrices.append(np.array(matrix).T)  # the engine's W is (n_in, n_out)
    return matrices


def _biases(data: Mapping[str, Any], sizes: list[int], bias_mode: str | None) -> tuple[list[list[float]], str]:
    n_layers = len(sizes) - 1
    spec = data.get("biases", [0.0] * n_layers)
    if not isinstance(spec, list) or len(spec) != n_layers:
        raise _field("biases", f"a list of {n_layers} entries (one per layer: a number or a list per neuron)", spec)
    values, shared = [], []
    for l, entry in enumerate(spec):
        if isinstance(entry, list):
            values.append(_numbers(entry, f"biases[{l}]", sizes[l + 1], f"one per neuron of layer {l + 1}"))
            shared.append(False)
        else:
            values.append([_number(entry, f"biases[{l}]")])
            shared.append(True)
    mode = bias_mode or ("shared" if all(shared) else "per_neuron")
    out = []
    for l, vals in enumerate(values):
        if mode == "per_neuron" and len(vals) == 1:
            vals = vals * sizes[l + 1]
        elif mode == "shared" and len(vals) > 1:
            if any(v != vals[0] for v in vals):
                raise _field(f"biases[{l}]", "one number, or equal values, for a bias shared by the layer", vals)
            vals = vals[:1]
        out.append(vals)
    return out, mode


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise _field(key, f"one of {list(choices)}", value)
    return value


def setup_from_config(data: Mapping[str, Any], conventions: Conventions = Conventions(), source: str = "config") -> ExplainSetup:
    """Build the network, sample and learning rate described by ``data`` (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise fail("config", "a table/object of fields", data)
    for key in REQUIRED:
        if key not in data:
            raise _field(key, "a value (the field is required)", Described("nothing, the field is missing"))
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise _field(unknown[0], f"one of the fields {list(REQUIRED + OPTIONAL)}", Described("an unknown field"))
    sizes = _sizes(data)
    n_layers = len(sizes) - 1
    activations = _activations(data, n_layers)
    weights = _weights(data, sizes)
    biases, bias_mode = _biases(data, sizes, conventions.bias)
    train = data.get("train_biases", False)
    if not isinstance(train, bool):
        raise _field("train_biases", "true or false", train)
    if conventions.train_bias is not None:
        train = conventions.train_bias
    try:
        dtype = check_dtype(data.get("dtype", "float64"))
    except ValueError:
        raise _field("dtype", "float64 or float32", data.get("dtype")) from None
    error = _choice(data, "error", ERROR_CHOICES, "half_sum")
    if conventions.error is not None:
        error = conventions.error
    hidden_deltas = conventions.hidden_deltas or _choice(data, "hidden_deltas", HIDDEN_DELTAS, "original")

    loss_spec = data.get("loss", "squared_error")
    try:
        loss = get_loss(loss_spec)
    except ValidationError as err:
        raise _field("loss", err.expected, loss_spec) from None
    if loss.name == "squared_error":
        loss = get_loss({**loss.config(), "output_reduction": error})
    elif "error" in data or conventions.error is not None:
        raise _field("error", f"no error convention for loss {loss.name!r} (squared error only)", error)

    layers = []
    for l in range(n_layers):
        layers.append(Dense(sizes[l], sizes[l + 1], activations[l], bias=bias_mode, train_bias=train,
                            init="zeros", dtype=dtype, name=f"layer {l + 1}"))
    try:
        network = Network(layers, loss=loss)
    except ValueError as err:
        raise _field("loss", "an output activation that suits it", Described(str(err))) from None
    naming = Naming.of(network)
    if isinstance(weights, dict):
        expected = {p.name for p in naming.weights}
        missing = sorted(expected - set(weights), key=lambda n: int(n[1:]))
        if missing:
            raise _field(f"weights.{missing[0]}", "a number (every weight w1..w%d needs one)" % len(expected),
                         Described("nothing, the weight is missing"))
        extra = sorted(set(weights) - expected)
        if extra:
            raise _field(f"weights.{extra[0]}", f"a weight name among w1..w{len(expected)}", Described("an unknown name"))
        naming.assign(network, weights)
    else:
        for layer, W in zip(network.layers, weights):
            layer.set_weights(W=W)
    for layer, b in zip(network.layers, biases):
        layer.set_weights(b=np.array(b))
    x = np.array(_numbers(data["input"], "input", sizes[0], "one per input"))
    y = np.array(_numbers(data["target"], "target", sizes[-1], "one per output"))
    if loss.requires_activation is not None and ((y < 0).any() or (y > 1).any()):
        raise _field("target", f"values in [0, 1] for loss {loss.name!r}", list(y))
    eta = _number(data["learning_rate"], "learning_rate")
    if eta <= 0:
        raise _field("learning_rate", "a number > 0", eta)
    return ExplainSetup(network, x, y, eta, hidden_deltas, source)


def tutorial_setup(conventions: Conventions = Conventions()) -> ExplainSetup:
    """The tutorial's network, sample and learning rate, with ``conventions`` applied."""
    data = {
        "sizes": [2, 2, 2],
        "activations": "sigmoid",
        "weights": dict(TUTORIAL_WEIGHTS),
        "biases": [TUTORIAL_BIASES["b1"], TUTORIAL_BIASES["b2"]],
        "input": list(TUTORIAL_INPUT),
        "target": list(TUTORIAL_TARGET),
        "learning_rate": TUTORIAL_LEARNING_RATE,
    }
    setup = setup_from_config(data, conventions, source="the tutorial's worked example")
    setup.is_tutorial = True
    return setup


def load_setup(path: str | Path | None, conventions: Conventions = Conventions()) -> ExplainSetup:
    """From a file, or the tutorial's example when ``path`` is None."""
    if path is None:
        return tutorial_setup(conventions)
    return setup_from_config(read_config_file(path), conventions, source=str(path))

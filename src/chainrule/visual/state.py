"""What the explorer page edits: one network, one sample, a learning rate and the conventions.

The state holds the network's :class:`~chainrule.core.spec.NetworkSpec` (the
one description every part of chainrule uses), its weights and biases by the
tutorial's names, the sample, the learning rate and the trace's hidden-delta
convention. The page holds it as JSON and sends it with every request; the
server keeps nothing between requests, so two tabs never disturb each other
and a reload loses nothing the page has not saved.

The page's JSON is a form of the spec that matches its controls -- layer sizes
and one activation per layer, one bias convention and one trainability for
every layer, the loss and its error form -- (all keys required, except the
conventions, which default to the tutorial's)::

    {"sizes": [2, 2, 2], "activations": ["sigmoid", "sigmoid"], "loss": "squared_error",
     "error": "half_sum", "bias": "shared", "train_bias": false, "hidden_deltas": "original",
     "params": {"w1": 0.15, ..., "b1": 0.35, "b2": 0.6},
     "input": [0.05, 0.1], "target": [0.01, 0.99], "learning_rate": 0.5}

An activation (or the loss) with options other than its defaults is written
as the spec writes it, ``{"name": "leaky_relu", "alpha": 0.2}``, so that no
option is lost on the way through the page; ``error`` is the loss's
``output_reduction`` where it has one. The form is checked by the spec's own
checks (:meth:`NetworkSpec.from_dict` with the page's field names) and the
explorer's limits; every error names the page's field (``"w5"``, ``"i1"``,
``"target_o2"``, ``"activations.1"``, ``"learning_rate"``), so the page can show
the message beside that field.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..core.activations import get_activation
from ..core.errors import ValidationError, excerpt
from ..core.losses import get_loss
from ..core.network import Network
from ..core.spec import OUTPUT_REDUCTIONS, SPEC_VERSION, NetworkSpec, Path
from ..core.validation import check_choice
from ..explain.naming import Naming
from ..explain.trace import HIDDEN_DELTAS
from ..explain.tutorial import (
    TUTORIAL_INPUT,
    TUTORIAL_LEARNING_RATE,
    TUTORIAL_TARGET,
    tutorial_network,
)

__all__ = ["ExplorerState", "VALUE_LIMIT", "MAX_NEURONS", "MAX_LAYERS", "check_number", "check_sizes"]

#: Largest magnitude the explorer accepts for an input, target, weight, bias or learning rate.
VALUE_LIMIT = 1e6
#: Neurons per layer and layers (inputs included) the explorer draws legibly.
MAX_NEURONS = 6
MAX_LAYERS = 5
#: The explorer computes in float64 (a file's float32 is not kept).
DTYPE = "float64"
#: The tutorial's network: its conventions are the page's defaults.
_TUTORIAL = tutorial_network().spec()


def check_number(value: Any, field: str, *, positive: bool = False, limit: float = VALUE_LIMIT) -> float:
    """A finite JSON number with ``|value| <= limit`` (and > 0 when ``positive``)."""
    expected = (
        f"a number {'> 0 and ' if positive else 'between -' + format(limit, 'g') + ' and '}"
        f"{'at most ' if positive else ''}{limit:g}"
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(field, expected, value)
    try:
        number = float(value)
    except (OverflowError, TypeError, ValueError):  # an integer of hundreds of digits
        raise ValidationError(field, expected, value) from None
    if not math.isfinite(number) or abs(number) > limit or (positive and number <= 0):
        raise ValidationError(field, expected, value)
    return number


def check_sizes(sizes: Any) -> list[int]:
    """Layer sizes the explorer can draw: 2 to MAX_LAYERS of them, each 1 to MAX_NEURONS."""
    if (
        not isinstance(sizes, list)
        or not 2 <= len(sizes) <= MAX_LAYERS
        or any(isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= MAX_NEURONS for s in sizes)
    ):
        raise ValidationError("sizes", f"2 to {MAX_LAYERS} layer sizes, each 1 to {MAX_NEURONS}", sizes)
    return list(sizes)


def _flat(value: Any, field: str) -> list[float]:
    """``value`` (numbers, or an array of them) as a flat list of floats; else the library's error."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(field, "a list of numbers", value) from None
    return [float(v) for v in array.ravel()]


def _number_list(value: Any, field: str, names: list[str]) -> list[float]:
    if not isinstance(value, list) or len(value) != len(names):
        raise ValidationError(field, f"a list of {len(names)} numbers", value)
    return [check_number(v, name) for v, name in zip(value, names)]


def _page_field(path: Path) -> str:
    """The page's field for a place in the spec (the page edits one bias convention for all layers)."""
    if path[:1] == ("layers",):
        key = path[2] if len(path) >= 3 else None
        if key == "activation":
            return f"activations.{path[1]}"
        return key if key in ("bias", "train_bias") else "sizes"
    if path[:2] == ("loss", "output_reduction"):
        return "error"
    return "loss" if path[:1] == ("loss",) else "state"


def _short(config: dict[str, Any], resolve: Callable[[Any], Any], drop: tuple[str, ...] = ()) -> Any:
    """The page's form of an activation or loss config: its name when every option is the default."""
    kept = {key: value for key, value in config.items() if key not in drop}
    default = {key: value for key, value in resolve(config["name"]).config().items() if key not in drop}
    return config["name"] if kept == default else kept


@dataclass
class ExplorerState:
    """One network (its spec and named values), one sample, a learning rate and the trace's convention."""

    spec: NetworkSpec
    params: dict[str, float]
    input: list[float]
    target: list[float]
    learning_rate: float
    hidden_deltas: str = HIDDEN_DELTAS[0]
    names: Naming = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.names = Naming(self.spec.sizes, [layer.bias == "shared" for layer in self.spec.layers])

    # -- the page's form of the spec --------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        return self.spec.sizes

    @property
    def activations(self) -> list[Any]:
        """One per layer: a name, or the activation's config when an option is not its default."""
        return [_short(layer.activation, get_activation) for layer in self.spec.layers]

    @property
    def loss(self) -> Any:
        """The loss's name, or its config (without ``output_reduction``: that is :attr:`error`)."""
        return _short(self.spec.loss, get_loss, drop=("output_reduction",))

    @property
    def error(self) -> str:
        """The loss's form over outputs; for a loss without one, the tutorial's (what the page shows)."""
        reduction: str = self.spec.loss.get("output_reduction", _TUTORIAL.loss["output_reduction"])
        return reduction

    @property
    def bias(self) -> str:
        return self.spec.layers[0].bias

    @property
    def train_bias(self) -> bool:
        return self.spec.layers[0].train_bias

    # -- construction ---------------------------------------------------------------
    @classmethod
    def tutorial(cls) -> ExplorerState:
        """The tutorial's 2-2-2 sigmoid network, sample and learning rate."""
        return cls.from_network(tutorial_network(), TUTORIAL_INPUT, TUTORIAL_TARGET, TUTORIAL_LEARNING_RATE)

    @classmethod
    def from_network(
        cls, network: Network, x: Any, y: Any, learning_rate: float, *, hidden_deltas: str = HIDDEN_DELTAS[0]
    ) -> ExplorerState:
        """The state of an engine network (one bias mode and trainability for all layers)."""
        spec = network.spec()
        cls.check_spec(spec)
        naming = Naming.of(network)
        state = cls(
            replace(spec, dtype=DTYPE),
            {p.name: naming.get(network, p.name) for p in naming.weights + naming.biases},
            _flat(x, "input"),
            _flat(y, "target"),
            check_number(learning_rate, "learning_rate", positive=True),
            hidden_deltas,
        )
        return cls.from_json(state.to_json())  # the explorer's limits

    @staticmethod
    def check_spec(spec: NetworkSpec) -> None:
        """Refuse a spec the explorer cannot show: sizes past its limits (:func:`check_sizes`), or
        layers that differ in bias convention or trainability (the page edits one for all)."""
        check_sizes(spec.sizes)
        modes = {layer.bias for layer in spec.layers}
        trained = {layer.train_bias for layer in spec.layers}
        if len(modes) != 1 or len(trained) != 1:
            raise ValidationError(
                "bias",
                "the same bias mode and trainability in every layer",
                f"{sorted(modes)}, train_bias {sorted(trained)}",
            )

    @staticmethod
    def spec_from_json(obj: Any) -> NetworkSpec:
        """The spec of the page's form (``sizes``, ``activations``, ``loss``, ``error``, ``bias``,
        ``train_bias``), checked by the spec's checks and the explorer's limits; errors name the page's fields."""
        if not isinstance(obj, dict):
            raise ValidationError("state", "a JSON object", obj)
        for key in ("sizes", "activations", "loss"):
            if key not in obj:
                raise ValidationError(key, "a value (the field is missing)", None)
        sizes = check_sizes(obj["sizes"])
        activations = obj["activations"]
        if not isinstance(activations, list) or len(activations) != len(sizes) - 1:
            raise ValidationError("activations", f"a list of {len(sizes) - 1} activations (names)", activations)
        error = check_choice(obj.get("error", _TUTORIAL.loss["output_reduction"]), "error", OUTPUT_REDUCTIONS)
        first = _TUTORIAL.layers[0]
        layers = [
            {
                "type": "dense",
                "n_in": sizes[k],
                "n_out": sizes[k + 1],
                "activation": activations[k],
                "bias": obj.get("bias", first.bias),
                "train_bias": obj.get("train_bias", first.train_bias),
            }
            for k in range(len(sizes) - 1)
        ]
        data = {"version": SPEC_VERSION, "layers": layers, "loss": obj["loss"], "dtype": DTYPE}
        spec = NetworkSpec.from_dict(data, field_name=_page_field)
        if "output_reduction" in spec.loss and spec.loss["output_reduction"] != error:
            spec = NetworkSpec.from_dict(
                {**data, "loss": {**spec.loss, "output_reduction": error}}, field_name=_page_field
            )
        return spec

    @classmethod
    def from_json(cls, obj: Any) -> ExplorerState:
        """Validate the page's JSON; raises :class:`ValidationError` naming the first bad field."""
        if not isinstance(obj, dict):
            raise ValidationError("state", "a JSON object", obj)
        for key in ("sizes", "activations", "loss", "params", "input", "target", "learning_rate"):
            if key not in obj:
                raise ValidationError(key, "a value (the field is missing)", None)
        spec = cls.spec_from_json(obj)
        hidden_deltas = check_choice(obj.get("hidden_deltas", HIDDEN_DELTAS[0]), "hidden_deltas", HIDDEN_DELTAS)
        naming = Naming(spec.sizes, [layer.bias == "shared" for layer in spec.layers])
        params_in = obj["params"]
        if not isinstance(params_in, dict):
            raise ValidationError("params", "an object mapping w1.., b1.. to numbers", params_in)
        expected = [p.name for p in naming.weights + naming.biases]
        known = set(expected)
        unknown = min((name for name in params_in if name not in known), key=str, default=None)
        if unknown is not None:
            field = unknown if isinstance(unknown, str) and len(unknown) <= 40 else excerpt(unknown)
            raise ValidationError(field, f"a parameter of this network, one of {expected[0]}..{expected[-1]}", unknown)
        params = {}
        for name in expected:
            if name not in params_in:
                raise ValidationError(name, "a number (the field is missing)", None)
            params[name] = check_number(params_in[name], name)
        state = cls(
            spec=spec,
            params=params,
            input=_number_list(obj["input"], "input", naming.inputs),
            target=_number_list(obj["target"], "target", [f"target_{o}" for o in naming.outputs]),
            learning_rate=check_number(obj["learning_rate"], "learning_rate", positive=True),
            hidden_deltas=hidden_deltas,
        )
        state.check_sample(state.network())
        return state

    # -- use ----------------------------------------------------------------------------
    def network(self) -> Network:
        """A fresh engine network with these weights and biases (float64)."""
        network = Network.from_spec(self.spec, init="zeros")
        Naming.of(network).assign(network, self.params)
        return network

    def check_sample(self, network: Network) -> None:
        """Refuse targets the loss cannot take (the cross-entropies need values in [0, 1])."""
        try:
            network.check_targets(np.array([self.target]), 1, "target")
        except ValidationError as err:
            raise ValidationError("target", err.expected, self.target) from None

    @property
    def x(self) -> np.ndarray:
        """The sample, shape ``(1, n_inputs)``."""
        return np.array([self.input])

    @property
    def y(self) -> np.ndarray:
        """Its targets, shape ``(1, n_outputs)``."""
        return np.array([self.target])

    def with_network(self, network: Network) -> ExplorerState:
        """This state with the weights and biases of ``network`` (same architecture)."""
        naming = Naming.of(network)
        params = {name: naming.get(network, name) for name in self.params}
        return ExplorerState.from_json({**self.to_json(), "params": params})

    def to_json(self) -> dict[str, Any]:
        """The JSON the page holds (see the module docstring)."""
        return {
            "sizes": list(self.sizes),
            "activations": self.activations,
            "loss": self.loss,
            "error": self.error,
            "bias": self.bias,
            "train_bias": self.train_bias,
            "hidden_deltas": self.hidden_deltas,
            "params": dict(self.params),
            "input": list(self.input),
            "target": list(self.target),
            "learning_rate": self.learning_rate,
        }

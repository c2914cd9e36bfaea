"""What the explorer page edits: one network, one sample, a learning rate and the conventions.

The page holds this state as JSON and sends it with every request; the server
keeps nothing between requests, so two tabs never disturb each other and a
reload loses nothing the page has not saved. Every value is validated here,
with errors that name the page's field (``"w5"``, ``"i1"``, ``"target_o2"``,
``"learning_rate"``), so the page can show the message beside that field.

JSON shape (all keys required, except the conventions, which default to the tutorial's)::

    {"sizes": [2, 2, 2], "activations": ["sigmoid", "sigmoid"], "loss": "squared_error",
     "error": "half_sum", "bias": "shared", "train_bias": false, "hidden_deltas": "original",
     "params": {"w1": 0.15, ..., "b1": 0.35, "b2": 0.6},
     "input": [0.05, 0.1], "target": [0.01, 0.99], "learning_rate": 0.5}
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.errors import ValidationError
from ..explain.naming import Naming
from ..explain.tutorial import (
    TUTORIAL_BIASES,
    TUTORIAL_INPUT,
    TUTORIAL_LEARNING_RATE,
    TUTORIAL_TARGET,
    TUTORIAL_WEIGHTS,
)
from ..core.layers import BIAS_MODES, Dense
from ..core.losses import LOSSES
from ..core.network import Network

__all__ = ["ExplorerState", "VALUE_LIMIT", "MAX_NEURONS", "MAX_LAYERS", "check_number", "check_sizes"]

#: Largest magnitude the explorer accepts for an input, target, weight, bias or learning rate.
VALUE_LIMIT = 1e6
#: Neurons per layer and layers (inputs included) the explorer draws legibly.
MAX_NEURONS = 6
MAX_LAYERS = 5
ERROR_MODES = ("half_sum", "mean")
HIDDEN_DELTAS = ("original", "updated")


def check_number(value: Any, field: str, *, positive: bool = False, limit: float = VALUE_LIMIT) -> float:
    """A finite JSON number with ``|value| <= limit`` (and > 0 when ``positive``)."""
    expected = f"a number {'> 0 and ' if positive else 'between -' + format(limit, 'g') + ' and '}" \
               f"{'at most ' if positive else ''}{limit:g}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(field, expected, value)
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit or (positive and number <= 0):
        raise ValidationError(field, expected, value)
    return number


def check_sizes(sizes: Any) -> list[int]:
    """Layer sizes the explorer can draw: 2 to MAX_LAYERS of them, each 1 to MAX_NEURONS."""
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS
            or any(isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= MAX_NEURONS for s in sizes)):
        raise ValidationError("sizes", f"2 to {MAX_LAYERS} layer sizes, each 1 to {MAX_NEURONS}", sizes)
    return list(sizes)


def _choice(value: Any, field: str, choices: Any) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(field, f"one of {sorted(choices)}", value)
    return value


def _number_list(value: Any, field: str, names: list[str]) -> list[float]:
    if not isinstance(value, list) or len(value) != len(names):
        raise ValidationError(field, f"a list of {len(names)} numbers", value)
    return [check_number(v, name) for v, name in zip(value, names)]


@dataclass
class ExplorerState:
    """One network, one sample, a learning rate and the tutorial's conventions as switches."""

    sizes: list[int]
    activations: list[str]
    loss: str
    params: dict[str, float]
    input: list[float]
    target: list[float]
    learning_rate: float
    error: str = "half_sum"
    bias: str = "shared"
    train_bias: bool = False
    hidden_deltas: str = "original"
    names: Naming = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.names = Naming(self.sizes, [self.bias == "shared"] * (len(self.sizes) - 1))

    # -- construction ---------------------------------------------------------------
    @classmethod
    def tutorial(cls) -> "ExplorerState":
        """The tutorial's 2-2-2 sigmoid network, sample and learning rate."""
        return cls(
            sizes=[2, 2, 2], activations=["sigmoid", "sigmoid"], loss="squared_error",
            params={**TUTORIAL_WEIGHTS, **TUTORIAL_BIASES}, input=list(TUTORIAL_INPUT),
            target=list(TUTORIAL_TARGET), learning_rate=TUTORIAL_LEARNING_RATE,
        )

    @classmethod
    def from_network(cls, network: Network, x: Any, y: Any, learning_rate: float, *,
                     hidden_deltas: str = "original") -> "ExplorerState":
        """The state of an engine network (one bias mode and trainability for all layers)."""
        modes = {layer.bias_mode for layer in network.layers}
        trained = {layer.train_bias for layer in network.layers}
        if len(modes) != 1 or len(trained) != 1:
            raise ValidationError("bias", "the same bias mode and trainability in every layer",
                             f"{sorted(modes)}, train_bias {sorted(trained)}")
        loss = network.loss_function
        naming = Naming.of(network)
        params = {p.name: naming.get(network, p.name) for p in naming.weights + naming.biases}
        state = {
            "sizes": network.sizes,
            "activations": [layer.activation.name for layer in network.layers],
            "loss": loss.name, "error": getattr(loss, "output_reduction", "half_sum"),
            "bias": modes.pop(), "train_bias": trained.pop(), "hidden_deltas": hidden_deltas,
            "params": params, "input": [float(v) for v in np.ravel(x)],
            "target": [float(v) for v in np.ravel(y)], "learning_rate": float(learning_rate),
        }
        return cls.from_json(state)

    @classmethod
    def from_json(cls, obj: Any) -> "ExplorerState":
        """Validate the page's JSON; raises :class:`ValidationError` naming the first bad field."""
        if not isinstance(obj, dict):
            raise ValidationError("state", "a JSON object", obj)
        for key in ("sizes", "activations", "loss", "params", "input", "target", "learning_rate"):
            if key not in obj:
                raise ValidationError(key, "a value (the field is missing)", None)
        sizes = check_sizes(obj["sizes"])
        activations = obj["activations"]
        if not isinstance(activations, list) or len(activations) != len(sizes) - 1:
            raise ValidationError("activations", f"a list of {len(sizes) - 1} activation names", activations)
        activations = [_choice(a, f"activations.{k}", ACTIVATIONS) for k, a in enumerate(activations)]
        loss = _choice(obj["loss"], "loss", LOSSES)
        error = _choice(obj.get("error", "half_sum"), "error", ERROR_MODES)
        bias = _choice(obj.get("bias", "shared"), "bias", BIAS_MODES)
        train_bias = obj.get("train_bias", False)
        if not isinstance(train_bias, bool):
            raise ValidationError("train_bias", "true or false", train_bias)
        hidden_deltas = _choice(obj.get("hidden_deltas", "original"), "hidden_deltas", HIDDEN_DELTAS)
        naming = Naming(sizes, [bias == "shared"] * (len(sizes) - 1))
        params_in = obj["params"]
        if not isinstance(params_in, dict):
            raise ValidationError("params", "an object mapping w1.., b1.. to numbers", params_in)
        expected = [p.name for p in naming.weights + naming.biases]
        unknown = sorted(set(params_in) - set(expected))
        if unknown:
            raise ValidationError(unknown[0], f"a parameter of this network, one of {expected[0]}..{expected[-1]}",
                             unknown[0])
        params = {}
        for name in expected:
            if name not in params_in:
                raise ValidationError(name, "a number (the field is missing)", None)
            params[name] = check_number(params_in[name], name)
        state = cls(
            sizes=list(sizes), activations=activations, loss=loss, params=params,
            input=_number_list(obj["input"], "input", naming.inputs),
            target=_number_list(obj["target"], "target", [f"target_{o}" for o in naming.outputs]),
            learning_rate=check_number(obj["learning_rate"], "learning_rate", positive=True),
            error=error, bias=bias, train_bias=train_bias, hidden_deltas=hidden_deltas,
        )
        state.network()  # refuses what the engine refuses (softmax without cross-entropy...)
        state.check_sample(state.network())
        return state

    # -- use ----------------------------------------------------------------------------
    def network(self) -> Network:
        """A fresh engine network with these weights and biases (float64)."""
        layers = [
            Dense(self.sizes[k], self.sizes[k + 1], self.activations[k], bias=self.bias,
                  train_bias=self.train_bias, init="zeros", name=f"layer {k + 1}")
            for k in range(len(self.sizes) - 1)
        ]
        loss: Any = {"name": self.loss}
        if self.loss == "squared_error":
            loss["output_reduction"] = self.error
        try:
            network = Network(layers, loss=loss)
        except ValueError as err:
            raise ValidationError("loss", f"a loss that suits the output activation ({err})", self.loss) from None
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

    def with_network(self, network: Network) -> "ExplorerState":
        """This state with the weights and biases of ``network`` (same architecture)."""
        naming = Naming.of(network)
        params = {name: naming.get(network, name) for name in self.params}
        return ExplorerState.from_json({**self.to_json(), "params": params})

    def to_json(self) -> dict[str, Any]:
        """The JSON the page holds (see the module docstring)."""
        return {
            "sizes": list(self.sizes), "activations": list(self.activations), "loss": self.loss,
            "error": self.error, "bias": self.bias, "train_bias": self.train_bias,
            "hidden_deltas": self.hidden_deltas, "params": dict(self.params), "input": list(self.input),
            "target": list(self.target), "learning_rate": self.learning_rate,
        }

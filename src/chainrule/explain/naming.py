"""The tutorial's names for neurons, weights and biases, for any fully connected network.

This module is the one place that maps a name to an array element.

Neurons
    Inputs are ``i1 .. in``, outputs ``o1 .. om``. With one hidden layer its
    neurons are ``h1 .. hk`` (the tutorial). With several hidden layers, neuron
    ``j`` of hidden layer ``l`` is ``h{l}_{j}`` (``h1_1, h1_2, .., h2_1, ..``).
    Neuron ``j`` of a layer is column ``j - 1`` of that layer's ``z`` and ``a``.

Weights
    Numbered ``w1, w2, ...`` across the whole network in the tutorial's order:
    layer by layer from the input; within a layer by target neuron, then by
    source neuron. For the 2-2-2 network: ``w1 = i1->h1, w2 = i2->h1,
    w3 = i1->h2, w4 = i2->h2, w5 = h1->o1, w6 = h2->o1, w7 = h1->o2, w8 = h2->o2``.
    The weight from source ``i`` (0-based) to target ``j`` of a layer with
    ``n_in`` inputs and first number ``w_start`` is ``W[i, j]``, named
    ``w{w_start + j * n_in + i}``: it enumerates ``W.T`` in C order.

Biases
    Numbered ``b1, b2, ...`` in order of layer, then neuron, one number per
    bias *parameter*: a bias shared by a layer is one number (the tutorial's
    ``b1`` for the hidden layer, ``b2`` for the output layer); per-neuron biases
    take one number each (``b1, b2`` for h1, h2, then ``b3, b4`` for o1, o2).
    ``b{k}`` is ``layers[l].b[j]`` with ``j = 0`` for a shared bias.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.validation import fail

if TYPE_CHECKING:
    from ..core.network import Network

__all__ = ["ParameterName", "Naming"]


@dataclass(frozen=True)
class ParameterName:
    """Where a named weight or bias lives.

    ``layer`` is the 0-based index into ``network.layers``; ``index`` indexes
    ``W`` (``(i, j)``) or ``b`` (``(j,)``). ``source`` is the neuron a weight
    leaves (None for biases); ``targets`` are the neurons it feeds (several
    for a shared bias).
    """

    name: str
    kind: str  # "weight" or "bias"
    layer: int
    index: tuple[int, ...]
    source: str | None
    targets: tuple[str, ...]


class Naming:
    """The names of one network's neurons and parameters (see the module docstring)."""

    def __init__(self, sizes: list[int], shared_bias: list[bool]) -> None:
        self.sizes = list(sizes)
        n_hidden = len(sizes) - 2
        self.neurons: list[list[str]] = [[f"i{j + 1}" for j in range(sizes[0])]]
        for l in range(1, len(sizes) - 1):
            prefix = "h" if n_hidden == 1 else f"h{l}_"
            self.neurons.append([f"{prefix}{j + 1}" for j in range(sizes[l])])
        self.neurons.append([f"o{j + 1}" for j in range(sizes[-1])])

        self.weights: list[ParameterName] = []
        self.biases: list[ParameterName] = []
        for layer, (sources, targets) in enumerate(zip(self.neurons[:-1], self.neurons[1:])):
            for j, target in enumerate(targets):
                for i, source in enumerate(sources):
                    name = f"w{len(self.weights) + 1}"
                    self.weights.append(ParameterName(name, "weight", layer, (i, j), source, (target,)))
            if shared_bias[layer]:
                self.biases.append(ParameterName(f"b{len(self.biases) + 1}", "bias", layer, (0,), None, tuple(targets)))
            else:
                for j, target in enumerate(targets):
                    name = f"b{len(self.biases) + 1}"
                    self.biases.append(ParameterName(name, "bias", layer, (j,), None, (target,)))
        self._by_name = {p.name: p for p in self.weights + self.biases}

    @classmethod
    def of(cls, network: Network) -> Naming:
        """The naming of ``network``'s architecture."""
        return cls(network.sizes, [layer.bias_mode == "shared" for layer in network.layers])

    @property
    def inputs(self) -> list[str]:
        return self.neurons[0]

    @property
    def outputs(self) -> list[str]:
        return self.neurons[-1]

    def parameter(self, name: str) -> ParameterName:
        """Look up ``"w5"`` or ``"b1"``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise fail("parameter name", f"one of w1..w{len(self.weights)}, b1..b{len(self.biases)}", name) from None

    def weight_between(self, layer: int, i: int, j: int) -> ParameterName:
        """The weight ``W[i, j]`` of ``layers[layer]``."""
        start = sum(self.sizes[k] * self.sizes[k + 1] for k in range(layer))
        return self.weights[start + j * self.sizes[layer] + i]

    def bias_of(self, layer: int, j: int) -> ParameterName | None:
        """The bias feeding neuron ``j`` of ``layers[layer]``."""
        target = self.neurons[layer + 1][j]
        for p in self.biases:
            if p.layer == layer and target in p.targets:
                return p
        return None

    def get(self, network: Network, name: str) -> float:
        """The current value of a named weight or bias."""
        p = self.parameter(name)
        layer = network.layers[p.layer]
        return float((layer.W if p.kind == "weight" else layer.b)[p.index])

    def assign(self, network: Network, values: Mapping[str, float]) -> None:
        """Set weights and biases by name, e.g. ``{"w1": 0.15, "b1": 0.35}``."""
        for name, value in values.items():
            p = self.parameter(name)
            layer = network.layers[p.layer]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise fail(f"value of {name}", "a number", value) from None
            if number != number or number in (float("inf"), float("-inf")):
                raise fail(f"value of {name}", "a finite number", value)
            (layer.W if p.kind == "weight" else layer.b)[p.index] = number

"""How an activation is written as ONNX operators, as plain data (the core does not import onnx).

An activation's :meth:`~chainrule.core.activations.Activation.onnx_nodes` returns a
list of :class:`OnnxNode`; the exporter (:mod:`chainrule.export.onnx_export`) turns
them into graph nodes. Inside the list, ``"z"`` names the activation's input;
every node names its output, which later nodes may use; the last node's output
is the activation ``a``. A ``float`` input is a scalar constant, stored in the
graph's dtype. SiLU, for example::

    [OnnxNode("Sigmoid", ("z",), "s"), OnnxNode("Mul", ("z", "s"), "a")]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OnnxNode", "INPUT"]

#: The local name of the activation's input (the pre-activation z).
INPUT = "z"


@dataclass(frozen=True)
class OnnxNode:
    """One ONNX operator: ``op_type`` applied to ``inputs`` (local names or scalar constants)."""

    op_type: str
    inputs: tuple[str | float, ...]
    output: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

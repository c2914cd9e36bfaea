"""ONNX export: the network, with its preprocessing, as a standard ONNX graph.

The graph takes the raw feature matrix ``input`` ``(n, n_features)`` and computes::

    x = (input - mean) / scale                      Sub, Div          (when preprocessing is stored)
    a = f_k(a @ W_k + b_k)  for each layer k        MatMul, Add, activation op
    classification:  probabilities = a,  label = classes[argmax(a)]   ArgMax, Gather
    regression:      prediction = a * target_scale + target_mean      Mul, Add
    no preprocessing: output = a

Activations map one to one onto ONNX operators (Sigmoid, Tanh, Relu,
LeakyRelu with its alpha, Softmax on the last axis, Identity), except leaky
ReLU in a float64 graph: ONNX stores LeakyRelu's alpha as a float32, so there
it is ``Max(z, Mul(z, alpha))`` with alpha in float64, as the engine computes it. Everything runs
in one dtype, float32 by default (as deployed runtimes expect) or float64.
Needs the ``onnx`` package (``pip install 'chainrule[onnx]'``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..core.validation import check_dtype, fail
from ..io.atomic import atomic_write_bytes

__all__ = ["OPSET", "export_onnx", "to_onnx"]

#: ONNX operator set the graph is written for (Softmax on one axis needs >= 13).
OPSET = 17


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'chainrule[onnx]'") from None
    return onnx, helper, numpy_helper


def to_onnx(network: Any, preprocessing: Any = None, *, dtype: Any = np.float32, name: str = "chainrule") -> Any:
    """Build an ``onnx.ModelProto`` computing ``network`` (and ``preprocessing``, if given).

    Parameters
    ----------
    network : Network
    preprocessing : Preprocessor, optional
        Standardisation and target decoding, put into the graph.
    dtype : float32 or float64
        Type of the graph's tensors; the weights are rounded to it.
    """
    onnx, helper, numpy_helper = _onnx()
    dtype = check_dtype(dtype)
    elem = onnx.TensorProto.FLOAT if dtype == np.float32 else onnx.TensorProto.DOUBLE
    nodes, initializers = [], []

    def const(name: str, value: Any, as_dtype: Any = dtype) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value, dtype=as_dtype), name))
        return name

    n_in = network.n_inputs
    current = "input"
    if preprocessing is not None:
        if len(preprocessing.features) != n_in:
            raise fail("preprocessing", f"{n_in} features (the network's inputs)", preprocessing.features)
        nodes.append(helper.make_node("Sub", ["input", const("mean", preprocessing.mean)], ["centred"]))
        nodes.append(helper.make_node("Div", ["centred", const("scale", preprocessing.scale)], ["standardised"]))
        current = "standardised"
    for k, layer in enumerate(network.layers, start=1):
        W = const(f"layer{k}.W", layer.W)
        b = const(f"layer{k}.b", layer.b)
        nodes.append(helper.make_node("MatMul", [current, W], [f"layer{k}.xW"]))
        nodes.append(helper.make_node("Add", [f"layer{k}.xW", b], [f"layer{k}.z"]))
        if layer.activation.name == "leaky_relu" and dtype == np.float64:
            # ONNX attributes are float32, so LeakyRelu would round alpha; Max(z, alpha z) with a
            # float64 alpha computes exactly what the engine does.
            alpha = const(f"layer{k}.alpha", layer.activation.alpha)
            nodes.append(helper.make_node("Mul", [f"layer{k}.z", alpha], [f"layer{k}.alpha_z"]))
            nodes.append(helper.make_node("Max", [f"layer{k}.z", f"layer{k}.alpha_z"], [f"layer{k}.a"]))
        else:
            nodes.append(_activation_node(helper, layer.activation, f"layer{k}.z", f"layer{k}.a"))
        current = f"layer{k}.a"
    n_out = network.n_outputs
    outputs = []
    if preprocessing is None:
        nodes.append(helper.make_node("Identity", [current], ["output"]))
        outputs.append(helper.make_tensor_value_info("output", elem, ["n", n_out]))
    elif preprocessing.task == "classification":
        nodes.append(helper.make_node("Identity", [current], ["probabilities"]))
        nodes.append(helper.make_node("ArgMax", [current], ["class_index"], axis=1, keepdims=0))
        classes = preprocessing.classes
        if all(isinstance(c, str) for c in classes):
            labels, label_elem = np.array(classes, dtype=object), onnx.TensorProto.STRING
        elif all(isinstance(c, (int, bool)) for c in classes):
            labels, label_elem = np.array(classes, dtype=np.int64), onnx.TensorProto.INT64
        else:
            labels, label_elem = np.array([str(c) for c in classes], dtype=object), onnx.TensorProto.STRING
        initializers.append(numpy_helper.from_array(labels, "classes"))
        nodes.append(helper.make_node("Gather", ["classes", "class_index"], ["label"], axis=0))
        outputs.append(helper.make_tensor_value_info("probabilities", elem, ["n", n_out]))
        outputs.append(helper.make_tensor_value_info("label", label_elem, ["n"]))
    else:
        nodes.append(helper.make_node("Mul", [current, const("target_scale", [preprocessing.target_scale])],
                                      ["scaled"]))
        nodes.append(helper.make_node("Add", ["scaled", const("target_mean", [preprocessing.target_mean])],
                                      ["prediction"]))
        outputs.append(helper.make_tensor_value_info("prediction", elem, ["n", 1]))
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", elem, ["n", n_in])], outputs, initializers
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="chainrule")
    # Widely deployed runtimes lag the newest IR version; this IR goes with opset 17.
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _activation_node(helper, activation: Any, source: str, target: str):
    name = activation.name
    if name == "sigmoid":
        return helper.make_node("Sigmoid", [source], [target])
    if name == "tanh":
        return helper.make_node("Tanh", [source], [target])
    if name == "relu":
        return helper.make_node("Relu", [source], [target])
    if name == "leaky_relu":
        return helper.make_node("LeakyRelu", [source], [target], alpha=float(activation.alpha))
    if name == "softmax":
        return helper.make_node("Softmax", [source], [target], axis=-1)
    if name == "identity":
        return helper.make_node("Identity", [source], [target])
    raise fail("activation", "one with an ONNX operator", name)


def export_onnx(path: str | os.PathLike, network: Any, preprocessing: Any = None, *, dtype: Any = np.float32) -> Path:
    """Write the ONNX model of :func:`to_onnx` to ``path`` atomically; return the path."""
    return atomic_write_bytes(path, to_onnx(network, preprocessing, dtype=dtype).SerializeToString())

"""ONNX export: the network, with its preprocessing, as a standard ONNX graph.

With a preprocessing (:class:`chainrule.tabular.Preprocessor`, or its config
as stored in a model file) the graph takes the table's columns as they are,
one input per column (:mod:`chainrule.export.preprocessing` says how each is
typed and encoded inside), and computes::

    x = the encoded features (imputation, standardisation, one-hot)      ai.onnx.ml + Sub, Div, Concat
    a = f_k(a @ W_k + b_k)  for each layer k        MatMul, Add, activation op
    classification:  probabilities = a,  label = classes[argmax(a)]   ArgMax, Gather
    regression:      prediction = a * target_scale + target_mean      Mul, Add
    no preprocessing: output = a  (input ``input`` (n, n_inputs))

Each activation states its own ONNX operators
(:meth:`~chainrule.core.activations.Activation.onnx_nodes`): Sigmoid, Tanh,
Relu, LeakyRelu with its alpha, Softmax on the last axis, Identity, Elu with its
alpha; GELU is built from Erf, Mul and Add (opset 17 has no Gelu), SiLU as
Sigmoid times z, softplus from Softplus, Greater and Where (with Mul and Div
for its beta). An activation without ONNX operators (your own, unless you
define them) is refused, by name. Everything runs in one dtype, float32 by
default (as deployed runtimes expect) or float64.
The model's ``metadata_props`` hold the chainrule version, the task, target,
classes, the columns and their graph inputs, the feature names in order and
the whole preprocessing config (JSON).
Needs the ``onnx`` package (the ``onnx`` extra).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..core.extras import install_hint
from ..core.onnx_graph import INPUT
from ..core.validation import Described, check_dtype, fail
from ..io.atomic import atomic_write_bytes
from .preprocessing import (
    ML_DOMAIN,
    ML_OPSET,
    ConstBuilder,
    as_preprocessor,
    preprocessing_graph,
    preprocessing_metadata,
)

__all__ = ["OPSET", "export_onnx", "to_onnx"]

#: ONNX operator set the graph is written for (Softmax on one axis needs >= 13).
OPSET = 17


def _onnx() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError(f"ONNX export needs the onnx package: {install_hint('onnx')}") from None
    return onnx, helper, numpy_helper


def to_onnx(
    network: Any,
    preprocessing: Any = None,
    *,
    dtype: Any = np.float32,
    name: str = "chainrule",
    inputs: str = "columns",
) -> Any:
    """Build an ``onnx.ModelProto`` computing ``network`` (and ``preprocessing``, if given).

    Parameters
    ----------
    network : Network
    preprocessing : Preprocessor, its config (a dict, e.g. ``load_model(path).preprocessing``), optional
        Put into the graph: encoding of the raw columns, target decoding.
    dtype : float32 or float64
        Type of the graph's float tensors; the weights are rounded to it.
    inputs : {"columns", "matrix"}
        With a preprocessing: one input per column (default), or one float
        matrix ``input`` ``(n, n_columns)`` for a table of numeric columns.
    """
    onnx, helper, numpy_helper = _onnx()
    dtype = check_dtype(dtype)
    preprocessing = as_preprocessor(preprocessing)
    elem = onnx.TensorProto.FLOAT if dtype == np.float32 else onnx.TensorProto.DOUBLE
    nodes, initializers = [], []

    def const(name: str, value: Any, as_dtype: Any = dtype) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value, dtype=as_dtype), name))
        return name

    n_in = network.n_inputs
    described: list[Any] = []
    if preprocessing is not None:
        if len(preprocessing.features) != n_in:
            raise fail("preprocessing", f"{n_in} features (the network's inputs)", preprocessing.features)
        pre_graph = preprocessing_graph(preprocessing, dtype, inputs)
        graph_inputs, current, described = pre_graph.inputs, pre_graph.output, pre_graph.described
        nodes += pre_graph.nodes
        initializers += pre_graph.initializers
    else:
        graph_inputs, current = [helper.make_tensor_value_info("input", elem, ["n", n_in])], "input"
    for k, layer in enumerate(network.layers, start=1):
        W = const(f"net/layer{k}.W", layer.W)
        b = const(f"net/layer{k}.b", layer.b)
        nodes.append(helper.make_node("MatMul", [current, W], [f"net/layer{k}.xW"]))
        nodes.append(helper.make_node("Add", [f"net/layer{k}.xW", b], [f"net/layer{k}.z"]))
        nodes.extend(_activation_nodes(helper, const, layer, f"net/layer{k}", f"net/layer{k}.z", f"net/layer{k}.a"))
        current = f"net/layer{k}.a"
    n_out = network.n_outputs
    outputs = []
    if preprocessing is None:
        nodes.append(helper.make_node("Identity", [current], ["output"]))
        outputs.append(helper.make_tensor_value_info("output", elem, ["n", n_out]))
    elif preprocessing.task == "classification":
        nodes.append(helper.make_node("Identity", [current], ["probabilities"]))
        nodes.append(helper.make_node("ArgMax", [current], ["net/class_index"], axis=1, keepdims=0))
        classes = preprocessing.classes
        if all(isinstance(c, str) for c in classes):
            labels, label_elem = np.array(classes, dtype=object), onnx.TensorProto.STRING
        elif all(isinstance(c, (int, bool)) for c in classes):
            labels, label_elem = np.array(classes, dtype=np.int64), onnx.TensorProto.INT64
        else:
            labels, label_elem = np.array([str(c) for c in classes], dtype=object), onnx.TensorProto.STRING
        initializers.append(numpy_helper.from_array(labels, "net/classes"))
        nodes.append(helper.make_node("Gather", ["net/classes", "net/class_index"], ["label"], axis=0))
        outputs.append(helper.make_tensor_value_info("probabilities", elem, ["n", n_out]))
        outputs.append(helper.make_tensor_value_info("label", label_elem, ["n"]))
    else:
        nodes.append(
            helper.make_node("Mul", [current, const("net/target_scale", [preprocessing.target_scale])], ["net/scaled"])
        )
        nodes.append(
            helper.make_node(
                "Add", ["net/scaled", const("net/target_mean", [preprocessing.target_mean])], ["prediction"]
            )
        )
        outputs.append(helper.make_tensor_value_info("prediction", elem, ["n", 1]))
    graph = helper.make_graph(nodes, name, graph_inputs, outputs, initializers)
    opsets = [helper.make_opsetid("", OPSET)]
    if any(n.domain == ML_DOMAIN for n in nodes):
        opsets.append(helper.make_opsetid(ML_DOMAIN, ML_OPSET))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="chainrule")
    # Widely deployed runtimes lag the newest IR version; this IR goes with opset 17.
    model.ir_version = 8
    helper.set_model_props(model, preprocessing_metadata(preprocessing, described, dtype))
    onnx.checker.check_model(model)
    return model


def _activation_nodes(
    helper: ModuleType, const: ConstBuilder, layer: Any, prefix: str, source: str, target: str
) -> list[Any]:
    """The activation's own ONNX operators (see :mod:`chainrule.core.onnx_graph`), named under ``prefix``."""
    activation = layer.activation
    spec = activation.onnx_nodes()
    if not spec:
        raise fail(
            f"{layer.name} activation",
            "an activation with ONNX operators (define onnx_nodes() on its class to export it)",
            Described(f"{activation.name!r} ({type(activation).__name__}), which has none"),
        )
    names = {INPUT: source}
    nodes = []
    for i, node in enumerate(spec):
        inputs = []
        for j, value in enumerate(node.inputs):
            if isinstance(value, str):
                if value not in names:
                    raise fail(f"{activation.name} onnx_nodes()[{i}] input", f"one of {sorted(names)}", value)
                inputs.append(names[value])
            else:
                inputs.append(const(f"{prefix}.{node.output}.c{j}", value))
        output = target if i == len(spec) - 1 else f"{prefix}.{node.output}"
        names[node.output] = output
        nodes.append(helper.make_node(node.op_type, inputs, [output], **dict(node.attributes)))
    return nodes


def export_onnx(
    path: str | os.PathLike[str],
    network: Any,
    preprocessing: Any = None,
    *,
    dtype: Any = np.float32,
    inputs: str = "columns",
) -> Path:
    """Write the ONNX model of :func:`to_onnx` to ``path`` atomically; return the path."""
    model = to_onnx(network, preprocessing, dtype=dtype, inputs=inputs)
    return atomic_write_bytes(path, model.SerializeToString())

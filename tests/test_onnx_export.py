"""ONNX export: onnxruntime computes what chainrule computes, preprocessing included."""

from __future__ import annotations

import numpy as np
import pytest

import needs

needs.module("onnx")
ort = needs.module("onnxruntime")

from chainrule import ACTIVATIONS, Network
from chainrule.export import export_onnx, to_onnx
from chainrule.tabular import Preprocessor, table_from_columns

TOLERANCE = 1e-6


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _inputs(n=257, d=5, seed=0, dtype=np.float32):
    # Spread wide enough to reach the saturated tails of sigmoid and tanh.
    return (np.random.default_rng(seed).normal(size=(n, d)) * 3).astype(dtype)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("bias", ["per_neuron", "shared"])
def test_every_activation_matches_onnxruntime(activation, bias):
    hidden = activation if activation != "softmax" else "tanh"
    net = Network.from_sizes([5, 16, 12, 3], [hidden, activation, activation], bias=bias, seed=1,
                             dtype=np.float32)
    rng = np.random.default_rng(2)
    for layer in net.layers:
        layer.set_weights(b=rng.normal(size=layer.b.shape))
    X = _inputs()
    (got,) = _session(to_onnx(net)).run(None, {"input": X})
    expected = net.predict(X)
    assert got.dtype == np.float32 and got.shape == expected.shape
    # float32 rounding is relative: compare against max(1, |value|) (identity layers grow values).
    assert np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))) <= TOLERANCE


def test_float64_graph():
    net = Network.from_sizes([5, 8, 2], "tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    X = _inputs(dtype=np.float64)
    (got,) = _session(to_onnx(net, dtype=np.float64)).run(None, {"input": X})
    np.testing.assert_allclose(got, net.predict(X), rtol=0, atol=1e-13)


def _table(task, n=120, seed=3):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(10, 4, n), rng.normal(-3, 0.5, n)
    if task == "classification":
        y = np.where(x1 + 8 * x2 > -14, "yes", "no").tolist()
    else:
        y = (100 + 5 * x1 - 20 * x2).tolist()
    return table_from_columns({"x1": x1.tolist(), "x2": x2.tolist(), "y": y})


def test_classification_graph_includes_preprocessing_and_labels(tmp_path):
    table = _table("classification")
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([2, 6, 2], "relu", output_activation="softmax", loss="cross_entropy", seed=0,
                             dtype=np.float32)
    path = export_onnx(tmp_path / "m.onnx", net, pre)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    raw = table.matrix(pre.features).astype(np.float32)
    probabilities, labels = session.run(None, {"input": raw})
    expected = net.predict(pre.features_of(table, np.float32))
    assert np.max(np.abs(probabilities - expected)) <= TOLERANCE
    assert list(labels) == pre.decode(expected)


def test_regression_graph_undoes_the_target_scaling():
    table = _table("regression")
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([2, 6, 1], "sigmoid", output_activation="identity", seed=0, dtype=np.float32)
    raw = table.matrix(pre.features).astype(np.float32)
    (prediction,) = _session(to_onnx(net, pre)).run(None, {"input": raw})
    expected = pre.decode(net.predict(pre.features_of(table, np.float32)))
    # Values are in the target's units (about 100 here): compare relative to them.
    assert np.max(np.abs(prediction[:, 0] - expected) / np.maximum(1.0, np.abs(expected))) <= TOLERANCE


def test_mismatched_preprocessing_refused():
    pre = Preprocessor.fit(_table("classification"), "y")
    net = Network.from_sizes([3, 2], "softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="preprocessing: expected 3 features"):
        to_onnx(net, pre)


@pytest.mark.parametrize("alpha", [0.01, 0.3, 0.75])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_alpha_reaches_the_graph(alpha, dtype):
    leaky = {"name": "leaky_relu", "alpha": alpha}
    net = Network.from_sizes([5, 7, 3], [leaky, "identity"], seed=4, dtype=dtype)
    X = _inputs(dtype=dtype)
    (got,) = _session(to_onnx(net, dtype=dtype)).run(None, {"input": X})
    # An independent forward pass in NumPy, alpha written out.
    W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (net.layers[0].W, net.layers[0].b,
                                                                net.layers[1].W, net.layers[1].b))
    z = X.astype(np.float64) @ W1 + b1
    expected = np.where(z > 0, z, alpha * z) @ W2 + b2
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))) <= tolerance
    assert np.max(np.abs(got - net.predict(X)) / np.maximum(1.0, np.abs(expected))) <= tolerance


def _shape(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


@pytest.mark.parametrize("task", [None, "classification", "regression"])
def test_the_graphs_interface(task):
    from chainrule.export import OPSET
    from chainrule.tabular import Preprocessor

    n_out = {None: 3, "classification": 2, "regression": 1}[task]
    net = Network.from_sizes([2, 4, n_out], "tanh", output_activation="softmax" if n_out > 1 else "identity",
                             loss="cross_entropy" if n_out > 1 else "squared_error", seed=0)
    pre = None if task is None else Preprocessor(["u", "v"], "y", task, [1.0, 2.0], [0.5, 4.0],
                                                 classes=["no", "yes"] if task == "classification" else None,
                                                 target_mean=10.0 if task == "regression" else None,
                                                 target_scale=2.0 if task == "regression" else None)
    model = to_onnx(net, pre)
    assert model.ir_version == 8 and [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)] \
        and OPSET == 17
    assert model.producer_name == "chainrule" and model.graph.name == "chainrule"
    assert [(i.name, _shape(i)) for i in model.graph.input] == [("input", ["n", 2])]
    expected = {None: [("output", ["n", 3])], "classification": [("probabilities", ["n", 2]), ("label", ["n"])],
                "regression": [("prediction", ["n", 1])]}[task]
    assert [(o.name, _shape(o)) for o in model.graph.output] == expected
    session = _session(model)
    assert [(o.name, o.shape) for o in session.get_outputs()] == expected
    X = np.array([[1.0, 2.0], [3.0, -6.0], [0.0, 10.0]], dtype=np.float32)
    results = session.run(None, {"input": X})
    standardised = X if pre is None else (X - [1.0, 2.0]) / [0.5, 4.0]
    outputs = net.predict(standardised.astype(np.float32))
    if task == "regression":
        np.testing.assert_allclose(results[0], outputs * 2.0 + 10.0, rtol=1e-6)
    else:
        np.testing.assert_allclose(results[0], outputs, rtol=1e-6)
    if task == "classification":
        assert results[1].shape == (3,) and results[1].tolist() == [["no", "yes"][k] for k in outputs.argmax(axis=1)]


@pytest.mark.parametrize("classes, labels", [([3, 7], np.int64), ([True, False], np.int64),
                                             ([1.5, 2.5], object), (["a", 2], object)])
def test_class_labels_keep_their_type(classes, labels):
    from chainrule.tabular import Preprocessor

    pre = Preprocessor(["u"], "y", "classification", [0.0], [1.0], classes=classes)
    net = Network.from_sizes([1, 2], "softmax", loss="cross_entropy", seed=0)
    X = np.array([[-3.0], [3.0]], dtype=np.float32)
    _, got = _session(to_onnx(net, pre)).run(None, {"input": X})
    expected = [pre.classes[k] for k in net.predict(X).argmax(axis=1)]
    assert got.dtype == labels
    assert got.tolist() == (expected if labels is np.int64 else [str(c) for c in expected])


def test_export_onnx_writes_the_dtype_asked_for(tmp_path):
    import onnx

    net = Network.from_sizes([2, 3], "sigmoid", seed=0)
    for dtype, elem in ((np.float64, onnx.TensorProto.DOUBLE), (np.float32, onnx.TensorProto.FLOAT)):
        path = export_onnx(tmp_path / "m.onnx", net, dtype=dtype)
        assert onnx.load(str(path)).graph.input[0].type.tensor_type.elem_type == elem


def test_an_activation_without_an_onnx_operator_is_refused():
    from chainrule.core.activations import Tanh

    class Custom(Tanh):
        name = "custom_tanh"

    net = Network.from_sizes([2, 3], "tanh", seed=0)
    net.layers[0].activation = Custom()
    with pytest.raises(ValueError) as err:
        to_onnx(net)
    assert str(err.value) == "activation: expected one with an ONNX operator, received: 'custom_tanh'"


def test_mismatched_preprocessing_names_what_it_received():
    pre = Preprocessor.fit(_table("classification"), "y")
    net = Network.from_sizes([3, 2], "softmax", loss="cross_entropy")
    with pytest.raises(ValueError) as err:
        to_onnx(net, pre)
    assert str(err.value) == "preprocessing: expected 3 features (the network's inputs), received: ['x1', 'x2']"


def test_without_onnx_the_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(ImportError) as err:
        to_onnx(Network.from_sizes([2, 3], "tanh", seed=0))
    assert str(err.value) == "ONNX export needs the onnx package: pip install 'chainrule[onnx]'"

"""ONNX export: onnxruntime computes what chainrule computes, preprocessing included."""

from __future__ import annotations

import numpy as np
import pytest

import needs

needs.module("onnx")
ort = needs.module("onnxruntime")

from chainrule import ACTIVATIONS, Network
from chainrule.export import export_onnx, onnx_inputs, to_onnx
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
    net = Network.from_sizes([5, 16, 12, 3], [hidden, activation, activation], bias=bias, seed=1, dtype=np.float32)
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
    net = Network.from_sizes(
        [2, 6, 2], "relu", output_activation="softmax", loss="cross_entropy", seed=0, dtype=np.float32
    )
    path = export_onnx(tmp_path / "m.onnx", net, pre)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probabilities, labels = session.run(None, onnx_inputs(pre, table))
    expected = net.predict(pre.features_of(table, np.float32))
    assert np.max(np.abs(probabilities - expected)) <= TOLERANCE
    assert list(labels) == pre.decode(expected)


def test_regression_graph_undoes_the_target_scaling():
    table = _table("regression")
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([2, 6, 1], "sigmoid", output_activation="identity", seed=0, dtype=np.float32)
    raw = table.matrix(pre.columns).astype(np.float32)
    (prediction,) = _session(to_onnx(net, pre, inputs="matrix")).run(None, {"input": raw})
    expected = pre.decode(net.predict(pre.features_of(table, np.float32)))
    # Values are in the target's units (about 100 here): compare relative to them.
    assert np.max(np.abs(prediction[:, 0] - expected) / np.maximum(1.0, np.abs(expected))) <= TOLERANCE


def test_mismatched_preprocessing_refused():
    pre = Preprocessor.fit(_table("classification"), "y")
    net = Network.from_sizes([3, 2], "softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="preprocessing: expected 3 features"):
        to_onnx(net, pre)


# -- raw columns: mixed tables -------------------------------------------------------------------
from pathlib import Path

from chainrule.tabular import TableOptions, read_table

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


def _mixed_model(options, dtype=np.float32, seed=0):
    table = read_table(DATA / "penguins-train.csv")
    pre = Preprocessor.fit(table, "species", options=options)
    net = Network.from_sizes(
        [len(pre.features), 12, 3], "tanh", output_activation="softmax", loss="cross_entropy", seed=seed, dtype=dtype
    )
    return net, pre


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, TOLERANCE), (np.float64, 1e-13)])
@pytest.mark.parametrize(
    "options",
    [
        TableOptions(missing="impute", impute="median", missing_indicator=True),
        TableOptions(missing="impute", impute="constant", fill_value=-3.0, missing_indicator=True, unknown="ignore"),
        TableOptions(missing="impute", impute="mean", impute_categorical="constant", standardize=False),
    ],
    ids=["median-indicator", "constant-ignore", "mean-unscaled"],
)
def test_the_graph_encodes_raw_columns_as_chainrule_on_every_row(dtype, tolerance, options):
    net, pre = _mixed_model(options, dtype)
    table = read_table(DATA / "penguins.csv")  # every row: missing values, rows not seen in training
    session = _session(to_onnx(net, pre, dtype=dtype))
    probabilities, labels = session.run(None, onnx_inputs(pre, table, dtype=dtype))
    expected = net.predict(pre.features_of(table, dtype))
    assert probabilities.dtype == dtype and np.max(np.abs(probabilities - expected)) <= tolerance
    assert list(labels) == pre.decode(expected)


def test_the_encoding_inside_the_graph_is_exactly_chainrules():
    """The features themselves, read from the graph's Concat: bit for bit in float32."""
    import onnx

    net, pre = _mixed_model(TableOptions(missing="impute", impute="median", missing_indicator=True))
    model = to_onnx(net, pre)
    model.graph.output.append(onnx.helper.make_tensor_value_info("pre/features", onnx.TensorProto.FLOAT, None))
    table = read_table(DATA / "penguins.csv")
    features = _session(model).run(["pre/features"], onnx_inputs(pre, table))[0]
    assert features.tobytes() == pre.features_of(table, np.float32).tobytes()


def test_missing_text_spellings_and_unseen_categories_in_the_graph():
    net, pre = _mixed_model(TableOptions(missing="impute", missing_indicator=True, unknown="ignore"))
    session = _session(to_onnx(net, pre))
    new = read_table(DATA / "penguins-new.csv")
    base = onnx_inputs(pre, new)
    rows = []
    for island, sex in (("Dream", ""), ("Dream", "NA"), ("Dream", "None"), ("Anvers", "male")):
        feeds = {k: v[:1].copy() for k, v in base.items()}
        feeds["island"][0, 0], feeds["sex"][0, 0] = island, sex
        rows.append(session.run(None, feeds)[0][0])
    np.testing.assert_array_equal(rows[0], rows[1])
    np.testing.assert_array_equal(rows[0], rows[2])
    unseen = new.take([0])
    unseen.cells["island"], unseen.cells["sex"] = ["Anvers"], ["male"]
    expected = net.predict(pre.features_of(unseen, np.float32))[0]  # unseen island: all zeros, as chainrule
    assert np.max(np.abs(rows[3] - expected)) <= TOLERANCE


def test_to_onnx_takes_the_preprocessing_config_of_a_model_file(tmp_path):
    needs.module("safetensors")
    from chainrule.io import load_model, save_model

    net, pre = _mixed_model(TableOptions(missing="impute"))
    save_model(tmp_path / "m.safetensors", net, preprocessing=pre.to_config())
    saved = load_model(tmp_path / "m.safetensors")
    model = to_onnx(saved.network, saved.preprocessing)  # a dict, as stored: no AttributeError
    table = read_table(DATA / "penguins-new.csv")
    probabilities, _ = _session(model).run(None, onnx_inputs(saved.preprocessing, table))
    assert np.max(np.abs(probabilities - net.predict(pre.features_of(table, np.float32)))) <= TOLERANCE
    with pytest.raises(ValueError, match="preprocessing: expected a Preprocessor, its config"):
        to_onnx(net, "nope")


def test_metadata_names_the_columns_features_classes_and_version():
    import json

    from chainrule.version import __version__

    net, pre = _mixed_model(TableOptions(missing="impute"))
    model = to_onnx(net, pre)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["chainrule_version"] == __version__ and props["task"] == "classification"
    assert json.loads(props["classes"]) == ["Adelie", "Chinstrap", "Gentoo"]
    assert json.loads(props["columns"]) == pre.columns and json.loads(props["feature_names"]) == pre.features
    assert json.loads(props["inputs"])[0] == {
        "name": "island",
        "column": "island",
        "kind": "categorical",
        "type": "string",
    }
    assert Preprocessor.from_config(json.loads(props["preprocessing"])).to_config() == pre.to_config()
    assert {o.domain for o in model.opset_import} == {"", "ai.onnx.ml"}
    assert {o.domain for o in to_onnx(net).opset_import} == {""}  # no preprocessing: standard operators only


def test_matrix_inputs_for_numeric_tables_with_imputation():
    table = table_from_columns({"a": [1.0, None, 3.0, 4.0], "b": [True, False, None, True], "y": [0.5, 1.5, 2.5, 3.5]})
    pre = Preprocessor.fit(table, "y", options=TableOptions(missing="impute", missing_indicator=True))
    net = Network.from_sizes([len(pre.features), 3, 1], "tanh", output_activation="identity", seed=0, dtype=np.float32)
    expected = pre.decode(net.predict(pre.features_of(table, np.float32)))
    for inputs in ("matrix", "columns"):
        feeds = onnx_inputs(pre, table, inputs=inputs)
        (prediction,) = _session(to_onnx(net, pre, inputs=inputs)).run(None, feeds)
        assert np.max(np.abs(prediction[:, 0] - expected) / np.maximum(1.0, np.abs(expected))) <= TOLERANCE
    _, mixed = _mixed_model(TableOptions(missing="impute"))
    with pytest.raises(ValueError, match="inputs: expected 'columns' for a table with categorical columns"):
        to_onnx(Network.from_sizes([len(mixed.features), 3], "softmax", loss="cross_entropy"), mixed, inputs="matrix")


def test_a_column_named_like_an_output_gets_its_own_input_name():
    table = table_from_columns({"label": [1.0, 2.0, 3.0, 4.0], "y": ["p", "q", "p", "q"]})
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([1, 2], "softmax", loss="cross_entropy", seed=0, dtype=np.float32)
    session = _session(to_onnx(net, pre))
    assert [i.name for i in session.get_inputs()] == ["label_input"]
    probabilities, _labels = session.run(None, onnx_inputs(pre, table))
    assert np.max(np.abs(probabilities - net.predict(pre.features_of(table, np.float32)))) <= TOLERANCE


@pytest.mark.parametrize("alpha", [0.01, 0.3, 0.75])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_alpha_reaches_the_graph(alpha, dtype):
    leaky = {"name": "leaky_relu", "alpha": alpha}
    net = Network.from_sizes([5, 7, 3], [leaky, "identity"], seed=4, dtype=dtype)
    X = _inputs(dtype=dtype)
    (got,) = _session(to_onnx(net, dtype=dtype)).run(None, {"input": X})
    # An independent forward pass in NumPy, alpha written out.
    W1, b1, W2, b2 = (
        np.asarray(v, dtype=np.float64) for v in (net.layers[0].W, net.layers[0].b, net.layers[1].W, net.layers[1].b)
    )
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
    net = Network.from_sizes(
        [2, 4, n_out],
        "tanh",
        output_activation="softmax" if n_out > 1 else "identity",
        loss="cross_entropy" if n_out > 1 else "squared_error",
        seed=0,
    )
    columns = {"u": [1.0, 3.0, 0.0, 2.0], "v": [2.0, -6.0, 10.0, 1.0]}
    if task is not None:
        columns["y"] = ["no", "yes", "no", "yes"] if task == "classification" else [8.0, 12.0, 9.0, 11.0]
    table = table_from_columns(columns)
    pre = None if task is None else Preprocessor.fit(table, "y", task=task)
    model = to_onnx(net, pre)
    # The standard operators at opset 17 (numeric columns need nothing of the ai.onnx.ml domain).
    assert (
        model.ir_version == 8 and [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)] and OPSET == 17
    )
    assert model.producer_name == "chainrule" and model.graph.name == "chainrule"
    inputs = [("input", ["n", 2])] if pre is None else [("u", ["n", 1]), ("v", ["n", 1])]
    assert [(i.name, _shape(i)) for i in model.graph.input] == inputs
    expected = {
        None: [("output", ["n", 3])],
        "classification": [("probabilities", ["n", 2]), ("label", ["n"])],
        "regression": [("prediction", ["n", 1])],
    }[task]
    assert [(o.name, _shape(o)) for o in model.graph.output] == expected
    session = _session(model)
    assert [(o.name, o.shape) for o in session.get_outputs()] == expected
    if pre is None:
        X = np.array([[1.0, 2.0], [3.0, -6.0], [0.0, 10.0]], dtype=np.float32)
        results = session.run(None, {"input": X})
        np.testing.assert_allclose(results[0], net.predict(X), rtol=1e-6)
        return
    results = session.run(None, onnx_inputs(pre, table))
    outputs = net.predict(pre.features_of(table, np.float32))
    if task == "regression":
        np.testing.assert_allclose(results[0][:, 0], pre.decode(outputs), rtol=1e-6)
    else:
        np.testing.assert_allclose(results[0], outputs, rtol=1e-6)
        assert results[1].shape == (4,) and results[1].tolist() == [["no", "yes"][k] for k in outputs.argmax(axis=1)]


@pytest.mark.parametrize(
    "labels_in, labels",
    [
        ([3, 7, 3, 7], np.int64),
        ([True, False, True, False], np.int64),
        ([1.5, 2.5, 1.5, 2.5], object),
        (["a", 2, "a", 2], object),
    ],
)
def test_class_labels_keep_their_type(labels_in, labels):
    from chainrule.tabular import Preprocessor

    table = table_from_columns({"u": [-3.0, 3.0, -1.0, 1.0], "y": labels_in})
    pre = Preprocessor.fit(table, "y", task="classification")
    net = Network.from_sizes([1, 2], "softmax", loss="cross_entropy", seed=0)
    _, got = _session(to_onnx(net, pre)).run(None, onnx_inputs(pre, table))
    expected = [pre.classes[k] for k in net.predict(pre.features_of(table, np.float64)).argmax(axis=1)]
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

        def onnx_nodes(self):
            return None

    net = Network.from_sizes([2, 3], "tanh", seed=0)
    net.layers[0].activation = Custom()
    with pytest.raises(ValueError) as err:
        to_onnx(net)
    assert str(err.value) == (
        "layer 1 activation: expected an activation with ONNX operators (define onnx_nodes() "
        "on its class to export it), received: 'custom_tanh' (Custom), which has none"
    )


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
    assert str(err.value) == (
        "ONNX export needs the onnx package: pip install 'onnx>=1.14' 'onnxruntime>=1.16' (chainrule's 'onnx' extra)"
    )

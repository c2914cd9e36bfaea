"""The preprocessing as ONNX nodes: the graph takes a table's columns as they are.

With ``inputs="columns"`` (the default) the graph has one input per column,
each of shape ``(n, 1)``, named after the column:

* a numeric or boolean column is a float tensor (the graph's dtype; true = 1,
  false = 0), a missing value ``NaN``;
* a categorical column is a string tensor, a missing value ``""`` (or
  ``NA``, ``NaN``, ``null``, ``None``, ``n/a`` in their usual spellings, as the
  CSV reader reads them); cells are expected stripped of surrounding spaces.

and computes exactly what :class:`chainrule.tabular.TableEncoder` computes:

=========================  ================================================================
step                       operators
=========================  ================================================================
impute a number            ``ai.onnx.ml.Imputer`` (float32), ``Where(IsNaN)`` (float64)
standardise                ``Sub``, ``Div`` (constants rounded to the graph's dtype)
missing indicator          ``IsNaN`` + ``Cast`` (numbers), ``ai.onnx.ml.LabelEncoder`` (text)
impute a category          ``ai.onnx.ml.LabelEncoder`` (string to string)
one-hot                    ``ai.onnx.ml.OneHotEncoder`` (``zeros=1`` for ``unknown="ignore"``;
                           ``zeros=0`` makes the runtime refuse an unseen category, as predict does)
=========================  ================================================================

then ``Concat`` of every column's inputs. ``inputs="matrix"`` takes instead
one float input ``input`` ``(n, n_columns)`` of a table whose columns are all
numeric or boolean. :func:`onnx_inputs` turns a table, a DataFrame or a
dict of columns into the inputs either graph expects.

Under ``missing="drop"`` training the graph cannot leave rows out: a missing
number gives NaN outputs, a missing category counts as unseen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from ..core.validation import check_dtype, fail
from ..tabular import Preprocessor, Table, is_frame, table_from_columns, table_from_frame
from ..tabular.encoder import ColumnEncoder, column_values
from ..version import __version__

__all__ = [
    "ML_DOMAIN",
    "ML_OPSET",
    "MISSING_TEXT",
    "PreprocessingGraph",
    "onnx_inputs",
    "preprocessing_graph",
    "preprocessing_metadata",
    "as_preprocessor",
]

ML_DOMAIN = "ai.onnx.ml"
#: The ai.onnx.ml operator set used (LabelEncoder string-to-float needs >= 2).
ML_OPSET = 3
#: The texts a categorical input reads as missing (the CSV reader's missing cells, in their usual spellings).
MISSING_TEXT = ["", "na", "NA", "Na", "nan", "NaN", "NAN", "null", "NULL", "Null", "none", "None", "NONE", "n/a", "N/A"]
#: Names of the graph's outputs; a column of one of these names gets an input named ``<name>_input``.
OUTPUT_NAMES = ("output", "probabilities", "label", "prediction")


def as_preprocessor(preprocessing: Any) -> Preprocessor | None:
    """A :class:`Preprocessor` from one, or from its config (``load_model(...).preprocessing``), or None."""
    if preprocessing is None or isinstance(preprocessing, Preprocessor):
        return preprocessing
    if isinstance(preprocessing, dict):
        return Preprocessor.from_config(preprocessing)
    raise fail("preprocessing", "a Preprocessor, its config (a dict) or None", preprocessing)


@dataclass
class PreprocessingGraph:
    """The preprocessing part of a graph: its inputs, nodes and constants, and the name of its result."""

    inputs: list[Any] = field(default_factory=list[Any])
    nodes: list[Any] = field(default_factory=list[Any])
    initializers: list[Any] = field(default_factory=list[Any])
    output: str = ""
    #: One entry per graph input: {"name", "column", "kind", "type"}.
    described: list[Any] = field(default_factory=list[Any])


def input_name(column: str) -> str:
    """The graph input of ``column``: its name, unless that is the name of an output."""
    return f"{column}_input" if column in OUTPUT_NAMES else column


def preprocessing_graph(pre: Preprocessor, dtype: Any, inputs: str = "columns") -> PreprocessingGraph:
    """ONNX nodes computing ``pre``'s features ``(n, n_features)`` from raw columns (module docstring)."""
    from onnx import TensorProto, helper, numpy_helper

    dtype = check_dtype(dtype)
    if inputs not in ("columns", "matrix"):
        raise fail("inputs", "'columns' or 'matrix'", inputs)
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    graph = PreprocessingGraph()
    used: set[str] = {"input"} | {input_name(c.name) for c in pre.encoder.columns}  # graph inputs

    def name(base: str) -> str:
        # Internal tensor names live under "pre/": no column (an input name) can take them.
        text = f"pre/{base}"
        while text in used:
            text += "'"
        used.add(text)
        return text

    def const(base: str, value: Any, as_dtype: Any = dtype) -> str:
        tensor = name(base)
        graph.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=as_dtype), tensor))
        return tensor

    def node(op: str, sources: list[str], base: str, **attributes: Any) -> str:
        target = name(base)
        domain = ML_DOMAIN if op in ("Imputer", "LabelEncoder", "OneHotEncoder") else ""
        graph.nodes.append(helper.make_node(op, sources, [target], domain=domain, **attributes))
        return target

    columns = pre.encoder.columns
    if inputs == "matrix":
        categorical = [c.name for c in columns if c.kind == "categorical"]
        if categorical:
            raise fail("inputs", "'columns' for a table with categorical columns", f"matrix ({categorical})")
        graph.inputs.append(helper.make_tensor_value_info("input", elem, ["n", len(columns)]))
        graph.described.append({"name": "input", "columns": [c.name for c in columns], "type": "float"})
        if all(c.fill is None and not c.indicator for c in columns):
            graph.output = _standardise(node, const, "input", [c.mean for c in columns], [c.scale for c in columns])
            return graph
        sources = [name(f"{c.name}/raw") for c in columns]
        split = const("split", np.ones(len(columns)), np.int64)
        graph.nodes.append(helper.make_node("Split", ["input", split], sources, axis=1))
    else:
        sources = []
        for column in columns:
            source = input_name(column.name)
            text = column.kind == "categorical"
            graph.inputs.append(helper.make_tensor_value_info(source, TensorProto.STRING if text else elem, ["n", 1]))
            graph.described.append(
                {"name": source, "column": column.name, "kind": column.kind, "type": "string" if text else "float"}
            )
            sources.append(source)
    pieces = []
    for column, source in zip(columns, sources):
        if column.kind == "categorical":
            pieces += _categorical(node, const, helper, column, source, elem, dtype)
        else:
            pieces += _numeric(node, const, column, source, elem, dtype)
    graph.output = pieces[0] if len(pieces) == 1 else node("Concat", pieces, "features", axis=1)
    return graph


class NodeBuilder(Protocol):
    """Adds an ONNX node ``op(sources) -> a new output named after base`` to the graph; returns that name."""

    def __call__(self, op: str, sources: list[str], base: str, **attributes: Any) -> str: ...


class ConstBuilder(Protocol):
    """Adds a constant tensor named after its first argument (in the graph's dtype unless a dtype is given)."""

    def __call__(self, base: str, value: Any, as_dtype: Any = ..., /) -> str: ...


def _standardise(node: NodeBuilder, const: ConstBuilder, source: str, mean: Any, scale: Any) -> str:
    mean, scale = np.asarray(mean, np.float64), np.asarray(scale, np.float64)
    if not (mean == 0).all() or not (scale == 1).all():
        source = node("Sub", [source, const("mean", mean)], "centred")
        source = node("Div", [source, const("scale", scale)], "standardised")
    return source


def _numeric(
    node: NodeBuilder, const: ConstBuilder, column: ColumnEncoder, source: str, elem: int, dtype: Any
) -> list[str]:
    pieces = []
    value = source
    if column.fill is not None:
        if dtype == np.float32:
            value = node(
                "Imputer",
                [source],
                f"{column.name}/imputed",
                imputed_value_floats=[float(column.fill)],
                replaced_value_float=float("nan"),
            )
        else:  # onnxruntime's Imputer has no double kernel
            missing = node("IsNaN", [source], f"{column.name}/is_missing")
            value = node(
                "Where", [missing, const(f"{column.name}/fill", [[column.fill]]), source], f"{column.name}/imputed"
            )
    if column.mean != 0.0 or column.scale != 1.0:
        value = node("Sub", [value, const(f"{column.name}/mean", [[column.mean]])], f"{column.name}/centred")
        value = node("Div", [value, const(f"{column.name}/scale", [[column.scale]])], f"{column.name}/standardised")
    pieces.append(value)
    if column.indicator:
        missing = node("IsNaN", [source], f"{column.name}/missing")
        pieces.append(node("Cast", [missing], f"{column.name}/indicator", to=elem))
    return pieces


def _categorical(
    node: NodeBuilder,
    const: ConstBuilder,
    helper: ModuleType,
    column: ColumnEncoder,
    source: str,
    elem: int,
    dtype: Any,
) -> list[str]:
    from onnx import TensorProto

    k = len(column.categories)
    text = source
    if column.fill is not None:
        # Categories map to themselves and missing texts to the fill; anything else to a text that is no
        # category, which the one-hot encoder then treats as unseen.
        unseen = "\0unseen"
        while unseen in column.categories:
            unseen += "\0"
        keys = list(column.categories) + [t for t in MISSING_TEXT if t not in column.categories]
        values = list(column.categories) + [column.fill] * (len(keys) - k)
        text = node(
            "LabelEncoder",
            [source],
            f"{column.name}/imputed",
            keys_strings=keys,
            values_strings=values,
            default_string=unseen,
        )
    one_hot = node(
        "OneHotEncoder",
        [text],
        f"{column.name}/one_hot",
        cats_strings=list(column.categories),
        zeros=1 if column.unknown == "ignore" else 0,
    )
    one_hot = node("Reshape", [one_hot, const(f"{column.name}/shape", [-1, k], np.int64)], f"{column.name}/inputs")
    if elem != TensorProto.FLOAT:
        one_hot = node("Cast", [one_hot], f"{column.name}/inputs_cast", to=elem)
    pieces = [one_hot]
    if column.indicator:
        indicator = node(
            "LabelEncoder",
            [source],
            f"{column.name}/indicator",
            keys_strings=MISSING_TEXT,
            values_floats=[1.0] * len(MISSING_TEXT),
            default_float=0.0,
        )
        if elem != TensorProto.FLOAT:
            indicator = node("Cast", [indicator], f"{column.name}/indicator_cast", to=elem)
        pieces.append(indicator)
    return pieces


def preprocessing_metadata(pre: Preprocessor | None, described: list[Any], dtype: Any) -> dict[str, str]:
    """The model's ``metadata_props``: names, feature order, classes, the preprocessing and the version."""
    props = {"chainrule_version": __version__, "dtype": np.dtype(dtype).name}
    if pre is None:
        return props
    props.update(
        {
            "task": pre.task,
            "target": pre.target,
            "classes": json.dumps(pre.classes),
            "columns": json.dumps(pre.columns),
            "inputs": json.dumps(described),
            "feature_names": json.dumps(pre.features),
            "missing_values": "numbers: NaN; text: '' (or NA, NaN, null, None, n/a)",
            "preprocessing": json.dumps(pre.to_config(), sort_keys=True),
        }
    )
    return props


def onnx_inputs(preprocessing: Any, data: Any, dtype: Any = np.float32, inputs: str = "columns") -> dict[str, Any]:
    """The inputs of the exported graph for ``data``: ``{input name: array}``.

    Parameters
    ----------
    preprocessing : Preprocessor or its config
    data : Table, pandas DataFrame or dict of columns
        Must hold every column the preprocessing reads (others are ignored).
    dtype : float32 or float64
        The graph's dtype (that of :func:`~chainrule.export.to_onnx`).
    inputs : {"columns", "matrix"}
        As given to :func:`~chainrule.export.to_onnx`.

    Notes
    -----
    Numeric and boolean columns become float arrays ``(n, 1)`` (NaN where
    missing), categorical columns object arrays of ``str`` (``""`` where
    missing), with the categories written as :func:`chainrule.tabular.columns.category_of` does.
    """
    pre = as_preprocessor(preprocessing)
    if pre is None:
        raise fail("preprocessing", "a Preprocessor or its config", preprocessing)
    dtype = check_dtype(dtype)
    if isinstance(data, Table):
        table = data
    elif is_frame(data):
        table = table_from_frame(data)
    elif isinstance(data, dict):
        table = table_from_columns(data)
    else:
        raise fail("data", "a Table, a pandas DataFrame or a dict of columns", data)
    table.require(pre.columns, "column")
    arrays = {}
    for column in pre.encoder.columns:
        values = column_values(table, column.name, column.kind)
        if column.kind == "categorical":
            arrays[column.name] = np.array(["" if v is None else v for v in values], dtype=object).reshape(-1, 1)
        else:
            arrays[column.name] = np.asarray(values).astype(dtype).reshape(-1, 1)  # float64 already
    if inputs == "matrix":
        return {"input": np.hstack([arrays[c] for c in pre.columns]) if arrays else None}
    if inputs != "columns":
        raise fail("inputs", "'columns' or 'matrix'", inputs)
    return {input_name(name): array for name, array in arrays.items()}

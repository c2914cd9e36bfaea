"""Reading CSV/Parquet with errors that point at the bad cell; preprocessing learned from a table."""

from __future__ import annotations

import json

import numpy as np
import pytest

import needs
from chainrule.tabular import Preprocessor, infer_task, read_table, table_from_columns


def _write(tmp_path, text, name="d.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_csv_reads_cells_and_lines(tmp_path):
    path = _write(tmp_path, '\ufeffa,b,label\n1,2.5,cat\n\n3,"4",dog\n')
    table = read_table(path)
    assert table.columns == ["a", "b", "label"]
    assert table.matrix(["a", "b"]).tolist() == [[1.0, 2.5], [3.0, 4.0]]
    assert table.raw("label") == ["cat", "dog"]
    assert table.where(1) == "row 2 (line 4)"  # the blank line 3 is skipped but counted


@pytest.mark.parametrize(
    "text, column, message",
    [
        ("a,b\n1,2\n3,x\n", "b", r"column 'b', row 2 \(line 3\): expected a finite number, received: 'x'"),
        ("a,b\n1,2\n3,\n", "b", r"column 'b', row 2 \(line 3\): .*missing value"),
        ("a,b\n1,inf\n", "b", r"row 1 \(line 2\): expected a finite number, received: 'inf'"),
        ("a,b\n1,2\n", "c", r"column 'c' not found; the columns are \['a', 'b'\]"),
    ],
)
def test_bad_cells_are_named(tmp_path, text, column, message):
    table = read_table(_write(tmp_path, text))
    with pytest.raises(ValueError, match=message):
        table.numeric(column)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"a,b\n", "header but no data rows"),
        (b"a,b\n1,2\n3\n", r"row 2 \(line 3\) has 1 fields, expected 2"),
        (b"a,a\n1,2\n", "column 'a' appears more than once"),
        (b"a,,c\n1,2,3\n", "column 2 of the header has no name"),
        (b"a,b\n1,2\n3,\xff\n", r"line 3 is not valid utf-8 text \(byte 0xff"),
    ],
)
def test_bad_files_are_refused(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        read_table(_write(tmp_path, content))


def test_other_encodings_on_request(tmp_path):
    path = _write(tmp_path, "x,ville\n1,Besançon\n", encoding="latin-1")
    with pytest.raises(ValueError, match="line 2 is not valid utf-8"):
        read_table(path)
    assert read_table(path, encoding="latin-1").raw("ville") == ["Besançon"]


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_table(tmp_path / "nope.csv")


def test_parquet_round_trip(tmp_path):
    pa = needs.module("pyarrow")
    pq = needs.module("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, None], "y": ["a", "b", "a"]}), path)
    table = read_table(path)
    assert table.raw("y") == ["a", "b", "a"]
    with pytest.raises(ValueError, match=r"column 'x', row 3: expected a finite number, received: a missing value"):
        table.numeric("x")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        read_table(tmp_path / "bad.parquet")


@pytest.mark.parametrize(
    "labels, task",
    [
        (["a", "b"], "classification"),
        (["1", "2", "3"], "classification"),
        ([0, 1, 1], "classification"),
        (["0.5", "1", "2"], "regression"),
        ([str(k) for k in range(30)], "regression"),
        ([True, False], "classification"),
    ],
)
def test_task_inference(labels, task):
    assert infer_task(labels) == task


def test_preprocessor_classification_and_config_round_trip():
    table = table_from_columns({"x1": [1.0, 2.0, 3.0, 4.0], "x2": [5, 5, 5, 5], "y": ["b", "a", "b", "c"]})
    pre = Preprocessor.fit(table, "y")
    assert pre.task == "classification" and pre.classes == ["a", "b", "c"]
    X = pre.features_of(table)
    # Hand-worked: x1 has mean 2.5 and population std sqrt(1.25); x2 is constant -> scale 1, all zeros.
    np.testing.assert_allclose(X[:, 0], (np.array([1, 2, 3, 4]) - 2.5) / np.sqrt(1.25), rtol=1e-15)
    assert (X[:, 1] == 0).all()
    assert pre.encode_target(table).tolist() == [[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert pre.decode(np.array([[0.1, 0.2, 0.7], [0.9, 0.05, 0.05]])) == ["c", "a"]
    again = Preprocessor.from_config(json.loads(json.dumps(pre.to_config())))
    for mine, theirs in zip(again.encoder.columns, pre.encoder.columns):
        assert (mine.mean, mine.scale) == (theirs.mean, theirs.scale)  # floats round-trip JSON exactly
    assert again.classes == pre.classes and again.features_of(table).tobytes() == X.tobytes()
    other = table_from_columns({"x1": [1.0], "x2": [5], "y": ["z"]})
    with pytest.raises(ValueError, match=r"column 'y', row 1: label 'z' was not seen in training"):
        pre.encode_target(other)


def test_preprocessor_regression_inverts():
    table = table_from_columns({"x": [1.0, 2.0, 3.0], "y": [10.5, 20.5, 40.5]})
    pre = Preprocessor.fit(table, "y")
    assert pre.task == "regression"
    Y = pre.encode_target(table)
    np.testing.assert_allclose(pre.decode(Y), [10.5, 20.5, 40.5], rtol=1e-14)
    forced = Preprocessor.fit(table, "y", task="classification")
    assert forced.classes == [10.5, 20.5, 40.5]


def test_float32_transform_stays_float32():
    table = table_from_columns({"x": [1.0, 2.0, 4.0], "y": [0, 1, 0]})
    pre = Preprocessor.fit(table, "y")
    assert pre.features_of(table, np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "config, message",
    [
        ({}, r"preprocessing.version: expected a value \(the key is required\)"),
        ("nope", "preprocessing: expected a preprocessing config: an object with the keys"),
        (
            {
                "version": 3,
                "target": "y",
                "task": "regression",
                "classes": None,
                "target_mean": 0.0,
                "target_scale": 1.0,
                "columns": ["x"],
                "features": ["x"],
                "options": None,
                "encoder": {
                    "missing": "error",
                    "columns": [
                        {"name": "x", "kind": "numeric", "fill": None, "indicator": False, "mean": 0.0, "scale": 1.0}
                    ],
                },
            },
            "preprocessing.version: expected 2",
        ),
        (
            {
                "version": 2,
                "target": "y",
                "task": "regression",
                "classes": None,
                "target_mean": 0.0,
                "target_scale": 1.0,
                "columns": ["x"],
                "features": ["x"],
                "options": None,
                "encoder": {
                    "missing": "error",
                    "columns": [
                        {"name": "x", "kind": "numeric", "fill": None, "indicator": False, "mean": 0.0, "scale": -1.0}
                    ],
                },
            },
            r"preprocessing.encoder.columns\[0\].scale: expected a finite number > 0, received: -1.0",
        ),
        (
            {
                "version": 2,
                "target": "y",
                "task": "regression",
                "classes": None,
                "target_mean": 0.0,
                "target_scale": 1.0,
                "columns": ["x"],
                "features": ["z"],
                "options": None,
                "encoder": {
                    "missing": "error",
                    "columns": [
                        {"name": "x", "kind": "numeric", "fill": None, "indicator": False, "mean": 0.0, "scale": 1.0}
                    ],
                },
            },
            r"preprocessing.features: expected \['x'\]",
        ),
    ],
)
def test_bad_preprocessing_config(config, message):
    with pytest.raises(ValueError, match=message):
        Preprocessor.from_config(config)


def test_single_class_and_bad_task_refused():
    table = table_from_columns({"x": [1.0, 2.0], "y": ["a", "a"]})
    with pytest.raises(ValueError, match="single class"):
        Preprocessor.fit(table, "y")
    with pytest.raises(ValueError, match="task: expected one of"):
        Preprocessor.fit(table, "y", task="clustering")
    with pytest.raises(ValueError, match="target column 'q' not found"):
        Preprocessor.fit(table, "q")

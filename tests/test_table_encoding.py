"""Mixed tables: column kinds, refusals, imputation, standardisation, one-hot, row dropping.

The encoder's numbers are checked against scikit-learn's SimpleImputer,
StandardScaler, OneHotEncoder and MissingIndicator (one pipeline per column
in a ColumnTransformer), on the shipped Palmer penguins table, which has text
columns and missing values.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import pytest

import needs
from chainrule.tabular import Preprocessor, TableEncoder, TableOptions, read_table, table_from_columns
from chainrule.tabular.columns import category_of

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"
PENGUIN_FEATURES = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"]


def _kinds(encoder: TableEncoder) -> dict:
    return {c.name: c.kind for c in encoder.columns}


# -- what a column is --------------------------------------------------------------------------
def test_column_kinds_come_from_the_cells():
    table = table_from_columns(
        {
            "number": ["1", " 2.5 ", "", "1e3"],
            "flag": ["true", "FALSE", "True", "NA"],
            "word": ["a", "b", "", "a"],
            "code": [3, 1, 2, 3],
            "typed": [True, False, None, True],
        }
    )
    encoder = TableEncoder.fit(table, TableOptions(missing="impute", categorical=["code"]))
    assert _kinds(encoder) == {
        "number": "numeric",
        "flag": "boolean",
        "word": "categorical",
        "code": "categorical",
        "typed": "boolean",
    }
    code = encoder.columns[3]
    assert code.categories == ["1", "2", "3"]  # numbers as categories: sorted as text, whole numbers without .0
    assert encoder.feature_names == ["number", "flag", "word=a", "word=b", "code=1", "code=2", "code=3", "typed"]


@pytest.mark.parametrize(
    "cell, text", [("7", "7"), (7, "7"), (7.0, "7"), (np.int64(7), "7"), (2.5, "2.5"), (True, "True"), ("  x ", "x")]
)
def test_category_text(cell, text):
    assert category_of(cell) == text


def test_unusable_columns_are_refused_together_by_name_with_the_reason():
    n = 60
    table = table_from_columns(
        {
            "x": [float(k) for k in range(n)],
            "when": [f"2007-11-{k % 28 + 1:02d}" for k in range(n)],
            "name": [f"penguin {k}" for k in range(n)],
            "nothing": [""] * n,
            "stamp": [datetime.date(2020, 1, 1 + k % 28) for k in range(n)],
            "blob": [[k] for k in range(n)],
            "y": ["a", "b"] * (n // 2),
        }
    )
    with pytest.raises(ValueError) as err:
        Preprocessor.fit(table, "y")
    message = str(err.value)
    for name, reason in [
        ("when", "dates or times"),
        ("name", "free text with 60 distinct values, more than max_categories=50"),
        ("nothing", "every value is missing"),
        ("stamp", "dates or times"),
        ("blob", "it holds values of type list"),
    ]:
        assert f"'{name}': {reason}" in message
    assert "'x'" not in message and "leave them out with --drop when name nothing stamp blob" in message
    # Leaving them out (or raising the limit for 'name') makes the table usable.
    pre = Preprocessor.fit(
        table, "y", options=TableOptions(drop=["when", "nothing", "stamp", "blob"], max_categories=60)
    )
    assert pre.columns == ["x", "name"] and len(pre.features) == 61


def test_a_numeric_column_with_stray_text_names_the_cell():
    table = table_from_columns({"a": ["1", "2", "3", "oops", "5"], "y": ["p", "q", "p", "q", "p"]})
    with pytest.raises(
        ValueError,
        match=r"<data>: column 'a', row 4: expected a finite number, received: 'oops' "
        r"\(4 of its 5 values are numbers; .*--categorical a",
    ):
        Preprocessor.fit(table, "y")
    pre = Preprocessor.fit(table, "y", options=TableOptions(categorical=["a"]))
    assert pre.features == ["a=1", "a=2", "a=3", "a=5", "a=oops"]


def test_an_infinite_value_is_named():
    table = table_from_columns({"a": ["1", "inf", "3"], "y": ["p", "q", "p"]})
    with pytest.raises(ValueError, match=r"column 'a', row 2: expected a finite number, received: 'inf'"):
        Preprocessor.fit(table, "y")


# -- against scikit-learn ----------------------------------------------------------------------
def _penguins_frames():
    pd = needs.module("pandas")
    train = pd.read_csv(DATA / "penguins-train.csv")
    test = pd.read_csv(DATA / "penguins.csv")  # every row, some not seen in training
    return train, test


def _reference(encoder: TableEncoder, options: TableOptions, train, unknown: str):
    needs.module("sklearn")
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    for column in encoder.columns:
        if column.kind == "categorical":
            steps = [
                SimpleImputer(strategy=options.categorical_imputation, fill_value=options.fill_category),
                OneHotEncoder(handle_unknown=unknown, sparse_output=False),
            ]
        else:
            fill = int(options.fill_value) if float(options.fill_value).is_integer() else options.fill_value
            steps = [SimpleImputer(strategy=options.impute, fill_value=fill), StandardScaler()]
        parts.append((f"value {column.name}", make_pipeline(*steps), [column.name]))
        if options.missing_indicator:
            parts.append(
                (f"missing {column.name}", MissingIndicator(features="missing-only", error_on_new=False), [column.name])
            )
    return ColumnTransformer(parts).fit(train)


@pytest.mark.parametrize("impute", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("indicator", [False, True])
def test_encoding_equals_scikit_learns_pipeline_on_penguins(impute, indicator):
    train, test = _penguins_frames()
    options = TableOptions(
        missing="impute",
        impute=impute,
        missing_indicator=indicator,
        unknown="ignore",
        fill_value=-2.0,
        fill_category="unknown sex",
    )
    table = read_table(DATA / "penguins-train.csv")
    pre = Preprocessor.fit(table, "species", options=options)
    reference = _reference(pre.encoder, options, train[PENGUIN_FEATURES], "ignore")
    for frame, path in ((train, "penguins-train.csv"), (test, "penguins.csv")):
        mine = pre.features_of(read_table(DATA / path))
        theirs = reference.transform(frame[PENGUIN_FEATURES]).astype(np.float64)
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)
    if indicator:  # only columns with missing values in training get one, as missing-only
        assert [f for f in pre.features if f.startswith("missing(")] == [
            f"missing({c})" for c in PENGUIN_FEATURES if train[c].isna().any()
        ]


def test_dropping_rows_learns_from_complete_rows_as_scikit_learn_on_dropna():
    train, _ = _penguins_frames()
    options = TableOptions(missing="drop")
    table = read_table(DATA / "penguins-train.csv")
    pre = Preprocessor.fit(table, "species", options=options)
    complete = train.dropna(subset=PENGUIN_FEATURES)
    reference = _reference(pre.encoder, TableOptions(impute="mean"), complete[PENGUIN_FEATURES], "error")
    rows, left_out = pre.labelled_rows(table)
    assert left_out == len(train) - len(complete) > 0 and rows.n_rows == len(complete)
    np.testing.assert_allclose(
        pre.features_of(rows), reference.transform(complete[PENGUIN_FEATURES]), rtol=1e-12, atol=1e-12
    )
    # The rows kept still name the file's rows and lines in messages.
    first_gap = int(np.flatnonzero(train[PENGUIN_FEATURES].isna().any(axis=1).to_numpy())[0])
    assert rows.where(first_gap) == f"row {first_gap + 2} (line {first_gap + 3})"
    mask = pre.predictable_rows(table)
    assert mask.sum() == len(complete) and not mask[first_gap]


def test_missing_values_are_refused_by_default_naming_the_cell():
    table = read_table(DATA / "penguins.csv")
    with pytest.raises(
        ValueError,
        match=r"column 'bill_length_mm', row 4 \(line 5\): missing value; "
        r"choose what to do with missing values: impute them \(--impute",
    ):
        Preprocessor.fit(table, "species")


def test_rows_without_a_target_are_left_out_and_counted():
    table = table_from_columns({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [10.5, None, 30.5, "", 50.5]})
    pre = Preprocessor.fit(table, "y")
    assert pre.task == "regression" and pre.target_mean == 30.5
    rows, left_out = pre.labelled_rows(table)
    assert left_out == 2 and rows.numeric("y").tolist() == [10.5, 30.5, 50.5]


def test_unseen_categories_error_or_zeros():
    table = table_from_columns({"c": ["a", "b", "a"], "y": [0, 1, 0]})
    strict = Preprocessor.fit(table, "y")
    lenient = Preprocessor.fit(table, "y", options=TableOptions(unknown="ignore"))
    new = table_from_columns({"c": ["b", "z"], "y": [0, 1]}, "new.csv")
    with pytest.raises(
        ValueError,
        match=r"new.csv: column 'c', row 2: category 'z' was not seen in training; "
        r"the known categories are \['a', 'b'\].*--unknown-categories ignore",
    ):
        strict.features_of(new)
    assert lenient.features_of(new).tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_constant_imputation_makes_the_fill_a_category_only_when_training_had_missing_values():
    table = table_from_columns({"c": ["a", "", "b", "a"], "d": ["x", "y", "x", "y"], "y": [0, 1, 0, 1]})
    pre = Preprocessor.fit(table, "y", options=TableOptions(missing="impute", impute="constant", unknown="ignore"))
    assert pre.encoder.columns[0].categories == ["a", "b", "missing_value"]
    assert pre.encoder.columns[1].categories == ["x", "y"]  # nothing was missing: the fill is an unseen category
    later = table_from_columns({"c": ["", "b"], "d": ["", "x"], "y": [0, 0]})
    assert pre.features_of(later).tolist() == [[0, 0, 1, 0, 0], [0, 1, 0, 1, 0]]


def test_most_frequent_breaks_ties_towards_the_smallest_and_median_averages_the_middle_pair():
    table = table_from_columns(
        {"n": [3.0, 1.0, 3.0, 1.0, None, 10.0], "c": ["q", "p", "q", "p", None, "r"], "y": [0, 1, 0, 1, 0, 1]}
    )
    frequent = Preprocessor.fit(
        table, "y", options=TableOptions(missing="impute", impute="most_frequent", standardize=False)
    )
    assert frequent.encoder.columns[0].fill == 1.0 and frequent.encoder.columns[1].fill == "p"
    median = Preprocessor.fit(table, "y", options=TableOptions(missing="impute", impute="median", standardize=False))
    assert median.encoder.columns[0].fill == 3.0  # median of 1, 1, 3, 3, 10
    assert median.features_of(table)[4, 0] == 3.0


def test_float32_inputs_round_like_the_onnx_graph():
    rng = np.random.default_rng(0)
    x = rng.normal(1000.0, 3.0, 50)
    x[[3, 7]] = np.nan
    table = table_from_columns({"x": x, "y": np.where(rng.random(50) > 0.5, "a", "b").tolist()})
    pre = Preprocessor.fit(table, "y", options=TableOptions(missing="impute", impute="median"))
    column = pre.encoder.columns[0]
    got = pre.features_of(table, np.float32)
    raw = x.astype(np.float32)
    raw[np.isnan(raw)] = np.float32(column.fill)
    expected = (raw - np.float32(column.mean)) / np.float32(column.scale)
    assert got.dtype == np.float32 and got[:, 0].tobytes() == expected.tobytes()


# -- typed sources -----------------------------------------------------------------------------
def test_pandas_nullable_categorical_and_date_dtypes():
    pd = needs.module("pandas")
    from chainrule.tabular import table_from_frame

    frame = pd.DataFrame(
        {
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "ratio": pd.array([0.5, 1.5, None, 2.5], dtype="Float64"),
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "plain_flag": [True, False, False, True],
            "kind": pd.Categorical(["b", "a", None, "b"]),
            "text": pd.array(["x", "y", None, "x"], dtype="string"),
            "y": ["p", "q", "p", "q"],
        }
    )
    table = table_from_frame(frame)
    pre = Preprocessor.fit(table, "y", options=TableOptions(missing="impute", impute="median", standardize=False))
    assert _kinds(pre.encoder) == {
        "count": "numeric",
        "ratio": "numeric",
        "flag": "boolean",
        "plain_flag": "boolean",
        "kind": "categorical",
        "text": "categorical",
    }
    X = pre.features_of(table)
    assert X[:, 0].tolist() == [1.0, 3.0, 3.0, 4.0] and X[:, 2].tolist() == [1.0, 1.0, 0.0, 1.0]
    frame["when"] = pd.to_datetime(["2020-01-01", "2020-01-02", None, "2020-01-04"])
    with pytest.raises(ValueError, match="'when': dates or times"):
        Preprocessor.fit(table_from_frame(frame), "y", options=TableOptions(missing="impute"))


def test_parquet_dictionary_boolean_and_date_columns(tmp_path):
    pa = needs.module("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "island": pa.array(["Dream", "Biscoe", None, "Dream"]).dictionary_encode(),
                "code": pa.array([1, 2, 1, 2]),
                "ok": pa.array([True, False, None, True]),
                "day": pa.array([datetime.date(2020, 1, d) for d in (1, 2, 3, 4)]),
                "y": ["p", "q", "p", "q"],
            }
        ),
        path,
    )
    table = read_table(path)
    assert table.types == {"island": "categorical", "code": "numeric", "ok": "boolean", "day": "datetime", "y": "text"}
    with pytest.raises(ValueError, match="'day': dates or times"):
        Preprocessor.fit(table, "y", options=TableOptions(missing="impute"))
    pre = Preprocessor.fit(table, "y", options=TableOptions(missing="impute", drop=["day"], categorical=["code"]))
    assert pre.features == ["island=Biscoe", "island=Dream", "code=1", "code=2", "ok"]
    shipped = read_table(DATA / "penguins-test.parquet")
    assert shipped.types["island"] == "categorical" and shipped.types["body_mass_g"] == "numeric"


# -- storage -----------------------------------------------------------------------------------
def test_config_is_json_and_round_trips_exactly():
    table = read_table(DATA / "penguins.csv")
    options = TableOptions(missing="impute", impute="mean", missing_indicator=True, unknown="ignore")
    pre = Preprocessor.fit(table, "species", options=options)
    text = json.dumps(pre.to_config(), allow_nan=False)
    again = Preprocessor.from_config(json.loads(text))
    assert again.to_config() == pre.to_config() and again.options == options
    assert again.features_of(table).tobytes() == pre.features_of(table).tobytes()


def test_a_version_1_config_from_an_older_model_file_still_loads():
    old = {
        "features": ["a", "b"],
        "target": "y",
        "task": "classification",
        "mean": [1.0, 2.0],
        "scale": [2.0, 4.0],
        "classes": ["n", "p"],
        "target_mean": None,
        "target_scale": None,
    }
    pre = Preprocessor.from_config(old)
    table = table_from_columns({"a": [3.0], "b": [2.0]})
    assert pre.features == ["a", "b"] and pre.features_of(table).tolist() == [[1.0, 0.0]]
    assert pre.transform(np.array([[3.0, 6.0]])).tolist() == [[1.0, 1.0]]


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(drop=["nope"]), "column to drop 'nope' not found"),
        (dict(drop=["y"]), "drop: expected columns other than the target 'y'"),
        (dict(features=["a"], categorical=["b"]), r"categorical: expected feature columns \(among \['a'\]\)"),
        (dict(features=["a", "y"]), "features: expected columns other than the target 'y'"),
        (dict(drop=["a", "b"]), "no feature columns left besides the target 'y'"),
    ],
)
def test_column_selection_errors(options, message):
    table = table_from_columns({"a": [1.0, 2.0], "b": [3.0, 4.0], "y": ["p", "q"]})
    with pytest.raises(ValueError, match=message):
        Preprocessor.fit(table, "y", options=TableOptions(**options))


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(missing="skip"), r"missing: expected one of \['error', 'drop', 'impute'\]"),
        (dict(impute="mode"), "impute: expected one of"),
        (dict(impute_categorical="mean"), "impute_categorical: expected one of"),
        (dict(fill_value=float("nan")), "fill_value: expected a finite number"),
        (dict(fill_value="0"), "fill_value: expected a finite number"),
        (dict(fill_category=" "), "fill_category: expected a non-empty text"),
        (dict(missing="impute", missing_indicator=1), "missing_indicator: expected True or False"),
        (dict(missing_indicator=True), "missing_indicator: expected missing='impute' as well"),
        (dict(missing="drop", impute_categorical="constant"), "impute_categorical: expected missing='impute'"),
        (dict(unknown="skip"), r"unknown: expected one of \['error', 'ignore'\]"),
        (dict(max_categories=1), "max_categories: expected an integer >= 2"),
        (dict(drop="name"), "drop: expected a list of column names"),
        (dict(drop=["a", "a"]), "drop: expected each column once"),
    ],
)
def test_bad_table_options(options, message):
    with pytest.raises(ValueError, match=message):
        TableOptions(**options)


# -- values near the ends of float64 and float32 ------------------------------------------------
def test_huge_values_are_standardised_without_overflow():
    rng = np.random.default_rng(1)
    x = (3 + rng.uniform(-1, 1, 80)) * 1e300
    table = table_from_columns({"x": x.tolist(), "y": ((3 + rng.uniform(-1, 1, 80)) * 1e300).tolist()})
    pre = Preprocessor.fit(table, "y")
    column = pre.encoder.columns[0]
    # Scaled by a power of two, exactly: the same mean and std as NumPy on x / 2**997.
    np.testing.assert_allclose(
        [column.mean, column.scale], [np.mean(x / 2.0**997) * 2.0**997, np.std(x / 2.0**997) * 2.0**997], rtol=1e-14
    )
    assert np.isfinite(pre.features_of(table)).all() and pre.target_scale > 1e299


def test_values_too_large_to_standardise_are_refused_naming_the_column():
    table = table_from_columns({"x": [1.7e308] * 20 + [-1.7e308], "y": ["a", "b"] * 10 + ["a"]})
    with pytest.raises(
        ValueError,
        match=r"column 'x': its values \(up to 1.7e\+308 in magnitude\) are too large "
        "to standardise in float64",
    ):
        Preprocessor.fit(table, "y")


def test_a_value_out_of_float32_range_names_its_column_and_row():
    table = table_from_columns({"z": [float(k) * (1e39 if k == 7 else 1.0) for k in range(20)], "y": ["a", "b"] * 10})
    pre = Preprocessor.fit(table, "y")
    with pytest.raises(
        ValueError,
        match=r"column 'z', row 1: the value 0.0 is out of the range of float32 once "
        r"standardised .*--dtype float64",
    ):
        pre.features_of(table, np.float32)
    assert np.isfinite(pre.features_of(table, np.float64)).all()

"""The command line on mixed tables: the shipped penguins and cars files, end to end, and ONNX agreement.

Also: which epoch's weights a run writes (the summary, the model file and
``info`` quote that epoch's metrics), checked by recomputing the metrics of
the written weights.
"""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

import needs

needs.module("safetensors")

from chainrule.cli import main
from chainrule.io import load_model
from chainrule.tabular import Preprocessor, read_table

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _train(tmp_path, *args, data="penguins-train.csv", target="species", name="m.safetensors"):
    model = tmp_path / name
    status = main(["train", str(DATA / data), "--target", target, "-o", str(model), *args])
    return status, model


@pytest.fixture(scope="module")
def penguins_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("penguins")
    status, model = _train(
        tmp,
        "--impute",
        "median",
        "--missing-indicator",
        "--unknown-categories",
        "ignore",
        "--layers",
        "16",
        "--epochs",
        "40",
        "--learning-rate",
        "0.01",
        "-q",
    )
    assert status == 0
    return model


def test_penguins_train_predict_evaluate_with_no_hand_encoding(penguins_model, tmp_path, capsys):
    saved = load_model(penguins_model)
    pre = Preprocessor.from_config(saved.preprocessing)
    assert pre.columns == [
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
        "year",
    ]
    assert "island=Dream" in pre.features and "missing(sex)" in pre.features
    out = tmp_path / "p.csv"
    assert (
        main(["predict", str(penguins_model), str(DATA / "penguins-new.csv"), "--probabilities", "-o", str(out)]) == 0
    )
    rows = _rows(out)
    table = read_table(DATA / "penguins-new.csv")
    outputs = saved.network.predict(pre.features_of(table, saved.network.dtype))
    assert [r["species_predicted"] for r in rows] == pre.decode(outputs)  # a row with a missing sex included
    assert main(["evaluate", str(penguins_model), str(DATA / "penguins-test.parquet"), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_samples"] == 70 and metrics["accuracy"] >= 0.95


def test_info_describes_columns_weights_and_history(penguins_model, capsys):
    assert main(["info", str(penguins_model)]) == 0
    text = capsys.readouterr().out
    assert "columns        7 -> 15 inputs; missing values: impute" in text
    assert "island             categorical, 3 categories (Biscoe, Dream, Torgersen); unseen: ignore" in text
    training = load_model(penguins_model).training
    weights = training["weights"]
    assert weights["epoch"] == training["best_epoch"] and weights["rule"] == "lowest val_loss"
    assert f"weights        epoch {weights['epoch']}, lowest val_loss: loss {weights['metrics']['loss']:.6g}" in text
    assert f"  {weights['epoch']:>6}*  " in text  # the history marks the epoch the file holds
    assert main(["info", str(penguins_model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["weights"] == weights


def test_onnx_graph_takes_the_raw_columns_and_agrees_with_predict_on_every_row(penguins_model, tmp_path):
    ort = needs.module("onnxruntime")
    import onnx

    from chainrule.export import onnx_inputs

    onnx_path = tmp_path / "m.onnx"
    assert main(["export", str(penguins_model), "--onnx", str(onnx_path)]) == 0
    predictions = tmp_path / "p.csv"
    # Every row of the whole table: missing numbers and categories, rows training never saw.
    assert (
        main(["predict", str(penguins_model), str(DATA / "penguins.csv"), "--probabilities", "-o", str(predictions)])
        == 0
    )
    rows = _rows(predictions)
    pre = Preprocessor.from_config(load_model(penguins_model).preprocessing)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == pre.columns
    assert [i.type for i in session.get_inputs()] == [
        "tensor(string)",
        *["tensor(float)"] * 4,
        "tensor(string)",
        "tensor(float)",
    ]
    probabilities, labels = session.run(None, onnx_inputs(pre, read_table(DATA / "penguins.csv")))
    expected = np.array([[float(r[f"probability_{c}"]) for c in pre.classes] for r in rows])
    assert len(rows) == 344 and np.max(np.abs(probabilities - expected)) <= 1e-6
    assert list(labels) == [r["species_predicted"] for r in rows]
    props = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    assert json.loads(props["feature_names"]) == pre.features and json.loads(props["classes"]) == pre.classes
    assert props["chainrule_version"] and json.loads(props["preprocessing"]) == pre.to_config()


def test_cars_refuses_free_text_and_dates_by_name_then_trains_without_them(tmp_path, capsys):
    status, model = _train(tmp_path, "--impute", "median", data="cars.csv", target="Miles_per_Gallon")
    assert status == 2 and not model.exists()
    err = capsys.readouterr().err
    assert "cannot use columns 'Name': free text with 311 distinct values" in err
    assert "'Year': dates or times" in err and "leave them out with --drop Name Year" in err
    status, model = _train(
        tmp_path,
        "--drop",
        "Name",
        "Year",
        "--impute",
        "median",
        "--epochs",
        "3",
        data="cars.csv",
        target="Miles_per_Gallon",
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "(regression, 6 columns -> 8 inputs -> 1 output); left out 8 rows without a target value" in out
    training = load_model(model).training
    assert training["n_samples"] == 398 and training["n_left_out"] == 8
    assert main(["evaluate", str(model), str(DATA / "cars.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_left_out"] == 8


def test_drop_missing_leaves_rows_out_and_predict_writes_empty_cells(tmp_path, capsys):
    status, model = _train(tmp_path, "--drop-missing", "--epochs", "2", "-q")
    assert status == 0
    training = load_model(model).training
    assert training["n_samples"] + training["n_left_out"] == 274 and training["n_left_out"] > 0
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(DATA / "penguins-new.csv"), "-o", str(out)]) == 0
    predicted = [r["species_predicted"] for r in _rows(out)]
    assert len(predicted) == 6 and predicted[-1] == "" and all(predicted[:-1])  # the last row lacks its sex


def test_unseen_categories_are_refused_or_ignored_and_onnx_does_the_same(tmp_path, capsys):
    ort = needs.module("onnxruntime")
    new = tmp_path / "new.csv"
    new.write_text(
        "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n"
        "Anvers,40.1,18.2,190,3900,male,2008\n"
    )
    strict = _train(tmp_path, "--impute", "mean", "--epochs", "1", "-q", name="strict.safetensors")[1]
    assert main(["predict", str(strict), str(new)]) == 2
    assert (
        "new.csv: column 'island', row 1 (line 2): category 'Anvers' was not seen in training"
        in capsys.readouterr().err
    )
    from chainrule.export import onnx_inputs

    for model, policy in (
        (strict, "error"),
        (
            _train(
                tmp_path,
                "--impute",
                "mean",
                "--epochs",
                "1",
                "-q",
                "--unknown-categories",
                "ignore",
                name="lax.safetensors",
            )[1],
            "ignore",
        ),
    ):
        onnx_path = tmp_path / f"{policy}.onnx"
        assert main(["export", str(model), "--onnx", str(onnx_path)]) == 0
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        feeds = onnx_inputs(load_model(model).preprocessing, read_table(new))
        if policy == "error":
            with pytest.raises(Exception, match="Unknown Category"):
                session.run(None, feeds)
        else:
            saved = load_model(model)
            pre = Preprocessor.from_config(saved.preprocessing)
            probabilities, _ = session.run(None, feeds)
            expected = saved.network.predict(pre.features_of(read_table(new), np.float32))
            assert np.max(np.abs(probabilities - expected)) <= 1e-6


def test_bad_table_options_name_the_option(tmp_path, capsys):
    assert _train(tmp_path, "--max-categories", "1")[0] == 2
    assert "--max-categories: expected an integer >= 2, received: 1" in capsys.readouterr().err
    assert _train(tmp_path, "--drop", "species")[0] == 2
    assert "drop: expected columns other than the target 'species'" in capsys.readouterr().err
    assert _train(tmp_path, "--missing-indicator")[0] == 2
    assert "--missing-indicator: expected --impute STRATEGY as well" in capsys.readouterr().err
    assert _train(tmp_path, "--drop-missing", "--fill-category", "?")[0] == 2
    assert "--fill-category: expected --impute STRATEGY as well" in capsys.readouterr().err


# -- which weights are written ----------------------------------------------------------------
def _validation_metrics(model, data, seed=0, fraction=0.1):
    """val_loss and val_accuracy of the weights in ``model``, on the split the training loop held out."""
    saved = load_model(model)
    pre = Preprocessor.from_config(saved.preprocessing)
    rows, _ = pre.labelled_rows(read_table(data))
    X, Y = pre.features_of(rows, saved.network.dtype), pre.encode_target(rows).astype(saved.network.dtype)
    n = X.shape[0]
    order = np.random.default_rng([seed, 0]).permutation(n)
    val = np.sort(order[: round(fraction * n)])
    return saved.network.evaluate(X[val], Y[val], ["accuracy"]), saved


def test_early_stopping_reports_and_writes_the_best_epoch(tmp_path, capsys):
    status, model = _train(
        tmp_path,
        "--impute",
        "median",
        "--epochs",
        "60",
        "--patience",
        "3",
        "--learning-rate",
        "0.05",
        "--layers",
        "32",
        "32",
    )
    assert status == 0
    out = capsys.readouterr().out
    measured, saved = _validation_metrics(model, DATA / "penguins-train.csv")
    weights, history = saved.training["weights"], saved.training["history"]
    best = weights["epoch"]
    assert best == saved.training["best_epoch"] and best < history["epoch"][-1]  # it stopped later than its best
    assert weights["metrics"]["val_loss"] == history["val_loss"][best - 1] == min(history["val_loss"])
    # The weights in the file are the best epoch's: their validation loss is the one recorded for it.
    assert measured["loss"] == pytest.approx(weights["metrics"]["val_loss"], rel=1e-5)
    assert (
        f"wrote epoch {best}'s weights (lowest val_loss: loss {history['loss'][best - 1]:.6g}, "
        f"val_loss {history['val_loss'][best - 1]:.6g}" in out
    )


@pytest.mark.parametrize("fraction", ["0.1", "0"])
def test_ctrl_c_reports_the_epoch_and_metrics_of_the_weights_written(tmp_path, monkeypatch, capsys, fraction):
    from chainrule.core.network import Network

    n_train = 274 - round(float(fraction) * 274)
    target = -(-n_train // 32) * 4 + 2  # two updates into epoch 5 (batches of 32)
    original = Network.train_step

    def train_step(self, *args, **kwargs):
        value = original(self, *args, **kwargs)
        if kwargs.get("step") == target:
            os.kill(os.getpid(), signal.SIGINT)  # handled by the loop: stops after this update
        return value

    monkeypatch.setattr(Network, "train_step", train_step)
    status, model = _train(
        tmp_path,
        "--impute",
        "median",
        "--epochs",
        "50",
        "--learning-rate",
        "0.05",
        "--validation-fraction",
        fraction,
        "-q",
    )
    assert status == 130
    err = capsys.readouterr().err
    monkeypatch.undo()
    saved = load_model(model)
    weights, history = saved.training["weights"], saved.training["history"]
    assert history["epoch"] == [1, 2, 3, 4] and "interrupted during epoch 5" in err
    epoch = weights["epoch"]
    if fraction == "0":  # no validation: the last complete epoch's weights
        assert epoch == 4 and weights["rule"] == "the last complete epoch"
        pre = Preprocessor.from_config(saved.preprocessing)
        rows, _ = pre.labelled_rows(read_table(DATA / "penguins-train.csv"))
        X, Y = pre.features_of(rows, saved.network.dtype), pre.encode_target(rows)
        accuracy = saved.network.evaluate(X, Y.astype(X.dtype), ["accuracy"])["accuracy"]
        assert accuracy == weights["metrics"]["accuracy"] == history["accuracy"][3]
    else:  # the best epoch's, whose validation loss the file quotes
        assert epoch == saved.training["best_epoch"] and weights["rule"] == "lowest val_loss"
        measured, _ = _validation_metrics(model, DATA / "penguins-train.csv")
        assert measured["loss"] == pytest.approx(weights["metrics"]["val_loss"], rel=1e-5)
    assert f"wrote epoch {epoch}'s weights ({weights['rule']}: loss {weights['metrics']['loss']:.6g}" in err

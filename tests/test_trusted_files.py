"""A model file is trusted only once its parts agree (issue 11, item 1).

Every forged file here is re-checksummed (:mod:`forgery`), so the checksum
passes and only the consistency checks (:mod:`chainrule.io.consistency`) can
catch it; each must end in a ModelFileError naming the file and the field, in
the library, in ``chainrule info`` and in ``chainrule export``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import needs

needs.module("safetensors")

from chainrule import Network
from chainrule.cli import main
from chainrule.io import (
    Checkpoint,
    ModelFileError,
    load_model,
    model_from_bytes,
    model_to_bytes,
    restore_checkpoint,
    save_model,
)
from chainrule.optim import SGD, Adam, RMSprop
from chainrule.tabular import Preprocessor, table_from_columns
from chainrule.training import EarlyStopping
from forgery import content_of, forge, tensors_of


def _table(task: str):
    rng = np.random.default_rng(0)
    n = 60
    columns = {
        "a": rng.normal(size=n),
        "b": rng.normal(size=n) * 3 + 1,
        "colour": list(rng.choice(["red", "green", "blue"], size=n)),
    }
    if task == "classification":
        columns["y"] = ["low" if v < 0 else "mid" if v < 1 else "high" for v in columns["a"] + rng.normal(size=n)]
    else:
        columns["y"] = columns["a"] * 2 - columns["b"] + rng.normal(size=n) * 0.1
    return table_from_columns(columns)


def _trained(task: str, dtype=np.float64) -> tuple[Network, Preprocessor]:
    table = _table(task)
    pre = Preprocessor.fit(table, "y")
    activation, loss = pre.output_spec()
    net = Network.from_sizes(
        [len(pre.features), 5, pre.n_outputs], ["tanh", activation], loss=loss, seed=1, dtype=dtype
    )
    net.fit(pre.features_of(table, dtype), pre.encode_target(table), epochs=3, seed=2)
    return net, pre


@pytest.fixture(scope="module")
def classifier() -> bytes:
    net, pre = _trained("classification")
    return model_to_bytes(
        net,
        preprocessing=pre,
        training={"settings": {"epochs": 3}, "history": {"epoch": [1, 2, 3], "loss": [3.0, 2.0, 1.0]}},
    )


@pytest.fixture(scope="module")
def regressor() -> bytes:
    net, pre = _trained("regression")
    return model_to_bytes(net, preprocessing=pre)


def _checkpoint(tmp_path_factory, optimizer, early: bool) -> bytes:
    table = _table("classification")
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes(
        [len(pre.features), 4, pre.n_outputs], ["tanh", "softmax"], loss="categorical_cross_entropy", seed=3
    )
    path = tmp_path_factory.mktemp("ckpt") / "c.safetensors"
    X, Y = pre.features_of(table), pre.encode_target(table)
    stopping = EarlyStopping(patience=10, monitor="loss") if early else None
    net.fit(
        X,
        Y,
        epochs=3,
        batch_size=16,
        seed=4,
        optimizer=optimizer,
        early_stopping=stopping,
        callbacks=[Checkpoint(path, preprocessing=pre.to_config())],
    )
    return path.read_bytes()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> bytes:
    """An Adam (amsgrad) checkpoint with early stopping: three moments and the best weights."""
    return _checkpoint(tmp_path_factory, Adam(None, 0.01, amsgrad=True), early=True)


def _refused(data: bytes, field: str, match: str = "") -> ModelFileError:
    with pytest.raises(ModelFileError, match=match) as info:
        model_from_bytes(data, source="forged.safetensors")
    err = info.value
    assert err.field == field, str(err)
    assert str(err).startswith("model file 'forged.safetensors': ") and "refusing to load it" in str(err)
    return err


# -- the forgeries load unchanged without the edit ------------------------------------------------------
def test_untouched_forgeries_load(classifier, regressor, checkpoint):
    for data in (classifier, regressor, checkpoint):
        saved = model_from_bytes(forge(data))
        assert saved.preprocessor is not None
    assert restore_checkpoint(model_from_bytes(forge(checkpoint))).epoch == 3


# -- tensors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["layers.0.W", "layers.1.b"])
def test_non_finite_weights_are_refused(classifier, name, value):
    def edit(tensors):
        tensors[name] = tensors[name].copy()
        tensors[name].flat[-1] = value

    err = _refused(forge(classifier, edit_tensors=edit), name, "expected finite values, received: 1 non-finite")
    assert str(value) in str(err)


def test_non_finite_weights_are_refused_by_info_and_export(classifier, tmp_path, capsys):
    def edit(tensors):
        tensors["layers.0.W"] = np.full_like(tensors["layers.0.W"], np.nan)

    path = tmp_path / "nan.safetensors"
    path.write_bytes(forge(classifier, edit_tensors=edit))
    for argv in (
        ["info", str(path)],
        ["info", "--json", str(path)],
        ["export", str(path), "--onnx", str(tmp_path / "m.onnx")],
    ):
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert "layers.0.W: expected finite values" in error and "Traceback" not in error
    assert not (tmp_path / "m.onnx").exists()


def test_saving_non_finite_weights_is_refused_before_writing(tmp_path):
    net = Network.from_sizes([2, 2], "sigmoid", seed=0)
    net.layers[0].W[0, 0] = np.nan
    with pytest.raises(ModelFileError, match=r"layers.0.W: expected finite values.*refusing to write it"):
        save_model(tmp_path / "m.safetensors", net)
    assert list(tmp_path.iterdir()) == []


# -- preprocessing against the network ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edit, field, match",
    [
        # classes shorter than the outputs (the issue: predicts garbage or IndexError)
        (
            lambda c: c["preprocessing"].update(classes=["high", "low"]),
            "preprocessing.classes",
            r"expected 3 classes \(one per output of the network\), received: 2 classes",
        ),
        (
            lambda c: c["preprocessing"].update(classes=["a", "b", "c", "d"]),
            "preprocessing.classes",
            "received: 4 classes",
        ),
        (
            lambda c: c["preprocessing"].update(classes=["high", "high", "low"]),
            "preprocessing.classes[1]",
            "a label not listed before",
        ),
        (lambda c: c["preprocessing"].update(classes=["high", None, "low"]), "preprocessing.classes[1]", "label"),
        (lambda c: c["preprocessing"].update(classes="abc"), "preprocessing.classes", "a list of at least 2"),
        # a regression task on a 3-output classifier
        (
            lambda c: c["preprocessing"].update(task="regression", classes=None, target_mean=0.0, target_scale=1.0),
            "preprocessing.task",
            "classification .a regression predicts one number; the network has 3 outputs",
        ),
        (lambda c: c["preprocessing"].update(task="clustering"), "preprocessing.task", "one of"),
        # the encoder's columns and their sizes against the inputs
        (lambda c: c["preprocessing"]["encoder"]["columns"].pop(), "preprocessing.columns", "as the encoder says"),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][0].update(indicator=True),
            "preprocessing.features",
            "as the encoder says",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][2].update(categories=["blue", "green"]),
            "preprocessing.features",
            "as the encoder says",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][2].update(categories=[]),
            "preprocessing.encoder.columns[2].categories",
            "a non-empty list of distinct texts",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][2].update(kind="numeric"),
            "preprocessing.encoder.columns[2].mean",
            "the key is required",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][0].update(kind="date"),
            "preprocessing.encoder.columns[0].kind",
            "one of",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][1].update(name="a"),
            "preprocessing.encoder.columns[1].name",
            "each column once",
        ),
        (lambda c: c["preprocessing"]["encoder"].update(columns={}), "preprocessing.encoder.columns", "non-empty list"),
        # scaling finite and positive
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][0].update(scale=0.0),
            "preprocessing.encoder.columns[0].scale",
            "a finite number > 0, received: 0.0",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][0].update(scale=-2.5),
            "preprocessing.encoder.columns[0].scale",
            "> 0",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][1].update(mean="0.5"),
            "preprocessing.encoder.columns[1].mean",
            "a finite number",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][0].update(fill=[1]),
            "preprocessing.encoder.columns[0].fill",
            "a finite number",
        ),
        (
            lambda c: c["preprocessing"]["encoder"]["columns"][0].pop("mean"),
            "preprocessing.encoder.columns[0].mean",
            "the key is required",
        ),
        (lambda c: c["preprocessing"].update(target="a"), "preprocessing.target", "not also a feature"),
        (lambda c: c["preprocessing"].update(target_mean=1.0), "preprocessing.target_mean", "null"),
        (lambda c: c["preprocessing"].update(version=3), "preprocessing.version", "expected 2"),
        (
            lambda c: c["preprocessing"].update(options={"missing": "sometimes"}),
            "preprocessing.options.missing",
            "one of",
        ),
        (
            lambda c: c["preprocessing"].update(options={"features": ["a", 5]}),
            "preprocessing.options.features[1]",
            "a column name",
        ),
        (lambda c: c.update(preprocessing=[1, 2]), "preprocessing", "expected an object"),
        (lambda c: c.update(preprocessing={"kind": "none"}), "preprocessing.version", "the key is required"),
        (lambda c: c["preprocessing"].update(kind="none"), "preprocessing.kind", "an unknown key"),
    ],
)
def test_preprocessing_that_does_not_fit_is_refused(classifier, edit, field, match):
    _refused(forge(classifier, edit), field, match)


@pytest.mark.parametrize(
    "edit, field, match",
    [
        (lambda c: c["preprocessing"].update(target_scale=0), "preprocessing.target_scale", "a finite number > 0"),
        (lambda c: c["preprocessing"].update(target_scale=-1e-3), "preprocessing.target_scale", "> 0"),
        (lambda c: c["preprocessing"].update(target_mean=None), "preprocessing.target_mean", "a finite number"),
        (lambda c: c["preprocessing"].update(classes=["x", "y"]), "preprocessing.classes", "null"),
        (
            lambda c: c["preprocessing"].update(
                task="classification", classes=[1, 2], target_mean=None, target_scale=None
            ),
            "preprocessing.classes",
            "expected 1 classes",
        ),
        # the task against the output activation and loss: a regression's targets are any number
        (
            lambda c: (
                c["architecture"]["layers"][-1]["activation"].update(name="sigmoid")
                or c["architecture"].update(loss={"name": "binary_cross_entropy", "reduction": "mean"})
            ),
            "preprocessing.task",
            "its targets are in \\[0, 1\\]",
        ),
        (
            lambda c: c["architecture"]["layers"][-1].update(activation={"name": "softmax"}),
            "preprocessing.task",
            "single output through 'softmax' is constant",
        ),
    ],
)
def test_regression_preprocessing_that_does_not_fit_is_refused(regressor, edit, field, match):
    _refused(forge(regressor, edit), field, match)


def test_features_against_the_inputs(classifier):
    def edit(content):
        layer = content["architecture"]["layers"][0]
        layer["n_in"] += 1

    def widen(tensors):
        W = tensors["layers.0.W"]
        tensors["layers.0.W"] = np.vstack([W, W[:1]])

    _refused(
        forge(classifier, edit, widen),
        "preprocessing.features",
        r"expected 6 features \(one per input of the network\), received: 5 features \['a', 'b', 'colour=blue'",
    )


def test_preprocessing_that_does_not_fit_is_refused_before_writing(tmp_path):
    _net, pre = _trained("classification")
    wrong = Network.from_sizes([len(pre.features), 2], "softmax", loss="categorical_cross_entropy", seed=0)
    with pytest.raises(ModelFileError, match=r"preprocessing.classes: expected 2 classes.*refusing to write it"):
        save_model(tmp_path / "m.safetensors", wrong, preprocessing=pre)
    assert list(tmp_path.iterdir()) == []


def test_the_loaded_preprocessor_is_the_checked_one(classifier):
    saved = model_from_bytes(classifier)
    assert saved.preprocessor.to_config() == saved.preprocessing
    assert saved.preprocessor.classes == ["high", "low", "mid"]


# -- the training record --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edit, field, match",
    [
        (
            lambda c: c["training"]["history"].update(loss=[1.0, 2.0]),
            "training.history.loss",
            "a list of 3 values .one per epoch.",
        ),
        (lambda c: c["training"]["history"].update(loss=[1.0, "x", 2.0]), "training.history.loss[1]", "a number"),
        (lambda c: c["training"]["history"].update(epoch=[1, 1, 2]), "training.history.epoch[1]", "epochs increase"),
        (lambda c: c["training"].update(history=[1, 2]), "training.history", "History.to_dict"),
        (lambda c: c["training"].update(settings=5), "training.settings", "an object of settings or null"),
        (
            lambda c: c["training"].update(weights={"epoch": 2, "rule": "x", "metrics": {"loss": "low"}}),
            "training.weights.metrics.loss",
            "a number",
        ),
        (lambda c: c["training"].update(n_samples=-1), "training.n_samples", "an integer >= 0"),
        (lambda c: c.update(training=[]), "training", "expected an object"),
    ],
)
def test_a_training_record_chainrule_cannot_read_is_refused(classifier, edit, field, match):
    _refused(forge(classifier, edit), field, match)


# -- checkpoints -----------------------------------------------------------------------------------------
def test_checkpoint_holds_what_the_checks_expect(checkpoint):
    tensors = tensors_of(checkpoint)
    assert {
        "state.optimizer.0.exp_avg",
        "state.optimizer.0.exp_avg_sq",
        "state.optimizer.0.max_exp_avg_sq",
        "state.early_stopping.best_weights",
    } <= set(tensors)
    state = content_of(checkpoint)["state"]
    assert state["optimizer"]["name"] == "Adam" and state["optimizer"]["steps"] == 12


def _set_tensor(name, change):
    def edit(tensors):
        tensors[name] = change(tensors[name].copy())

    return edit


@pytest.mark.parametrize(
    "edit_content, edit_tensors, field, match",
    [
        # the tampered checkpoints: a missing seed (KeyError), optimizer: 5 and history: [1, 2] (TypeError)
        (lambda c: c["state"].pop("seed"), None, "state.seed", "expected a value"),
        (lambda c: c["state"].update(optimizer=5), None, "state.optimizer", "expected an object from Optimizer"),
        (lambda c: c["state"].update(history=[1, 2]), None, "state.history", "a dict from History.to_dict"),
        # seed and epoch
        (lambda c: c["state"].update(seed=-1), None, "state.seed", "an integer >= 0"),
        (lambda c: c["state"].update(seed="7"), None, "state.seed", "an integer >= 0"),
        (lambda c: c["state"].update(seed=1.5), None, "state.seed", "an integer >= 0"),
        (lambda c: c["state"].update(epoch=True), None, "state.epoch", "an integer >= 0"),
        (lambda c: c["state"].update(epoch=2), None, "state.history.epoch", "up to the checkpoint's epoch 2"),
        (lambda c: c["state"].update(extra=1), None, "state.extra", "an unknown key"),
        # the optimizer: name, hyperparameters, step count
        (lambda c: c["state"]["optimizer"].update(name="Lion"), None, "state.optimizer.name", "one of"),
        (lambda c: c["state"]["optimizer"].update(name=["Adam"]), None, "state.optimizer.name", "one of"),
        (lambda c: c["state"]["optimizer"].update(betas=[0.9, 1.5]), None, "state.optimizer.betas", r"\[0, 1\)"),
        (lambda c: c["state"]["optimizer"].update(betas="ab"), None, "state.optimizer.betas", "two numbers"),
        (lambda c: c["state"]["optimizer"].update(learning_rate=-1), None, "state.optimizer.learning_rate", "> 0"),
        (lambda c: c["state"]["optimizer"].update(eps="small"), None, "state.optimizer.eps", "finite number"),
        (lambda c: c["state"]["optimizer"].update(amsgrad=1), None, "state.optimizer.amsgrad", "True or False"),
        (
            lambda c: c["state"]["optimizer"].update(initial_learning_rate=0),
            None,
            "state.optimizer.initial_learning_rate",
            "> 0",
        ),
        # found by the fuzz suite: an integer below int64's range made NumPy's isfinite raise TypeError
        (
            lambda c: c["state"]["optimizer"].update(initial_learning_rate=-(2**63) - 1),
            None,
            "state.optimizer.initial_learning_rate",
            "> 0",
        ),
        (lambda c: c["state"]["optimizer"].update(eps=-(2**64)), None, "state.optimizer.eps", "a finite number >= 0"),
        (lambda c: c["state"]["optimizer"].update(steps=-1), None, "state.optimizer.steps", "an integer >= 0"),
        (lambda c: c["state"]["optimizer"].update(steps="12"), None, "state.optimizer.steps", "an integer >= 0"),
        (lambda c: c["state"]["optimizer"].pop("steps"), None, "state.optimizer.steps", "expected a value"),
        (lambda c: c["state"]["optimizer"].update(momentum=0.9), None, "state.optimizer.momentum", "unknown key"),
        # moments: which, finite, shape, dtype, sign
        (
            None,
            _set_tensor("state.optimizer.0.exp_avg", lambda a: a * np.nan),
            "state.optimizer.0.exp_avg",
            "finite values",
        ),
        (
            None,
            _set_tensor("state.optimizer.0.exp_avg_sq", lambda a: np.where(a == a.max(), np.inf, a)),
            "state.optimizer.0.exp_avg_sq",
            "finite values",
        ),
        (
            None,
            _set_tensor("state.optimizer.0.exp_avg_sq", lambda a: -a - 1),
            "state.optimizer.0.exp_avg_sq",
            "values >= 0",
        ),
        (None, _set_tensor("state.optimizer.0.exp_avg", lambda a: a[:-1]), "state.optimizer.0.exp_avg", "shape"),
        (
            None,
            _set_tensor("state.optimizer.0.exp_avg", lambda a: a.astype(np.float32)),
            "state.optimizer.0.exp_avg",
            "dtype float64",
        ),
        (
            None,
            lambda t: t.pop("state.optimizer.0.max_exp_avg_sq"),
            "state.optimizer.0.max_exp_avg_sq",
            "nothing, it is missing",
        ),
        (
            None,
            lambda t: t.update({"state.optimizer.0.momentum": t["state.optimizer.0.exp_avg"]}),
            "state.optimizer.0.momentum",
            "does not keep",
        ),
        (
            None,
            lambda t: t.update({"state.optimizer.1.exp_avg": t["state.optimizer.0.exp_avg"]}),
            "state.optimizer.1.exp_avg",
            "keys '<parameter index>.<name>' below 1",
        ),
        (
            lambda c: c["state"]["optimizer"].update(steps=0),
            None,
            "state.optimizer.0.exp_avg",
            "no state arrays before the first step",
        ),
        (None, lambda t: t.update({"state.other": np.zeros(3)}), "state.other", "no part of a checkpoint owns"),
        # early stopping
        (
            None,
            _set_tensor("state.early_stopping.best_weights", lambda a: a[1:]),
            "state.early_stopping.best_weights",
            "shape",
        ),
        (
            None,
            _set_tensor("state.early_stopping.best_weights", lambda a: a * np.nan),
            "state.early_stopping.best_weights",
            "finite values",
        ),
        (
            lambda c: c["state"]["early_stopping"].update(best_epoch=9),
            None,
            "state.early_stopping.best_epoch",
            "at most the checkpoint's epoch 3",
        ),
        (
            lambda c: c["state"]["early_stopping"].update(best=None),
            None,
            "state.early_stopping.best",
            "exactly when best_epoch",
        ),
        (lambda c: c["state"]["early_stopping"].update(wait=-2), None, "state.early_stopping.wait", ">= 0"),
        (lambda c: c["state"]["early_stopping"].pop("wait"), None, "state.early_stopping.wait", "the key is required"),
        (lambda c: c["state"]["early_stopping"].update(best="0.1"), None, "state.early_stopping.best", "finite number"),
        (lambda c: c["state"].update(early_stopping=[]), None, "state.early_stopping", "an object"),
        (
            lambda c: c["state"].pop("early_stopping"),
            None,
            "state.early_stopping.best_weights",
            "none without an early-stopping state",
        ),
        # history
        (lambda c: c["state"]["history"].update(loss=[0.1]), None, "state.history.loss", "a list of 3 values"),
        (lambda c: c["state"]["history"].update(seed=-3), None, "state.history.seed", ">= 0"),
    ],
)
def test_inconsistent_checkpoints_are_refused(checkpoint, edit_content, edit_tensors, field, match, tmp_path):
    data = forge(checkpoint, edit_content, edit_tensors)
    _refused(data, field, match)
    path = tmp_path / "c.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=match) as info:
        restore_checkpoint(path)
    assert info.value.field == field and str(path) in str(info.value)


@pytest.mark.parametrize(
    "optimizer, moments",
    [
        (SGD(None, 0.05, momentum=0.9), ["momentum"]),
        (SGD(None, 0.05), []),
        (RMSprop(None, 0.01, centered=True, momentum=0.5), ["square_avg", "grad_avg", "momentum"]),
    ],
)
def test_each_optimizer_declares_its_moments(tmp_path_factory, optimizer, moments):
    data = _checkpoint(tmp_path_factory, optimizer, early=False)
    names = sorted(n[len("state.optimizer.0.") :] for n in tensors_of(data) if n.startswith("state.optimizer."))
    assert names == sorted(moments)
    resumed = restore_checkpoint(model_from_bytes(data))
    assert resumed.optimizer.steps == 12
    if moments:
        first = f"state.optimizer.0.{moments[0]}"
        _refused(forge(data, edit_tensors=lambda t: t.pop(first)), first, "it is missing")


def test_a_model_file_is_not_a_checkpoint(classifier, tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(classifier)
    with pytest.raises(ModelFileError, match="not a checkpoint") as info:
        restore_checkpoint(path)
    assert info.value.field == "state"
    _refused(
        forge(classifier, edit_tensors=lambda t: t.update({"state.optimizer.0.m": np.zeros(3)})),
        "state.optimizer.0.m",
        "no state tensors in a model",
    )


def _two_class_csv(tmp_path, n_rows: int):
    """A seeded CSV of two numeric columns and a two-class target y, for the command-line tests."""
    path = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    rows = ["a,b,y"] + [f"{x:.3f},{z:.3f},{'p' if x + z > 0 else 'q'}" for x, z in rng.normal(size=(n_rows, 2))]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_checkpoint_cli_resume_refuses_tampered_moments(tmp_path, capsys):
    data_path = _two_class_csv(tmp_path, 40)
    model = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "train",
                str(data_path),
                "--target",
                "y",
                "-o",
                str(model),
                "--epochs",
                "2",
                "--quiet",
                "--checkpoint-every",
                "1",
            ]
        )
        == 0
    )
    ckpt = tmp_path / "m.ckpt.safetensors"
    ckpt.write_bytes(
        forge(ckpt.read_bytes(), edit_tensors=_set_tensor("state.optimizer.0.exp_avg", lambda a: a * np.nan))
    )
    assert (
        main(
            [
                "train",
                str(data_path),
                "--target",
                "y",
                "-o",
                str(model),
                "--epochs",
                "3",
                "--quiet",
                "--resume",
                str(ckpt),
            ]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert "state.optimizer.0.exp_avg: expected finite values" in error and "Traceback" not in error


@pytest.mark.parametrize(
    "edit, field, expected",
    [
        (lambda settings: settings.pop("batch_size"), "training.settings.batch_size", "a value"),
        (lambda settings: settings.update(dtype="float16"), "training.settings.dtype", "float32 or float64"),
        (
            lambda settings: settings.update(validation_fraction="0.1"),
            "training.settings.validation_fraction",
            "a number in [0, 1)",
        ),
    ],
)
def test_checkpoint_cli_resume_refuses_tampered_settings(tmp_path, capsys, edit, field, expected):
    data_path = _two_class_csv(tmp_path, 40)
    model = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "train",
                str(data_path),
                "--target",
                "y",
                "-o",
                str(model),
                "--epochs",
                "2",
                "--quiet",
                "--checkpoint-every",
                "1",
            ]
        )
        == 0
    )
    ckpt = tmp_path / "m.ckpt.safetensors"
    ckpt.write_bytes(forge(ckpt.read_bytes(), edit_content=lambda c: edit(c["training"]["settings"])))
    assert (
        main(
            [
                "train",
                str(data_path),
                "--target",
                "y",
                "-o",
                str(model),
                "--epochs",
                "3",
                "--quiet",
                "--resume",
                str(ckpt),
            ]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert f"{field}: expected {expected}" in error and "Traceback" not in error


def test_metadata_json_is_bounded(classifier):
    deep = json.dumps(content_of(classifier))[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    err = _refused(forge(classifier, payload=deep), "metadata", "nested at most 64 levels deep")
    assert "5001 levels" in str(err)
    text = json.dumps(content_of(classifier)).replace('"epochs": 3', '"epochs": 1' + "0" * 400)
    _refused(forge(classifier, payload=text), "training.settings.epochs", "a number of at most 100 characters")
    text = json.dumps(content_of(classifier)).replace('"epochs": 3', '"epochs": NaN')
    _refused(forge(classifier, payload=text), "metadata", "it has no NaN or Infinity")
    text = json.dumps(content_of(classifier)).replace('"epochs": 3', '"epochs": 1e999')
    _refused(forge(classifier, payload=text), "training.settings.epochs", "float64's range")


def test_messages_show_a_bounded_excerpt(classifier):
    huge = "x" * 1_000_000
    err = _refused(
        forge(classifier, lambda c: c["preprocessing"].update(task=huge)),
        "preprocessing.task",
        "preprocessing.task: expected one of",
    )
    assert len(str(err)) < 400
    with pytest.raises(ModelFileError) as info:
        model_from_bytes(forge(classifier, lambda c: c["preprocessing"].update({huge: 1})))
    assert info.value.field.startswith("preprocessing.'xxx") and len(str(info.value)) < 400


def test_what_is_not_a_file_is_refused_without_reading_it(tmp_path):
    import os

    with pytest.raises(ModelFileError, match="a directory, expected a file"):
        load_model(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.safetensors")  # reading it would wait for a writer forever
        with pytest.raises(ModelFileError, match="not a regular file"):
            load_model(tmp_path / "pipe.safetensors")


def test_a_model_file_with_its_writers_own_state_loads_but_is_not_a_checkpoint(tmp_path, capsys):
    # save_model(state=...) is public; such a file loads as a model, and resuming from it is
    # refused by name (it was a bare KeyError, and a traceback from `train --resume`).
    net = Network.from_sizes([2, 3, 2], "sigmoid", output_activation="softmax", loss="cross_entropy", seed=0)
    path = tmp_path / "own.safetensors"
    save_model(path, net, state={"mine": 1})
    assert load_model(path).state == {"mine": 1}
    with pytest.raises(ModelFileError, match=r"writer's own.*not a checkpoint") as err:
        restore_checkpoint(path)
    assert err.value.field == "state"
    data_path = _two_class_csv(tmp_path, 20)
    argv = ["train", str(data_path), "--target", "y", "-o", str(tmp_path / "m.safetensors"), "--quiet"]
    assert main([*argv, "--resume", str(path)]) == 2
    message = capsys.readouterr().err
    assert "not a checkpoint" in message and "Traceback" not in message

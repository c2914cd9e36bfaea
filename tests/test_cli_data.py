"""The command line on real files: train, predict, evaluate, info, export; checkpoints and resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import needs

needs.module("safetensors")

from chainrule.cli import main
from chainrule.io import load_model
from chainrule.tabular import Preprocessor


def _write_csv(path, columns: dict) -> None:
    names = list(columns)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in zip(*columns.values()):
            writer.writerow([repr(v) if isinstance(v, float) else v for v in row])


def _classification_columns(n=240, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    labels = np.array(["low", "mid", "high"])[np.digitize(x[:, 0] + 0.5 * x[:, 1], [-0.5, 0.5])]
    return {"a": x[:, 0].tolist(), "b": x[:, 1].tolist(), "c": (x[:, 2] * 100 + 7).tolist(), "kind": labels.tolist()}


def _regression_columns(n=200, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 2))
    return {
        "u": x[:, 0].tolist(),
        "v": x[:, 1].tolist(),
        "price": (50 + 10 * x[:, 0] - 4 * x[:, 1] ** 2 + rng.normal(0, 0.1, n)).tolist(),
    }


def _read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _python_outputs(model_path, X_columns):
    saved = load_model(model_path)
    pre = Preprocessor.from_config(saved.preprocessing)
    X = np.column_stack([np.asarray(X_columns[f], dtype=float) for f in pre.columns])
    return saved.network.predict(pre.transform(X, saved.network.dtype)), pre


def test_csv_round_trip(tmp_path, capsys):
    cols = _classification_columns()
    data = tmp_path / "train.csv"
    _write_csv(data, cols)
    model = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "kind",
                "--layers",
                "12",
                "--epochs",
                "15",
                "--learning-rate",
                "0.01",
                "-o",
                str(model),
                "-q",
            ]
        )
        == 0
    )
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), str(data), "-o", str(out), "--probabilities"]) == 0
    rows = _read_csv(out)
    assert list(rows[0]) == ["kind_predicted", "probability_high", "probability_low", "probability_mid"]
    # The CLI's numbers are the library's numbers, read back exactly from the CSV.
    outputs, pre = _python_outputs(model, cols)
    assert [r["kind_predicted"] for r in rows] == pre.decode(outputs)
    assert (
        np.array([[float(r[f"probability_{c}"]) for c in pre.classes] for r in rows]).tobytes()
        == outputs.astype(np.float64).tobytes()
    )
    capsys.readouterr()
    assert main(["evaluate", str(model), str(data), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    agreement = np.mean([r["kind_predicted"] == k for r, k in zip(rows, cols["kind"])])
    assert metrics["n_samples"] == 240 and metrics["accuracy"] == pytest.approx(agreement, abs=1e-12)
    assert metrics["accuracy"] > 0.8  # a learnable rule: also evidence that training did something
    assert main(["info", str(model)]) == 0
    info = capsys.readouterr().out
    assert "3 -> 12 -> 3" in info and "high, low, mid" in info and "checksum verified" in info


def test_parquet_round_trip_regression(tmp_path, capsys):
    pa = needs.module("pyarrow")
    pq = needs.module("pyarrow.parquet")
    cols = _regression_columns()
    data = tmp_path / "train.parquet"
    pq.write_table(pa.table(cols), data)
    model = tmp_path / "r.safetensors"
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "price",
                "--layers",
                "16",
                "--activation",
                "tanh",
                "--epochs",
                "20",
                "--learning-rate",
                "0.01",
                "--dtype",
                "float64",
                "-o",
                str(model),
                "-q",
            ]
        )
        == 0
    )
    assert load_model(model).preprocessing["task"] == "regression"
    capsys.readouterr()
    assert main(["predict", str(model), str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "price_predicted"
    predicted = np.array([float(v) for v in lines[1:]])
    outputs, pre = _python_outputs(model, cols)
    assert predicted.tobytes() == pre.decode(outputs).tobytes()
    assert main(["evaluate", str(model), str(data), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    truth = np.array(cols["price"])
    sk = needs.module("sklearn.metrics")
    assert metrics["mse"] == pytest.approx(sk.mean_squared_error(truth, predicted), rel=1e-12)
    assert metrics["mae"] == pytest.approx(sk.mean_absolute_error(truth, predicted), rel=1e-12)
    assert metrics["r2"] == pytest.approx(sk.r2_score(truth, predicted), rel=1e-12)
    assert metrics["r2"] > 0.9  # a learnable rule: also evidence that training did something


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("a,b,y\n1,2,x\n", ["--target", "z"], "target column 'z' not found"),
        ("a,b,y\n1,2,x\n3,oops,y\n", ["--target", "y"], r"column 'b', row 2 \(line 3\): expected a finite number"),
        ("", ["--target", "y"], "the file is empty"),
        (b"a,y\n1,x\n2,\xe9\n", ["--target", "y"], "line 3 is not valid utf-8"),
        ("a,y\n1,x\n2,x\n", ["--target", "y"], "single class"),
        ("a,y\n1,x\n2,z\n", ["--target", "y", "--epochs", "0"], "--epochs: expected an integer >= 1"),
    ],
)
def test_bad_files_and_options_name_the_problem(tmp_path, capsys, content, args, message):
    data = tmp_path / "bad.csv"
    data.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["train", str(data), *args, "-o", str(tmp_path / "m.safetensors"), "-q"]) == 2
    assert __import__("re").search(message, capsys.readouterr().err)
    assert not (tmp_path / "m.safetensors").exists()


def test_damaged_model_file_is_refused_by_every_command(tmp_path, capsys):
    data = tmp_path / "d.csv"
    _write_csv(data, _classification_columns(60))
    model = tmp_path / "m.safetensors"
    assert main(["train", str(data), "--target", "kind", "--epochs", "1", "-o", str(model), "-q"]) == 0
    raw = bytearray(model.read_bytes())
    raw[-5] ^= 0xFF
    model.write_bytes(bytes(raw))
    for command in (
        ["info", str(model)],
        ["predict", str(model), str(data)],
        ["evaluate", str(model), str(data)],
        ["export", str(model), "--onnx", str(tmp_path / "x.onnx")],
    ):
        assert main(command) == 2
        assert "checksum does not match" in capsys.readouterr().err


def test_export_onnx_matches_predict(tmp_path, capsys):
    ort = needs.module("onnxruntime")
    cols = _classification_columns(120)
    data = tmp_path / "d.csv"
    _write_csv(data, cols)
    model, onnx_path = tmp_path / "m.safetensors", tmp_path / "m.onnx"
    assert main(["train", str(data), "--target", "kind", "--epochs", "3", "-o", str(model), "-q"]) == 0
    assert main(["export", str(model), "--onnx", str(onnx_path)]) == 0
    outputs, pre = _python_outputs(model, cols)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    # One input per column, each (n, 1), named after it.
    feeds = {f: np.asarray(cols[f], dtype=np.float32).reshape(-1, 1) for f in pre.columns}
    probabilities, labels = session.run(None, feeds)
    assert np.max(np.abs(probabilities - outputs)) <= 1e-6
    assert list(labels) == pre.decode(outputs)
    # --inputs matrix: one float matrix of the columns, in order.
    assert main(["export", str(model), "--onnx", str(onnx_path), "--inputs", "matrix"]) == 0
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    raw = np.column_stack([cols[f] for f in pre.columns]).astype(np.float32)
    probabilities, labels = session.run(None, {"input": raw})
    assert np.max(np.abs(probabilities - outputs)) <= 1e-6


def _weights(path):
    return [(layer.W.tobytes(), layer.b.tobytes()) for layer in load_model(path).network.layers]


def test_resume_after_interrupt_equals_uninterrupted(tmp_path, monkeypatch, capsys):
    """Ctrl-C during epoch 4 (after the epoch-2 checkpoint), resume, and compare with one straight run."""
    from chainrule.io import checkpoint

    data = tmp_path / "d.csv"
    _write_csv(data, _classification_columns(150))
    common = [
        "train",
        str(data),
        "--target",
        "kind",
        "--layers",
        "8",
        "--epochs",
        "7",
        "--batch-size",
        "16",
        "--checkpoint-every",
        "2",
        "-q",
    ]
    straight = tmp_path / "straight.safetensors"
    assert main([*common, "-o", str(straight)]) == 0

    original = checkpoint.Checkpoint.on_epoch_end

    def interrupt_after_epoch_3(self, loop, epoch, logs):
        original(self, loop, epoch, logs)
        if epoch == 3:
            os.kill(os.getpid(), signal.SIGINT)  # handled by the training loop: stops after the next update

    monkeypatch.setattr(checkpoint.Checkpoint, "on_epoch_end", interrupt_after_epoch_3)
    stopped = tmp_path / "stopped.safetensors"
    assert main([*common, "-o", str(stopped)]) == 130
    assert "interrupted during epoch 4" in capsys.readouterr().err
    assert load_model(stopped).training["stopped"].startswith("interrupted")  # the best model so far was kept
    ckpt = tmp_path / "stopped.ckpt.safetensors"
    assert load_model(ckpt).state["epoch"] == 2
    monkeypatch.setattr(checkpoint.Checkpoint, "on_epoch_end", original)

    resumed = tmp_path / "resumed.safetensors"
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "kind",
                "--resume",
                str(ckpt),
                "--checkpoint-every",
                "2",
                "-o",
                str(resumed),
                "-q",
            ]
        )
        == 0
    )
    assert _weights(resumed) == _weights(straight)
    history = load_model(resumed).training["history"]
    assert history["epoch"] == list(range(1, 8))
    assert history["loss"] == load_model(straight).training["history"]["loss"]


def test_real_ctrl_c_keeps_a_model_and_resumes_bitwise(tmp_path):
    """A real SIGINT to a running `chainrule train` process."""
    data = tmp_path / "d.csv"
    _write_csv(data, _classification_columns(600, seed=4))
    ckpt, stopped = tmp_path / "ck.safetensors", tmp_path / "stopped.safetensors"
    args = [
        sys.executable,
        "-m",
        "chainrule",
        "train",
        str(data),
        "--target",
        "kind",
        "--layers",
        "32",
        "32",
        "--batch-size",
        "4",
        "--checkpoint-every",
        "1",
        "--checkpoint",
        str(ckpt),
        "--no-progress",
    ]
    process = subprocess.Popen([*args, "--epochs", "1000", "-o", str(stopped)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not ckpt.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted during epoch" in err and stopped.exists()
    epoch = load_model(ckpt).state["epoch"]
    target = epoch + 2
    resumed, straight = tmp_path / "resumed.safetensors", tmp_path / "straight.safetensors"
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "kind",
                "--resume",
                str(ckpt),
                "--epochs",
                str(target),
                "-o",
                str(resumed),
                "-q",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "kind",
                "--layers",
                "32",
                "32",
                "--batch-size",
                "4",
                "--epochs",
                str(target),
                "-o",
                str(straight),
                "-q",
            ]
        )
        == 0
    )
    assert _weights(resumed) == _weights(straight)


def test_train_plot_writes_pngs(tmp_path):
    needs.module("matplotlib")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    data = tmp_path / "d.csv"
    _write_csv(
        data,
        {"x1": x[:, 0].tolist(), "x2": x[:, 1].tolist(), "y": np.where(x[:, 0] > x[:, 1], "above", "below").tolist()},
    )
    plot = tmp_path / "loss.png"
    model = tmp_path / "m.safetensors"
    assert (
        main(["train", str(data), "--target", "y", "--epochs", "3", "-o", str(model), "--plot", str(plot), "-q"]) == 0
    )
    cm = tmp_path / "cm.png"
    assert main(["evaluate", str(model), str(data), "--plot", str(cm)]) == 0
    for png in (plot, tmp_path / "loss-boundary.png", cm):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_features_and_task_options(tmp_path):
    data = tmp_path / "d.csv"
    cols = {
        "a": [float(k) for k in range(30)],
        "b": [float(k % 7) for k in range(30)],
        "note": ["x"] * 30,
        "score": [k % 3 for k in range(30)],
    }
    _write_csv(data, cols)
    model = tmp_path / "m.safetensors"
    # 'note' is text: it must be left out; 'score' (0, 1, 2) would be classes, forced to regression here.
    assert (
        main(
            [
                "train",
                str(data),
                "--target",
                "score",
                "--features",
                "a",
                "b",
                "--task",
                "regression",
                "--epochs",
                "2",
                "-o",
                str(model),
                "-q",
            ]
        )
        == 0
    )
    saved = load_model(model)
    assert saved.preprocessing["features"] == ["a", "b"] and saved.preprocessing["task"] == "regression"
    assert saved.network.sizes[0] == 2 and saved.network.layers[-1].activation.name == "identity"
    # Without --features, the text column 'note' is encoded as its one category; --drop leaves it out.
    assert main(["train", str(data), "--target", "score", "--epochs", "1", "-o", str(model), "-q"]) == 0
    assert load_model(model).preprocessing["features"] == ["a", "b", "note=x"]
    assert (
        main(["train", str(data), "--target", "score", "--drop", "note", "--epochs", "1", "-o", str(model), "-q"]) == 0
    )
    assert load_model(model).preprocessing["features"] == ["a", "b"]

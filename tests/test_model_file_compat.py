"""Model files written by earlier releases still load, bit for bit (fixtures in tests/data/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import needs

needs.module("safetensors")

from chainrule.io import load_model, read_model_metadata, restore_checkpoint
from chainrule.tabular import Preprocessor

V1 = Path(__file__).parent / "data" / "model_files_v1"
EXPECTED = json.loads((V1 / "expected.json").read_text())


def _array(entry: dict) -> np.ndarray:
    """An array from its ``float.hex`` values (exact in float32 and float64)."""
    values = np.array([float.fromhex(h) for h in entry["hex"]], dtype=np.float64)
    return values.astype(np.dtype(entry["dtype"])).reshape(entry["shape"])


def _same_bits(actual: np.ndarray, expected: np.ndarray) -> bool:
    return actual.dtype == expected.dtype and actual.shape == expected.shape and actual.tobytes() == expected.tobytes()


def test_every_fixture_is_listed():
    assert sorted(p.name for p in V1.glob("*.safetensors")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 4


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_format_1_file_loads_bitwise(name):
    expected = EXPECTED[name]
    saved = load_model(V1 / name)
    net = saved.network
    for key, entry in expected["tensors"].items():
        if key.startswith("state."):
            actual = saved.tensors[key[len("state.") :]]
        else:
            _, k, param = key.split(".")
            actual = getattr(net.layers[int(k)], param)
        assert _same_bits(actual, _array(entry)), key
    assert sorted(saved.tensors) == sorted(k[len("state.") :] for k in expected["tensors"] if k.startswith("state."))
    assert _same_bits(net.predict(_array(expected["input"])), _array(expected["outputs"]))
    assert saved.preprocessing == expected["preprocessing"]
    assert saved.training == expected["training"]
    assert saved.state == expected["state"]
    assert saved.format_version == 1
    # The architecture means what it meant when it was written.
    old = expected["architecture"]
    assert net.dtype.name == old["dtype"]
    assert net.loss_function.config() == old["loss"]
    for layer, spec in zip(net.layers, old["layers"], strict=True):
        assert (layer.n_in, layer.n_out, layer.bias_mode, layer.train_bias) == (
            spec["n_in"],
            spec["n_out"],
            spec["bias"],
            spec["train_bias"],
        )
        assert layer.activation.config() == spec["activation"]
    assert read_model_metadata(V1 / name)["preprocessing"] == expected["preprocessing"]


def test_format_1_preprocessing_is_usable():
    saved = load_model(V1 / "trained-with-preprocessing.safetensors")
    pre = Preprocessor.from_config(saved.preprocessing)
    assert pre.features == ["x1", "x2", "x3"] and pre.n_outputs == saved.network.n_outputs


def test_format_1_checkpoint_resumes():
    resumed = restore_checkpoint(V1 / "trained-with-preprocessing.ckpt.safetensors")
    assert resumed.epoch == 4 and resumed.seed == 3
    assert resumed.optimizer.state_dict()["steps"] == resumed.saved.state["optimizer"]["steps"] > 0
    expected = EXPECTED["trained-with-preprocessing.ckpt.safetensors"]["tensors"]
    buffers = resumed.optimizer.state_dict()["buffers"]
    for key, entry in expected.items():
        if key.startswith("state.optimizer."):
            assert _same_bits(buffers[key[len("state.optimizer.") :]], _array(entry)), key
    assert _same_bits(
        resumed.early_stopping_state["best_weights"], _array(expected["state.early_stopping.best_weights"])
    )
    X = np.random.default_rng(0).normal(size=(16, 3))
    Y = np.eye(2)[np.random.default_rng(1).integers(0, 2, 16)]
    before = resumed.network.flat_parameter().value.copy()
    resumed.network.fit(
        X,
        Y,
        optimizer=resumed.optimizer,
        epochs=resumed.epoch + 1,
        initial_epoch=resumed.epoch,
        seed=resumed.seed,
        progress=False,
    )
    assert not np.array_equal(before, resumed.network.flat_parameter().value)

"""Explain configs and explorer files in the format before the network spec still open, meaning the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from chainrule.explain.config import load_setup
from chainrule.visual import api

HERE = Path(__file__).parent
OLD = HERE / "data" / "configs_before_spec"
EXAMPLES = OLD / "examples"
EXPECTED = json.loads((OLD / "expected.json").read_text())


def _hexes(values) -> list[str]:
    return [float(v).hex() for v in np.ravel(values)]


@pytest.mark.parametrize("name", sorted(EXPECTED["explorer"]))
def test_saved_explorer_file_opens_as_it_did(name):
    state = api.load({"text": (OLD / name).read_text(), "filename": name})["state"]
    expected = EXPECTED["explorer"][name]
    for key, value in expected.items():
        assert state[key] == value, key


@pytest.mark.parametrize("name", sorted(EXPECTED["examples"]))
def test_example_config_means_what_it_meant(name):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    setup = load_setup(EXAMPLES / name)
    expected = EXPECTED["examples"][name]
    net = setup.network
    old = expected["architecture"]
    assert net.dtype.name == old["dtype"] and net.loss_function.config() == old["loss"]
    for layer, spec in zip(net.layers, old["layers"], strict=True):
        assert (layer.n_in, layer.n_out, layer.bias_mode, layer.train_bias) == (
            spec["n_in"], spec["n_out"], spec["bias"], spec["train_bias"])
        assert layer.activation.config() == spec["activation"]
    assert [_hexes(layer.W) for layer in net.layers] == expected["W"]
    assert [_hexes(layer.b) for layer in net.layers] == expected["b"]
    assert _hexes(setup.x) == expected["x"] and _hexes(setup.y) == expected["y"]
    assert setup.learning_rate == expected["learning_rate"] and setup.hidden_deltas == expected["hidden_deltas"]

"""Explain configs and explorer files in the format before the network spec still open, meaning the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import needs
from chainrule.explain.config import convert_config, load_setup, read_config_file
from chainrule.visual import api

HERE = Path(__file__).parent
OLD = HERE / "data" / "configs_before_spec"
EXAMPLES = OLD / "examples"
CURRENT_EXAMPLES = HERE.parent / "examples"
EXPECTED = json.loads((OLD / "expected.json").read_text())


def _hexes(values) -> list[str]:
    return [float(v).hex() for v in np.ravel(values)]


@pytest.mark.parametrize("name", sorted(EXPECTED["explorer"]))
def test_saved_explorer_file_opens_as_it_did(name):
    state = api.load({"text": (OLD / name).read_text(), "filename": name})["state"]
    expected = EXPECTED["explorer"][name]
    for key, value in expected.items():
        assert state[key] == value, key


@pytest.mark.parametrize("folder", [EXAMPLES, CURRENT_EXAMPLES], ids=["before-the-spec", "examples"])
@pytest.mark.parametrize("name", sorted(EXPECTED["examples"]))
def test_example_config_means_what_it_meant(name, folder):
    """The old examples still load; the examples/ rewritten in the spec's form describe the same."""
    if name.endswith(".yaml"):
        needs.module("yaml")
    setup = load_setup(folder / name)
    if folder is CURRENT_EXAMPLES:
        assert "version" in read_config_file(folder / name)
    expected = EXPECTED["examples"][name]
    net = setup.network
    old = expected["architecture"]
    assert net.dtype.name == old["dtype"] and net.loss_function.config() == old["loss"]
    for layer, spec in zip(net.layers, old["layers"], strict=True):
        assert (layer.n_in, layer.n_out, layer.bias_mode, layer.train_bias) == (
            spec["n_in"],
            spec["n_out"],
            spec["bias"],
            spec["train_bias"],
        )
        assert layer.activation.config() == spec["activation"]
    assert [_hexes(layer.W) for layer in net.layers] == expected["W"]
    assert [_hexes(layer.b) for layer in net.layers] == expected["b"]
    assert _hexes(setup.x) == expected["x"] and _hexes(setup.y) == expected["y"]
    assert setup.learning_rate == expected["learning_rate"] and setup.hidden_deltas == expected["hidden_deltas"]


@pytest.mark.parametrize("name", sorted(EXPECTED["examples"]) + sorted(EXPECTED["explorer"]))
def test_conversion_keeps_the_meaning(name):
    """convert_config turns an old file into the current form, describing the same setup."""
    path = (EXAMPLES if (EXAMPLES / name).exists() else OLD) / name
    if name.endswith(".yaml"):
        needs.module("yaml")
    old = read_config_file(path)
    new = convert_config(old)
    assert new["version"] == 1 and "sizes" not in new
    assert convert_config(new) == new
    from chainrule.explain.config import setup_from_config

    a, b = setup_from_config(old), setup_from_config(new)
    assert a.network.spec() == b.network.spec()
    assert a.network.flat_parameter().value.tobytes() == b.network.flat_parameter().value.tobytes()
    assert [layer.b.tobytes() for layer in a.network.layers] == [layer.b.tobytes() for layer in b.network.layers]
    assert (a.x.tobytes(), a.y.tobytes(), a.learning_rate, a.hidden_deltas) == (
        b.x.tobytes(),
        b.y.tobytes(),
        b.learning_rate,
        b.hidden_deltas,
    )

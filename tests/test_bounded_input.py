"""Bounded work before any work (issue 11, item 2): every bound checked before anything is built.

"Before anything is built" is proven, not timed: the tests make building a
network (or composing past a bound) fail loudly, and the refusal must come first.
"""

from __future__ import annotations

import json
import os
import re

import pytest

import needs
from chainrule import Network
from chainrule.cli import main
from chainrule.core import limits
from chainrule.core.errors import ValidationError
from chainrule.core.limits import (
    MAX_DEPTH,
    MAX_FILE_PARAMETERS,
    MAX_LAYERS,
    MAX_NODES,
    MAX_NUMBER_LENGTH,
    MAX_PARAMETERS,
    check_document,
    load_json,
)
from chainrule.core.spec import LayerSpec, NetworkSpec
from chainrule.explain.config import parse_config_text, read_config_file, setup_from_config
from chainrule.visual.netfile import state_from_file, state_from_path
from chainrule.visual.state import ExplorerState

needs.module("yaml")

#: A 1 KB "billion laughs": nine levels of nine aliases, 9^9 strings once expanded.
LAUGHS = "\n".join(
    [
        "sizes: [2, 2]",
        "activations: sigmoid",
        "input: [1, 2]",
        "target: [0.5, 0.5]",
        "learning_rate: 0.5",
        "weights: [&a [lol, lol, lol, lol, lol, lol, lol, lol, lol],",
    ]
    + [f"  &{b} [{', '.join([f'*{a}'] * 9)}]," for a, b in zip("abcdefgh", "bcdefghi")]
    + ["  *i]", ""]
)


@pytest.fixture
def no_building(monkeypatch):
    """Building any network fails the test: a refusal must come before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("a network was built before the input was checked")

    monkeypatch.setattr(Network, "from_spec", classmethod(lambda cls, *a, **k: refuse()))
    monkeypatch.setattr(Network, "__init__", lambda self, *a, **k: refuse())


def _legacy(**fields) -> dict:
    config = {
        "sizes": [2, 2],
        "activations": "sigmoid",
        "weights": [[[0.1, 0.2], [0.3, 0.4]]],
        "input": [1, 2],
        "target": [0.5, 0.5],
        "learning_rate": 0.5,
    }
    config.update(fields)
    return config


def _text(config: dict, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(config)
    if suffix == ".yaml":
        import yaml

        return yaml.safe_dump(config)
    return "".join(f"{key} = {_toml(value)}\n" for key, value in config.items())


def _toml(value) -> str:
    """A TOML value (inline tables and arrays) for the tests' plain data."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


# -- the bounds are documented, each with its reason -----------------------------------------------------
def test_every_bound_is_in_the_documented_table():
    doc = limits.__doc__
    for name in [n for n in limits.__all__ if n.startswith("MAX_")]:
        row = re.search(rf":data:`{name}`\s+(\S.*)", doc)
        assert row, f"{name} is not in the table of chainrule.core.limits"
        assert len(row.group(1).split(None, 1)[1]) > 20, f"{name} has no reason"


# -- the spec --------------------------------------------------------------------------------------------
def _layer(n_in, n_out, **options):
    return {
        "type": "dense",
        "n_in": n_in,
        "n_out": n_out,
        "activation": "sigmoid",
        "bias": "per_neuron",
        "train_bias": True,
        **options,
    }


@pytest.mark.parametrize(
    "layers, field, match",
    [
        (
            [_layer(10**6, 10**6)],
            "layers[0]",
            "a layer of at most 1,000,000,000 weights and biases, received: 1000000 inputs x 1000000 neurons",
        ),
        ([_layer(3, 10**12), _layer(10**12, 2)], "layers[0]", "3 inputs x 1000000000000 neurons"),
        ([_layer(20_000, 40_000), _layer(40_000, 20_000)], "layers", "a network of at most 1,000,000,000"),
        ([_layer(10**400, 2)], "layers[0].n_in", "an integer of about 400 digits"),
        ([_layer(1, 1)] * (MAX_LAYERS + 1), "layers", "at most 1,000 layers"),
        ([_layer(2, 2, activation=["sigmoid"])], "layers[0].activation", "an activation name or an object"),
        (
            [_layer(2, 2, activation={"name": "leaky_relu", "alpha": 10**400})],
            "layers[0].activation.alpha",
            "about 400 digits",
        ),
    ],
)
def test_the_spec_refuses_before_building(layers, field, match, no_building):
    with pytest.raises(ValidationError, match=match) as info:
        NetworkSpec.from_dict({"version": 1, "layers": layers, "loss": "squared_error", "dtype": "float64"})
    assert info.value.field == field


def test_a_layer_spec_alone_is_bounded():
    with pytest.raises(ValidationError, match="a layer of at most"):
        LayerSpec(10**6, 10**6)
    assert MAX_PARAMETERS == 10**9
    assert NetworkSpec([LayerSpec(1000, 1000)]).n_parameters() == 1_001_000  # large but fine


def test_spec_from_json_is_bounded():
    with pytest.raises(ValidationError, match="spec: expected JSON nested at most 64"):
        NetworkSpec.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValidationError, match=r"spec.version: expected a number of at most 100 characters"):
        NetworkSpec.from_json('{"version": 1' + "0" * 400 + "}")


# -- JSON and parsed documents ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, match",
    [
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested at most 64 levels deep, received: nesting 100001"),
        ('{"a": ' + '{"b": ' * 100_000 + "1" + "}" * 100_001, "nesting 100001 levels deep"),
        (
            '{"a": 1' + "0" * 400 + "}",
            "x.a: expected a number of at most 100 characters, received: a number of 401 characters",
        ),
        ('{"a": -0.' + "5" * 200 + "}", "a number of 203 characters"),
        ('{"a": NaN}', "it has no NaN or Infinity"),
        ('{"a": [Infinity]}', "it has no NaN or Infinity"),
        ('{"a": [1, 2e400]}', "x.a\\[1\\]: expected a finite number .a JSON number past float64's range"),
        ('{"a": 1,', "valid JSON, received: Expecting property name"),
        (b'{"a": "\xff"}', "UTF-8 text, received: byte 7 is not UTF-8"),
    ],
)
def test_json_is_parsed_within_the_bounds(text, match):
    with pytest.raises(ValidationError, match=match):
        load_json(text, "x")


def test_json_strings_do_not_count_as_nesting():
    assert load_json('{"a": "' + "[" * 10_000 + '\\" ["}', "x") == {"a": "[" * 10_000 + '" ['}
    assert load_json('{"a": [[1.5e-05, -3, 12345678901234567890]]}', "x") == {
        "a": [[1.5e-05, -3, 12345678901234567890]]
    }


def test_a_document_is_walked_within_the_bounds():
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValidationError, match=f"nested at most {MAX_DEPTH} levels deep"):
        check_document({"x": cycle})
    with pytest.raises(ValidationError, match="fewer than 100 digits") as info:
        check_document({"x": [1, {"y": -(10**MAX_NUMBER_LENGTH)}]})
    assert info.value.field == "x[1].y"
    laughs = ["lol"] * 9
    for _ in range(8):
        laughs = [laughs] * 9
    with pytest.raises(ValidationError, match=f"at most {MAX_NODES:,} values"):
        check_document({"x": laughs})
    assert check_document({"x": [True, 10**99, -(10**99), 1e308, "s" * 1000]})


# -- network files: explain configs and the explorer's files -------------------------------------------------
def test_a_billion_laughs_is_refused_while_composed(tmp_path, no_building):
    assert len(LAUGHS) < 1100
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS)
    for read in (read_config_file, state_from_path):
        with pytest.raises(ValidationError, match=f"at most {MAX_NODES:,} values .YAML aliases expanded.") as info:
            read(path)
        assert info.value.field == f"config file {str(path)!r}"
    with pytest.raises(ValidationError, match="YAML aliases expanded") as info:
        state_from_file(LAUGHS, "laughs.yaml")
    assert info.value.field == "file"


def test_yaml_aliases_within_the_bound_are_fine():
    text = (
        "sizes: [2, 2, 2]\nactivations: [&a {name: leaky_relu, alpha: 0.2}, *a]\n"
        "weights: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]\ninput: [1, 2]\ntarget: [0.5, 0.5]\nlearning_rate: 0.5\n"
    )
    setup = setup_from_config(parse_config_text(text, ".yaml"))
    assert [layer.activation.config() for layer in setup.network.layers] == [{"name": "leaky_relu", "alpha": 0.2}] * 2


@pytest.mark.parametrize(
    "text, match",
    [
        ("a: &a [*a]\n", "YAML without recursive aliases"),
        ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "YAML nested at most 64 levels deep"),
        ("".join(f"{' ' * 2 * i}k:\n" for i in range(200)) + " " * 400 + "1\n", "YAML nested at most 64 levels deep"),
        ("a: !!python/object/apply:os.system [echo hi]\n", "valid YAML"),
        ("a: 1" + "0" * 400 + "\n", "config field 'a': expected an integer of fewer than 100 digits"),
    ],
)
def test_yaml_bounds(text, match):
    with pytest.raises(ValidationError, match=match):
        parse_config_text(text, ".yaml")


@pytest.mark.parametrize(
    "text, match",
    [
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "TOML nested at most 64 levels deep"),
        ("a = 1" + "0" * 400 + "\n", "config field 'a': expected an integer of fewer than 100 digits"),
        ("a = 1" + "0" * 5000 + "\n", "valid TOML|fewer than 100 digits"),
        ("a = " + "{b = " * 70 + "1" + "}" * 70 + "\n", "nested at most 64 levels deep"),
    ],
)
def test_toml_bounds(text, match):
    with pytest.raises(ValidationError, match=match):
        parse_config_text(text, ".toml")


@pytest.mark.parametrize("suffix", [".json", ".toml", ".yaml"])
def test_a_140_byte_file_claiming_a_million_weights_is_refused_naming_sizes(tmp_path, suffix, no_building):
    config = {
        "sizes": [1000, 1000, 2],
        "activations": "sigmoid",
        "weights": {},
        "input": [1],
        "target": [1],
        "learning_rate": 0.5,
    }
    path = tmp_path / f"big{suffix}"
    path.write_text(_text(config, suffix))
    assert path.stat().st_size < 160
    with pytest.raises(
        ValidationError, match=f"a network of at most {MAX_FILE_PARAMETERS:,} weights and biases in a network file"
    ) as info:
        setup_from_config(read_config_file(path))
    assert info.value.field == "config field 'sizes'"
    for sizes, field in (([1_000_000, 1_000_000], "config field 'sizes'"),):
        with pytest.raises(ValidationError, match="a layer of at most 1,000,000,000") as info:
            setup_from_config({**config, "sizes": sizes})
        assert info.value.field == field


def test_the_current_form_names_layers(no_building):
    config = {
        "version": 1,
        "layers": [_layer(1000, 1000), _layer(1000, 2)],
        "loss": "squared_error",
        "dtype": "float64",
        "weights": {},
        "input": [1],
        "target": [1],
        "learning_rate": 0.5,
    }
    with pytest.raises(ValidationError, match="in a network file") as info:
        setup_from_config(config)
    assert info.value.field == "config field 'layers'"


def test_weights_are_counted_against_the_spec_before_building(no_building):
    config = _legacy(sizes=[600, 1000, 2], weights={}, input=[1], target=[1])
    with pytest.raises(ValidationError, match=r"every weight w1..w602000 needs one") as info:
        setup_from_config(config)
    assert info.value.field == "config field 'weights.w1'"
    with pytest.raises(ValidationError, match="an unknown name") as info:
        setup_from_config(_legacy(weights={"w1": 1, "w2": 2, "w3": 3, "w4": 4, "w" + "9" * 5000: 5}))
    assert len(info.value.field) < 80
    with pytest.raises(ValidationError, match="2 rows"):
        setup_from_config(_legacy(weights=[[[1, 2]] * 1_000_000]))


def test_the_explorer_checks_its_limits_on_the_spec_before_building(no_building):
    with pytest.raises(ValidationError, match="2 to 5 layer sizes, each 1 to 6") as info:
        state_from_file(json.dumps(_legacy(sizes=[600, 1000, 2], weights={})), "n.json")
    assert info.value.field == "sizes"


@pytest.mark.parametrize("suffix", [".json", ".toml", ".yaml"])
@pytest.mark.parametrize(
    "config, field, match",
    [
        (_legacy(activations=[["sigmoid"]]), "config field 'activations[0]'", "an activation name or an object"),
        (_legacy(activations=[{"name": ["sigmoid"]}]), "config field 'activations[0]'", "a registered activation"),
        (
            _legacy(learning_rate=10**400),
            "config field 'learning_rate'",
            "fewer than 100 digits|at most 100 characters",
        ),
        (_legacy(input=[1, -(10**300)]), "config field 'input[1]'", "fewer than 100 digits|at most 100 characters"),
        (
            _legacy(weights=[[[1, 2], [3, 10**120]]]),
            "config field 'weights[0][1][1]'",
            "fewer than 100 digits|a number of at most 100 characters, received: a number of 121 characters",
        ),
    ],
)
def test_bad_values_in_any_format_are_refused(tmp_path, suffix, config, field, match):
    path = tmp_path / f"n{suffix}"
    path.write_text(_text(config, suffix))
    for read in (
        lambda: setup_from_config(read_config_file(path)),
        lambda: state_from_path(path),
        lambda: state_from_file(path.read_text(), path.name),
    ):
        with pytest.raises(ValidationError, match=match) as info:
            read()
        assert info.value.field == field


def test_a_big_number_given_in_python_is_refused_too():
    with pytest.raises(ValidationError, match="a finite number") as info:
        setup_from_config(_legacy(learning_rate=10**400))
    assert info.value.field == "config field 'learning_rate'"


def test_chainrule_serve_and_explain_refuse_an_activation_list(tmp_path, capsys):
    path = tmp_path / "n.json"
    path.write_text(json.dumps(_legacy(activations=[["sigmoid"]])))
    for command in ("serve", "explain"):
        assert main([command, str(path)]) == 2
        error = capsys.readouterr().err
        assert "config field 'activations[0]': expected an activation name" in error and "Traceback" not in error


def test_files_that_are_not_text_files(tmp_path):
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(ValidationError, match=r"a readable file, received: '.*dir.json' \(a folder\)"):
        read_config_file(tmp_path / "dir.json")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.json")  # opening it would wait for a writer forever
        with pytest.raises(ValidationError, match="not a regular file"):
            read_config_file(tmp_path / "pipe.json")
    (tmp_path / "latin.yaml").write_bytes(b"sizes: [2, 2]\nname: caf\xe9\n")
    with pytest.raises(
        ValidationError,
        match=r"a UTF-8 text file, received: '.*latin.yaml' \(line 2 is not "
        r"UTF-8: byte 0xe9 at offset 23\)",
    ) as info:
        read_config_file(tmp_path / "latin.yaml")
    assert info.value.field == "config file"
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(limits.MAX_FILE_BYTES + 1)
    with pytest.raises(ValidationError, match="a file of at most 16,777,216 bytes"):
        read_config_file(big)
    with pytest.raises(ValidationError, match="at most 16,777,216 bytes"):
        state_from_file(" " * (limits.MAX_FILE_BYTES + 1), "n.json")


# -- the explorer's requests -------------------------------------------------------------------------
def _state(**changes) -> dict:
    return {**ExplorerState.tutorial().to_json(), **changes}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"learning_rate": 10**400}, "learning_rate"),
        ({"input": [10**400, 1]}, "i1"),
        ({"params": {**ExplorerState.tutorial().params, "w3": -(10**5000)}}, "w3"),
        ({"params": {**ExplorerState.tutorial().params, "w" + "9" * 10_000: 1.0}}, None),
        ({"sizes": [2, 10**400, 2]}, "sizes"),
        ({"activations": [["sigmoid"], "sigmoid"]}, "activations.0"),
        ({"activations": [{"name": "leaky_relu", "alpha": 10**400}, "sigmoid"]}, "activations.0"),
        ({"hidden_deltas": ["original"]}, "hidden_deltas"),
    ],
)
def test_explorer_state_checks(changes, field):
    with pytest.raises(ValidationError) as info:
        ExplorerState.from_json(_state(**changes))
    if field is not None:
        assert info.value.field == field
    assert len(str(info.value)) < 400


def test_explorer_state_from_network_refuses_what_is_not_numbers():
    network = ExplorerState.tutorial().network()
    with pytest.raises(ValidationError) as info:
        ExplorerState.from_network(network, ["a", "b"], [0.1, 0.2], 0.5)
    assert info.value.field == "input"
    with pytest.raises(ValidationError) as info:
        ExplorerState.from_network(network, [1, 2], [[0.1], [0.2, 0.3]], 0.5)
    assert info.value.field == "target"
    with pytest.raises(ValidationError) as info:
        state_from_file("{}", filename=5)
    assert info.value.field == "filename"


def test_messages_show_a_bounded_excerpt():
    with pytest.raises(ValidationError) as info:
        setup_from_config(_legacy(loss="x" * 10_000_000))
    assert len(str(info.value)) < 400
    with pytest.raises(ValidationError) as info:
        setup_from_config(_legacy(input=[[[[[[[[list(range(10**6))]]]]]]], 1]))
    assert len(str(info.value)) < 400

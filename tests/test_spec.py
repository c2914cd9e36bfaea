"""The network spec: one versioned, JSON-ready description, round trips and refusals naming the field."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest

from chainrule import Network, NetworkSpec, ValidationError
from chainrule.core import ACTIVATIONS, LOSSES, Dense, get_activation, get_loss
from chainrule.core.spec import BIAS_MODES, OUTPUT_REDUCTIONS, REDUCTIONS, SPEC_VERSION, LayerSpec, spec_path

TUTORIAL = {
    "version": 1,
    "layers": [
        {
            "type": "dense",
            "n_in": 2,
            "n_out": 2,
            "activation": {"name": "sigmoid"},
            "bias": "shared",
            "train_bias": False,
        },
        {
            "type": "dense",
            "n_in": 2,
            "n_out": 2,
            "activation": {"name": "sigmoid"},
            "bias": "shared",
            "train_bias": False,
        },
    ],
    "loss": {"name": "squared_error", "reduction": "mean", "output_reduction": "half_sum"},
    "dtype": "float64",
}


def _activations_with_options() -> list[dict]:
    """Every registered activation's default config, and each with a non-default option where it has one."""
    configs = []
    for name in sorted(ACTIVATIONS):
        default = get_activation(name).config()
        configs.append(default)
        if name == "leaky_relu":
            configs.append({"name": "leaky_relu", "alpha": 0.3})
    return configs


def _losses() -> list[dict]:
    """Every registered loss with every reduction (and output reduction, for the squared error)."""
    configs = []
    for name in sorted(LOSSES):
        options = get_loss(name).config()
        for reduction in REDUCTIONS:
            if "output_reduction" in options:
                configs += [{"name": name, "reduction": reduction, "output_reduction": o} for o in OUTPUT_REDUCTIONS]
            else:
                configs.append({"name": name, "reduction": reduction})
    return configs


def _output_activation(loss: dict) -> dict:
    required = get_loss(loss).requires_activation
    return {"name": required or "identity"}


def _spec_dict(hidden: dict, loss: dict, dtype: str = "float64", bias: str = "per_neuron", train: bool = True) -> dict:
    return {
        "version": SPEC_VERSION,
        "layers": [
            {"type": "dense", "n_in": 3, "n_out": 4, "activation": hidden, "bias": bias, "train_bias": train},
            {
                "type": "dense",
                "n_in": 4,
                "n_out": 2,
                "activation": _output_activation(loss),
                "bias": "shared",
                "train_bias": not train,
            },
        ],
        "loss": loss,
        "dtype": dtype,
    }


CASES = [(a, l) for a in _activations_with_options() for l in _losses()[:1]] + [
    (_activations_with_options()[0], l) for l in _losses()
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden, loss", CASES, ids=lambda c: json.dumps(c, sort_keys=True))
def test_dict_and_json_round_trips(hidden, loss, dtype):
    data = _spec_dict(hidden, loss, dtype)
    spec = NetworkSpec.from_dict(data)
    assert spec.to_dict() == data  # canonical dicts come back unchanged, every option written
    assert NetworkSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert NetworkSpec.from_json(spec.to_json(indent=2)) == spec
    assert hash(NetworkSpec.from_json(spec.to_json())) == hash(spec)
    net = Network.from_spec(spec, seed=0)
    assert net.spec() == spec and net.config() == spec.to_dict() == data
    assert net.dtype == np.dtype(dtype) and net.sizes == spec.sizes == [3, 4, 2]
    assert net.layers[0].activation == get_activation(hidden) and net.loss_function == get_loss(loss)
    assert net.n_parameters() == spec.n_parameters()


@pytest.mark.parametrize("bias", BIAS_MODES)
@pytest.mark.parametrize("train", [True, False])
def test_bias_conventions_round_trip(bias, train):
    spec = NetworkSpec.from_dict(_spec_dict({"name": "tanh"}, {"name": "squared_error"}, bias=bias, train=train))
    net = Network.from_spec(spec.to_dict())
    assert [(l.bias_mode, l.train_bias) for l in net.layers] == [(bias, train), ("shared", not train)]
    assert net.layers[0].b.shape == ((4,) if bias == "per_neuron" else (1,))
    assert net.spec() == spec


def test_short_forms_are_written_back_whole():
    data = copy.deepcopy(TUTORIAL)
    data["layers"][0]["activation"] = "sigmoid"
    data["layers"][1]["activation"] = {"name": "sigmoid"}
    data["loss"] = "mse"  # an alias, and the loss's default options
    assert NetworkSpec.from_dict(data).to_dict() == TUTORIAL
    leaky = _spec_dict("leaky_relu", {"name": "squared_error"})
    assert NetworkSpec.from_dict(leaky).layers[0].activation == {"name": "leaky_relu", "alpha": 0.01}


def test_network_config_is_the_spec_dict():
    net = Network.from_sizes([4, 5, 3], ["relu", "softmax"], loss="cross_entropy", dtype=np.float32, seed=1)
    assert net.config() == net.spec().to_dict()
    assert net.config()["version"] == SPEC_VERSION
    assert [layer.config() for layer in net.layers] == [layer.to_dict() for layer in net.spec().layers]


def test_from_spec_draws_the_weights_as_from_sizes_does():
    built = Network.from_sizes([3, 5, 2], "tanh", output_activation="sigmoid", loss="bce", seed=7)
    again = Network.from_spec(built.spec(), seed=7)
    for a, b in zip(built.layers, again.layers, strict=True):
        assert a.W.tobytes() == b.W.tobytes() and a.b.tobytes() == b.b.tobytes()
    zeros = Network.from_spec(built.spec(), init="zeros")
    assert not zeros.flat_parameter().value.any()


def test_python_construction_checks_and_canonicalises():
    layer = LayerSpec(2, 3, get_activation("tanh"), "shared", False)
    assert layer.activation == {"name": "tanh"} and layer.n_bias == 1
    spec = NetworkSpec(
        [
            layer,
            {"type": "dense", "n_in": 3, "n_out": 1, "activation": "sigmoid", "bias": "per_neuron", "train_bias": True},
        ],
        get_loss("bce"),
        np.float32,
    )
    assert spec.dtype == "float32" and spec.loss == {"name": "binary_cross_entropy", "reduction": "mean"}
    assert spec.version == SPEC_VERSION and spec.to_dict()["version"] == SPEC_VERSION
    with pytest.raises(ValidationError) as info:
        LayerSpec(2, 0)
    assert info.value.field == "n_out"
    with pytest.raises(ValidationError) as info:
        NetworkSpec([LayerSpec(2, 3), LayerSpec(2, 1)])
    assert info.value.field == "layers[1].n_in"
    with pytest.raises(ValidationError) as info:
        LayerSpec.from_dict({**TUTORIAL["layers"][0], "bias": "both"})
    assert info.value.field == "bias"


def test_a_spec_is_immutable_copyable_and_picklable():
    spec = NetworkSpec.from_dict(TUTORIAL)
    with pytest.raises(AttributeError):
        spec.dtype = "float32"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(spec)) == spec == copy.deepcopy(spec)
    assert spec.to_dict() is not spec.to_dict()
    changed = spec.to_dict()
    changed["layers"][0]["activation"]["name"] = "tanh"
    assert spec.layers[0].activation == {"name": "sigmoid"}  # to_dict hands out copies


def _changed(edit) -> dict:
    data = copy.deepcopy(TUTORIAL)
    edit(data)
    return data


BAD = [
    (lambda d: d.pop("version"), "version", "a value \\(the field is required\\)"),
    (lambda d: d.update(version=2), "version", "upgrade chainrule"),
    (lambda d: d.update(version=True), "version", "a whole number"),
    (lambda d: d.update(version="1"), "version", "a whole number"),
    (lambda d: d.update(extra=1), "extra", "one of the fields \\['version', 'layers', 'loss', 'dtype'\\]"),
    (lambda d: d.pop("loss"), "loss", "the field is required"),
    (lambda d: d.update(layers=[]), "layers", "at least one layer"),
    (lambda d: d.update(layers="dense"), "layers", "a list of layers"),
    (lambda d: d["layers"].__setitem__(1, 5), "layers[1]", "a layer: an object"),
    (lambda d: d["layers"][1].update(type="conv"), "layers[1].type", "one of \\['dense'\\]"),
    (lambda d: d["layers"][1].pop("bias"), "layers[1].bias", "the field is required"),
    (lambda d: d["layers"][0].update(units=3), "layers[0].units", "one of the fields"),
    (lambda d: d["layers"][0].update(n_in=0), "layers[0].n_in", "an integer >= 1"),
    (lambda d: d["layers"][0].update(n_out=2.0), "layers[0].n_out", "an integer >= 1"),
    (lambda d: d["layers"][0].update(n_out=True), "layers[0].n_out", "an integer >= 1"),
    (lambda d: d["layers"][0].update(n_out=3), "layers[1].n_in", "3 \\(the n_out of layers\\[0\\]\\)"),
    (lambda d: d["layers"][1].update(activation="swish"), "layers[1].activation", "received: 'swish'"),
    (lambda d: d["layers"][1].update(activation={"alpha": 0.1}), "layers[1].activation.name", "a registered"),
    (lambda d: d["layers"][1].update(activation=7), "layers[1].activation", "an activation name or an object"),
    (
        lambda d: d["layers"][1].update(activation={"name": "leaky_relu", "alpha": 1.5}),
        "layers[1].activation.alpha",
        "a number in \\(0, 1\\)",
    ),
    (
        lambda d: d["layers"][1].update(activation={"name": "tanh", "alpha": 0.1}),
        "layers[1].activation.alpha",
        "it takes none",
    ),
    (lambda d: d["layers"][0].update(bias="both"), "layers[0].bias", "one of \\['per_neuron', 'shared'\\]"),
    (lambda d: d["layers"][0].update(train_bias="no"), "layers[0].train_bias", "true or false"),
    (lambda d: d.update(loss="hinge"), "loss", "received: 'hinge'"),
    (lambda d: d.update(loss={"name": "squared_error", "reduction": "max"}), "loss.reduction", "one of"),
    (
        lambda d: d.update(loss={"name": "squared_error", "output_reduction": "sum"}),
        "loss.output_reduction",
        "one of \\['half_sum', 'mean'\\]",
    ),
    (
        lambda d: d.update(loss={"name": "binary_cross_entropy", "output_reduction": "mean"}),
        "loss.output_reduction",
        "an unknown option",
    ),
    (lambda d: d.update(loss="categorical_cross_entropy"), "loss", "an output layer with activation 'softmax'"),
    (lambda d: d.update(dtype="float16"), "dtype", "float32 or float64"),
    (lambda d: d.update(dtype=None), "dtype", "float32 or float64"),
]


@pytest.mark.parametrize("edit, field, match", BAD)
def test_bad_specs_are_refused_naming_the_field(edit, field, match):
    with pytest.raises(ValidationError, match=match) as info:
        NetworkSpec.from_dict(_changed(edit))
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: expected ")
    with pytest.raises(ValidationError):
        Network.from_spec(_changed(edit))


def test_not_a_dict_is_refused():
    for data in (None, [TUTORIAL], "spec"):
        with pytest.raises(ValidationError) as info:
            NetworkSpec.from_dict(data)
        assert info.value.field == "spec"
    with pytest.raises(ValidationError, match="spec: expected valid JSON, received: Expecting property name"):
        NetworkSpec.from_json("{")


def test_callers_name_fields_their_way():
    seen = []

    def name(path):
        seen.append(path)
        return "page:" + "/".join(map(str, path))

    data = _changed(lambda d: d["layers"][1].update(activation={"name": "leaky_relu", "alpha": 2}))
    with pytest.raises(ValidationError) as info:
        NetworkSpec.from_dict(data, field_name=name)
    assert info.value.field == "page:layers/1/activation/alpha"
    assert seen[-1] == ("layers", 1, "activation", "alpha")
    assert spec_path(("layers", 1, "activation", "alpha")) == "layers[1].activation.alpha"


def test_an_unregistered_activation_cannot_be_described():
    class Mine(type(get_activation("tanh"))):
        name = "mine"

    net = Network([Dense(2, 2, "tanh"), Dense(2, 1, "identity")])
    net.layers[0].activation = Mine()
    with pytest.raises(ValidationError, match="received: 'mine'") as info:
        net.spec()
    assert info.value.field == "layers[0].activation"

"""Model files: exact round trip, atomic saves, and refusal of anything damaged or unknown."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import needs

needs.module("safetensors")

from chainrule import Network
from chainrule.io import FORMAT_VERSION, ModelFileError, load_model, model_from_bytes, model_to_bytes, save_model


def _network(dtype=np.float64, seed=3) -> Network:
    net = Network.from_sizes(
        [4, 7, 5, 3], ["tanh", "leaky_relu", "softmax"], loss="cross_entropy", seed=seed, dtype=dtype
    )
    # Non-trivial biases too, so that a bias mix-up would show.
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        layer.set_weights(b=rng.normal(size=layer.b.shape))
    return net


def _rewrite_metadata(data: bytes, edit) -> bytes:
    """Return the file with its header's metadata changed by ``edit(metadata)`` (offsets kept valid)."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    edit(header["__metadata__"])
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


def _preprocessing() -> dict:
    """The config of a preprocessing that fits :func:`_network`: 4 numeric features, 3 classes."""
    from chainrule.tabular import Preprocessor, table_from_columns

    rng = np.random.default_rng(5)
    table = table_from_columns({**{f"x{k}": rng.normal(size=30) for k in range(4)}, "y": ["a", "b", "c"] * 10})
    return Preprocessor.fit(table, "y").to_config()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bitwise(tmp_path, dtype):
    net = _network(dtype)
    path = save_model(
        tmp_path / "m.safetensors", net, preprocessing=_preprocessing(), training={"epochs": 3, "seed": 7}
    )
    saved = load_model(path)
    X = np.random.default_rng(0).normal(size=(50, 4)).astype(dtype)
    assert saved.network.dtype == np.dtype(dtype)
    for a, b in zip(net.layers, saved.network.layers):
        assert a.W.tobytes() == b.W.tobytes() and a.b.tobytes() == b.b.tobytes()
        assert a.activation == b.activation and a.bias_mode == b.bias_mode
    assert net.predict(X).tobytes() == saved.network.predict(X).tobytes()
    assert saved.network.loss_function == net.loss_function
    assert saved.preprocessing == _preprocessing() and saved.training == {"epochs": 3, "seed": 7}
    assert saved.preprocessor.to_config() == _preprocessing()
    assert saved.format_version == FORMAT_VERSION


def test_state_tensors_round_trip():
    from chainrule.optim import Adam

    net = _network()
    moments = np.random.default_rng(1).normal(size=net.buffer.n_trainable)
    state = {
        "epoch": 4,
        "seed": 0,
        "history": {},
        "optimizer": {**Adam(None).hyperparameters(), "name": "Adam", "initial_learning_rate": 1e-3, "steps": 3},
    }
    tensors = {"optimizer.0.exp_avg": moments, "optimizer.0.exp_avg_sq": moments**2}
    saved = model_from_bytes(model_to_bytes(net, state=state, state_tensors=tensors))
    assert saved.state == json.loads(json.dumps(state))
    assert saved.tensors["optimizer.0.exp_avg"].tobytes() == moments.tobytes()
    # A state that is not a checkpoint's is refused before anything is written.
    with pytest.raises(ModelFileError, match=r"state.seed: expected a value") as info:
        model_to_bytes(net, state={"epoch": 4}, state_tensors={"optimizer.0.m": moments})
    assert info.value.field == "state.seed" and "refusing to write it" in str(info.value)


def test_file_holds_no_pickle(tmp_path):
    data = model_to_bytes(_network())
    # Pickle protocol 2+ streams start with 0x80 followed by the protocol number.
    assert b"\x80\x04" not in data[:200] and b"pickle" not in data.lower()
    (n,) = struct.unpack("<Q", data[:8])
    json.loads(data[8 : 8 + n])  # the header is plain JSON


@pytest.mark.parametrize("cut", [0, 4, 8, 20, 200, -1, -8, -100])
def test_truncated_files_are_refused(tmp_path, cut):
    data = model_to_bytes(_network())
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[:cut])
    with pytest.raises(ModelFileError, match="refusing to load"):
        load_model(path)


def test_every_flipped_bit_in_a_sample_is_refused():
    data = model_to_bytes(_network())
    rng = np.random.default_rng(0)
    positions = sorted(set(rng.integers(0, len(data), 300).tolist()) | {0, 8, len(data) - 1})
    for pos in positions:
        damaged = bytearray(data)
        damaged[pos] ^= 1 << int(rng.integers(0, 8))
        try:
            model_from_bytes(bytes(damaged))
        except ModelFileError:
            continue
        # The only acceptable survivor: a flip inside JSON whitespace padding, which changes nothing.
        saved = model_from_bytes(bytes(damaged))
        reference = model_from_bytes(data)
        for a, b in zip(saved.network.layers, reference.network.layers):
            assert a.W.tobytes() == b.W.tobytes()
        assert pos < 8 + struct.unpack("<Q", data[:8])[0], f"flip at byte {pos} of the tensor data went unnoticed"


def test_tampered_weights_with_the_old_checksum_are_refused():
    data = bytearray(model_to_bytes(_network()))
    data[-3] ^= 0x10  # inside the last tensor's bytes
    with pytest.raises(ModelFileError, match="checksum"):
        model_from_bytes(bytes(data))


def _resigned(data: bytes, edit_content) -> bytes:
    """A file whose JSON content was changed by ``edit_content`` and re-signed (a deliberate forgery)."""
    from chainrule.io import model_file

    def edit(meta):
        content = json.loads(meta["chainrule"])
        edit_content(content)
        meta["chainrule"] = json.dumps(content)
        tensors = model_file._safetensors().load(data)
        meta["checksum"] = model_file._checksum(meta["chainrule"], tensors)

    return _rewrite_metadata(data, edit)


def _resize_first_layer(content):
    layers = content["architecture"]["layers"]
    layers[0]["n_out"] = layers[1]["n_in"] = 8


@pytest.mark.parametrize(
    "edit, field, message",
    [
        (
            lambda c: c["architecture"]["layers"][0].update(type="lambda"),
            "architecture.layers[0].type",
            r"architecture.layers\[0\].type: expected one of \['dense'\], received: 'lambda'",
        ),
        (
            lambda c: c["architecture"]["layers"][1].update(type="os.system"),
            "architecture.layers[1].type",
            "received: 'os.system'",
        ),
        (
            lambda c: c["architecture"]["layers"][0].update(activation={"name": "eval"}),
            "architecture.layers[0].activation",
            "expected one of .*received: 'eval'",
        ),
        (
            lambda c: c["architecture"]["layers"][2].update(activation={"name": "softmax", "axis": 0}),
            "architecture.layers[2].activation.axis",
            "an unknown option",
        ),
        (
            lambda c: c["architecture"]["layers"][0].update(code="import os"),
            "architecture.layers[0].code",
            "expected one of the fields",
        ),
        (
            lambda c: c["architecture"]["layers"][0].update(n_out=8),
            "architecture.layers[1].n_in",
            r"expected 8 \(the n_out of layers\[0\]\), received: 7",
        ),
        (_resize_first_layer, "layers.0.W", r"tensor 'layers.0.W' has shape \(4, 7\) .* expected \(4, 8\)"),
        (
            lambda c: c["architecture"].update(loss={"name": "__import__"}),
            "architecture.loss",
            "received: '__import__'",
        ),
        (lambda c: c["architecture"].update(dtype="object"), "architecture.dtype", "expected float32 or float64"),
        (lambda c: c["architecture"].update(layers=[]), "architecture.layers", "expected at least one layer"),
        (lambda c: c["architecture"].update(version=0), "architecture.version", "expected a whole number from 1"),
        (lambda c: c["architecture"].pop("version"), "architecture.version", "the field is required"),
        (lambda c: c.update(extra=1), "metadata", "keys"),
    ],
)
def test_metadata_naming_unknown_things_is_refused(edit, field, message):
    forged = _resigned(model_to_bytes(_network()), edit)
    with pytest.raises(ModelFileError, match=message) as info:
        model_from_bytes(forged, source="forged.safetensors")
    assert "model file 'forged.safetensors'" in str(info.value) and info.value.field == field


def test_a_newer_spec_version_asks_for_an_upgrade():
    forged = _resigned(model_to_bytes(_network()), lambda c: c["architecture"].update(version=99))
    with pytest.raises(ModelFileError, match="network spec of version 99, newer than this chainrule reads"):
        model_from_bytes(forged)


def test_architecture_is_the_spec():
    net = _network()
    (n,) = struct.unpack("<Q", (data := model_to_bytes(net))[:8])
    content = json.loads(json.loads(data[8 : 8 + n])["__metadata__"]["chainrule"])
    assert content["architecture"] == net.spec().to_dict() == net.config()
    assert model_from_bytes(data).network.spec() == net.spec()


def test_newer_format_version_is_refused():
    data = _rewrite_metadata(model_to_bytes(_network()), lambda m: m.update(format_version=str(FORMAT_VERSION + 1)))
    with pytest.raises(ModelFileError, match=f"format version {FORMAT_VERSION + 1}, newer"):
        model_from_bytes(data)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.update(format="something.else"), "not a chainrule model"),
        (lambda m: m.update(format_version="1.5"), "not a whole number"),
        (lambda m: m.pop("checksum"), "checksum"),
        (lambda m: m.clear(), "not a chainrule model"),
    ],
)
def test_bad_metadata_is_refused(edit, message):
    with pytest.raises(ModelFileError, match=message):
        model_from_bytes(_rewrite_metadata(model_to_bytes(_network()), edit))


def test_other_files_are_refused(tmp_path):
    for name, content in [
        ("empty", b""),
        ("text", b"hello world, not a model at all"),
        ("huge_header", struct.pack("<Q", 2**62) + b"{}"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelFileError, match=f"'{path}'"):
            load_model(path)
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "missing")


def test_fault_mid_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    from chainrule.io import atomic

    path = tmp_path / "m.safetensors"
    old = _network(seed=1)
    save_model(path, old)
    before = path.read_bytes()

    def failing_write(handle, data):
        handle.write(data[: len(data) // 2])
        raise OSError("No space left on device (injected)")

    monkeypatch.setattr(atomic, "_write_all", failing_write)
    with pytest.raises(OSError, match="injected"):
        save_model(path, _network(seed=2))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # the temporary file was removed


def test_killed_process_mid_save_leaves_the_old_file_intact(tmp_path):
    """A process killed (SIGKILL, no cleanup at all) halfway through writing a save."""
    path = tmp_path / "m.safetensors"
    save_model(path, _network(seed=1))
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        from chainrule import Network
        from chainrule.io import atomic, save_model

        def dying_write(handle, data):
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        atomic._write_all = dying_write
        save_model({str(path)!r}, Network.from_sizes([4, 7, 5, 3], seed=2))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -9
    assert path.read_bytes() == before
    load_model(path)
    leftovers = [p for p in tmp_path.iterdir() if p.name != "m.safetensors"]
    assert leftovers and all(p.name.startswith(".m.safetensors.") for p in leftovers)


def test_saved_file_gets_ordinary_permissions(tmp_path):
    import os

    path = save_model(tmp_path / "m.safetensors", _network())
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# -- what the checksum covers: every tensor's name, dtype and shape, not only its bytes --------------------
def _rewrite_tensor_entries(data: bytes, edit) -> bytes:
    """The file with its safetensors header's tensor entries changed by ``edit(header)``; bytes and
    checksum untouched (a tampering that keeps every tensor byte and recomputes nothing)."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


def _with_state():
    net = Network.from_sizes([3, 3, 3, 2], ["tanh", "identity", "identity"], seed=5)  # two W of the same shape
    return net, model_to_bytes(net)


def _swap(header, first, second, key):
    header[first][key], header[second][key] = header[second][key], header[first][key]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: h["layers.2.W"].update(shape=[2, 3]),  # same bytes, transposed shape
        lambda h: h["layers.2.W"].update(shape=[6]),  # same bytes, flattened
        lambda h: h["layers.0.W"].update(dtype="I64"),  # same bytes, read as integers
        lambda h: h.update({"layers.9.W": h.pop("layers.0.W")}),  # same bytes under another name
        lambda h: _swap(h, "layers.0.W", "layers.1.W", "data_offsets"),  # two tensors' bytes exchanged
        lambda h: h["layers.0.W"].update(shape=[9, 1]),
    ],
    ids=["transposed", "flattened", "dtype", "renamed", "swapped-weights", "reshaped-weights"],
)
def test_tampered_tensor_header_with_the_old_checksum_is_refused(tmp_path, tamper):
    _net, data = _with_state()
    path = tmp_path / "tampered.safetensors"
    path.write_bytes(_rewrite_tensor_entries(data, tamper))
    with pytest.raises(ModelFileError, match="checksum does not match"):
        load_model(path)


def test_an_untampered_rewrite_of_the_header_still_loads():
    # The rewriting itself (new JSON layout, padding) is not what the refusals above detect.
    net, data = _with_state()
    saved = model_from_bytes(_rewrite_tensor_entries(data, lambda h: None))
    assert saved.network.predict(np.eye(3)).tobytes() == net.predict(np.eye(3)).tobytes()


def test_read_model_metadata_gives_the_verified_json(tmp_path):
    from chainrule.io import read_model_metadata
    from chainrule.tabular import Preprocessor, table_from_columns

    net = _network()
    columns = {f"x{k}": [float(k + r) for r in range(6)] for k in range(4)}
    pre = Preprocessor.fit(table_from_columns({**columns, "y": ["a", "b", "c"] * 2}), "y")
    path = save_model(tmp_path / "m.safetensors", net, preprocessing=pre.to_config(), training={"epochs": 2})
    meta = read_model_metadata(path)
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["preprocessing"] == pre.to_config()
    assert meta["training"] == {"epochs": 2} and meta["state"] == {}
    assert [(layer["n_in"], layer["n_out"]) for layer in meta["architecture"]["layers"]] == [(4, 7), (7, 5), (5, 3)]
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 1
    path.write_bytes(bytes(damaged))
    with pytest.raises(ModelFileError, match="checksum"):
        read_model_metadata(path)


def _header_only(header: dict) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text


VALID_META = {"format": "chainrule.model", "format_version": "1", "chainrule": "{}", "checksum": "sha256:0"}


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"", "it is 0 bytes long, too short to be a model file (truncated or empty)"),
        (b"\x00" * 7, "it is 7 bytes long, too short to be a model file (truncated or empty)"),
        (
            b"\x00" * 8,
            "its header is not valid JSON (corrupted or not a model file; expected valid JSON, received: "
            "Expecting value at line 1, column 1)",
        ),
        (
            struct.pack("<Q", 100) + b"{}",
            "its header claims 100 bytes but the file has 2 after the length field (truncated or not a model file)",
        ),
        (
            struct.pack("<Q", 2**63 + 5) + b"{}",
            f"its header claims {2**63 + 5} bytes but the file has 2 after the length "
            "field (truncated or not a model file)",
        ),
        (
            struct.pack("<Q", 16 * 1024 * 1024 + 1) + b" " * (16 * 1024 * 1024 + 1),
            f"its header claims {16 * 1024 * 1024 + 1} bytes but the file has {16 * 1024 * 1024 + 1} after the length field "
            "(truncated or not a model file)",
        ),
        (
            struct.pack("<Q", 16 * 1024 * 1024) + b" " * (16 * 1024 * 1024 + 8),
            "its header is not valid JSON (corrupted or not a model file; expected valid JSON, received: "
            "Expecting value at line 1, column 16777217)",
        ),
        (
            struct.pack("<Q", 3) + b"{\xff}",
            "its header is not valid JSON (corrupted or not a model file; expected UTF-8 "
            "text, received: byte 1 is not UTF-8 (invalid start byte))",
        ),
        (_header_only([]), "its header has no chainrule metadata (not a chainrule model file)"),
        (_header_only({}), "its header has no chainrule metadata (not a chainrule model file)"),
        (
            _header_only({"__metadata__": {"format": 1}}),
            "its header has no chainrule metadata (not a chainrule model file)",
        ),
        (
            _header_only({"__metadata__": {**VALID_META, "format": "other"}}),
            "not a chainrule model (format 'other', expected 'chainrule.model')",
        ),
        (
            _header_only({"__metadata__": {k: v for k, v in VALID_META.items() if k != "format"}}),
            "not a chainrule model (format None, expected 'chainrule.model')",
        ),
        (
            _header_only({"__metadata__": {k: v for k, v in VALID_META.items() if k != "format_version"}}),
            "format_version '' is not a whole number",
        ),
        (_header_only({"__metadata__": {**VALID_META, "format_version": "0"}}), "format version 0 does not exist"),
        (
            _header_only({"__metadata__": {**VALID_META, "format_version": "3"}}),
            "it was written in format version 3, newer than this chainrule reads (up to 2); upgrade chainrule to read it",
        ),
    ],
)
def test_each_refusal_says_what_is_wrong(tmp_path, data, problem):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    expected = f"model file '{path}': {problem}; refusing to load it"
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    assert str(err.value) == expected
    with pytest.raises(ModelFileError) as err:
        model_from_bytes(data)
    assert str(err.value) == expected.replace(f"'{path}'", "'<bytes>'")


def test_a_checksum_mismatch_and_a_missing_or_directory_path_say_so(tmp_path):
    data = bytearray(model_to_bytes(_network()))
    data[-1] ^= 1
    with pytest.raises(ModelFileError) as err:
        model_from_bytes(bytes(data), source="m.safetensors")
    assert str(err.value) == (
        "model file 'm.safetensors': the checksum does not match its contents "
        "(the file is corrupted or was altered); refusing to load it"
    )
    for path, problem in ((tmp_path / "missing", "no such file"), (tmp_path, "a directory, expected a file")):
        with pytest.raises(ModelFileError) as err:
            load_model(path)
        assert str(err.value) == f"model file '{path}': {problem}"


@pytest.mark.parametrize(
    "name, array, shown",
    [
        ("", np.zeros(2), "float64"),
        (3, np.zeros(2), "float64"),
        ("ok", np.array(["a"]), "<U1"),
        ("ok", np.array([1 + 2j]), "complex128"),
    ],
)
def test_state_tensors_must_be_named_numeric_arrays(name, array, shown):
    with pytest.raises(ModelFileError) as err:
        model_to_bytes(_network(), state_tensors={name: array})
    assert str(err.value) == f"state tensor {name!r}: expected a named numeric array, received: {shown}"
    # A plain model keeps none (a checkpoint's optimizer moments are checked in test_trusted_files.py).
    with pytest.raises(ModelFileError, match=r"state.t: expected no state tensors in a model without a checkpoint"):
        model_to_bytes(_network(), state_tensors={"t": np.ones(3)})


def test_the_json_part_is_canonical_and_refuses_nan():
    net = _network()

    def payload(data):
        (n,) = struct.unpack("<Q", data[:8])
        return json.loads(data[8 : 8 + n])["__metadata__"]["chainrule"]

    first = payload(model_to_bytes(net, training={"b": 1, "a": 2}))
    assert first == payload(model_to_bytes(net, training={"a": 2, "b": 1}))  # keys sorted: one text per content
    assert first.index('"a": 2') < first.index('"b": 1') and first.startswith('{"architecture": ')
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        model_to_bytes(net, training={"loss": float("nan")})


def _forged(data: bytes, payload: str) -> bytes:
    """A file whose JSON part is replaced by ``payload`` and re-signed (as _resigned, for any text)."""
    from chainrule.io import model_file

    def edit(meta):
        meta["chainrule"] = payload
        meta["checksum"] = model_file._checksum(payload, model_file._safetensors().load(data))

    return _rewrite_metadata(data, edit)


SPEC_FIELDS = "['version', 'layers', 'loss', 'dtype']"
LAYER_FIELDS = "['type', 'n_in', 'n_out', 'activation', 'bias', 'train_bias']"


@pytest.mark.parametrize(
    "payload, problem",
    [
        (
            "{not json",
            "its metadata is not valid (metadata: expected valid JSON, received: Expecting property name "
            "enclosed in double quotes at line 1, column 2)",
        ),
        (
            "[2, 1]",
            "its metadata is list, expected an object with keys ['architecture', 'library_version', "
            "'preprocessing', 'state', 'training']",
        ),
        (
            '{"architecture": 1}',
            "its metadata has keys ['architecture'], expected ['architecture', 'library_version', "
            "'preprocessing', 'state', 'training']",
        ),
        (
            lambda c: c.update(architecture=[]),
            "its architecture is not valid (architecture: expected a network spec: "
            f"an object with the fields {SPEC_FIELDS}, received: [])",
        ),
        (
            lambda c: c["architecture"].pop("loss"),
            "its architecture is not valid (architecture.loss: expected a value "
            "(the field is required), received: nothing, the field is missing)",
        ),
        (
            lambda c: c["architecture"].update(layers=[]),
            "its architecture is not valid (architecture.layers: expected at least one layer, received: [])",
        ),
        (
            lambda c: c["architecture"]["layers"].__setitem__(1, "dense"),
            f"its architecture is not valid (architecture.layers[1]: expected a layer: an object with the fields "
            f"{LAYER_FIELDS}, received: 'dense')",
        ),
        (
            lambda c: c["architecture"]["layers"][2].update(type="conv"),
            "its architecture is not valid (architecture.layers[2].type: expected one of ['dense'], received: 'conv')",
        ),
        (
            lambda c: c["architecture"]["layers"][0].pop("bias"),
            "its architecture is not valid (architecture.layers[0].bias: expected a value (the field is required), "
            "received: nothing, the field is missing)",
        ),
        (
            lambda c: c["architecture"]["layers"][0].update(n_out=8),
            "its architecture is not valid (architecture.layers[1].n_in: expected 8 (the n_out of layers[0]), received: 7)",
        ),
        (
            lambda c: c["architecture"]["layers"].pop(),
            "its architecture is not valid (architecture.loss: expected an output layer with activation 'softmax', "
            "received: activation 'leaky_relu')",
        ),
        (lambda c: c.update(training=[1]), "its training metadata is list, expected an object"),
        (lambda c: c.update(state="x"), "its state metadata is str, expected an object"),
        (lambda c: c.update(preprocessing=2), "its preprocessing metadata is int, expected an object"),
    ],
)
def test_forged_metadata_refusals_say_exactly_what_is_wrong(payload, problem):
    data = model_to_bytes(_network())
    if callable(payload):
        (n,) = struct.unpack("<Q", data[:8])
        content = json.loads(json.loads(data[8 : 8 + n])["__metadata__"]["chainrule"])
        payload(content)
        payload = json.dumps(content)
    with pytest.raises(ModelFileError) as err:
        model_from_bytes(_forged(data, payload), source="f")
    assert str(err.value) == f"model file 'f': {problem}; refusing to load it"


def test_a_missing_tensor_is_named():
    net = Network.from_sizes([2, 3], "tanh", seed=0)
    data = model_to_bytes(net)
    (n,) = struct.unpack("<Q", data[:8])
    content = json.loads(json.loads(data[8 : 8 + n])["__metadata__"]["chainrule"])
    content["architecture"]["layers"].append({**content["architecture"]["layers"][0], "n_in": 3})
    with pytest.raises(ModelFileError) as err:
        model_from_bytes(_forged(data, json.dumps(content)))
    assert str(err.value) == ("model file '<bytes>': tensor 'layers.1.W' (layer 2 W) is missing; refusing to load it")


def test_loaded_layers_are_named_by_position():
    saved = model_from_bytes(model_to_bytes(_network()))
    assert [layer.name for layer in saved.network.layers] == ["layer 1", "layer 2", "layer 3"]


def test_without_safetensors_the_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError) as err:
        model_to_bytes(_network())
    assert str(err.value) == (
        "model files need the safetensors package: pip install 'safetensors>=0.4' (chainrule's 'safetensors' extra)"
    )


def test_a_file_written_by_format_version_1_still_loads():
    # tests/golden/model-format-1.safetensors was written once by save_model (format version 1) and is
    # never regenerated: a change in how files are written or checked that would refuse, or misread,
    # the files users already have fails here.
    from pathlib import Path

    saved = load_model(Path(__file__).parent / "golden" / "model-format-1.safetensors")
    assert saved.format_version == 1 and saved.training == {"epochs": 3} and saved.state == {"note": "golden"}
    assert saved.tensors["m"].dtype == np.float32 and saved.tensors["m"].tolist() == [1.0, 2.0, 3.0]
    first, second = saved.network.layers
    assert first.W.tolist() == [[0.5, -0.25, 1.0], [0.125, 2.0, -1.5]] and first.b.tolist() == [0.0, 0.75, -0.5]
    assert second.W.tolist() == [[1.0, -1.0], [0.5, 0.25], [-2.0, 0.375]] and second.b.tolist() == [0.1, -0.1]
    assert [layer.activation.name for layer in saved.network.layers] == ["tanh", "softmax"]
    assert saved.network.loss_function.name == "categorical_cross_entropy"
    # By hand: z1 = [0.375, -2.25, 2.5] + b1, a1 = tanh(z1), z2 = a1 W2 + b2, a2 = softmax(z2).
    a1 = np.tanh(np.array([0.375, -2.25 + 0.75, 2.5 - 0.5]))
    z2 = a1 @ np.array([[1.0, -1.0], [0.5, 0.25], [-2.0, 0.375]]) + [0.1, -0.1]
    np.testing.assert_allclose(saved.network.predict([[1.0, -1.0]])[0], np.exp(z2) / np.exp(z2).sum(), rtol=1e-15)


def test_damaged_tensor_framing_is_refused_as_such():
    data = model_to_bytes(_network())
    (n,) = struct.unpack("<Q", data[:8])
    with pytest.raises(
        ModelFileError,
        match=r"^model file '<bytes>': the tensor data is truncated or corrupted "
        r"\(.+\); refusing to load it$",
    ):
        model_from_bytes(data[: 8 + n + 16])  # header intact, tensor bytes cut short

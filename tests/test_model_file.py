"""Model files: exact round trip, atomic saves, and refusal of anything damaged or unknown."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("safetensors")

from chainrule import Network
from chainrule.io import FORMAT_VERSION, ModelFileError, load_model, model_from_bytes, model_to_bytes, save_model


def _network(dtype=np.float64, seed=3) -> Network:
    net = Network.from_sizes([4, 7, 5, 3], ["tanh", "leaky_relu", "softmax"], loss="cross_entropy",
                             seed=seed, dtype=dtype)
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
    table = table_from_columns({**{f"x{k}": rng.normal(size=30) for k in range(4)},
                                "y": ["a", "b", "c"] * 10})
    return Preprocessor.fit(table, "y").to_config()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bitwise(tmp_path, dtype):
    net = _network(dtype)
    path = save_model(tmp_path / "m.safetensors", net, preprocessing=_preprocessing(),
                      training={"epochs": 3, "seed": 7})
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
    state = {"epoch": 4, "seed": 0, "history": {},
             "optimizer": {**Adam(None).hyperparameters(), "name": "Adam", "initial_learning_rate": 1e-3, "steps": 3}}
    tensors = {"optimizer.0.exp_avg": moments, "optimizer.0.exp_avg_sq": moments**2}
    saved = model_from_bytes(model_to_bytes(net, state=state, state_tensors=tensors))
    assert saved.state == json.loads(json.dumps(state))
    assert saved.tensors["optimizer.0.exp_avg"].tobytes() == moments.tobytes()
    # A state that is not a checkpoint's is refused before anything is written.
    with pytest.raises(ModelFileError, match="state.seed: expected a value") as info:
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
        (lambda c: c["architecture"]["layers"][0].update(type="lambda"), "architecture.layers[0].type",
         r"architecture.layers\[0\].type: expected one of \['dense'\], received: 'lambda'"),
        (lambda c: c["architecture"]["layers"][1].update(type="os.system"), "architecture.layers[1].type",
         "received: 'os.system'"),
        (lambda c: c["architecture"]["layers"][0].update(activation={"name": "eval"}),
         "architecture.layers[0].activation", "expected one of .*received: 'eval'"),
        (lambda c: c["architecture"]["layers"][2].update(activation={"name": "softmax", "axis": 0}),
         "architecture.layers[2].activation.axis", "an unknown option"),
        (lambda c: c["architecture"]["layers"][0].update(code="import os"), "architecture.layers[0].code",
         "expected one of the fields"),
        (lambda c: c["architecture"]["layers"][0].update(n_out=8), "architecture.layers[1].n_in",
         r"expected 8 \(the n_out of layers\[0\]\), received: 7"),
        (_resize_first_layer, "layers.0.W", r"tensor 'layers.0.W' has shape \(4, 7\) .* expected \(4, 8\)"),
        (lambda c: c["architecture"].update(loss={"name": "__import__"}), "architecture.loss", "received: '__import__'"),
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


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(format="something.else"), "not a chainrule model"),
    (lambda m: m.update(format_version="1.5"), "not a whole number"),
    (lambda m: m.pop("checksum"), "checksum"),
    (lambda m: m.clear(), "not a chainrule model"),
])
def test_bad_metadata_is_refused(edit, message):
    with pytest.raises(ModelFileError, match=message):
        model_from_bytes(_rewrite_metadata(model_to_bytes(_network()), edit))


def test_other_files_are_refused(tmp_path):
    for name, content in [("empty", b""), ("text", b"hello world, not a model at all"),
                          ("huge_header", struct.pack("<Q", 2**62) + b"{}")]:
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

"""Property-based fuzzing of files (issue 11, item 6): mutated model files, checkpoints and network files.

One rule for every file: reading it ends in a usable result or in the
library's own refusal -- :class:`~chainrule.io.ModelFileError` for model files
and checkpoints, :class:`~chainrule.ValidationError` for network files --
never in another exception, and within a time bound (hypothesis's
``deadline`` per example; the bounds of :mod:`chainrule.core.limits` make each
example milliseconds, so a hang or an expansion shows as a missed deadline).

* **Model files and checkpoints, bytes**: bits flipped, bytes overwritten,
  inserted or deleted, the file truncated (the checksum must catch these).
* **Model files and checkpoints, re-checksummed**: the JSON metadata mutated
  at a random place (a value replaced by a hostile one, a key removed or
  added, a list shortened or lengthened) or a tensor changed (NaN, infinity,
  another shape or dtype, removed, added), then the checksum recomputed, so
  that the consistency checks, not the checksum, must catch it.
* **Network files** (JSON, TOML, YAML; explain's configs and the explorer's
  files): the text mutated, or the parsed data mutated and written again, or
  a hostile construct planted (deep nesting, YAML alias bombs and recursive
  aliases, long numbers, huge sizes).

A file that is accepted must also be usable: its network predicts finite
values, ``chainrule info`` describes it (exit 0 or a one-line error, never a
traceback), a checkpoint resumes training (or stops with a DivergenceError).

Example counts are kept small for the normal suite (about 10 s in all, see
the report of ``pytest --durations``); with ``CI`` set (or ``CHAINRULE_FUZZ=ci``)
four times as many, ``CHAINRULE_FUZZ=explore`` forty times as many with fresh
random seeds (tests/fuzzing.py).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fuzzing
import needs

needs.module("safetensors")
yaml = needs.module("yaml")

from hypothesis import event, given, settings
from hypothesis import strategies as st

from chainrule import DivergenceError, Network, ValidationError
from chainrule.cli import main as cli_main
from chainrule.explain.config import parse_config_text, setup_from_config
from chainrule.io import Checkpoint, ModelFileError, model_from_bytes, model_to_bytes, restore_checkpoint
from chainrule.optim import Adam
from chainrule.tabular import Preprocessor, table_from_columns
from chainrule.training import EarlyStopping
from chainrule.visual.netfile import state_from_file
from forgery import content_of, forge, tensors_of

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def fuzz(examples: int, deadline_s: float = 5.0) -> settings:
    """Settings of one fuzz test (see tests/fuzzing.py for the modes): ``examples``, each within ``deadline_s``."""
    return fuzzing.fuzz(examples, deadline_s)


# -- the files mutated ---------------------------------------------------------------------------------
def _table():
    rng = np.random.default_rng(0)
    n = 48
    a, b = rng.normal(size=n), rng.normal(size=n)
    return table_from_columns(
        {
            "a": a,
            "b": b,
            "colour": list(rng.choice(["red", "green", "blue"], size=n)),
            "y": ["low" if v < -0.5 else "mid" if v < 0.5 else "high" for v in a + b],
        }
    )


def _model_bytes() -> bytes:
    table = _table()
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([len(pre.features), 4, 3], ["tanh", "softmax"], loss="categorical_cross_entropy", seed=0)
    history = net.fit(pre.features_of(table), pre.encode_target(table), epochs=2, seed=1).to_dict()
    return model_to_bytes(
        net,
        preprocessing=pre,
        training={
            "settings": {"epochs": 2},
            "history": history,
            "weights": {"epoch": 2, "rule": "the last epoch", "metrics": {"loss": history["loss"][-1]}},
        },
    )


def _checkpoint_bytes(tmp: Path) -> bytes:
    table = _table()
    pre = Preprocessor.fit(table, "y")
    net = Network.from_sizes([len(pre.features), 3, 3], ["relu", "softmax"], loss="categorical_cross_entropy", seed=2)
    path = tmp / "fuzz.ckpt.safetensors"
    net.fit(
        pre.features_of(table),
        pre.encode_target(table),
        epochs=2,
        batch_size=16,
        seed=3,
        optimizer=Adam(None, 0.01, amsgrad=True),
        early_stopping=EarlyStopping(patience=5, monitor="loss"),
        callbacks=[Checkpoint(path, preprocessing=pre.to_config())],
    )
    return path.read_bytes()


MODEL = _model_bytes()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> bytes:
    return _checkpoint_bytes(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """Where ``chainrule info`` reads each fuzzed file (one file, overwritten by each example)."""
    return tmp_path_factory.mktemp("fuzzed")


# -- what an outcome may be -------------------------------------------------------------------------------
def _info_is_clean(data: bytes, tmp: Path) -> None:
    """``chainrule info`` on the file: exit 0, or 2 with a one-line error (never a traceback)."""
    path = tmp / "m.safetensors"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli_main(["info", str(path)])
    assert status in (0, 2), err.getvalue()
    if status == 2:
        lines = err.getvalue().strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err.getvalue(), err.getvalue()


def check_model_outcome(data: bytes, tmp: Path, *, resume: bool = False) -> str:
    """Load ``data``: a ModelFileError, or a model that predicts finite values (and, with ``resume``,
    a checkpoint that resumes). Returns ``"refused"`` or ``"loaded"`` (for the statistics)."""
    try:
        saved = model_from_bytes(data, source="fuzzed.safetensors")
    except ModelFileError as err:
        assert str(err).startswith("model file 'fuzzed.safetensors': ") and len(str(err)) < 2000
        event(f"refused at {str(err.field).split('[')[0].split('.')[0]}")
        return "refused"
    net = saved.network
    X = np.random.default_rng(0).normal(size=(5, net.n_inputs)).astype(net.dtype)
    with np.errstate(all="ignore"):
        outputs = net.predict(X)
    assert outputs.shape == (5, net.n_outputs)
    if saved.preprocessor is not None:
        decoded = saved.preprocessor.decode(outputs)
        assert len(decoded) == 5
    _info_is_clean(data, tmp)
    event("loaded")
    if resume:
        try:
            resumed = restore_checkpoint(saved)
        except ModelFileError:
            event("loaded, not resumed")
            return "refused"
        X = np.random.default_rng(1).normal(size=(8, net.n_inputs))
        Y = np.eye(net.n_outputs)[np.arange(8) % net.n_outputs]
        try:
            resumed.network.fit(
                X,
                Y,
                epochs=resumed.epoch + 1,
                optimizer=resumed.optimizer,
                seed=resumed.seed,
                initial_epoch=resumed.epoch,
            )
        except DivergenceError:
            pass
    return "loaded"


# -- hostile values and mutations of JSON data ---------------------------------------------------------------
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**63, 10**99, -(10**99), 10**150, 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e-320, 1e308, -1e308, 0.5, 1.0, 1e6]),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "sigmoid",
            "softmax",
            "float32",
            "Adam",
            "regression",
            "classification",
            "numeric",
            "categorical",
            "shared",
        ]
    ),
    st.integers(1000, 6000).map(lambda n: "x" * n),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _places(data: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON document (the root included), as paths of keys and indices."""
    places = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            places += _places(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            places += _places(value, path + (index,))
    return places


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def deep(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for k in range(depth):
        value = [value] if k % 2 else {"k": value}
    return value


@st.composite
def mutated_json(draw, document: Any) -> Any:
    """``document`` (a copy) with one to three mutations at random places."""
    data = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_places(data)))
        target = _at(data, path)
        kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "shrink", "grow", "deep"]))
        if kind in ("replace", "deep") or (kind == "delete" and not path):
            value = deep(draw(st.sampled_from([40, 70, 300]))) if kind == "deep" else draw(json_values)
            if path:
                _at(data, path[:-1])[path[-1]] = value
            else:
                data = value
        elif kind == "delete":
            del _at(data, path[:-1])[path[-1]]
        elif kind == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(["extra", "name", "version", "best_weights", "x" * 100]))] = draw(json_values)
        elif kind == "shrink" and isinstance(target, list) and target:
            target.pop(draw(st.integers(0, len(target) - 1)))
        elif kind == "grow" and isinstance(target, list):
            target.append(copy.deepcopy(target[-1]) if target and draw(st.booleans()) else draw(json_values))
    return data


def _payload(content: Any) -> str:
    """JSON text of mutated content (Python writes NaN for nan, which the reader must refuse)."""
    return json.dumps(content, sort_keys=True)


# -- model files and checkpoints: bytes ------------------------------------------------------------------------
@st.composite
def damaged_bytes(draw, data: bytes) -> bytes:
    damaged = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "byte", "insert", "delete", "truncate", "length"]))
        position = draw(st.integers(0, max(len(damaged) - 1, 0)))
        if kind == "flip" and damaged:
            damaged[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and damaged:
            damaged[position] = draw(st.integers(0, 255))
        elif kind == "insert":
            damaged[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del damaged[position : position + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del damaged[position:]
        elif kind == "length" and len(damaged) >= 8:
            damaged[:8] = draw(st.integers(0, 2**64 - 1)).to_bytes(8, "little")
    return bytes(damaged)


@fuzz(120)
@given(data=st.data())
def test_damaged_model_file_bytes(data, workdir):
    damaged = data.draw(damaged_bytes(MODEL))
    assume_changed = damaged != MODEL
    outcome = check_model_outcome(damaged, workdir)
    if outcome == "loaded" and assume_changed:
        # Only a change the file's meaning does not see may pass: JSON whitespace in the header.
        saved, reference = model_from_bytes(damaged), model_from_bytes(MODEL)
        for a, b in zip(saved.network.layers, reference.network.layers):
            assert a.W.tobytes() == b.W.tobytes() and a.b.tobytes() == b.b.tobytes()
        assert saved.preprocessing == reference.preprocessing


# -- re-checksummed: the metadata mutated -----------------------------------------------------------------------
@fuzz(200)
@given(data=st.data())
def test_model_file_metadata_mutated_and_rechecksummed(data, workdir):
    content = data.draw(mutated_json(content_of(MODEL)))
    check_model_outcome(forge(MODEL, payload=_payload(content)), workdir)


@fuzz(150)
@given(data=st.data())
def test_checkpoint_metadata_mutated_and_rechecksummed(data, checkpoint, workdir):
    state = content_of(checkpoint)
    # Aim most mutations at the checkpoint's own state, the rest anywhere.
    if data.draw(st.booleans()):
        state["state"] = data.draw(mutated_json(state["state"]))
    else:
        state = data.draw(mutated_json(state))
    check_model_outcome(forge(checkpoint, payload=_payload(state)), workdir, resume=True)


# -- re-checksummed: the tensors changed ------------------------------------------------------------------------
@st.composite
def mutated_tensors(draw, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    tensors = {name: array.copy() for name, array in tensors.items()}
    for _ in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(sorted(tensors)))
        array = tensors[name]
        kind = draw(st.sampled_from(["value", "value", "shape", "dtype", "remove", "add", "scale"]))
        if kind == "value" and array.size and array.dtype.kind == "f":
            with np.errstate(all="ignore"):  # 1e308 overflows a float16 to inf: also a value to try
                array.flat[draw(st.integers(0, array.size - 1))] = draw(
                    st.sampled_from([np.nan, np.inf, -np.inf, 1e308, -1e308, 0.0, 1e-300, -1.0])
                )
        elif kind == "scale":
            with np.errstate(all="ignore"):
                tensors[name] = array * draw(st.sampled_from([-1.0, 0.0, 1e300, 1e-300]))
        elif kind == "shape":
            tensors[name] = draw(
                st.sampled_from(
                    [
                        array[:-1],
                        np.concatenate([array.ravel(), array.ravel()[:1]]),
                        array.reshape(-1),
                        array.reshape(1, -1),
                    ]
                )
            )
        elif kind == "dtype":
            with np.errstate(all="ignore"):
                tensors[name] = array.astype(draw(st.sampled_from([np.float32, np.float16, np.int64, np.uint8])))
        elif kind == "remove":
            del tensors[name]
        elif kind == "add":
            tensors[draw(st.sampled_from(["state.optimizer.0.momentum", "layers.9.W", "state.x", "extra"]))] = np.zeros(
                draw(st.integers(0, 5))
            )
    return tensors


def _replace_tensors(new: dict[str, np.ndarray]):
    def edit(tensors: dict) -> None:
        tensors.clear()
        tensors.update(new)

    return edit


@fuzz(100)
@given(data=st.data())
def test_model_file_tensors_changed_and_rechecksummed(data, workdir):
    new = data.draw(mutated_tensors(tensors_of(MODEL)))
    check_model_outcome(forge(MODEL, edit_tensors=_replace_tensors(new)), workdir)


@fuzz(100)
@given(data=st.data())
def test_checkpoint_tensors_changed_and_rechecksummed(data, checkpoint, workdir):
    new = data.draw(mutated_tensors(tensors_of(checkpoint)))
    check_model_outcome(forge(checkpoint, edit_tensors=_replace_tensors(new)), workdir, resume=True)


# -- network files ---------------------------------------------------------------------------------------------
def _toml(value: Any, inline: bool = True) -> str:
    """Minimal TOML writer for the fuzzed data (inline tables and arrays; null has no TOML form)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value if v is not None) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if np.isfinite(value) else ("nan" if value != value else ("inf" if value > 0 else "-inf"))
    return json.dumps(value)


def _toml_document(data: Any) -> str:
    if not isinstance(data, dict):
        return f"value = {_toml(data)}\n"
    return "".join(f"{json.dumps(str(k))} = {_toml(v)}\n" for k, v in data.items() if v is not None)


def write(data: Any, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(data)
    if suffix == ".toml":
        return _toml_document(data)
    return yaml.safe_dump(data, allow_unicode=True)


NETWORK_FILES = {
    ".json": (EXAMPLES / "tutorial.json").read_text(),
    ".toml": (EXAMPLES / "tanh-softmax-3-4-2.toml").read_text(),
    ".yaml": (EXAMPLES / "sigmoid-bce-2-3-1.yaml").read_text(),
}
SUFFIXES = sorted(NETWORK_FILES)


def check_network_file(text: str, suffix: str) -> str:
    """Read ``text`` as explain does and as the explorer does: a ValidationError or a setup."""
    outcome = "refused"
    try:
        setup = setup_from_config(parse_config_text(text, suffix, "config file"))
        assert np.isfinite(setup.network.buffer.values).all()
        outcome = "loaded"
        event("loaded")
    except ValidationError as err:
        assert len(str(err)) < 2000
        event(f"refused: {err.expected[:30]}")
    try:
        state_from_file(text, f"fuzzed{suffix}")
    except ValidationError as err:
        assert len(str(err)) < 2000
    return outcome


@st.composite
def mutated_text(draw, text: str) -> str:
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(chars) - 1, 0)))
        kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "repeat"]))
        if kind == "replace" and chars:
            chars[position] = draw(st.sampled_from(list("[]{}:,\"'=&*!-#\n 019.eE\\")) | st.characters())
        elif kind == "insert":
            chars[position:position] = list(
                draw(
                    st.sampled_from(["[" * 80, "{" * 80, "9" * 200, "&a ", "*a ", "\udcff", "\x00", "NaN", "1e999"])
                    | st.text()
                )
            )
        elif kind == "delete":
            del chars[position : position + draw(st.integers(1, 20))]
        elif kind == "truncate":
            del chars[position:]
        elif kind == "repeat":
            chars[position:position] = chars[position : position + draw(st.integers(1, 40))] * draw(st.integers(2, 50))
    return "".join(chars)


@fuzz(60)
@given(suffix=st.sampled_from(SUFFIXES), data=st.data())
def test_network_file_text_mutated(suffix, data):
    check_network_file(data.draw(mutated_text(NETWORK_FILES[suffix])), suffix)


@fuzz(90)
@given(suffix=st.sampled_from(SUFFIXES), data=st.data())
def test_network_file_data_mutated(suffix, data):
    document = parse_config_text(NETWORK_FILES[suffix], suffix)
    mutated = data.draw(mutated_json(document))
    try:
        text = write(mutated, suffix)
    except (ValueError, TypeError, OverflowError, RecursionError):  # the writer cannot write it: nothing to read
        return
    check_network_file(text, suffix)


def _laughs(levels: int, width: int) -> str:
    lines = [
        "sizes: [2, 2]",
        "activations: sigmoid",
        "input: [1, 2]",
        "target: [0.5, 0.5]",
        "learning_rate: 0.5",
        f"weights: [&l0 [{', '.join(['lol'] * width)}],",
    ]
    lines += [f"  &l{k + 1} [{', '.join([f'*l{k}'] * width)}]," for k in range(levels)]
    return "\n".join(lines + [f"  *l{levels}]"]) + "\n"


@st.composite
def planted(draw) -> tuple[str, str]:
    """A network file with one hostile construct planted."""
    kind = draw(st.sampled_from(["laughs", "recursive", "deep", "number", "sizes", "layers", "activation"]))
    if kind == "laughs":
        return _laughs(draw(st.integers(3, 12)), draw(st.integers(5, 12))), ".yaml"
    if kind == "recursive":
        return draw(st.sampled_from(["a: &a [*a]\n", "a: &a {b: *a}\n", "sizes: &s [2, *s]\n"])), ".yaml"
    suffix = draw(st.sampled_from(SUFFIXES))
    document = parse_config_text(NETWORK_FILES[suffix], suffix)
    if kind == "deep":
        path = draw(st.sampled_from(_places(document)[1:]))
        _at(document, path[:-1])[path[-1]] = deep(draw(st.sampled_from([65, 200, 400])))
        if suffix == ".json" and draw(st.booleans()):
            return json.dumps(document)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}", suffix
    elif kind == "number":
        path = draw(st.sampled_from(_places(document)[1:]))
        _at(document, path[:-1])[path[-1]] = draw(st.sampled_from([10**400, -(10**150), 10**99, 2**64]))
    elif kind == "sizes":
        layers = document["layers"]
        layers[0]["n_out"] = layers[1]["n_in"] = draw(st.sampled_from([10**3, 10**6, 10**12, 10**400]))
    elif kind == "layers":
        document["layers"] = [dict(document["layers"][0], n_in=2, n_out=2)] * draw(st.sampled_from([100, 1001, 5000]))
    else:
        document["layers"][0]["activation"] = draw(
            st.sampled_from([["sigmoid"], [], {"name": ["tanh"]}, 5, None, {"name": "leaky_relu", "alpha": 10**400}])
        )
    return write(document, suffix), suffix


@fuzz(60)
@given(case=planted())
def test_network_file_hostile_constructs(case):
    text, suffix = case
    assert check_network_file(text, suffix) == "refused" or len(text) < 100_000

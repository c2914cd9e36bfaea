"""Property-based fuzzing of the public surfaces with hostile and careless input (issue 11).

Three surfaces, one rule: whatever arrives ends in a result or in the
library's own refusal -- :class:`~chainrule.ValidationError` (a
``ValueError``) or, for a valid run that diverges, :class:`~chainrule.DivergenceError`
-- never in another exception, and within a time bound (hypothesis's
``deadline`` per example).

* **The Python API**: random bad values (None, booleans, huge integers, NaN,
  strings, nested lists, arrays of odd shapes and dtypes, ...) put in one or
  two arguments of a call whose other arguments are good.
* **The explorer server**: random methods, paths, headers and bodies, and the
  tutorial's state with a field replaced by a bad value, sent over a socket;
  every answer is JSON, with a status from a known set, and nothing is reset.
* **The command line**: random argument lists for every command built from
  good values, bad numbers and bad paths (a folder, a FIFO, a CSV given as a
  model, a binary file, a missing one); ``main`` returns 0, 1 or 2 (argparse
  exits 2), and an error is one line without a traceback.

The example counts are kept small for the normal suite (a few seconds per
surface). ``CHAINRULE_FUZZ=ci`` (or ``CI`` set) runs four times as many;
``CHAINRULE_FUZZ=explore`` runs many more with fresh random seeds, to look
for new failures. Mutated model files, checkpoints and network files are to
be fuzzed separately.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzzing
import needs
from chainrule import DivergenceError, Network, ValidationError, check_gradients
from chainrule.cli import main as cli_main
from chainrule.core.validation import as_2d, check_sample_weight
from chainrule.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, LinearLR, RMSprop, StepLR
from chainrule.training import EarlyStopping
from chainrule.visual.api import ENDPOINTS
from chainrule.visual.state import ExplorerState


def fuzz(examples: int, deadline_s: float = 10.0) -> settings:
    """Settings of one fuzz test (see tests/fuzzing.py for the modes): ``examples``, each within ``deadline_s``."""
    return fuzzing.fuzz(examples, deadline_s)


# -- bad values -------------------------------------------------------------------------------------
numbers = st.one_of(
    st.booleans(),
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 0.0, -0.0, 1e-320, 1e308, -1e308, float("nan"), float("inf"), 2**63]),
)
scalars = st.one_of(
    st.none(),
    numbers,
    st.text(max_size=12),
    st.binary(max_size=8),
    st.sampled_from([object(), ..., Exception("x"), print, type, slice(1, 2), 1j, np.float32("nan")]),
)
array_dtypes = st.sampled_from(["float64", "float32", "int64", "uint8", "bool", "complex128", "<U3", "object"])


@st.composite
def arrays(draw) -> np.ndarray:
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    dtype = draw(array_dtypes)
    n = int(np.prod(shape))
    if dtype == "object":
        values = draw(st.lists(st.one_of(st.none(), numbers, st.text(max_size=3)), min_size=n, max_size=n))
        array = np.empty(n, dtype=object)
        array[:] = values
        return array.reshape(shape)
    if dtype == "<U3":
        return np.array(draw(st.lists(st.text(max_size=3), min_size=n, max_size=n)), dtype="<U3").reshape(shape)
    values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=n, max_size=n))
    with np.errstate(all="ignore"):
        return np.array(values, dtype=np.float64).astype(dtype).reshape(shape)


containers = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3) | st.tuples(inner, inner)
    ),
    max_leaves=8,
)
bad_values = st.one_of(scalars, arrays(), containers)

# -- the Python API ---------------------------------------------------------------------------------
_RNG = np.random.default_rng(11)
X = _RNG.normal(size=(24, 2))
Y = (X[:, :1] > 0).astype(float)


def _net() -> Network:
    return Network.from_sizes([2, 3, 1], seed=0)


#: name -> (call taking keyword arguments, good keyword arguments)
CALLS = {
    "Network.from_sizes": (
        lambda **kw: Network.from_sizes(**kw),
        dict(
            sizes=[2, 3, 1],
            activation="tanh",
            output_activation="sigmoid",
            loss="squared_error",
            bias="per_neuron",
            train_bias=True,
            init="glorot_uniform",
            seed=0,
            dtype="float64",
        ),
    ),
    "Network.fit": (
        lambda **kw: _net().fit(**kw),
        dict(
            X=X,
            Y=Y,
            optimizer="sgd",
            learning_rate=0.1,
            epochs=2,
            batch_size=8,
            shuffle=True,
            seed=0,
            sample_weight=None,
            validation_data=None,
            validation_fraction=None,
            metrics=(),
            callbacks=(),
            progress=False,
            initial_epoch=0,
            schedule=None,
            early_stopping=None,
        ),
    ),
    "Network.predict": (lambda **kw: _net().predict(**kw), dict(X=X)),
    "Network.loss": (lambda **kw: _net().loss(**kw), dict(X=X, Y=Y)),
    "Network.evaluate": (lambda **kw: _net().evaluate(**kw), dict(X=X, Y=Y, metrics=(), sample_weight=None)),
    "check_gradients": (
        lambda **kw: check_gradients(**kw),
        dict(network=Network.from_sizes([2, 2, 1], seed=0), X=X[:3], Y=Y[:3], h=1e-3, floor=1e-6, max_work=10**10),
    ),
    # The helpers' other arguments come from library code, not from users: only the data is fuzzed.
    "as_2d": (lambda **kw: as_2d(**kw, what="X", dtype=np.dtype(np.float64), n_columns=2), dict(data=X)),
    "check_sample_weight": (
        lambda **kw: check_sample_weight(**kw, n_samples=24, dtype=np.float64),
        dict(weights=np.ones(24)),
    ),
    "StepLR": (lambda **kw: StepLR(**kw)(5, 0.1), dict(step_size=2, gamma=0.5, per="epoch")),
    "ExponentialLR": (lambda **kw: ExponentialLR(**kw)(5, 0.1), dict(gamma=0.9, per="epoch")),
    "CosineAnnealingLR": (lambda **kw: CosineAnnealingLR(**kw)(5, 0.1), dict(t_max=10, eta_min=0.0)),
    "LinearLR": (lambda **kw: LinearLR(**kw)(5, 0.1), dict(start_factor=0.5, end_factor=1.0, total_iters=4)),
    "SGD": (
        lambda **kw: _net().fit(X, Y, optimizer=SGD(**kw), epochs=1, progress=False),
        dict(learning_rate=0.1, momentum=0.5, dampening=0.0, weight_decay=0.0, nesterov=False),
    ),
    "Adam": (
        lambda **kw: _net().fit(X, Y, optimizer=Adam(**kw), epochs=1, progress=False),
        dict(learning_rate=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
    ),
    "RMSprop": (
        lambda **kw: _net().fit(X, Y, optimizer=RMSprop(**kw), epochs=1, progress=False),
        dict(learning_rate=1e-3, alpha=0.99, eps=1e-8),
    ),
    "EarlyStopping": (
        lambda **kw: _net().fit(
            X, Y, early_stopping=EarlyStopping(**kw), epochs=2, validation_fraction=0.25, progress=False
        ),
        dict(patience=1, min_delta=0.0, restore_best_weights=True, monitor="val_loss"),
    ),
}


@st.composite
def api_calls(draw):
    name = draw(st.sampled_from(sorted(CALLS)))
    call, good = CALLS[name]
    keys = draw(st.permutations(sorted(good)))[: draw(st.integers(1, min(2, len(good))))]
    return name, call, {**good, **{key: draw(bad_values) for key in keys}}


@fuzz(examples=600)
@given(api_calls())
def test_bad_arguments_end_in_the_validation_error(case):
    _name, call, kwargs = case
    try:
        with np.errstate(all="ignore"):
            call(**kwargs)
    except (ValidationError, DivergenceError):
        pass  # the library's refusal (or a valid run that diverged, reported as such)


# -- the explorer server ------------------------------------------------------------------------------
_TUTORIAL = ExplorerState.tutorial().to_json()
STATUSES = {200, 400, 403, 404, 405, 411, 413, 414, 415, 431, 501, 503, 505}
_JSON_TYPES = ("application/json", "text/plain", "text/html", "application/x-www-form-urlencoded", "", "garbage/x")


def _state_with(path: list, value):
    state = json.loads(json.dumps(_TUTORIAL))
    target = state
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return state


_STATE_PATHS = [[k] for k in _TUTORIAL] + [
    ["params", "w5"],
    ["params", "b1"],
    ["input", 0],
    ["target", 1],
    ["sizes", 0],
    ["activations", 1],
]


def _json_bytes(value) -> bytes:
    return json.dumps(value, default=repr, allow_nan=True).encode()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**40), 10**40), st.floats(allow_nan=True), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(_json_bytes),
    st.builds(
        lambda path, value, extra: _json_bytes({"state": _state_with(path, value), **extra}),
        st.sampled_from(_STATE_PATHS),
        json_values,
        st.dictionaries(
            st.sampled_from(["seed", "digits", "focus", "updates", "previous", "text"]), json_values, max_size=2
        ),
    ),
    st.builds(lambda depth: b"[" * depth + b"]" * depth, st.integers(10, 5000)),
    st.builds(lambda digits: b'{"updates": ' + b"9" * digits + b"}", st.integers(1, 6000)),
)


@st.composite
def http_requests(draw) -> bytes:
    method = draw(st.sampled_from(["GET", "POST", "POST", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "BREW", ""]))
    path = draw(
        st.one_of(
            st.sampled_from(sorted(ENDPOINTS) + ["/", "/api/initial", "/static/explorer.js", "/x"]),
            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
        )
    )
    body = draw(bodies)
    headers = [f"Host: {draw(st.sampled_from(['127.0.0.1', 'localhost', 'attacker.example', '']))}"]
    if draw(st.booleans()):
        headers.append(f"Content-Type: {draw(st.sampled_from(_JSON_TYPES))}")
    length = draw(st.sampled_from(["right", "right", "missing", "short", "text", "huge"]))
    headers.append(
        {
            "right": f"Content-Length: {len(body)}",
            "missing": "",
            "short": f"Content-Length: {len(body) + 5}",
            "text": "Content-Length: twelve",
            "huge": "Content-Length: 99999999999",
        }[length]
    )
    values = st.sampled_from(["http://127.0.0.1", "null", "cross-site", "same-origin", "navigate", "none"])
    names = draw(st.lists(st.sampled_from(["Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode"]), max_size=3, unique=True))
    headers.extend(f"{name}: {draw(values)}" for name in names)
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(h + "\r\n" for h in headers if h) + "\r\n"
    return head.encode("latin-1", errors="replace") + body


@fuzz(examples=400)
@given(http_requests())
def test_every_request_gets_a_json_answer_never_a_reset(server, raw):
    with socket.create_connection(server.server_address[:2], timeout=20) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    assert status in STATUSES, status_line
    if status != 200 or not headers["content-type"].startswith(("text/html", "text/javascript", "text/css")):
        assert headers["content-type"] == "application/json"
        if body:  # (no body for HEAD)
            answer = json.loads(body, parse_constant=lambda name: pytest.fail(f"invalid JSON token {name}"))
            assert status == 200 or (isinstance(answer["error"], str) and len(answer["error"]) <= 2000)


# -- the command line ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder of good and bad inputs for the command line (one valid model, trained once)."""
    needs.module("safetensors")
    root = tmp_path_factory.mktemp("cli-fuzz")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 2))
    (root / "data.csv").write_text("a,b,y\n" + "".join(f"{float(a)!r},{float(b)!r},{int(a > b)}\n" for a, b in x))
    (root / "empty.csv").write_text("")
    (root / "binary.json").write_bytes(b"\x00\xff\xfe{" * 10)
    (root / "folder").mkdir()
    (root / "readonly").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo")
    with _chdir(root), contextlib.redirect_stdout(io.StringIO()):
        assert cli_main(["train", "data.csv", "--target", "y", "--epochs", "1", "-q", "-o", "model.safetensors"]) == 0
    return root


@contextlib.contextmanager
def _chdir(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PATHS = [
    "data.csv",
    "model.safetensors",
    "empty.csv",
    "binary.json",
    "folder",
    "fifo",
    "missing.csv",
    "folder/missing/x.csv",
    "data.csv/inside",
    str(EXAMPLES / "tutorial.json"),
    "",
]
# (Not data.csv or model.safetensors: predict -o or export --onnx would replace the inputs later runs use.)
OUTPUTS = ["out.safetensors", "out.csv", "out.png", "out.onnx", "folder", "missing/out.bin", "data.csv/x", "fifo", ""]
BAD_NUMBERS = ["0", "-1", "nan", "inf", "-inf", "1e999", "abc", "", "9" * 30, "1.5", "0x10", "  3"]
BAD_TEXT = st.one_of(st.sampled_from(["", "nope", "None", "-", "--", "y y"]), st.text(max_size=6))


def _mostly(good: list[str], bad=BAD_TEXT):
    """Good values four times in five, so that most runs get past argparse to the checks behind it."""
    return st.one_of(*[st.sampled_from(good)] * 4, bad)


values = {
    "path": st.sampled_from(PATHS),
    "out": st.sampled_from(OUTPUTS),
    "data": _mostly(["data.csv"], st.sampled_from(PATHS)),
    "model": _mostly(["model.safetensors"], st.sampled_from(PATHS)),
    "int": _mostly(["1", "2", "3"], st.sampled_from(BAD_NUMBERS)),
    "float": _mostly(["0.1", "1e-6", "0.5"], st.sampled_from(BAD_NUMBERS)),
    "column": _mostly(["y", "a", "b"]),
    "task": _mostly(["auto", "classification", "regression"]),
    "activation": _mostly(["relu", "tanh", "sigmoid", "identity", "leaky_relu"]),
    "optimizer": _mostly(["adam", "sgd", "rmsprop", "adamw"]),
    "dtype": _mostly(["float32", "float64"]),
    "format": _mostly(["csv", "parquet"]),
    "encoding": _mostly(["utf-8", "latin-1", "utf-16"]),
    "loss": _mostly(["squared_error", "binary_cross_entropy", "categorical_cross_entropy", "mse"]),
    "bias": _mostly(["shared", "per_neuron"]),
    "error": _mostly(["half_sum", "mean"]),
    "render": _mostly(["text", "markdown", "latex", "json", "html"]),
}
#: command -> (positional kinds, {option: kind or None for a flag})
GRAMMAR = {
    "train": (
        ["data"],
        {
            "--target": "column",
            "--features": "column",
            "--task": "task",
            "--layers": "int",
            "--activation": "activation",
            "--optimizer": "optimizer",
            "--learning-rate": "float",
            "--epochs": "int",
            "--batch-size": "int",
            "--validation-fraction": "float",
            "--patience": "int",
            "--seed": "int",
            "--dtype": "dtype",
            "--format": "format",
            "--encoding": "encoding",
            "-o": "out",
            "--checkpoint-every": "int",
            "--checkpoint": "out",
            "--resume": "model",
            "--plot": "out",
            "-q": None,
        },
    ),
    "predict": (
        ["model", "data"],
        {"-o": "out", "--probabilities": None, "--format": "format", "--encoding": "encoding"},
    ),
    "evaluate": (["model", "data"], {"--json": None, "--plot": "out", "--format": "format"}),
    "info": (["model"], {"--json": None}),
    "export": (["model"], {"--onnx": "out", "--dtype": "dtype"}),
    "gradcheck": (
        [],
        {
            "--sizes": "int",
            "--activation": "activation",
            "--loss": "loss",
            "--bias": "bias",
            "--samples": "int",
            "--seed": "int",
            "--tolerance": "float",
            "--json": None,
        },
    ),
    "explain": (
        ["path"],
        {
            "--format": "render",
            "--steps": "int",
            "--precision": "int",
            "--bias": "bias",
            "--summary": None,
            "--max-parameters": "int",
            "--error": "error",
        },
    ),
    "example": ([], {"--updates": "int", "--precision": "int", "--json": None, "--dtype": "dtype"}),
    # serve only with inputs it must refuse before listening (a bad file or port)
    "serve": (["path"], {"--port": "int"}),
}


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(GRAMMAR)))
    positional, options = GRAMMAR[command]
    argv = [command] + [draw(values[kind]) for kind in positional if draw(st.integers(0, 9))]
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=5, unique=True)):
        kind = options[option]
        argv += [option] if kind is None else [option, draw(values[kind])]
    if command == "train" and "--target" not in argv and draw(st.integers(0, 9)):
        argv += ["--target", "y"]
    if command == "serve":
        argv = [
            "serve",
            draw(st.sampled_from([p for p in PATHS if "tutorial" not in p and p != "model.safetensors"])),
            "--port",
            draw(st.sampled_from(["-1", "70000", "abc", "0"])),
        ]
    return argv


@fuzz(examples=300, deadline_s=20.0)
@given(command_lines())
def test_every_command_line_ends_in_a_result_or_one_line_error(files, argv):
    out, err = io.StringIO(), io.StringIO()
    with _chdir(files), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), np.errstate(all="ignore"):
        try:
            status = cli_main(argv)
        except SystemExit as exit_:  # argparse: a usage error (or --help)
            status = exit_.code
    assert status in (0, 1, 2), (argv, status, err.getvalue())
    text = err.getvalue()
    assert "Traceback" not in text, (argv, text)
    if status == 2 and not text.startswith("usage:"):
        lines = [line for line in text.splitlines() if not line.startswith("chainrule train: note:")]
        assert len(lines) == 1 and lines[0].startswith(f"chainrule {argv[0]}: error: "), (argv, text)
    for name in os.listdir(files):  # no temporary file left behind by a refused or finished save
        assert not name.endswith(".tmp"), (argv, name)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))

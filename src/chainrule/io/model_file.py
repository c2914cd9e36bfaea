"""Model files: one safetensors file with the weights and, as JSON metadata, everything else.

Layout (safetensors: an 8-byte header length, a JSON header, raw tensor bytes)::

    tensors   "layers.<k>.W" (n_in, n_out), "layers.<k>.b" (n_out,) or (1,),
              in the network's dtype, little-endian, bit for bit;
              optionally "state.<name>" arrays (a checkpoint's optimizer state)
    metadata  "format": "chainrule.model"
              "format_version": "2"
              "chainrule": JSON {"architecture", "preprocessing", "training", "state", "library_version"}
              "checksum": "sha256:<hex>" over the JSON text and every tensor's name, dtype, shape and bytes

The architecture is the network's spec, :meth:`NetworkSpec.to_dict
<chainrule.core.spec.NetworkSpec.to_dict>` (``version``, ``layers``, ``loss``,
``dtype``). Format 1 (chainrule before the spec) stored the same dict without
its ``version``; such files load as they always did.

Loading reads JSON and raw numbers only -- no pickle, no code -- and checks, in
order: the header's framing and its JSON within :mod:`chainrule.core.limits`'
bounds (size, nesting, number lengths, no NaN), the format name and version (a
newer version is refused, not guessed at), the tensors' framing (safetensors),
the checksum (catches truncation and flipped bits anywhere), the metadata's
JSON within the same bounds, then the architecture with the spec's own checks
(:meth:`NetworkSpec.from_dict`: known fields, layer types, registered
activations and losses, at most ``MAX_PARAMETERS``), each tensor's shape and
dtype against it, and then -- because a checksum proves only that a file is
what was written -- that its parts agree (:mod:`chainrule.io.consistency`):
every tensor finite, the preprocessing valid and fitting the network, the
training record's types, and a checkpoint's state. Any failure raises
:class:`ModelFileError` naming the file and the field; nothing is built from
an unchecked file. The same checks run before a file is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from ..core.errors import ValidationError, excerpt
from ..core.extras import install_hint
from ..core.limits import MAX_HEADER_BYTES, document_path, load_json
from ..core.network import Network
from ..core.spec import SPEC_VERSION, NetworkSpec, spec_path
from ..core.validation import fail
from ..tabular import Preprocessor
from ..version import __version__
from .atomic import atomic_write_bytes
from .consistency import check_checkpoint_state, check_finite, check_preprocessing, check_training

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelFileError",
    "SavedModel",
    "load_model",
    "model_from_bytes",
    "model_to_bytes",
    "read_model_metadata",
    "save_model",
]

FORMAT = "chainrule.model"
#: Bump when a reader of the previous version could misread a new file (or would refuse it
#: for the wrong reason). 2: the architecture is the network spec, with its own version.
FORMAT_VERSION = 2
#: A header larger than this is not a model file (guards against a hostile length field); see
#: :mod:`chainrule.core.limits`.
MAX_HEADER_BYTES = MAX_HEADER_BYTES
_TOP_KEYS = {"architecture", "preprocessing", "training", "state", "library_version"}


class _Refuse(Protocol):
    """Builds the error a refused file raises, naming the problem and the field at fault."""

    def __call__(self, problem: str, field: str | None = None) -> ModelFileError: ...


class ModelFileError(ValueError):
    """A model file that cannot be trusted: damaged, tampered with, or from a newer version.

    ``field`` is the bad field of the metadata when there is one
    (``"architecture.layers[0].activation"``), else None.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.field))


@dataclass
class SavedModel:
    """What a model file holds.

    Attributes
    ----------
    network : Network
        Rebuilt with bitwise-identical weights.
    preprocessing : dict or None
        JSON config of the preprocessing, :meth:`chainrule.tabular.Preprocessor.to_config`.
    training : dict
        The training settings and history recorded at save time.
    state : dict
        A checkpoint's state (epoch, seed, optimizer settings, history, early
        stopping; see :mod:`chainrule.io.checkpoint`), empty for a plain model.
    tensors : dict of str to ndarray
        A checkpoint's arrays saved under ``state.<name>`` (keys without the prefix).
    format_version : int
    preprocessor : Preprocessor or None
        The preprocessing, rebuilt and checked against the network.
    """

    network: Any
    preprocessing: dict[str, Any] | None = None
    training: dict[str, Any] = field(default_factory=dict[str, Any])
    state: dict[str, Any] = field(default_factory=dict[str, Any])
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    preprocessor: Any = None


def _safetensors() -> ModuleType:
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError(f"model files need the safetensors package: {install_hint('safetensors')}") from None
    return st


# -- writing ------------------------------------------------------------------------------
def model_to_bytes(
    network: Any,
    *,
    preprocessing: dict[str, Any] | Preprocessor | None = None,
    training: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    state_tensors: dict[str, np.ndarray] | None = None,
) -> bytes:
    """Serialise ``network`` and its JSON companions to the bytes of a model file.

    ``preprocessing`` is a :class:`~chainrule.tabular.Preprocessor` or its
    config; ``state`` and ``state_tensors`` are a checkpoint's (see
    :func:`~chainrule.io.checkpoint.save_checkpoint`). Everything is checked as
    :func:`model_from_bytes` checks it, before any byte is produced: a file
    chainrule would refuse to read raises :class:`ModelFileError` instead.
    """
    if not isinstance(network, Network):
        raise fail("network", "a chainrule Network", network)
    if isinstance(preprocessing, Preprocessor):
        preprocessing = preprocessing.to_config()
    architecture = network.config()
    tensors: dict[str, np.ndarray] = {}
    for k, layer in enumerate(network.layers):
        tensors[f"layers.{k}.W"] = np.ascontiguousarray(layer.W)
        tensors[f"layers.{k}.b"] = np.ascontiguousarray(layer.b)
    for name, array in (state_tensors or {}).items():
        array = np.asarray(array)
        if not isinstance(name, str) or not name or array.dtype.kind not in "biuf":
            raise ModelFileError(f"state tensor {name!r}: expected a named numeric array, received: {array.dtype}")
        tensors[f"state.{name}"] = np.ascontiguousarray(array)
    try:
        payload = json.dumps(
            {
                "architecture": architecture,
                "preprocessing": preprocessing,
                "training": training or {},
                "state": state or {},
                "library_version": __version__,
            },
            sort_keys=True,
            allow_nan=False,
        )
    except (TypeError, ValueError, RecursionError) as err:
        raise ModelFileError(
            f"model file: its metadata cannot be written as JSON ({excerpt(str(err))}); refusing to write it"
        ) from None

    def refuse(problem: str, field: str | None = None) -> ModelFileError:
        return ModelFileError(f"model file: {problem}; refusing to write it", field)

    try:  # read back as a reader would, within the same bounds
        content = load_json(
            payload,
            "metadata",
            max_bytes=MAX_HEADER_BYTES,
            field_name=lambda path: document_path(path) if path else "metadata",
        )
    except ValidationError as err:
        raise refuse(f"its metadata is not valid ({err})", err.field) from None
    _check_content(content, network.spec(), tensors, refuse, network)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "chainrule": payload,
        "checksum": _checksum(payload, tensors),
    }
    data: bytes = _safetensors().save(tensors, metadata=metadata)
    return data


def save_model(path: str | os.PathLike[str], network: Any, **companions: Any) -> Path:
    """Write a model file atomically (temporary file, fsync, rename); see :func:`model_to_bytes`."""
    return atomic_write_bytes(path, model_to_bytes(network, **companions))


def _checksum(payload: str, tensors: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256(payload.encode("utf-8"))
    for name in sorted(tensors):
        array = tensors[name]
        digest.update(f"\0{name}\0{array.dtype.str}\0{list(array.shape)}\0".encode())
        digest.update(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    return "sha256:" + digest.hexdigest()


# -- reading ------------------------------------------------------------------------------
def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read and verify a model file; raises :class:`ModelFileError` if it cannot be trusted."""
    path = Path(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block the read; a folder cannot be read
            kind = "a directory" if path.is_dir() else "not a regular file (a FIFO, socket or device)"
            raise ModelFileError(f"model file {str(path)!r}: {kind}, expected a file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"model file {str(path)!r}: no such file") from None
    except OSError as err:
        raise ModelFileError(f"model file {str(path)!r}: {err.strerror or type(err).__name__}") from None
    return model_from_bytes(data, source=str(path))


def read_model_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The verified JSON part of a model file: the architecture (the spec's dict, whatever the
    file's format version), preprocessing, training, state and format version."""
    saved = load_model(path)
    return {
        "format_version": saved.format_version,
        "architecture": saved.network.config(),
        "preprocessing": saved.preprocessing,
        "training": saved.training,
        "state": saved.state,
    }


def model_from_bytes(data: bytes, source: str = "<bytes>") -> SavedModel:
    """Verify and decode the bytes of a model file (see the module docstring for the checks)."""

    def refuse(problem: str, field: str | None = None) -> ModelFileError:
        return ModelFileError(f"model file {source!r}: {problem}; refusing to load it", field)

    metadata = _read_header_metadata(data, refuse)
    if metadata.get("format") != FORMAT:
        raise refuse(f"not a chainrule model (format {excerpt(metadata.get('format'))}, expected {FORMAT!r})", "format")
    version_text = metadata.get("format_version", "")
    if not (isinstance(version_text, str) and version_text.isdigit() and len(version_text) < 10):
        raise refuse(f"format_version {excerpt(version_text)} is not a whole number", "format_version")
    version = int(version_text)
    if version > FORMAT_VERSION:
        raise refuse(
            f"it was written in format version {version}, newer than this chainrule reads "
            f"(up to {FORMAT_VERSION}); upgrade chainrule to read it"
        )
    if version < 1:
        raise refuse(f"format version {version} does not exist")
    try:
        tensors = _safetensors().load(bytes(data))
    except Exception as err:  # safetensors raises its own error type for any framing problem
        raise refuse(f"the tensor data is truncated or corrupted ({err})") from None
    payload = metadata.get("chainrule")
    if not isinstance(payload, str) or _checksum(payload, tensors) != metadata.get("checksum"):
        raise refuse("the checksum does not match its contents (the file is corrupted or was altered)", "checksum")
    try:
        content = load_json(
            payload,
            "metadata",
            max_bytes=MAX_HEADER_BYTES,
            field_name=lambda path: document_path(path) if path else "metadata",
        )
    except ValidationError as err:
        raise refuse(f"its metadata is not valid ({err})", err.field) from None
    _check_top(content, refuse)
    spec = _spec(content["architecture"], version, refuse)
    _check_tensors(spec, tensors, refuse)
    preprocessor = _check_content(content, spec, tensors, refuse)
    network = _build_network(spec, tensors, refuse)
    try:
        check_checkpoint_state(content["state"], _state_tensors(tensors), network)
    except ValidationError as err:
        raise refuse(str(err), err.field) from None
    return SavedModel(
        network=network,
        preprocessing=content["preprocessing"],
        training=content["training"],
        state=content["state"],
        tensors=_state_tensors(tensors),
        format_version=version,
        preprocessor=preprocessor,
    )


def _state_tensors(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ``state.*`` tensors, named without the prefix."""
    return {name[len("state.") :]: array for name, array in tensors.items() if name.startswith("state.")}


def _check_content(
    content: Any, spec: NetworkSpec, tensors: dict[str, np.ndarray], refuse: _Refuse, network: Any = None
) -> Preprocessor | None:
    """The metadata's parts and the tensors, consistent with each other (:mod:`chainrule.io.consistency`).

    The checkpoint state needs a network; when ``network`` is given (writing) it
    is checked here too, else by the caller once the network is built.
    """
    _check_top(content, refuse)
    try:
        check_finite(tensors)
        preprocessor = check_preprocessing(content["preprocessing"], spec)
        check_training(content["training"])
        if network is not None:
            check_checkpoint_state(content["state"], _state_tensors(tensors), network)
    except ValidationError as err:
        raise refuse(str(err), err.field) from None
    return preprocessor


def _check_top(content: Any, refuse: _Refuse) -> None:
    """The metadata's top level: exactly its keys, each part an object (preprocessing: or null)."""
    if not isinstance(content, dict):
        raise refuse(
            f"its metadata is {type(content).__name__}, expected an object with keys {sorted(_TOP_KEYS)}", "metadata"
        )
    if set(content) != _TOP_KEYS:
        raise refuse(
            f"its metadata has keys {excerpt(sorted(map(str, content)))}, expected {sorted(_TOP_KEYS)}", "metadata"
        )
    for name in ("preprocessing", "training", "state"):
        part = content[name]
        if (part is not None or name != "preprocessing") and not isinstance(part, dict):
            raise refuse(f"its {name} metadata is {type(part).__name__}, expected an object", name)


def _read_header_metadata(data: bytes, refuse: _Refuse) -> dict[str, Any]:
    if len(data) < 8:
        raise refuse(f"it is {len(data)} bytes long, too short to be a model file (truncated or empty)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > len(data):
        raise refuse(
            f"its header claims {header_len} bytes but the file has {len(data) - 8} after the length "
            "field (truncated or not a model file)",
            "header",
        )
    try:
        header = load_json(data[8 : 8 + header_len], "header", max_bytes=MAX_HEADER_BYTES)
    except ValidationError as err:
        raise refuse(
            f"its header is not valid JSON (corrupted or not a model file; expected {err.expected}, "
            f"received: {err.received})",
            "header",
        ) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise refuse("its header has no chainrule metadata (not a chainrule model file)", "header")
    return metadata


def _spec(architecture: Any, format_version: int, refuse: _Refuse) -> NetworkSpec:
    """The spec a file's architecture describes, checked by the spec itself."""
    if format_version == 1:
        # Format 1 stored the version-1 spec's dict without its version.
        if not isinstance(architecture, dict) or "version" in architecture:
            raise refuse(
                "its architecture must be an object with keys 'layers', 'loss' and 'dtype' (format 1)", "architecture"
            )
        architecture = {"version": 1, **architecture}
    elif (
        isinstance(architecture, dict)
        and isinstance(architecture.get("version"), int)
        and not isinstance(architecture["version"], bool)
        and architecture["version"] > SPEC_VERSION
    ):
        raise refuse(
            f"its architecture is a network spec of version {architecture['version']}, newer than "
            f"this chainrule reads (up to {SPEC_VERSION}); upgrade chainrule to read it",
            "architecture.version",
        )
    try:
        return NetworkSpec.from_dict(architecture, field_name=lambda path: spec_path(("architecture",) + path))
    except ValidationError as err:
        raise refuse(f"its architecture is not valid ({err})", err.field) from None
    except RecursionError:  # a user's registered component whose config() recursed; the spec refuses the rest
        raise refuse("its architecture is not valid", "architecture") from None


def _check_tensors(spec: NetworkSpec, tensors: dict[str, np.ndarray], refuse: _Refuse) -> None:
    """Every layer's tensors present, of the spec's shapes and dtype, and no other but ``state.*``."""
    dtype = np.dtype(spec.dtype)
    expected: dict[str, tuple[int, ...]] = {}
    for k, layer in enumerate(spec.layers):
        expected[f"layers.{k}.W"] = (layer.n_in, layer.n_out)
        expected[f"layers.{k}.b"] = (layer.n_bias,)
    unknown = sorted(n for n in tensors if n not in expected and not n.startswith("state."))
    if unknown:
        raise refuse(f"it holds tensors that no layer owns: {excerpt(unknown)}", unknown[0][:80])
    for name, shape in expected.items():
        array = tensors.get(name)
        if array is None:
            index, param = name.split(".")[1:]
            raise refuse(f"tensor {name!r} (layer {int(index) + 1} {param}) is missing", name)
        if array.shape != shape or array.dtype != dtype:
            raise refuse(
                f"tensor {name!r} has shape {array.shape} and dtype {array.dtype}, expected {shape} and {dtype}", name
            )


def _build_network(spec: NetworkSpec, tensors: dict[str, np.ndarray], refuse: _Refuse) -> Network:
    """A network of ``spec`` holding the file's tensors (checked by :func:`_check_tensors` first)."""
    _check_tensors(spec, tensors, refuse)
    try:
        network = Network.from_spec(spec, init="zeros")
    except ValidationError as err:  # the spec was checked: only a layer's own refusal can land here
        raise refuse(f"its architecture is not a valid network ({err})", err.field) from None
    for k, layer in enumerate(network.layers):
        layer.W[...] = tensors[f"layers.{k}.W"]
        layer.b[...] = tensors[f"layers.{k}.b"]
    return network

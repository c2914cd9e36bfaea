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
order: the header's framing, the format name and version (a newer version is
refused, not guessed at), the tensors' framing (safetensors), the checksum
(catches truncation and flipped bits anywhere), then the architecture with the
spec's own checks (:meth:`NetworkSpec.from_dict`: known fields, layer types,
registered activations and losses), and each tensor's shape and dtype against
it, before anything is allocated. Any failure raises :class:`ModelFileError`
naming the file and what is wrong; nothing is built from an unchecked file.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ValidationError
from ..core.network import Network
from ..core.spec import SPEC_VERSION, NetworkSpec, spec_path
from ..version import __version__
from .atomic import atomic_write_bytes

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
#: A header larger than this is not a model file (guards against a hostile length field).
MAX_HEADER_BYTES = 16 * 1024 * 1024
_TOP_KEYS = {"architecture", "preprocessing", "training", "state", "library_version"}


class ModelFileError(ValueError):
    """A model file that cannot be trusted: damaged, tampered with, or from a newer version.

    ``field`` is the bad field of the metadata when there is one
    (``"architecture.layers[0].activation"``), else None.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self) -> tuple:
        return (type(self), (str(self), self.field))


@dataclass
class SavedModel:
    """What a model file holds.

    Attributes
    ----------
    network : Network
        Rebuilt with bitwise-identical weights.
    preprocessing : dict or None
        JSON config of the preprocessing (e.g. :class:`chainrule.tabular.Preprocessor`).
    training : dict
        The training settings and history recorded at save time.
    state : dict
        Extra JSON state (a checkpoint's epoch, optimizer settings...), empty for a plain model.
    tensors : dict of str to ndarray
        Extra arrays saved under ``state.<name>`` (keys without the prefix).
    format_version : int
    """

    network: Any
    preprocessing: dict | None = None
    training: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION


def _safetensors():
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError(
            "model files need the safetensors package: pip install 'chainrule[safetensors]'"
        ) from None
    return st


# -- writing ------------------------------------------------------------------------------
def model_to_bytes(
    network: Any,
    *,
    preprocessing: dict | None = None,
    training: dict | None = None,
    state: dict | None = None,
    state_tensors: dict[str, np.ndarray] | None = None,
) -> bytes:
    """Serialise ``network`` and its JSON companions to the bytes of a model file."""
    from ..core.network import Network
    from ..core.validation import fail

    if not isinstance(network, Network):
        raise fail("network", "a chainrule Network", network)
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
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "chainrule": payload,
        "checksum": _checksum(payload, tensors),
    }
    return _safetensors().save(tensors, metadata=metadata)


def save_model(path: str | os.PathLike, network: Any, **companions: Any) -> Path:
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
def load_model(path: str | os.PathLike) -> SavedModel:
    """Read and verify a model file; raises :class:`ModelFileError` if it cannot be trusted."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"model file {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"model file {str(path)!r}: is a directory, expected a file") from None
    return model_from_bytes(data, source=str(path))


def read_model_metadata(path: str | os.PathLike) -> dict:
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
        raise refuse(f"not a chainrule model (format {metadata.get('format')!r}, expected {FORMAT!r})")
    version_text = metadata.get("format_version", "")
    if not (isinstance(version_text, str) and version_text.isdigit()):
        raise refuse(f"format_version {version_text!r} is not a whole number")
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
        raise refuse("the checksum does not match its contents (the file is corrupted or was altered)")
    try:
        content = json.loads(payload)
    except json.JSONDecodeError:
        raise refuse("its metadata is not valid JSON") from None
    if not isinstance(content, dict) or set(content) != _TOP_KEYS:
        raise refuse(f"its metadata has keys {sorted(content) if isinstance(content, dict) else content!r}, "
                     f"expected {sorted(_TOP_KEYS)}")
    network = _build_network(_spec(content["architecture"], version, refuse), tensors, refuse)
    state_tensors = {name[len("state."):]: array for name, array in tensors.items() if name.startswith("state.")}
    for name, part in (("preprocessing", content["preprocessing"]), ("training", content["training"]),
                       ("state", content["state"])):
        if part is not None and not isinstance(part, dict):
            raise refuse(f"its {name} metadata is {type(part).__name__}, expected an object")
    return SavedModel(
        network=network,
        preprocessing=content["preprocessing"],
        training=content["training"],
        state=content["state"],
        tensors=state_tensors,
        format_version=version,
    )


def _read_header_metadata(data: bytes, refuse) -> dict:
    if len(data) < 8:
        raise refuse(f"it is {len(data)} bytes long, too short to be a model file (truncated or empty)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > len(data):
        raise refuse(f"its header claims {header_len} bytes but the file has {len(data) - 8} after the length "
                     "field (truncated or not a model file)")
    try:
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise refuse("its header is not valid JSON (corrupted or not a model file)") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise refuse("its header has no chainrule metadata (not a chainrule model file)")
    return metadata


def _spec(architecture: Any, format_version: int, refuse) -> NetworkSpec:
    """The spec a file's architecture describes, checked by the spec itself."""
    if format_version == 1:
        # Format 1 stored the version-1 spec's dict without its version.
        if not isinstance(architecture, dict) or "version" in architecture:
            raise refuse("its architecture must be an object with keys 'layers', 'loss' and 'dtype' "
                         "(format 1)", "architecture")
        architecture = {"version": 1, **architecture}
    elif isinstance(architecture, dict) and isinstance(architecture.get("version"), int) \
            and not isinstance(architecture["version"], bool) and architecture["version"] > SPEC_VERSION:
        raise refuse(f"its architecture is a network spec of version {architecture['version']}, newer than "
                     f"this chainrule reads (up to {SPEC_VERSION}); upgrade chainrule to read it",
                     "architecture.version")
    try:
        return NetworkSpec.from_dict(architecture, field_name=lambda path: spec_path(("architecture",) + path))
    except ValidationError as err:
        raise refuse(f"its architecture is not valid ({err})", err.field) from None


def _build_network(spec: NetworkSpec, tensors: dict[str, np.ndarray], refuse) -> Network:
    """A network of ``spec`` holding the file's tensors, each checked against the spec first."""
    dtype = np.dtype(spec.dtype)
    expected = {}
    for k, layer in enumerate(spec.layers):
        expected[f"layers.{k}.W"] = (layer.n_in, layer.n_out)
        expected[f"layers.{k}.b"] = (layer.n_bias,)
    unknown = sorted(n for n in tensors if n not in expected and not n.startswith("state."))
    if unknown:
        raise refuse(f"it holds tensors that no layer owns: {unknown}")
    for name, shape in expected.items():
        array = tensors.get(name)
        if array is None:
            k, param = name.split(".")[1:]
            raise refuse(f"tensor {name!r} (layer {int(k) + 1} {param}) is missing")
        if array.shape != shape or array.dtype != dtype:
            raise refuse(f"tensor {name!r} has shape {array.shape} and dtype {array.dtype}, "
                         f"expected {shape} and {dtype}")
    try:
        network = Network.from_spec(spec, init="zeros")
    except ValidationError as err:  # the spec was checked: only a layer's own refusal can land here
        raise refuse(f"its architecture is not a valid network ({err})", err.field) from None
    for k, layer in enumerate(network.layers):
        layer.W[...] = tensors[f"layers.{k}.W"]
        layer.b[...] = tensors[f"layers.{k}.b"]
    return network

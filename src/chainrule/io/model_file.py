"""Model files: one safetensors file with the weights and, as JSON metadata, everything else.

Layout (safetensors: an 8-byte header length, a JSON header, raw tensor bytes)::

    tensors   "layers.<k>.W" (n_in, n_out), "layers.<k>.b" (n_out,) or (1,),
              in the network's dtype, little-endian, bit for bit;
              optionally "state.<name>" arrays (a checkpoint's optimizer state)
    metadata  "format": "chainrule.model"
              "format_version": "1"
              "chainrule": JSON {"architecture", "preprocessing", "training", "state", "library_version"}
              "checksum": "sha256:<hex>" over the JSON text and every tensor's name, dtype, shape and bytes

Loading reads JSON and raw numbers only -- no pickle, no code -- and checks, in
order: the header's framing, the format name and version (a newer version is
refused, not guessed at), the tensors' framing (safetensors), the checksum
(catches truncation and flipped bits anywhere), then the architecture against
a closed list of known layer types, keys and activations, and each tensor's
shape and dtype against it. Any failure raises :class:`ModelFileError` naming
the file and what is wrong; nothing is built from an unchecked file.
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
#: Bump when a reader of the previous version could misread a new file.
FORMAT_VERSION = 1
#: A header larger than this is not a model file (guards against a hostile length field).
MAX_HEADER_BYTES = 16 * 1024 * 1024
_LAYER_KEYS = {"type", "n_in", "n_out", "activation", "bias", "train_bias"}
_LAYER_TYPES = ("dense",)
_TOP_KEYS = {"architecture", "preprocessing", "training", "state", "library_version"}


class ModelFileError(ValueError):
    """A model file that cannot be trusted: damaged, tampered with, or from a newer version."""


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

    architecture = _architecture(network)
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


def _architecture(network: Any) -> dict:
    config = network.config()
    config["layers"] = [{"type": "dense", **layer} for layer in config["layers"]]
    return config


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
    """The verified JSON part of a model file (architecture, preprocessing, training, ...)."""
    saved = load_model(path)
    return {
        "format_version": saved.format_version,
        "architecture": _architecture(saved.network),
        "preprocessing": saved.preprocessing,
        "training": saved.training,
        "state": saved.state,
    }


def model_from_bytes(data: bytes, source: str = "<bytes>") -> SavedModel:
    """Verify and decode the bytes of a model file (see the module docstring for the checks)."""

    def refuse(problem: str) -> ModelFileError:
        return ModelFileError(f"model file {source!r}: {problem}; refusing to load it")

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
    network = _build_network(content["architecture"], tensors, refuse)
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


def _build_network(architecture: Any, tensors: dict[str, np.ndarray], refuse) -> Any:
    from ..core.layers import Dense
    from ..core.network import Network

    if not isinstance(architecture, dict) or set(architecture) != {"layers", "loss", "dtype"}:
        raise refuse("its architecture must be an object with keys 'layers', 'loss' and 'dtype'")
    specs = architecture["layers"]
    if not isinstance(specs, list) or not specs:
        raise refuse("its architecture lists no layers")
    dtype_name = architecture["dtype"]
    if dtype_name not in ("float32", "float64"):
        raise refuse(f"its dtype {dtype_name!r} is not float32 or float64")
    expected_names = {f"layers.{k}.{p}" for k in range(len(specs)) for p in ("W", "b")}
    unknown = sorted(n for n in tensors if n not in expected_names and not n.startswith("state."))
    if unknown:
        raise refuse(f"it holds tensors that no layer owns: {unknown}")
    layers = []
    for k, spec in enumerate(specs):
        where = f"layer {k + 1}"
        if not isinstance(spec, dict):
            raise refuse(f"{where} is {type(spec).__name__}, expected an object")
        if spec.get("type") not in _LAYER_TYPES:
            raise refuse(f"{where} has unknown layer type {spec.get('type')!r} (known: {list(_LAYER_TYPES)})")
        extra = sorted(set(spec) - _LAYER_KEYS)
        if extra or set(spec) != _LAYER_KEYS:
            raise refuse(f"{where} has keys {sorted(spec)}, expected {sorted(_LAYER_KEYS)}")
        options = {key: value for key, value in spec.items() if key != "type"}
        try:
            layer = Dense(**options, init="zeros", dtype=dtype_name, name=where)
        except (TypeError, ValueError) as err:
            raise refuse(f"{where} is not a valid layer ({err})") from None
        for param, target in (("W", layer.W), ("b", layer.b)):
            name = f"layers.{k}.{param}"
            array = tensors.get(name)
            if array is None:
                raise refuse(f"tensor {name!r} ({where} {param}) is missing")
            if array.shape != target.shape or array.dtype != target.dtype:
                raise refuse(f"tensor {name!r} has shape {array.shape} and dtype {array.dtype}, "
                             f"expected {target.shape} and {target.dtype}")
            target[...] = array
        layers.append(layer)
    try:
        return Network(layers, loss=architecture["loss"])
    except (TypeError, ValueError) as err:
        raise refuse(f"its architecture is not a valid network ({err})") from None

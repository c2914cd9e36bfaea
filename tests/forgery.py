"""Forged model files for the tests: content or tensors changed, then re-checksummed.

A re-checksummed file passes the checksum, so whatever is wrong with it must be
caught by the consistency checks (:mod:`chainrule.io.consistency`).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

import numpy as np
import safetensors.numpy as st

from chainrule.io import model_file


def header_of(data: bytes) -> dict:
    """The safetensors header (tensor table and ``__metadata__``) of a model file's bytes."""
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n])


def content_of(data: bytes) -> dict:
    """The chainrule JSON content (architecture, preprocessing, training, state, library_version)."""
    return json.loads(header_of(data)["__metadata__"]["chainrule"])


def tensors_of(data: bytes) -> dict[str, np.ndarray]:
    return dict(st.load(data))


def forge(
    data: bytes,
    edit_content: Callable[[dict], object] | None = None,
    edit_tensors: Callable[[dict], object] | None = None,
    *,
    payload: str | None = None,
) -> bytes:
    """``data`` with its content and/or tensors edited in place by the callbacks, re-checksummed.

    ``payload`` replaces the JSON text itself (to forge what ``json.dumps`` would not write).
    """
    metadata = dict(header_of(data)["__metadata__"])
    tensors = tensors_of(data)
    content = json.loads(metadata["chainrule"])
    if edit_content is not None:
        edit_content(content)
    if edit_tensors is not None:
        edit_tensors(tensors)
    text = payload if payload is not None else json.dumps(content, sort_keys=True)
    tensors = {name: np.ascontiguousarray(array) for name, array in tensors.items()}
    metadata.update(chainrule=text, checksum=model_file._checksum(text, tensors))
    return st.save(tensors, metadata=metadata)

"""Reading and writing files: model files (safetensors + JSON metadata) and atomic writes."""

from .atomic import atomic_write_bytes
from .checkpoint import Checkpoint, Resumed, merge_histories, restore_checkpoint, save_checkpoint
from .model_file import (
    FORMAT_VERSION,
    ModelFileError,
    SavedModel,
    load_model,
    model_from_bytes,
    model_to_bytes,
    read_model_metadata,
    save_model,
)

__all__ = [
    "Checkpoint",
    "Resumed",
    "merge_histories",
    "restore_checkpoint",
    "save_checkpoint",
    "FORMAT_VERSION",
    "ModelFileError",
    "SavedModel",
    "atomic_write_bytes",
    "load_model",
    "model_from_bytes",
    "model_to_bytes",
    "read_model_metadata",
    "save_model",
]

"""Export to other runtimes (ONNX): the network and its preprocessing, from raw columns."""

from .onnx_export import OPSET, export_onnx, to_onnx
from .preprocessing import onnx_inputs

__all__ = ["OPSET", "export_onnx", "onnx_inputs", "to_onnx"]

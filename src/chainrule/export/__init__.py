"""Export to other runtimes (ONNX)."""

from .onnx_export import OPSET, export_onnx, to_onnx

__all__ = ["OPSET", "export_onnx", "to_onnx"]

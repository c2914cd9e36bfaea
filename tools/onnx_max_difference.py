"""Largest |onnxruntime - chainrule| output difference per activation (float32), for the README figure.

Run: .venv/bin/python tools/onnx_max_difference.py   (needs the onnx extra)
"""

import numpy as np
import onnxruntime as ort

from chainrule import ACTIVATIONS, Network
from chainrule.export import to_onnx

X = (np.random.default_rng(0).normal(size=(257, 5)) * 3).astype(np.float32)
for name in sorted(ACTIVATIONS):
    hidden = name if name != "softmax" else "tanh"
    net = Network.from_sizes([5, 16, 12, 3], [hidden, name, name], seed=1, dtype=np.float32)
    session = ort.InferenceSession(to_onnx(net).SerializeToString(), providers=["CPUExecutionProvider"])
    got, expected = session.run(None, {"input": X})[0], net.predict(X)
    print(
        f"{name:<11} max abs {np.max(np.abs(got - expected)):.3g}   "
        f"max rel to max(1,|y|) {np.max(np.abs(got - expected) / np.maximum(1, np.abs(expected))):.3g}"
    )

"""The engine: activations, losses, layers and the network, with nothing above them.

Data flows through it in this order::

    validation, errors   checked input and the library's exceptions
    registry             Component (the shared base of activations and losses) and Registry
    activations, losses  the functions, each derivative beside its forward, each with its facts
    smooth_activations   GELU, SiLU, softplus, ELU (special: erf for GELU; scratch: work arrays)
    formulas, onnx_graph the protocols through which they state formulas and ONNX operators
    initializers         first weights, from a seed or a Generator
    parameters           Parameter and the flat ParameterBuffer every network keeps its values in
    layers               Dense: z = X @ W + b, a = f(z); backward fills dW, db
    spec                 NetworkSpec: the one versioned, JSON-ready description of an architecture
    network              Network: layers + loss; inference, the training pass, the update
    metrics              accuracy, mse, mae, r2
    gradcheck            finite differences against backpropagation
    json_numbers         JSON output that stays JSON when a number is NaN or infinite

Nothing here imports the rest of the library (the training loop, files,
renderers); :meth:`Network.fit` is the one door to :mod:`chainrule.training`.
"""

from .activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    default_initializer,
    get_activation,
    register_activation,
    unregister_activation,
)
from .errors import Described, DivergenceError, ValidationError
from .formulas import FormulaOps
from .gradcheck import GradCheckRow, check_gradients, format_gradcheck
from .initializers import INITIALIZERS, get_initializer, make_rng
from .layers import BIAS_MODES, Dense, Workspace
from .losses import (
    LOSSES,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    SquaredError,
    get_loss,
    register_loss,
    unregister_loss,
)
from .metrics import METRICS, Metric, get_metric
from .network import EVAL_CHUNK, Inference, LayerOutput, Network
from .onnx_graph import OnnxNode
from .parameters import Parameter, ParameterBuffer
from .registry import Component, Registry
from .smooth_activations import ELU, GELU, SiLU, Softplus
from .spec import SPEC_VERSION, LayerSpec, NetworkSpec

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "BIAS_MODES",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "check_gradients",
    "Component",
    "default_initializer",
    "Dense",
    "Described",
    "DivergenceError",
    "ELU",
    "EVAL_CHUNK",
    "format_gradcheck",
    "FormulaOps",
    "GELU",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_metric",
    "GradCheckRow",
    "Identity",
    "Inference",
    "INITIALIZERS",
    "LayerOutput",
    "LayerSpec",
    "LeakyReLU",
    "Loss",
    "LOSSES",
    "make_rng",
    "Metric",
    "METRICS",
    "Network",
    "NetworkSpec",
    "OnnxNode",
    "Parameter",
    "ParameterBuffer",
    "register_activation",
    "register_loss",
    "Registry",
    "ReLU",
    "Sigmoid",
    "SiLU",
    "Softmax",
    "Softplus",
    "SPEC_VERSION",
    "SquaredError",
    "Tanh",
    "unregister_activation",
    "unregister_loss",
    "ValidationError",
    "Workspace",
]

"""The engine: activations, losses, layers and the network, with nothing above them.

Data flows through it in this order::

    validation, errors   checked input and the library's exceptions
    activations, losses  the functions, each derivative beside its forward
    initializers         first weights, from a seed or a Generator
    parameters           Parameter and the flat ParameterBuffer every network keeps its values in
    layers               Dense: z = X @ W + b, a = f(z); backward fills dW, db
    spec                 NetworkSpec: the one versioned, JSON-ready description of an architecture
    network              Network: layers + loss; inference, the training pass, the update
    metrics              accuracy, mse, mae, r2
    gradcheck            finite differences against backpropagation

Nothing here imports the rest of the library (the training loop, files,
renderers); :meth:`Network.fit` is the one door to :mod:`chainrule.training`.
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .errors import Described, DivergenceError, ValidationError
from .gradcheck import GradCheckRow, check_gradients, format_gradcheck
from .initializers import INITIALIZERS, get_initializer, make_rng
from .layers import BIAS_MODES, Dense, Workspace
from .losses import LOSSES, BinaryCrossEntropy, CategoricalCrossEntropy, Loss, SquaredError, get_loss
from .metrics import METRICS, Metric, get_metric
from .network import EVAL_CHUNK, Inference, LayerOutput, Network
from .parameters import Parameter, ParameterBuffer
from .spec import SPEC_VERSION, LayerSpec, NetworkSpec

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "BIAS_MODES",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "Dense",
    "Described",
    "DivergenceError",
    "EVAL_CHUNK",
    "GradCheckRow",
    "INITIALIZERS",
    "Inference",
    "LOSSES",
    "LayerSpec",
    "LayerOutput",
    "Loss",
    "METRICS",
    "Metric",
    "Network",
    "NetworkSpec",
    "Parameter",
    "ParameterBuffer",
    "SPEC_VERSION",
    "SquaredError",
    "ValidationError",
    "Workspace",
    "check_gradients",
    "format_gradcheck",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_metric",
    "make_rng",
]

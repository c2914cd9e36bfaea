"""chainrule: fully connected neural networks trained by backpropagation, every step visible.

Data flows through the package in this order::

    activations, losses   the functions and their derivatives
    layers                Dense: z = X @ W + b, a = f(z); backward fills dW, db
    network               Network: layers + loss; forward, backward, train
    optim                 optimizers apply the gradients
    gradcheck             finite differences against backpropagation
    explain               the tutorial's names and step-by-step derivation
    cli                   the ``chainrule`` command
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .errors import DivergenceError
from .explain import Trace, build_trace, layer_summary, trace_steps
from .gradcheck import GradCheckRow, check_gradients, format_gradcheck
from .initializers import INITIALIZERS
from .layers import Dense, Parameter
from .losses import LOSSES, BinaryCrossEntropy, CategoricalCrossEntropy, Loss, SquaredError, get_loss
from .network import Network
from .optim import SGD, Optimizer

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "Dense",
    "DivergenceError",
    "GradCheckRow",
    "INITIALIZERS",
    "LOSSES",
    "Loss",
    "Network",
    "Optimizer",
    "Parameter",
    "SGD",
    "SquaredError",
    "Trace",
    "build_trace",
    "layer_summary",
    "trace_steps",
    "check_gradients",
    "format_gradcheck",
    "get_activation",
    "get_loss",
    "__version__",
]

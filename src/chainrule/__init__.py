"""chainrule: fully connected neural networks trained by backpropagation, every step visible.

Data flows through the package in this order::

    activations, losses   the functions and their derivatives
    layers                Dense: z = X @ W + b, a = f(z); backward fills dW, db
    network               Network: layers + loss; forward, backward, train
    optim                 optimizers apply the gradients
    gradcheck             finite differences against backpropagation
    explain               the tutorial's names and step-by-step derivation
    visual                SVG diagrams, the HTML report, the interactive explorer (``chainrule serve``)
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
from .visual import network_svg, render_html, trace_svg

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
    "check_gradients",
    "format_gradcheck",
    "get_activation",
    "get_loss",
    "layer_summary",
    "network_svg",
    "render_html",
    "trace_steps",
    "trace_svg",
    "__version__",
]

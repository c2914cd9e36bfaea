"""chainrule: fully connected neural networks trained by backpropagation, every step visible.

Data flows through the package in this order::

    activations, losses   the functions and their derivatives
    layers                Dense: z = X @ W + b, a = f(z); backward fills dW, db
    network               Network: layers + loss; forward, backward, train
    optim                 optimizers apply the gradients; learning-rate schedules
    training              Network.fit: mini-batches, validation, early stopping, history
    gradcheck             finite differences against backpropagation
    explain               the tutorial's names and step-by-step derivation
    io                    model files (safetensors + checked JSON metadata), checkpoints, atomic saves
    tabular, export, plots, sklearn
                          CSV/Parquet tables and preprocessing, ONNX, PNG plots, scikit-learn estimators
    visual                SVG diagrams, the HTML report, the interactive explorer (``chainrule serve``)
    cli                   the ``chainrule`` command
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .errors import DivergenceError
from .explain import Trace, build_trace, layer_summary, trace_steps
from .gradcheck import GradCheckRow, check_gradients, format_gradcheck
from .initializers import INITIALIZERS
from .io import ModelFileError, load_model, save_model
from .layers import Dense, Parameter
from .losses import LOSSES, BinaryCrossEntropy, CategoricalCrossEntropy, Loss, SquaredError, get_loss
from .network import Network
from .optim import SGD, Adam, AdamW, Optimizer, RMSprop
from .training import Callback, EarlyStopping, History
from .visual import network_svg, render_html, trace_svg

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "Adam",
    "AdamW",
    "BinaryCrossEntropy",
    "Callback",
    "CategoricalCrossEntropy",
    "Dense",
    "DivergenceError",
    "EarlyStopping",
    "GradCheckRow",
    "History",
    "INITIALIZERS",
    "Loss",
    "LOSSES",
    "ModelFileError",
    "Network",
    "Optimizer",
    "Parameter",
    "RMSprop",
    "SGD",
    "SquaredError",
    "Trace",
    "build_trace",
    "check_gradients",
    "format_gradcheck",
    "get_activation",
    "get_loss",
    "layer_summary",
    "load_model",
    "network_svg",
    "render_html",
    "save_model",
    "trace_steps",
    "trace_svg",
    "__version__",
]

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

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Adam",
    "AdamW",
    "Callback",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "Dense",
    "DivergenceError",
    "EarlyStopping",
    "History",
    "GradCheckRow",
    "INITIALIZERS",
    "LOSSES",
    "ModelFileError",
    "Loss",
    "Network",
    "Optimizer",
    "Parameter",
    "RMSprop",
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
    "load_model",
    "save_model",
    "__version__",
]

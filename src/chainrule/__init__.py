"""chainrule: fully connected neural networks trained by backpropagation, every step visible.

Data flows through the package in this order (each layer uses only those above it)::

    core                  the engine: activations, losses, layers, Network (inference, the
                          training pass, checked updates), metrics, gradcheck, validation
    optim                 optimizers apply the gradients; learning-rate schedules
    training              the one loop behind Network.fit: mini-batches, validation, early
                          stopping, history; a Strategy says where the work happens
    distributed           the DataParallel strategy: the same loop over MPI processes
    explain               the tutorial's names and step-by-step derivation
    io                    model files (safetensors + checked JSON metadata), checkpoints, atomic saves
    tabular, export, plots, sklearn
                          CSV/Parquet tables and preprocessing, ONNX, PNG plots, scikit-learn estimators
    visual                SVG diagrams, the HTML report, the interactive explorer (``chainrule serve``)
    cli                   the ``chainrule`` command

``import chainrule`` loads the engine (:mod:`chainrule.core`, and the training strategy
registry) and nothing else:
every other name here, and every subpackage, is imported when a program first
uses it (``chainrule.render_html`` loads :mod:`chainrule.visual` then), so that
a script that only trains pays for what it uses.
"""

from typing import TYPE_CHECKING, Any

from .core import (
    ACTIVATIONS,
    ELU,
    GELU,
    INITIALIZERS,
    LOSSES,
    Activation,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Dense,
    DivergenceError,
    GradCheckRow,
    Loss,
    Network,
    NetworkSpec,
    Parameter,
    SiLU,
    Softplus,
    SquaredError,
    ValidationError,
    check_gradients,
    format_gradcheck,
    get_activation,
    get_loss,
    register_activation,
    register_loss,
    unregister_activation,
    unregister_loss,
)
from .core.lazy import lazy_exports
from .training.strategy import register_strategy_provider
from .version import __version__

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name loads on first use
    from .explain import Trace, build_trace, layer_summary, trace_steps
    from .io import ModelFileError, load_model, save_model
    from .optim import SGD, Adam, AdamW, Optimizer, RMSprop
    from .training import Callback, EarlyStopping, History
    from .visual import network_svg, render_html, trace_svg

# Everything above the engine loads when first used (``chainrule.render_html`` imports
# chainrule.visual then), so that ``import chainrule`` costs the engine alone.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".explain": ["Trace", "build_trace", "layer_summary", "trace_steps"],
        ".io": ["ModelFileError", "load_model", "save_model"],
        ".optim": ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop"],
        ".training": ["Callback", "EarlyStopping", "History"],
        ".visual": ["network_svg", "render_html", "trace_svg"],
    },
    # Subpackages reachable as attributes after ``import chainrule`` (each needs NumPy only;
    # chainrule.sklearn needs scikit-learn, so it is imported by name).
    submodules=[
        "cli",
        "core",
        "datasets",
        "distributed",
        "exercise",
        "explain",
        "export",
        "i18n",
        "io",
        "notebook",
        "optim",
        "plots",
        "tabular",
        "training",
        "version",
        "visual",
    ],
)


def _data_parallel_for(comm: Any, sharded: bool) -> Any:
    """The data-parallel strategy provider, imported when ``fit`` first asks for one."""
    from .distributed.strategy import data_parallel_for

    return data_parallel_for(comm, sharded)


# The composition root: data-parallel training plugs into the training loop here, so that
# neither the engine nor the loop imports MPI code (chainrule.distributed imports mpi4py
# only when a communicator is really needed, and is itself imported at the first fit).
register_strategy_provider(_data_parallel_for)


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
    "ELU",
    "GELU",
    "GradCheckRow",
    "History",
    "INITIALIZERS",
    "Loss",
    "LOSSES",
    "ModelFileError",
    "Network",
    "NetworkSpec",
    "Optimizer",
    "Parameter",
    "RMSprop",
    "SGD",
    "SiLU",
    "Softplus",
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
    "register_activation",
    "register_loss",
    "render_html",
    "save_model",
    "trace_steps",
    "trace_svg",
    "unregister_activation",
    "unregister_loss",
    "ValidationError",
    "__version__",
]


def _register_notebook_displays() -> None:
    """Inside IPython (a notebook), show networks, traces and histories richly (chainrule.notebook)."""
    import sys

    if "IPython" in sys.modules:  # never imports IPython itself
        from .notebook.display import register

        register()


_register_notebook_displays()

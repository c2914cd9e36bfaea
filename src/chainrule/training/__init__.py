"""Training: the one loop behind :meth:`chainrule.Network.fit` and what plugs into it.

Modules: ``loop`` (:func:`fit`, TrainingLoop), ``strategy`` (where the work
happens: one process here, many through :mod:`chainrule.distributed`),
``callbacks``, ``early_stopping``, ``convergence`` (scikit-learn's rule), ``history``, ``progress``. The metrics
themselves live in :mod:`chainrule.core.metrics`.

Each name loads with its module on first use: ``import chainrule`` imports
only ``strategy`` (to register the data-parallel provider), and the loop, the
optimizers and the progress bar come with the first ``fit``.
"""

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports

__all__ = [
    "BatchPlan",
    "Callback",
    "ConvergenceRule",
    "EarlyStopping",
    "History",
    "KeepEpochWeights",
    "LEARNING_RATE_SCHEDULES",
    "LambdaCallback",
    "METRICS",
    "Metric",
    "ProgressBar",
    "Strategy",
    "StrategyProvider",
    "TrainingLoop",
    "check_validation_data",
    "display_order",
    "fit",
    "get_metric",
    "register_strategy_provider",
    "resolve_seed",
    "resolve_strategy",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name loads on first use
    from ..core.metrics import METRICS, Metric, get_metric
    from .callbacks import Callback, KeepEpochWeights, LambdaCallback
    from .convergence import LEARNING_RATE_SCHEDULES, ConvergenceRule
    from .early_stopping import EarlyStopping
    from .history import History, display_order
    from .loop import TrainingLoop, check_validation_data, fit, resolve_seed
    from .progress import ProgressBar
    from .strategy import BatchPlan, Strategy, StrategyProvider, register_strategy_provider, resolve_strategy

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "..core.metrics": ["METRICS", "Metric", "get_metric"],
        ".callbacks": ["Callback", "KeepEpochWeights", "LambdaCallback"],
        ".convergence": ["LEARNING_RATE_SCHEDULES", "ConvergenceRule"],
        ".early_stopping": ["EarlyStopping"],
        ".history": ["History", "display_order"],
        ".loop": ["TrainingLoop", "check_validation_data", "fit", "resolve_seed"],
        ".progress": ["ProgressBar"],
        ".strategy": ["BatchPlan", "Strategy", "StrategyProvider", "register_strategy_provider", "resolve_strategy"],
    },
    submodules=["callbacks", "convergence", "early_stopping", "history", "loop", "progress", "strategy"],
)

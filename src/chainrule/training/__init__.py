"""Training: the one loop behind :meth:`chainrule.Network.fit` and what plugs into it.

Modules: ``loop`` (:func:`fit`, TrainingLoop), ``strategy`` (where the work
happens: one process here, many through :mod:`chainrule.distributed`),
``callbacks``, ``early_stopping``, ``convergence`` (scikit-learn's rule), ``history``, ``progress``. The metrics
themselves live in :mod:`chainrule.core.metrics`.
"""

from ..core.metrics import METRICS, Metric, get_metric
from .callbacks import Callback, KeepEpochWeights, LambdaCallback
from .convergence import LEARNING_RATE_SCHEDULES, ConvergenceRule
from .early_stopping import EarlyStopping
from .history import History, display_order
from .loop import TrainingLoop, check_validation_data, fit, resolve_seed
from .progress import ProgressBar
from .strategy import BatchPlan, Strategy, StrategyProvider, register_strategy_provider, resolve_strategy

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

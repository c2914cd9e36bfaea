"""Training: the loop behind :meth:`chainrule.Network.fit` and what plugs into it.

Modules: ``loop`` (TrainingLoop, evaluate), ``callbacks``, ``early_stopping``,
``history``, ``metrics``, ``progress``.
"""

from .callbacks import Callback, LambdaCallback
from .early_stopping import EarlyStopping
from .history import History
from .loop import TrainingLoop, evaluate
from .metrics import METRICS, Metric, get_metric
from .progress import ProgressBar

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "METRICS",
    "Metric",
    "ProgressBar",
    "TrainingLoop",
    "evaluate",
    "get_metric",
]

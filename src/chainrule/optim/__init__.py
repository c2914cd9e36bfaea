"""Optimizers apply the gradients that backward computed; schedules vary their learning rate."""

from typing import Any

from .adam import Adam, AdamW
from .base import Optimizer
from .mlp_rules import MLPSGD, MLPAdam
from .rmsprop import RMSprop
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, Schedule, SequentialLR, StepLR, warmup
from .sgd import SGD

__all__ = [
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LinearLR",
    "MLPAdam",
    "MLPSGD",
    "OPTIMIZERS",
    "Optimizer",
    "RMSprop",
    "SGD",
    "Schedule",
    "SequentialLR",
    "StepLR",
    "get_optimizer",
    "warmup",
]

OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}


def get_optimizer(spec: str | Optimizer, learning_rate: float | None = None, **options: Any) -> Optimizer:
    """An unbound optimizer named in :data:`OPTIMIZERS` (its default rate unless given), or ``spec`` itself."""
    from ..core.validation import fail

    if isinstance(spec, Optimizer):
        if learning_rate is not None:
            raise fail("learning_rate", "None when an Optimizer instance is given (set it there)", learning_rate)
        return spec
    if not isinstance(spec, str) or spec.lower() not in OPTIMIZERS:
        raise fail("optimizer", f"one of {sorted(OPTIMIZERS)} or an Optimizer", spec)
    cls = OPTIMIZERS[spec.lower()]
    if learning_rate is not None:
        options["learning_rate"] = learning_rate
    return cls(None, **options)

"""Backpropagation shown step by step, with the tutorial's names."""

from .formula import Expr, evaluate, substitute
from .naming import Naming, ParameterName
from .quantities import step_quantities
from .trace import (
    MAX_TRACE_PARAMETERS,
    Form,
    Group,
    Quantity,
    Stage,
    Trace,
    TraceTooLarge,
    build_trace,
    trace_steps,
)
from .tutorial import tutorial_network, worked_example

__all__ = [
    "MAX_TRACE_PARAMETERS",
    "Expr",
    "Form",
    "Group",
    "Naming",
    "ParameterName",
    "Quantity",
    "Stage",
    "Trace",
    "TraceTooLarge",
    "build_trace",
    "evaluate",
    "step_quantities",
    "substitute",
    "trace_steps",
    "tutorial_network",
    "worked_example",
]

"""Backpropagation shown step by step, with the tutorial's names."""

from .formula import Expr, evaluate, substitute
from .naming import Naming, ParameterName
from .model import Form, Group, Quantity, Stage, Trace
from .convention import HIDDEN_DELTAS, train_with_convention
from .quantities import step_quantities
from .trace import MAX_TRACE_PARAMETERS, TraceTooLarge, build_trace, trace_steps
from .tutorial import tutorial_network, worked_example
from .config import Conventions, ExplainSetup, config_from_network, convert_config, load_setup, setup_from_config
from .render import FORMATS, render
from .summary import LayerSummary, layer_summary, render_summary

__all__ = [
    "FORMATS",
    "HIDDEN_DELTAS",
    "MAX_TRACE_PARAMETERS",
    "Conventions",
    "ExplainSetup",
    "config_from_network",
    "convert_config",
    "LayerSummary",
    "layer_summary",
    "load_setup",
    "render",
    "render_summary",
    "setup_from_config",
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
    "train_with_convention",
    "tutorial_network",
    "worked_example",
]

"""Backpropagation shown step by step, with the tutorial's names.

====================  =============================================================
module                what it holds
====================  =============================================================
``naming``            neurons and parameters: ``i1``, ``h1``, ``o1``, ``w5``, ``b1`` and their array elements
``names``             every derived quantity's name (``net_h1`` .. ``w5+``) and what each kind means
``formula``           formulas as expression trees
``model``             the trace's data: Quantity, Group, Stage, Trace
``walk``, ``stages``  the one walk through a step, and one builder per stage
``forms``             the formulas of each activation and loss
``trace``             :func:`build_trace`, :func:`trace_steps`
``convention``        the hidden-deltas conventions; :func:`train_with_convention` (N updates, untraced)
``quantities``        :func:`step_quantities` (a step's values as a dict)
``render``            text, Markdown, LaTeX and JSON
``summary``           the per-layer summary for networks of any size
``tutorial``          the worked example
``config``            explain's configuration files
====================  =============================================================
"""

from .config import Conventions, ExplainSetup, config_from_network, convert_config, load_setup, setup_from_config
from .convention import HIDDEN_DELTAS, train_with_convention
from .formula import Expr, evaluate, substitute
from .model import Form, Group, Quantity, Stage, Trace
from .naming import Naming, ParameterName
from .quantities import step_quantities
from .render import FORMATS, render
from .summary import LayerSummary, layer_summary, render_summary
from .trace import MAX_TRACE_PARAMETERS, TraceTooLarge, build_trace, trace_steps
from .tutorial import tutorial_network, worked_example

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

"""Backpropagation shown step by step, with the tutorial's names."""

from .naming import Naming, ParameterName
from .quantities import step_quantities
from .tutorial import tutorial_network, worked_example

__all__ = ["Naming", "ParameterName", "step_quantities", "tutorial_network", "worked_example"]

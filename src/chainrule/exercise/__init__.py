"""Exercise sheets for teachers: a random network from a seed, questions on one step, a separate answer key.

=============  ===================================================================
module         what it holds
=============  ===================================================================
``sheet``      :func:`make_exercise`: the network, the sample, the traced step, the questions
``render``     :func:`render_exercise` (LaTeX or HTML, sheet or key, any language), :func:`compile_pdf`
=============  ===================================================================

From the command line: ``chainrule exercise --seed 7 --format pdf -o sheet.pdf`` and
``chainrule exercise --seed 7 --key --format pdf -o key.pdf``.
"""

from .render import FORMATS, compile_pdf, render_exercise
from .sheet import KINDS, MAX_LAYERS, MAX_NEURONS, Exercise, Question, make_exercise

__all__ = [
    "FORMATS",
    "KINDS",
    "MAX_LAYERS",
    "MAX_NEURONS",
    "Exercise",
    "Question",
    "compile_pdf",
    "make_exercise",
    "render_exercise",
]

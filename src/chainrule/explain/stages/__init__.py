"""One builder per stage of a trace, each computing its quantities' values and formulas together.

========================  =====================================================
module                    stage
========================  =====================================================
:mod:`.given`             ``given``: inputs, targets, parameters, ``eta``
:mod:`.forward`           ``forward``: ``net`` and ``out``, layer by layer
:mod:`.error`             ``error``: ``E_o`` and ``E_total``
:mod:`.backward`          ``backward_output`` and ``backward_hidden``, one layer at a time
:mod:`.update`            ``update``: ``w+`` and ``b+``, one layer at a time
========================  =====================================================

Each builder takes the :class:`~chainrule.explain.walk.StepWalk`;
:func:`~chainrule.explain.trace.build_trace` calls them in the order the step
computes, which for the last two is layer by layer from the output:
``backward(L)``, ``update(L)``, ``backward(L - 1)``, ... -- so that under the
``"updated"`` hidden-deltas convention the paths into a layer can use the
following layer's updated weights, computed once, by the update builder.
"""

from .backward import build_backward
from .error import build_error
from .forward import build_forward
from .given import build_given
from .update import build_update

__all__ = ["build_backward", "build_error", "build_forward", "build_given", "build_update"]

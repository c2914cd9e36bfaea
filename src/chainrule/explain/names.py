"""The names of a trace's quantities, and what each kind means: the one place that spells them.

Neurons and parameters are named by :mod:`chainrule.explain.naming` (``i1``,
``h1``, ``o1``, ``w5``, ``b1``); this module builds from them the name of every
derived quantity. The stage builders (:mod:`chainrule.explain.stages`), the
diagram and the explorer ask these functions for a name instead of writing
``f"delta_{neuron}"`` themselves, so that a quantity's name, and its meaning in
:data:`KINDS`, change here alone.

========================  =====================  =========================================================================================
name                      function               meaning
========================  =====================  =========================================================================================
``i1``                    (naming)               an input value
``target_o1``             :func:`target`         the target of an output
``w5``, ``b1``            (naming)               a weight or bias before the update
``eta``                   :data:`LEARNING_RATE`  the learning rate
``net_h1``                :func:`net`            a neuron's pre-activation
``out_h1``                :func:`out`            a neuron's activation
``E_o1``                  :func:`error`          one output's share of the error
``E_total``               :data:`ERROR_TOTAL`    the error, the sum of the shares
``dE_total/dout_o1``      :func:`dE_dout`        the error's derivative by a neuron's out
``dout_o1/dnet_o1``       :func:`dout_dnet`      the activation's derivative (softmax: a Jacobian entry)
``delta_o1``              :func:`delta`          dE_total/dnet_o1
``dE_o1/dout_h1``         :func:`path`           one path's share of dE_total/dout_h1: delta_o1 * w5
``dE_total/dout_h1[o1]``  :func:`path`           the same share where it is no derivative of an E_o1 (softmax, or through a hidden neuron)
``dnet_o1/dw5``           :func:`dnet_dw`        what the weight multiplies (its source's out, or an input)
``dE_total/dw5``          :func:`gradient`       the gradient of a weight or trainable bias
``w5+``, ``b1+``          :func:`updated`        the value after the update ``w - eta * dE_total/dw``
========================  =====================  =========================================================================================
"""

from __future__ import annotations

from ..i18n import N_

__all__ = [
    "ERROR_TOTAL",
    "KINDS",
    "LEARNING_RATE",
    "dE_dout",
    "delta",
    "dnet_dw",
    "dout_dnet",
    "error",
    "gradient",
    "net",
    "out",
    "path",
    "target",
    "updated",
]

#: The learning rate's name.
LEARNING_RATE = "eta"
#: The whole error's name.
ERROR_TOTAL = "E_total"


def target(neuron: str) -> str:
    """``target_o1``: the target of output ``neuron``."""
    return f"target_{neuron}"


def net(neuron: str) -> str:
    """``net_h1``: the pre-activation ``z`` of ``neuron``."""
    return f"net_{neuron}"


def out(neuron: str) -> str:
    """``out_h1``: the activation ``a`` of ``neuron``."""
    return f"out_{neuron}"


def error(neuron: str) -> str:
    """``E_o1``: output ``neuron``'s share of the error."""
    return f"E_{neuron}"


def dE_dout(neuron: str) -> str:
    """``dE_total/dout_h1``: the error's derivative with respect to ``neuron``'s out."""
    return f"dE_total/dout_{neuron}"


def dout_dnet(out_neuron: str, net_neuron: str) -> str:
    """``dout_o2/dnet_o1``: the derivative of one neuron's out by a net of its layer."""
    return f"dout_{out_neuron}/dnet_{net_neuron}"


def delta(neuron: str) -> str:
    """``delta_o1``: dE_total/dnet of ``neuron``."""
    return f"delta_{neuron}"


def path(through: str, neuron: str, *, output: bool = True, elementwise: bool = True) -> str:
    """The share of dE_total/dout_``neuron`` that flows through ``through``: ``delta_through * w``.

    ``output``: ``through`` is an output neuron; ``elementwise``: the
    activation of ``through``'s layer acts on each neuron alone (not softmax).
    Only then is the share the derivative the tutorial names it, ``dE_o1/dout_h1``
    (E_o1 depends on out_h1 through net_o1 alone). Otherwise it is the term
    ``o1`` of the sum dE_total/dout_h1 -- through a softmax output every E_o
    depends on every net, and a hidden neuron has no error of its own -- and is
    named for that: ``dE_total/dout_h1[o1]``.
    """
    if output and elementwise:
        return f"dE_{through}/dout_{neuron}"
    return f"dE_total/dout_{neuron}[{through}]"


def dnet_dw(neuron: str, weight: str) -> str:
    """``dnet_o1/dw5``: what ``weight`` multiplies in ``neuron``'s net."""
    return f"dnet_{neuron}/d{weight}"


def gradient(parameter: str) -> str:
    """``dE_total/dw5``: the gradient of a weight or bias."""
    return f"dE_total/d{parameter}"


def updated(parameter: str) -> str:
    """``w5+``: a weight or bias after the update."""
    return f"{parameter}+"


#: What each kind of quantity means (the JSON schema's ``kind``; see ``docs/trace-schema.md``), in English
#: (translated where shown).
KINDS: dict[str, str] = {
    "input": N_("an input value of the sample"),
    "target": N_("the target of an output neuron"),
    "weight": N_("a weight before the update"),
    "bias": N_("a bias before the update"),
    "learning_rate": N_("the learning rate eta"),
    "net": N_("a neuron's pre-activation: the weighted sum of its inputs plus its bias"),
    "out": N_("a neuron's activation, f(net)"),
    "error": N_("one output's share of the error"),
    "error_total": N_("the error E_total, the sum of the outputs' shares"),
    "dE_dout": N_("the error's derivative with respect to a neuron's out"),
    "dout_dnet": N_("the derivative of a neuron's out with respect to a net of its layer"),
    "delta": N_("the error's derivative with respect to a neuron's net"),
    "path": N_(
        "the share of dE_total/dout of a hidden neuron that flows through one neuron of the next "
        "layer: that neuron's delta times the weight between them (named dE_o1/dout_h1 where it is that "
        "derivative, through an output of an elementwise activation; dE_total/dout_h1[o1], the term o1 "
        "of the sum, otherwise)"
    ),
    "dnet_dw": N_("the derivative of a net with respect to a weight into it: the value the weight multiplies"),
    "gradient": N_("the error's derivative with respect to a weight or trainable bias"),
    "update": N_("a weight or bias after the gradient-descent update"),
}

"""Activation functions, each with its derivative right beside its forward.

An activation maps the pre-activation ``z`` (the tutorial's ``net``) to the
activation ``a`` (the tutorial's ``out``), elementwise or, for softmax, row by
row. Both arrays have shape ``(n_samples, n_neurons)``.

Every derivative is computed from what forward cached, never from a free
function whose argument could mean either ``z`` or ``a``: sigmoid's is
``a (1 - a)``, tanh's ``1 - a**2``, ReLU's ``a > 0``, all from the cached ``a``;
an activation whose derivative needs the pre-activation too (GELU, SiLU, see
:mod:`chainrule.core.smooth_activations`) says so with ``needs_z = True`` and
receives ``z`` by keyword. All functions write into caller-owned ``out``
buffers so that the training loop allocates nothing.

Each activation also carries its *facts*, read by the rest of the library
instead of switching on names: its formula and its derivative's formula (for
the trace, through the expression builder of :mod:`chainrule.core.formulas`),
its ONNX operators (:mod:`chainrule.core.onnx_graph`), its kinks (for gradient
checking), its default initialiser, and whether it is elementwise.

Your own activation: subclass :class:`Activation`, set ``name``, define
``forward`` and ``derivative`` (or ``backward``), optionally the facts, and
register it with :func:`register_activation` (also a class decorator) so that
model files and configs can name it. See :mod:`chainrule.core.registry` for the
naming rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .formulas import FormulaOps
from .onnx_graph import OnnxNode
from .registry import Component, Registry
from .validation import check_positive_float, fail

__all__ = [
    "Activation",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "Softmax",
    "Identity",
    "get_activation",
    "register_activation",
    "unregister_activation",
    "default_initializer",
    "ACTIVATIONS",
]


class Activation(Component):
    """Base class: ``forward`` fills ``a`` from ``z``; ``backward`` turns dE/da into dE/dz.

    A subclass defines ``name``, :meth:`forward` and :meth:`derivative` (or
    :meth:`backward`, required when it is not elementwise, with :meth:`jacobian`).
    The class attributes and the ``*formula``/``onnx_nodes`` methods below are its
    facts; the defaults suit an elementwise activation the library knows nothing
    else about (the trace then writes ``name(net_h1)`` and ``name'(net_h1)``, and
    ONNX export refuses it).
    """

    #: True when dout_k/dnet_j is zero for k != j (all but softmax).
    elementwise: bool = True
    #: True when :meth:`derivative` and :meth:`backward` read the pre-activation ``z``
    #: besides ``a``; callers then pass it as the keyword ``z`` (see :meth:`backward_from`).
    needs_z: bool = False
    #: Values of ``z`` where the computed function is not smooth: the derivative is
    #: undefined there (ReLU at 0), the second derivative jumps (ELU at 0), or the
    #: computation switches formula (softplus at its threshold). Gradient checking
    #: shrinks its step so that no finite difference straddles one.
    kinks: tuple[float, ...] = ()
    #: The weight initialiser that suits layers of this activation when none is given:
    #: He for the rectifier family (half of the inputs are cut), Glorot for the rest.
    default_init: str = "glorot_uniform"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write ``f(z)`` into ``out`` (shape ``(n, m)``, not aliasing ``z``) and return it."""
        raise NotImplementedError

    def forward_unchecked(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """As :meth:`forward`, for callers that already silence floating-point overflow.

        The training loop runs inside ``np.errstate(over="ignore")``; entering that
        context again on every layer of every step would cost more than the
        arithmetic for small networks.
        """
        return self.forward(z, out)

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write the elementwise derivative dout/dnet, from the cached ``a``, into ``out``.

        Defined for elementwise activations; softmax has a full Jacobian per row.
        An activation with ``needs_z`` defines ``derivative(self, a, out, *, z)``.
        """
        raise NotImplementedError

    def backward(self, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Chain rule through the activation: ``out = grad_a * f'(z)``, using cached ``a``.

        ``a``, ``grad_a`` and ``out`` have shape ``(n, m)``; ``out`` may not alias ``grad_a``
        unless the activation says so.
        """
        self.derivative(a, out)
        np.multiply(out, grad_a, out=out)
        return out

    # -- both cached arrays, by keyword -------------------------------------------------------
    def derivative_from(self, *, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`derivative` given the layer's cached ``z`` and ``a``; ``z`` goes on only where needed."""
        if self.needs_z:
            return self.derivative(a, out, z=z)  # type: ignore[call-arg]
        return self.derivative(a, out)

    def backward_from(self, *, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`backward` given the layer's cached ``z`` and ``a``; ``z`` goes on only where needed."""
        if self.needs_z:
            return self.backward(a, grad_a, out, z=z)  # type: ignore[call-arg]
        return self.backward(a, grad_a, out)

    def _backward_with_z(self, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray, *, z: np.ndarray) -> np.ndarray:
        """The default :meth:`backward` of an activation with ``needs_z``: ``grad_a * f'(z)``."""
        self.derivative(a, out, z=z)  # type: ignore[call-arg]
        np.multiply(out, grad_a, out=out)
        return out

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The default backward stays free of a z branch (it runs on every step of
        # sigmoid, tanh and the ReLUs), so an activation that reads z and keeps the
        # default gets the variant that passes z on.
        if cls.needs_z and cls.backward is Activation.backward:
            # (mypy cannot see that a needs_z activation's backward takes z: assigned here on purpose)
            cls.backward = Activation._backward_with_z  # type: ignore[method-assign,assignment]

    # -- facts ------------------------------------------------------------------------------
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> Sequence[Any] | None:
        """``out`` as formulas of ``net``, built with ``ops`` (see :mod:`chainrule.core.formulas`).

        ``layer_nets`` are the nets of every neuron of the layer (softmax's sum needs
        them). Several formulas read as ``out = f1 = f2``; the trace substitutes
        numbers into the last one only. None: no formula (the trace writes ``name(net)``).
        """
        return None

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any | None:
        """dout/dnet as a formula of the cached ``out`` and/or ``net`` (None: ``name'(net)``)."""
        return None

    def onnx_nodes(self) -> list[OnnxNode] | None:
        """The ONNX operators computing ``a`` from ``z`` (see :mod:`chainrule.core.onnx_graph`), or None."""
        return None


class Sigmoid(Activation):
    """``a = 1 / (1 + exp(-z))``; ``da/dz = a (1 - a)``.

    The plain formula is exact in both tails once exp's overflow is allowed:
    for very negative ``z``, ``exp(-z)`` becomes ``inf`` and ``1/inf`` is the
    correct limit 0, so only the overflow warning needs silencing.
    """

    name = "sigmoid"
    _one: np.ndarray | None = None  # scratch: 1 as a 0-d array of the data's dtype

    def _one_like(self, array: np.ndarray) -> np.ndarray:
        # A 0-d array of the dtype gives the same bits as the literal 1.0, and saves the
        # conversion of a Python float on every call (which dominates on tiny layers).
        one = self._one = np.ones((), dtype=array.dtype)
        return one

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return self.forward_unchecked(z, out)

    def forward_unchecked(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        one = self._one
        if one is None or one.dtype is not out.dtype:
            one = self._one_like(out)
        np.negative(z, out)
        np.exp(out, out)
        np.add(out, one, out)
        np.reciprocal(out, out)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        one = self._one
        if one is None or one.dtype is not a.dtype:
            one = self._one_like(a)
        np.subtract(one, a, out)
        np.multiply(out, a, out)
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (ops.call("sigmoid", net), ops.div(1.0, ops.add(1.0, ops.call("exp", ops.neg(net)))))

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.mul(out, ops.sub(1.0, out))

    def onnx_nodes(self) -> list[OnnxNode]:
        return [OnnxNode("Sigmoid", ("z",), "a")]


class Tanh(Activation):
    """``a = tanh(z)``; ``da/dz = 1 - a**2``."""

    name = "tanh"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.tanh(z, out=out)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(a, a, out=out)
        np.subtract(1.0, out, out=out)
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (ops.call("tanh", net),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.sub(1.0, ops.pow(out, 2.0))

    def onnx_nodes(self) -> list[OnnxNode]:
        return [OnnxNode("Tanh", ("z",), "a")]


class ReLU(Activation):
    """``a = max(z, 0)``; ``da/dz = 1 where a > 0 else 0`` (0 at the kink z = 0)."""

    name = "relu"
    kinks = (0.0,)
    default_init = "he_uniform"
    _zero: np.ndarray | None = None  # scratch: 0 as a 0-d array of the data's dtype (as Sigmoid's one)

    def _zero_like(self, array: np.ndarray) -> np.ndarray:
        zero = self._zero = np.zeros((), dtype=array.dtype)
        return zero

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        zero = self._zero
        if zero is None or zero.dtype is not z.dtype:
            zero = self._zero_like(z)
        np.maximum(z, zero, out=out)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        # np.greater casts its booleans through a small fixed ufunc buffer (8192
        # elements at most); the SIMD alternatives without it (sign, heaviside) are slower.
        zero = self._zero
        if zero is None or zero.dtype is not a.dtype:
            zero = self._zero_like(a)
        np.greater(a, zero, out=out)
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (ops.call("max", net, 0.0),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.call("step", net)

    def onnx_nodes(self) -> list[OnnxNode]:
        return [OnnxNode("Relu", ("z",), "a")]


class LeakyReLU(Activation):
    """``a = z if z > 0 else alpha * z``; ``da/dz = 1 where a > 0 else alpha``.

    ``alpha`` must lie in (0, 1) so that the sign of ``a`` equals the sign of ``z``,
    which is what lets the derivative be read from the cached ``a``.
    """

    name = "leaky_relu"
    kinks = (0.0,)
    default_init = "he_uniform"

    def __init__(self, alpha: float = 0.01) -> None:
        alpha = check_positive_float(alpha, "leaky_relu alpha")
        if alpha >= 1.0:
            raise fail("leaky_relu alpha", "a number in (0, 1)", alpha)
        self.alpha = alpha

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(z, self.alpha, out=out)
        np.maximum(z, out, out=out)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.greater(a, 0.0, out=out)
        out *= 1.0 - self.alpha
        out += self.alpha
        return out

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (ops.call("max", net, ops.mul(self.alpha, net)),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.call("step", net, self.alpha)

    def onnx_nodes(self) -> list[OnnxNode]:
        # The engine's own two operations, not ONNX's LeakyRelu: its alpha attribute is a float32,
        # while a constant input is stored in the graph's dtype, so float64 graphs stay exact.
        return [OnnxNode("Mul", ("z", float(self.alpha)), "alpha_z"), OnnxNode("Max", ("z", "alpha_z"), "a")]


class Identity(Activation):
    """``a = z``; ``da/dz = 1``."""

    name = "identity"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        if out is not z:
            np.copyto(out, z)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        out.fill(1.0)
        return out

    def backward(self, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, grad_a)
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (net,)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.num(1.0)

    def onnx_nodes(self) -> list[OnnxNode]:
        return [OnnxNode("Identity", ("z",), "a")]


class Softmax(Activation):
    """Row-wise ``a_k = exp(z_k - max z) / sum_j exp(z_j - max z)``.

    Its Jacobian is ``da_k/dz_j = a_k (delta_kj - a_j)``, so the chain rule is
    ``dE/dz = a * (dE/da - sum_k(dE/da_k * a_k))`` per row.
    """

    name = "softmax"
    elementwise = False
    _row: np.ndarray | None = None  # scratch: one (n, 1) column

    def _row_buffer(self, n: int, dtype: np.dtype) -> np.ndarray:
        row = self._row
        if row is None or row.shape[0] != n or row.dtype != dtype:
            row = self._row = np.empty((n, 1), dtype=dtype)
        return row

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        row = self._row_buffer(z.shape[0], z.dtype)
        np.max(z, axis=1, keepdims=True, out=row)
        np.subtract(z, row, out=out)
        np.exp(out, out=out)
        np.sum(out, axis=1, keepdims=True, out=row)
        out /= row
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The Jacobian's diagonal ``a (1 - a)`` (the off-diagonal terms are ``-a_k a_j``)."""
        np.subtract(1.0, a, out=out)
        np.multiply(out, a, out=out)
        return out

    def jacobian(self, a_row: np.ndarray) -> np.ndarray:
        """Full Jacobian ``(m, m)`` for one sample's activations ``a_row`` (shape ``(m,)``)."""
        return np.diag(a_row) - np.outer(a_row, a_row)

    def backward(self, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray) -> np.ndarray:
        row = self._row_buffer(a.shape[0], a.dtype)
        np.multiply(grad_a, a, out=out)
        np.sum(out, axis=1, keepdims=True, out=row)
        np.subtract(grad_a, row, out=out)
        np.multiply(out, a, out=out)
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (ops.div(ops.call("exp", net), ops.add(*[ops.call("exp", n) for n in layer_nets])),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        """The Jacobian's diagonal, as :meth:`derivative`."""
        return ops.mul(out, ops.sub(1.0, out))

    def onnx_nodes(self) -> list[OnnxNode]:
        return [OnnxNode("Softmax", ("z",), "a", {"axis": -1})]


#: Every activation by name: the built-ins, then those registered with :func:`register_activation`.
ACTIVATIONS: Registry[Activation] = Registry(
    "activation",
    Activation,
    "chainrule.register_activation",
    required=("forward", ("derivative", "backward")),
)
for _cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity):
    ACTIVATIONS.add_builtin(_cls)
del _cls


def register_activation(cls: Any = None, *, replace: bool = False) -> Any:
    """Register your :class:`Activation` subclass under its ``name``; return it (a class decorator too).

    Afterwards the name works wherever a built-in's does: ``Dense(2, 2, "cube")``,
    ``Network.from_sizes(..., "cube")``, explain configs, and model files, which
    store it as ``{"name": "cube", **options}`` and need it registered again
    before they load. Built-in names are reserved; ``replace=True`` takes over a
    name an earlier registration of yours holds. See :mod:`chainrule.core.registry`.
    """
    return ACTIVATIONS.register(cls, replace=replace)


def unregister_activation(name: str) -> None:
    """Forget an activation you registered."""
    ACTIVATIONS.unregister(name)


def get_activation(spec: str | dict[str, Any] | Activation) -> Activation:
    """Resolve a name (``"tanh"``), a config dict or an instance to a fresh :class:`Activation`.

    Anything else is refused with a :class:`~chainrule.core.errors.ValidationError`.

    >>> get_activation("leaky_relu")
    LeakyReLU(alpha=0.01)
    """
    return ACTIVATIONS.resolve(spec)


def default_initializer(activations: Iterable[str | dict[str, Any] | Activation]) -> str:
    """The weight initialiser to use for layers of these activations when none is chosen.

    Their common :attr:`Activation.default_init` (He for rectifiers), or
    ``"glorot_uniform"`` when they differ.
    """
    choices = {get_activation(a).default_init for a in activations}
    return choices.pop() if len(choices) == 1 else "glorot_uniform"

"""GELU, SiLU, softplus and ELU: the smooth relatives of ReLU, as PyTorch defines them.

======================  ==========================================  ===============================
activation              ``a = f(z)``                                ``da/dz``
======================  ==========================================  ===============================
``gelu``                ``z Phi(z)`` (Phi: the normal CDF)          ``Phi(z) + z phi(z)``
``gelu`` tanh           ``z/2 (1 + tanh(k (z + 0.044715 z^3)))``    (see :class:`GELU`)
``silu``                ``z sigmoid(z)``                            ``s (1 + z (1 - s))``, ``s = sigmoid(z)``
``softplus``            ``log(1 + exp(beta z)) / beta``             ``sigmoid(beta z)``
``elu``                 ``z`` if ``z > 0`` else ``alpha (exp(z) - 1)``  ``1`` if ``z > 0`` else ``alpha exp(z)``
======================  ==========================================  ===============================

Every derivative here reads the pre-activation ``z`` (``needs_z = True``): GELU's
and SiLU's cannot be recovered from ``a`` (``a = z Phi(z)`` is not invertible),
and ELU's and softplus's are more accurate from ``z`` in the negative tail,
where ``a + alpha`` or ``1 - exp(-beta a)`` would cancel. The formulas, their
order of operations and softplus's ``threshold`` follow PyTorch's kernels, so
float64 results agree with ``torch.nn.functional`` to a few units in the last
place (tests/test_smooth_activations.py).

Each instance keeps its work arrays in a :class:`~chainrule.core.scratch.Scratch`
(not copied or pickled), so training steps allocate nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, Activation
from .formulas import FormulaOps
from .onnx_graph import OnnxNode
from .scratch import Scratch
from .special import normal_cdf
from .validation import check_positive_float, fail

__all__ = ["GELU", "SiLU", "Softplus", "ELU", "GELU_APPROXIMATIONS"]

#: The forms of GELU: PyTorch's ``approximate`` argument.
GELU_APPROXIMATIONS = ("none", "tanh")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)  # PyTorch's kBeta = M_SQRT2 * M_2_SQRTPI * 0.5
_KAPPA = 0.044715
_ONE_OVER_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # PyTorch's M_2_SQRTPI * M_SQRT1_2 * 0.5
#: |z| beyond which the tanh form's inner cubic is clipped: tanh is exactly +-1 long before,
#: and the cube of a larger float32 would overflow.
_TANH_CLIP = 1e6
#: |z| beyond which GELU's density term is exactly 0 in float64 and float32.
_PDF_CLIP = 40.0


class _SmoothActivation(Activation):
    """Shared by the four: the derivative reads ``z``, He initialisation, scratch space of its own."""

    needs_z = True
    # Their positive side is (close to) the identity and their negative side
    # (close to) zero, as ReLU's: He's variance argument applies.
    default_init = "he_uniform"
    _scratch: Scratch | None = None  # work arrays, left out of copies and pickles

    def _space(self) -> Scratch:
        scratch = self._scratch
        if scratch is None:
            scratch = self._scratch = Scratch()
        return scratch

    def _floats(self, like: np.ndarray, k: int) -> list[np.ndarray]:
        return self._space().arrays(like.shape, like.dtype, k)

    def _mask(self, like: np.ndarray) -> np.ndarray:
        return self._space().arrays(like.shape, np.bool_, 1)[0]

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return self.forward_unchecked(z, out)

    # z is a keyword with a default so that these stay valid overrides of Activation's
    # derivative(a, out) and backward(a, grad_a, out); it is required all the same
    # (Activation.derivative_from and backward_from pass it, since needs_z is True).
    def _given(self, z: np.ndarray | None) -> np.ndarray:
        if z is None:
            raise TypeError(f"{type(self).__name__}: the derivative reads the pre-activation: pass z=")
        return z

    def derivative(self, a: np.ndarray, out: np.ndarray, *, z: np.ndarray | None = None) -> np.ndarray:
        """Write ``f'(z)`` into ``out`` (``a`` is the cached ``f(z)``)."""
        raise NotImplementedError

    def backward(
        self, a: np.ndarray, grad_a: np.ndarray, out: np.ndarray, *, z: np.ndarray | None = None
    ) -> np.ndarray:
        """``out = grad_a * f'(z)`` (``out`` may not alias ``grad_a``)."""
        self.derivative(a, out, z=z)
        np.multiply(out, grad_a, out=out)
        return out


class GELU(_SmoothActivation):
    """Gaussian error linear unit, PyTorch's ``nn.GELU(approximate=...)``.

    ``approximate="none"`` (default): ``a = z Phi(z)`` with Phi the standard
    normal distribution function, computed with :func:`~chainrule.core.special.normal_cdf`
    (Cody's erfc, accurate to float64 rounding); ``da/dz = Phi(z) + z phi(z)``,
    with ``Phi(z)`` read back from the cached pair as ``a / z``.

    ``approximate="tanh"``: ``a = z/2 (1 + t)``, ``t = tanh(k (z + 0.044715 z^3))``,
    ``k = sqrt(2/pi)``; ``da/dz = (1 + t)/2 + z/2 (1 - t^2) k (1 + 3 * 0.044715 z^2)``.

    ONNX (opset 17 has no Gelu operator; opset 20's is not yet widely deployed):
    built from ``Erf``, ``Mul`` and ``Add`` (or ``Tanh`` for the tanh form).
    """

    name = "gelu"

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in GELU_APPROXIMATIONS:
            raise fail("gelu approximate", f"one of {list(GELU_APPROXIMATIONS)}", approximate)
        self.approximate = approximate

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "approximate": self.approximate}

    def forward_unchecked(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            (inner,) = self._floats(z, 1)
            self._tanh_inner(z, inner, out)
            inner += 1.0
            np.multiply(z, 0.5, out=out)
            out *= inner  # 0.5 z (1 + tanh(...)), in PyTorch's order
            return out
        normal_cdf(z, out, self._space())
        out *= z
        return out

    def _tanh_inner(self, z: np.ndarray, inner: np.ndarray, work: np.ndarray) -> np.ndarray:
        """``tanh(k (z + kappa z^3))`` into ``inner`` (``work``: a scratch array)."""
        np.clip(z, -_TANH_CLIP, _TANH_CLIP, out=work)
        np.multiply(work, work, out=inner)
        inner *= work
        inner *= _KAPPA
        inner += work
        inner *= _SQRT_2_OVER_PI
        np.tanh(inner, out=inner)
        return inner

    def derivative(self, a: np.ndarray, out: np.ndarray, *, z: np.ndarray | None = None) -> np.ndarray:
        z = self._given(z)
        if self.approximate == "tanh":
            t, c, w = self._floats(z, 3)
            self._tanh_inner(z, t, c)  # c: clipped z
            np.multiply(c, c, out=w)
            w *= 3.0 * _KAPPA
            w += 1.0
            w *= _SQRT_2_OVER_PI  # inner derivative k (1 + 3 kappa z^2)
            np.multiply(t, t, out=out)
            np.subtract(1.0, out, out=out)  # 1 - t^2
            out *= w
            np.multiply(z, 0.5, out=w)
            out *= w  # right derivative: z/2 (1 - t^2) k (1 + 3 kappa z^2)
            t += 1.0
            t *= 0.5  # left derivative: (1 + t)/2
            out += t
            return out
        self._normal_cdf_from_cache(a, z, out)
        (pdf,) = self._floats(z, 1)
        np.clip(z, -_PDF_CLIP, _PDF_CLIP, out=pdf)
        np.multiply(pdf, pdf, out=pdf)
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= _ONE_OVER_SQRT_2PI
        pdf *= z  # z phi(z); phi is exactly 0 where z was clipped
        out += pdf
        return out

    def _normal_cdf_from_cache(self, a: np.ndarray, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``Phi(z)`` into ``out``, read back from the cached pair as ``a / z`` (two roundings).

        That saves a second erfc, the cost of GELU. Where ``|z|`` is below the
        dtype's epsilon, ``Phi(z)`` is 0.5 to rounding; the far left tail, where
        ``a = z Phi(z)`` is no longer a normal number, falls back to :func:`normal_cdf`.
        """
        info = np.finfo(z.dtype)
        if z.size and float(z.min()) < 1.0 - math.sqrt(-2.0 * math.log(float(info.tiny))):
            return normal_cdf(z, out, self._space())
        small, w = self._floats(z, 2)
        np.abs(z, out=w)
        np.less(w, float(info.eps), out=small)  # 1.0 where Phi(z) = 0.5 to rounding (z = 0 included)
        np.add(z, small, out=w)  # z, or z + 1 there
        np.divide(a, w, out=out)
        small *= 0.5
        out += small  # a / z, or 0.5 + a / (z + 1) = 0.5
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        if self.approximate == "tanh":
            return (ops.mul(ops.div(net, 2.0), ops.add(1.0, ops.call("tanh", self._inner_formula(net, ops)))),)
        return (ops.mul(net, ops.call("Phi", net)),)

    @staticmethod
    def _inner_formula(net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.mul(_SQRT_2_OVER_PI, ops.add(net, ops.mul(_KAPPA, ops.pow(net, 3.0))))

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        if self.approximate == "tanh":
            t = ops.call("tanh", self._inner_formula(net, ops))
            left = ops.div(ops.add(1.0, t), 2.0)
            slope = ops.mul(_SQRT_2_OVER_PI, ops.add(1.0, ops.mul(3.0 * _KAPPA, ops.pow(net, 2.0))))
            return ops.add(left, ops.mul(ops.div(net, 2.0), ops.sub(1.0, ops.pow(t, 2.0)), slope))
        return ops.add(ops.call("Phi", net), ops.mul(net, ops.call("phi", net)))

    def onnx_nodes(self) -> list[OnnxNode]:
        if self.approximate == "tanh":
            return [
                OnnxNode("Mul", ("z", "z"), "z2"),
                OnnxNode("Mul", ("z2", "z"), "z3"),
                OnnxNode("Mul", ("z3", _KAPPA), "kz3"),
                OnnxNode("Add", ("z", "kz3"), "cubic"),
                OnnxNode("Mul", ("cubic", _SQRT_2_OVER_PI), "inner"),
                OnnxNode("Tanh", ("inner",), "t"),
                OnnxNode("Add", ("t", 1.0), "one_plus_t"),
                OnnxNode("Mul", ("z", 0.5), "half_z"),
                OnnxNode("Mul", ("half_z", "one_plus_t"), "a"),
            ]
        return [
            OnnxNode("Mul", ("z", math.sqrt(0.5)), "u"),
            OnnxNode("Erf", ("u",), "erf"),
            OnnxNode("Add", ("erf", 1.0), "one_plus_erf"),
            OnnxNode("Mul", ("z", 0.5), "half_z"),
            OnnxNode("Mul", ("half_z", "one_plus_erf"), "a"),
        ]


class SiLU(_SmoothActivation):
    """Sigmoid linear unit (swish with beta 1), PyTorch's ``nn.SiLU``.

    ``a = z / (1 + exp(-z))``; ``da/dz = s (1 + z (1 - s))`` with ``s = sigmoid(z)``.
    For very negative ``z``, ``exp(-z)`` overflows to ``inf`` and ``a`` is the exact limit 0.
    """

    name = "silu"

    def forward_unchecked(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.divide(z, out, out=out)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray, *, z: np.ndarray | None = None) -> np.ndarray:
        z = self._given(z)
        (w,) = self._floats(z, 1)
        with np.errstate(over="ignore"):
            np.negative(z, out=out)
            np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)  # s
        np.subtract(1.0, out, out=w)
        w *= z
        w += 1.0
        out *= w
        return out

    # facts
    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        return (ops.mul(net, ops.call("sigmoid", net)),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        s = ops.call("sigmoid", net)
        return ops.mul(s, ops.add(1.0, ops.mul(net, ops.sub(1.0, s))))

    def onnx_nodes(self) -> list[OnnxNode]:
        return [OnnxNode("Sigmoid", ("z",), "s"), OnnxNode("Mul", ("z", "s"), "a")]


class Softplus(_SmoothActivation):
    """A smooth ReLU, PyTorch's ``nn.Softplus(beta, threshold)``.

    ``a = log(1 + exp(beta z)) / beta``, and ``a = z`` where ``beta z > threshold``
    (there the two differ by less than ``exp(-threshold) / beta``);
    ``da/dz = sigmoid(beta z)``, and 1 past the threshold. The switch is a (tiny)
    discontinuity, so ``z = threshold / beta`` is listed as a kink.

    ONNX: ``Softplus`` (which has no beta: ``Mul`` and ``Div`` around it) and
    ``Where`` for the threshold.
    """

    name = "softplus"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = check_positive_float(beta, "softplus beta")
        self.threshold = check_positive_float(threshold, "softplus threshold")

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "beta": self.beta, "threshold": self.threshold}

    @property
    def kinks(self) -> tuple[float, ...]:  # type: ignore[override]
        return (self.threshold / self.beta,)

    def _beta_z(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``beta z`` and the mask ``beta z > threshold`` (scratch arrays)."""
        (bz,) = self._floats(z, 1)
        np.multiply(z, self.beta, out=bz)
        linear = self._mask(z)
        np.greater(bz, self.threshold, out=linear)
        return bz, linear

    def forward_unchecked(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        bz, linear = self._beta_z(z)
        np.exp(bz, out=out)
        np.log1p(out, out=out)
        out /= self.beta
        np.copyto(out, z, where=linear)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray, *, z: np.ndarray | None = None) -> np.ndarray:
        z = self._given(z)
        bz, linear = self._beta_z(z)
        np.negative(bz, out=out)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)  # sigmoid(beta z), never inf/inf
        np.copyto(out, 1.0, where=linear)
        return out

    # facts
    def _scaled(self, net: Any, ops: FormulaOps[Any]) -> Any:
        return net if self.beta == 1.0 else ops.mul(self.beta, net)

    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        soft = ops.call("log", ops.add(1.0, ops.call("exp", self._scaled(net, ops))))
        return (soft if self.beta == 1.0 else ops.div(soft, self.beta),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.call("sigmoid", self._scaled(net, ops))

    def onnx_nodes(self) -> list[OnnxNode]:
        if self.beta == 1.0:
            nodes, scaled, soft = [OnnxNode("Softplus", ("z",), "soft")], "z", "soft"
        else:
            nodes = [
                OnnxNode("Mul", ("z", self.beta), "bz"),
                OnnxNode("Softplus", ("bz",), "soft_bz"),
                OnnxNode("Div", ("soft_bz", self.beta), "soft"),
            ]
            scaled, soft = "bz", "soft"
        return nodes + [
            OnnxNode("Greater", (scaled, self.threshold), "linear"),
            OnnxNode("Where", ("linear", "z", soft), "a"),
        ]


class ELU(_SmoothActivation):
    """Exponential linear unit, PyTorch's ``nn.ELU(alpha)``.

    ``a = z`` for ``z > 0``, else ``alpha (exp(z) - 1)`` (computed with ``expm1``);
    ``da/dz = 1`` for ``z > 0``, else ``alpha exp(z)``, from ``z`` (``a + alpha``
    would cancel in the tail). ``z = 0`` is a kink: the derivative jumps from
    ``alpha`` to 1 (for ``alpha = 1`` the second derivative still jumps).
    """

    name = "elu"
    kinks = (0.0,)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = check_positive_float(alpha, "elu alpha")

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}

    def forward_unchecked(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        positive = self._mask(z)
        np.greater(z, 0.0, out=positive)
        np.minimum(z, 0.0, out=out)
        np.expm1(out, out=out)
        out *= self.alpha
        np.copyto(out, z, where=positive)
        return out

    def derivative(self, a: np.ndarray, out: np.ndarray, *, z: np.ndarray | None = None) -> np.ndarray:
        z = self._given(z)
        positive = self._mask(z)
        np.greater(z, 0.0, out=positive)
        np.minimum(z, 0.0, out=out)
        np.exp(out, out=out)
        out *= self.alpha
        np.copyto(out, 1.0, where=positive)
        return out

    # facts
    def _times_alpha(self, x: Any, ops: FormulaOps[Any]) -> Any:
        return x if self.alpha == 1.0 else ops.mul(self.alpha, x)

    def formula(self, net: Any, ops: FormulaOps[Any], layer_nets: Sequence[Any]) -> tuple[Any, ...]:
        negative = self._times_alpha(ops.sub(ops.call("exp", ops.call("min", net, 0.0)), 1.0), ops)
        return (ops.add(ops.call("max", net, 0.0), negative),)

    def derivative_formula(self, out: Any, net: Any, ops: FormulaOps[Any]) -> Any:
        return ops.call("step", net, self._times_alpha(ops.call("exp", net), ops))

    def onnx_nodes(self) -> list[OnnxNode]:
        # Built from the engine's steps rather than ONNX's Elu, whose alpha attribute is a float32
        # (and which onnxruntime's CPU provider lacks in float64); exp(min(z, 0)) - 1 stands for expm1.
        return [
            OnnxNode("Min", ("z", 0.0), "negative"),
            OnnxNode("Exp", ("negative",), "exp"),
            OnnxNode("Sub", ("exp", 1.0), "expm1"),
            OnnxNode("Mul", ("expm1", float(self.alpha)), "scaled"),
            OnnxNode("Greater", ("z", 0.0), "positive"),
            OnnxNode("Where", ("positive", "z", "scaled"), "a"),
        ]


for _cls in (GELU, SiLU, Softplus, ELU):
    ACTIVATIONS.add_builtin(_cls)
del _cls

"""Activation functions, each with its derivative right beside its forward.

An activation maps the pre-activation ``z`` (the tutorial's ``net``) to the
activation ``a`` (the tutorial's ``out``), elementwise or, for softmax, row by
row. Both arrays have shape ``(n_samples, n_neurons)``.

Every derivative is computed from the *cached activation* ``a``, never from a
free function whose argument could mean either ``z`` or ``a``: sigmoid's is
``a (1 - a)``, tanh's ``1 - a**2``, ReLU's ``a > 0``. All functions write into
caller-owned ``out`` buffers so that the training loop allocates nothing.
"""

from __future__ import annotations

import numpy as np

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
    "ACTIVATIONS",
]


class Activation:
    """Base class: ``forward`` fills ``a`` from ``z``; ``backward`` turns dE/da into dE/dz."""

    name: str = ""
    #: True when dout_k/dnet_j is zero for k != j (all but softmax).
    elementwise: bool = True

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

    def config(self) -> dict:
        """A JSON-ready description, from which :func:`get_activation` rebuilds it."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.config() == other.config()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.config().items())))

    def __getstate__(self) -> dict:
        # Attributes starting with "_" are scratch space (class-level None until first use).
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


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


class Tanh(Activation):
    """``a = tanh(z)``; ``da/dz = 1 - a**2``."""

    name = "tanh"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(z, out=out)

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(a, a, out=out)
        np.subtract(1.0, out, out=out)
        return out


class ReLU(Activation):
    """``a = max(z, 0)``; ``da/dz = 1 where a > 0 else 0`` (0 at the kink z = 0)."""

    name = "relu"
    _zero: np.ndarray | None = None  # scratch: 0 as a 0-d array of the data's dtype (as Sigmoid's one)

    def _zero_like(self, array: np.ndarray) -> np.ndarray:
        zero = self._zero = np.zeros((), dtype=array.dtype)
        return zero

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        zero = self._zero
        if zero is None or zero.dtype is not z.dtype:
            zero = self._zero_like(z)
        return np.maximum(z, zero, out=out)

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        # np.greater casts its booleans through a small fixed ufunc buffer (8192
        # elements at most); the SIMD alternatives without it (sign, heaviside) are slower.
        zero = self._zero
        if zero is None or zero.dtype is not a.dtype:
            zero = self._zero_like(a)
        return np.greater(a, zero, out=out)


class LeakyReLU(Activation):
    """``a = z if z > 0 else alpha * z``; ``da/dz = 1 where a > 0 else alpha``.

    ``alpha`` must lie in (0, 1) so that the sign of ``a`` equals the sign of ``z``,
    which is what lets the derivative be read from the cached ``a``.
    """

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        alpha = check_positive_float(alpha, "leaky_relu alpha")
        if alpha >= 1.0:
            raise fail("leaky_relu alpha", "a number in (0, 1)", alpha)
        self.alpha = alpha

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(z, self.alpha, out=out)
        return np.maximum(z, out, out=out)

    def derivative(self, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.greater(a, 0.0, out=out)
        out *= 1.0 - self.alpha
        out += self.alpha
        return out

    def config(self) -> dict:
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha!r})"


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

    def __eq__(self, other: object) -> bool:
        return type(other) is Softmax

    def __hash__(self) -> int:
        return hash("softmax")


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity)
}


def get_activation(spec: str | dict | Activation) -> Activation:
    """Resolve a name (``"tanh"``), a config dict or an instance to a fresh :class:`Activation`.

    >>> get_activation("leaky_relu")
    LeakyReLU(alpha=0.01)
    """
    if isinstance(spec, Activation):
        return get_activation(spec.config())
    if isinstance(spec, dict):
        options = dict(spec)
        name = options.pop("name", None)
    else:
        name, options = spec, {}
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise fail("activation", f"one of {sorted(ACTIVATIONS)}", name)
    try:
        return ACTIVATIONS[name](**options)
    except TypeError as err:
        raise fail(f"activation {name!r} options", "no unknown options", options) from err

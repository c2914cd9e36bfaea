"""The dense (fully connected) layer: ``z = X @ W + b``, ``a = f(z)``.

Shapes, batch first:

=========  =====================  ===========================================
``X``      ``(n, n_in)``          the layer's input (previous layer's ``a``)
``W``      ``(n_in, n_out)``      ``W[i, j]`` connects input ``i`` to neuron ``j``
``b``      ``(n_out,)`` or ``(1,)``  one bias per neuron, or one shared by the layer
``z``      ``(n, n_out)``         pre-activation (the tutorial's ``net``)
``a``      ``(n, n_out)``         activation (the tutorial's ``out``)
=========  =====================  ===========================================

``backward`` computes ``dW = X.T @ dz``, ``db`` (summed over the batch, and over
the layer for a shared bias) and returns ``dX = dz @ W.T``. It *overwrites*
the gradients of the previous call and never touches ``W`` or ``b``: applying
gradients is the optimizer's job.

Intermediate arrays live in one workspace per layer, sized for the largest
batch seen (or reserved with :meth:`Dense.reserve`); a batch of ``n`` rows uses
its first ``n`` rows, so repeated training steps allocate nothing. The arrays
exposed as ``z``, ``a`` and ``dz`` are overwritten by the next pass.

Copies (``copy.copy``, ``copy.deepcopy``, pickle) are independent layers with
the same values; a layer inside a network keeps pointing into a copy of the
network's parameter buffer (see :mod:`chainrule.core.parameters`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from .activations import Activation, get_activation
from .initializers import get_initializer, make_rng
from .parameters import Parameter
from .validation import MAX_PARAMETERS, Described, check_bool, check_dtype, check_positive_int, fail

if TYPE_CHECKING:
    from .spec import LayerSpec

__all__ = ["Dense", "Parameter", "BIAS_MODES", "Workspace"]

#: One bias per neuron, or one shared by the layer (the tutorial's b1, b2): a convention of every layer.
BIAS_MODES = ("per_neuron", "shared")


class Workspace:
    """A layer's scratch arrays for one batch: ``z``, ``a``, ``dz`` ``(n, n_out)`` and ``dx`` ``(n, n_in)``.

    The arrays of a batch of ``n`` rows are the first ``n`` rows of arrays sized
    for the layer's capacity, so every batch size up to it shares one allocation.
    """

    __slots__ = ("z", "a", "dz", "dx")

    def __init__(self, z: np.ndarray, a: np.ndarray, dz: np.ndarray, dx: np.ndarray) -> None:
        self.z, self.a, self.dz, self.dx = z, a, dz, dx

    def rows(self, n: int) -> Workspace:
        """The workspace of a batch of ``n`` rows: views of the first ``n`` rows (C-contiguous)."""
        return Workspace(self.z[:n], self.a[:n], self.dz[:n], self.dx[:n])


class Dense:
    """A fully connected layer with its activation.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and of neurons.
    activation : str, dict or Activation
        A registered name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ...), a config
        dict such as ``{"name": "leaky_relu", "alpha": 0.1}``, or an instance.
    bias : {"per_neuron", "shared"}
        One bias per neuron (shape ``(n_out,)``), or one bias shared by every neuron of
        the layer (shape ``(1,)``), as the tutorial's b1 and b2.
    train_bias : bool
        Whether the optimizer updates the bias (the tutorial keeps its biases frozen).
    init : str, float or callable
        Weight initialiser (see :mod:`chainrule.core.initializers`); biases start at zero.
    seed : int, Generator or None
        Source of randomness for the initialiser.
    dtype : float32 or float64
    name : str
        Used in error messages and parameter names.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | dict[str, Any] | Activation = "sigmoid",
        *,
        bias: str = "per_neuron",
        train_bias: bool = True,
        init: Any = "glorot_uniform",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        name: str = "dense",
    ) -> None:
        self.name = name
        self.n_in = check_positive_int(n_in, f"{name} n_in")
        self.n_out = check_positive_int(n_out, f"{name} n_out")
        if self.n_in * self.n_out + self.n_out > MAX_PARAMETERS:  # refused before anything is allocated
            raise fail(
                f"{name} size",
                f"a layer of at most {MAX_PARAMETERS:,} weights and biases",
                Described(f"{self.n_in} x {self.n_out} weights and {self.n_out} biases"),
            )
        self.activation = get_activation(activation)
        if bias not in BIAS_MODES:
            raise fail(f"{name} bias", f"one of {list(BIAS_MODES)}", bias)
        train_bias = check_bool(train_bias, f"{name} train_bias")
        self.bias_mode = bias
        self.dtype = check_dtype(dtype, f"{name} dtype")
        weight = np.ascontiguousarray(
            get_initializer(init)((self.n_in, self.n_out), make_rng(seed), self.dtype), dtype=self.dtype
        )
        if weight.shape != (self.n_in, self.n_out):
            raise fail(f"{name} init", f"an array of shape {(self.n_in, self.n_out)}", weight)
        n_bias = self.n_out if bias == "per_neuron" else 1
        self.weight = Parameter(weight, np.zeros_like(weight), f"{name}.W")
        self.bias = Parameter(
            np.zeros(n_bias, dtype=self.dtype), np.zeros(n_bias, dtype=self.dtype), f"{name}.b", train_bias
        )
        self._reset_workspace()

    def _reset_workspace(self) -> None:
        self._capacity: Workspace | None = None  # arrays for the largest batch reserved so far
        self._by_rows: dict[int, Workspace] = {}  # views of them, one per batch size met
        self._ws: Workspace | None = None  # the last forward pass's
        self._input: np.ndarray | None = None

    # -- parameters ------------------------------------------------------------------
    @property
    def W(self) -> np.ndarray:
        """Weights, shape ``(n_in, n_out)``. Assigning copies the values in place."""
        return self.weight.value

    @W.setter
    def W(self, value: Any) -> None:
        self.set_weights(W=value)

    @property
    def b(self) -> np.ndarray:
        """Biases, shape ``(n_out,)`` (per neuron) or ``(1,)`` (shared). Assigning copies in place."""
        return self.bias.value

    @b.setter
    def b(self, value: Any) -> None:
        self.set_weights(b=value)

    @property
    def dW(self) -> np.ndarray:
        """dE/dW from the last backward pass, shape ``(n_in, n_out)``."""
        return self.weight.grad

    @property
    def db(self) -> np.ndarray:
        """dE/db from the last backward pass (zeros while the bias is frozen)."""
        return self.bias.grad

    @property
    def train_bias(self) -> bool:
        return self.bias.trainable

    def parameters(self) -> list[Parameter]:
        """The trainable parameters: the weights, and the bias unless it is frozen."""
        return [self.weight, self.bias] if self.bias.trainable else [self.weight]

    def set_weights(self, W: Any = None, b: Any = None) -> None:
        """Copy hand-set values into the weights (``(n_in, n_out)``) and/or biases.

        ``b`` may be a scalar for a shared bias. Values are copied in place, so
        optimizers holding the parameters keep working.
        """
        if W is not None:
            self.W[...] = self._checked(W, self.W.shape, "W")
        if b is not None:
            self.b[...] = self._checked(np.reshape(b, -1) if np.ndim(b) == 0 else b, self.b.shape, "b")

    def _checked(self, value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
        try:
            array = np.asarray(value, dtype=self.dtype)
        except (TypeError, ValueError):
            raise fail(f"{self.name} {what}", f"numbers of shape {shape}", value) from None
        if array.shape != shape:
            raise fail(f"{self.name} {what}", f"shape {shape}", Described(f"shape {array.shape}"))
        if not np.isfinite(array).all():
            raise fail(f"{self.name} {what}", "finite values", array)
        return array

    # -- workspace -----------------------------------------------------------------------
    def reserve(self, n_rows: int) -> None:
        """Make room for batches of up to ``n_rows`` rows, so that none of them allocates."""
        if self._capacity is not None and self._capacity.z.shape[0] >= n_rows:
            return
        shape, dt = (n_rows, self.n_out), self.dtype
        self._capacity = Workspace(
            np.empty(shape, dt), np.empty(shape, dt), np.empty(shape, dt), np.empty((n_rows, self.n_in), dt)
        )
        self._by_rows = {n_rows: self._capacity}
        self._ws = None

    def workspace(self, n_rows: int) -> Workspace:
        """The scratch arrays for a batch of ``n_rows`` rows (reserving room when needed)."""
        ws = self._by_rows.get(n_rows)
        if ws is None:
            self.reserve(n_rows)
            assert self._capacity is not None
            ws = self._by_rows[n_rows] = self._capacity.rows(n_rows)
        return ws

    # -- forward -------------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute ``a = f(X @ W + b)`` for ``X`` of shape ``(n, n_in)`` and the layer's dtype.

        The input is kept by reference and ``z``/``a`` are cached for ``backward``;
        the returned array is the layer's workspace, overwritten by the next call.
        """
        X = np.asarray(X, dtype=self.dtype)  # the products below write into arrays of this dtype
        with np.errstate(over="ignore"):
            return self.forward_unchecked(X)

    def forward_unchecked(self, X: np.ndarray) -> np.ndarray:
        """As :meth:`forward`; the caller silences overflow warnings (see ``Activation.forward_unchecked``)."""
        ws = self._ws = self._by_rows.get(X.shape[0]) or self.workspace(X.shape[0])
        self._input = X
        # np.dot with out= goes straight to BLAS: for tiny layers it costs half of np.matmul.
        np.dot(X, self.weight.value, out=ws.z)
        ws.z += self.bias.value
        self.activation.forward_unchecked(ws.z, ws.a)
        return ws.a

    def infer(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(z, a)`` for ``X`` ``(n, n_in)`` in fresh arrays, recording nothing (for inference)."""
        z = X @ self.W
        z += self.b
        return z, self.activation.forward(z, out=np.empty_like(z))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The activations of :meth:`infer` alone."""
        return self.infer(X)[1]

    @property
    def z(self) -> np.ndarray:
        """Pre-activation of the last forward pass, ``(n, n_out)``."""
        return self._require_forward().z

    @property
    def a(self) -> np.ndarray:
        """Activation of the last forward pass, ``(n, n_out)``."""
        return self._require_forward().a

    @property
    def dz(self) -> np.ndarray:
        """dE/dz (the deltas) of the last backward pass, ``(n, n_out)``."""
        return self._require_forward().dz

    def _require_forward(self) -> Workspace:
        if self._ws is None:
            raise RuntimeError(f"{self.name}: call forward before reading z, a or dz")
        return self._ws

    # -- backward ------------------------------------------------------------------------
    def backward(self, grad_a: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Given dE/da ``(n, n_out)``, fill ``dW``, ``db`` and return dE/dX ``(n, n_in)``.

        With ``need_input_grad=False`` (the first layer during training) the
        product ``dz @ W.T`` is skipped and None is returned.
        """
        ws = self._require_forward()
        if grad_a is ws.dz:
            raise ValueError(f"{self.name}: grad_a must not be the layer's own dz buffer")
        activation = self.activation
        if activation.needs_z:  # GELU, SiLU...: the derivative reads z too (both are cached)
            activation.backward(ws.a, grad_a, out=ws.dz, z=ws.z)  # type: ignore[call-arg]  # needs_z: takes z
        else:
            activation.backward(ws.a, grad_a, out=ws.dz)
        return self.backward_delta(need_input_grad)

    def backward_delta(self, need_input_grad: bool = True) -> np.ndarray | None:
        """Backward pass from deltas already written into ``self.dz`` (dE/dz)."""
        ws = self._require_forward()
        assert self._input is not None
        np.dot(self._input.T, ws.dz, out=self.weight.grad)
        if self.bias.trainable:
            if self.bias_mode == "per_neuron":
                # The ufunc's reduce directly: np.sum's Python wrapper costs more than
                # the sum itself for small layers.
                np.add.reduce(ws.dz, 0, None, self.bias.grad)  # type: ignore[call-overload]  # out by position
            else:
                self.bias.grad[0] = ws.dz.sum()
        if not need_input_grad:
            return None
        return np.dot(ws.dz, self.weight.value.T, out=ws.dx)

    # -- conversions ---------------------------------------------------------------------
    def spec(self) -> LayerSpec:
        """The layer's architecture (no values) as a :class:`~chainrule.core.spec.LayerSpec`."""
        from .spec import LayerSpec

        return LayerSpec(self.n_in, self.n_out, self.activation, self.bias_mode, self.bias.trainable)

    def config(self) -> dict[str, Any]:
        """JSON-ready architecture (no values): :meth:`spec` as a dict."""
        return self.spec().to_dict()

    def astype(self, dtype: Any) -> Dense:
        """A copy of the layer (values included) in another dtype."""
        layer = Dense(
            self.n_in,
            self.n_out,
            self.activation,
            bias=self.bias_mode,
            train_bias=self.train_bias,
            init="zeros",
            dtype=dtype,
            name=self.name,
        )
        layer.W[...] = self.W
        layer.b[...] = self.b
        return layer

    # -- copies: scratch space is not state --------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_capacity", "_by_rows", "_ws", "_input")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_workspace()

    def __copy__(self) -> Dense:
        # A shallow copy would share the parameters' arrays with the original: never what is meant.
        return copy.deepcopy(self)

    def __repr__(self) -> str:
        return (
            f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}, "
            f"bias={self.bias_mode!r}, train_bias={self.bias.trainable}, dtype={self.dtype.name})"
        )

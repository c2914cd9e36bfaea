"""Parameters and the flat buffer that holds all of a network's parameters.

A :class:`Parameter` is a named array of values with its gradient (same shape,
same dtype). On its own (a layer not yet in a network) it owns its arrays.
Inside a :class:`~chainrule.core.network.Network` every parameter is a pair of
*views* into one :class:`ParameterBuffer`: all values in one flat array and
all gradients in another, trainable parameters first. That layout is what
makes the hot path cheap: an optimizer updates every trainable value with one
array operation, the divergence check reads one array, and data-parallel
training sums every gradient with one collective call.

Copies keep that layout. A parameter inside a buffer is pickled (and
deep-copied) as "elements ``offset .. offset + size`` of this buffer", and the
buffer as its two arrays, so a copied network -- or a copied estimator whose
optimizer holds the same buffer -- gets a buffer of its own with every view,
the optimizer's included, pointing into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Parameter", "ParameterBuffer"]


class ParameterBuffer:
    """Every value and gradient of a network in two flat arrays, trainable values first.

    Attributes
    ----------
    values : ndarray ``(n_parameters,)``
        Every weight and bias; parameters are views into it.
    gradients : ndarray ``(n_parameters,)``
        dE/d(value), element by element.
    n_trainable : int
        The trainable values are ``values[:n_trainable]``.
    """

    def __init__(self, values: np.ndarray, gradients: np.ndarray, n_trainable: int) -> None:
        if values.shape != gradients.shape or values.ndim != 1 or values.dtype != gradients.dtype:
            raise ValueError("ParameterBuffer: values and gradients must be flat arrays of one shape and dtype")
        self.values = values
        self.gradients = gradients
        self.n_trainable = int(n_trainable)
        #: Views of the trainable prefix, made once: the hot path reads them every step.
        self.trainable_values = values[: self.n_trainable]
        self.trainable_gradients = gradients[: self.n_trainable]

    @classmethod
    def gather(cls, parameters: Iterable[Parameter]) -> ParameterBuffer:
        """Move ``parameters`` into a new buffer (trainable ones first) and make them views of it.

        Their current values and gradients are copied in; the dtype is the
        first parameter's.
        """
        params = list(parameters)
        ordered = [p for p in params if p.trainable] + [p for p in params if not p.trainable]
        total = sum(p.value.size for p in ordered)
        dtype = ordered[0].value.dtype if ordered else np.dtype(np.float64)
        buffer = cls(
            np.empty(total, dtype=dtype), np.zeros(total, dtype=dtype), sum(p.value.size for p in params if p.trainable)
        )
        offset = 0
        for p in ordered:
            shape = p.value.shape
            buffer.values[offset : offset + p.value.size] = p.value.ravel()
            buffer.gradients[offset : offset + p.value.size] = p.grad.ravel()
            p.place(buffer, offset, shape)
            offset += p.value.size
        return buffer

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    def __len__(self) -> int:
        return self.values.size

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParameterBuffer, (self.values, self.gradients, self.n_trainable))

    def __repr__(self) -> str:
        return f"ParameterBuffer({self.values.size} values, {self.n_trainable} trainable, dtype={self.dtype.name})"


class Parameter:
    """A trainable array and its gradient (same shape, same dtype).

    Parameters
    ----------
    value, grad : ndarray
        The values and dE/d(value); a parameter placed in a
        :class:`ParameterBuffer` (see :meth:`place`) holds views into it instead.
    name : str
        Used in error messages (``"layer 1.W"``).
    trainable : bool
        Whether optimizers update it.
    """

    def __init__(self, value: np.ndarray, grad: np.ndarray, name: str, trainable: bool = True) -> None:
        self.value = value
        self.grad = grad
        self.name = name
        self.trainable = trainable
        #: The buffer the arrays are views of, and where in it they start (None: owned arrays).
        self.buffer: ParameterBuffer | None = None
        self.offset = 0

    def place(self, buffer: ParameterBuffer, offset: int, shape: tuple[int, ...]) -> None:
        """Make ``value`` and ``grad`` the views ``buffer[offset : offset + size]`` of ``shape``."""
        size = int(np.prod(shape, dtype=np.int64))
        self.value = buffer.values[offset : offset + size].reshape(shape)
        self.grad = buffer.gradients[offset : offset + size].reshape(shape)
        self.buffer, self.offset = buffer, offset

    @classmethod
    def in_buffer(
        cls, buffer: ParameterBuffer, offset: int, shape: tuple[int, ...], name: str, trainable: bool = True
    ) -> Parameter:
        """A parameter whose arrays are views of ``buffer`` (how copies are rebuilt)."""
        param = cls.__new__(cls)
        param.name, param.trainable = name, trainable
        param.place(buffer, offset, tuple(shape))
        return param

    def __reduce__(self) -> tuple[Any, ...]:
        if self.buffer is None:
            return (Parameter, (self.value, self.grad, self.name, self.trainable))
        return (Parameter.in_buffer, (self.buffer, self.offset, self.value.shape, self.name, self.trainable))

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, trainable={self.trainable})"

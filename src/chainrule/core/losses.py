"""Loss functions: the error E between the output layer's activations and the targets.

Shapes: ``a`` (the output layer's ``out``), ``z`` (its ``net``) and the targets
``y`` are all ``(n_samples, n_outputs)``.

Every loss is a sum over outputs for one sample, then a *reduction over
samples*: ``"mean"`` (divide by ``n_samples``, the default) or ``"sum"``. For one
sample, as in the tutorial, both give the same number.

* :class:`SquaredError` -- the tutorial's ``E_total = sum_k 1/2 (target_k - out_k)^2``
  (``output_reduction="half_sum"``), or the mean over outputs
  ``(1/m) sum_k (target_k - out_k)^2`` as in PyTorch's ``MSELoss``
  (``output_reduction="mean"``). Works with every output activation.
* :class:`CategoricalCrossEntropy` -- ``-sum_k y_k log(out_k)``, with a softmax output.
* :class:`BinaryCrossEntropy` -- ``-sum_k [y_k log out_k + (1-y_k) log(1-out_k)]``,
  with a sigmoid output.

The cross-entropies are computed from ``z`` (log-sum-exp and softplus), so they
never take ``log(0)``; and their output-layer delta dE/dz is the fused,
exact ``out - target`` form instead of a division by ``out (1 - out)``.

Each loss carries its facts for the trace: the formula of each output's error
and of dE/dout (through the expression builder of :mod:`chainrule.core.formulas`),
the line that describes E_total, the fused delta's formula, and the output
activation it requires and fuses with. Your own loss: subclass :class:`Loss`,
set ``name``, define ``per_output`` and ``gradient`` (and, to fuse, override
``value_and_delta``), and register it with :func:`register_loss`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import Activation, Identity, Softmax
from .formulas import FormulaOps
from .registry import Component, Registry
from .validation import Described, fail

__all__ = [
    "Loss",
    "SquaredError",
    "CategoricalCrossEntropy",
    "BinaryCrossEntropy",
    "get_loss",
    "register_loss",
    "unregister_loss",
    "LOSSES",
]

REDUCTIONS = ("mean", "sum")


class Loss(Component):
    """Base class. Subclasses define the per-output error and its gradient.

    The ``*_formula`` methods and :meth:`description` are facts for the trace; the
    defaults (None) make it write a generic ``name(target_o1, out_o1)``.
    """

    #: The output activation this loss requires and fuses with (its
    #: :meth:`value_and_delta` writes dE/dz directly), or None for any activation.
    requires_activation: str | None = None

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise fail(f"{self.name} reduction", f"one of {list(REDUCTIONS)}", reduction)
        self.reduction = reduction

    # -- per-sample structure (used by the trace and by evaluation) ---------------
    def per_output(self, a: np.ndarray, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each output's share of each sample's error, shape ``(n, m)`` (the tutorial's E_o1, E_o2).

        Summing over outputs gives each sample's error; no reduction over samples.
        """
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The unfused dE/dout, shape ``(n, m)``, including the sample reduction's ``1/n``."""
        raise NotImplementedError

    def _scale(self, n_samples: int) -> float:
        return 1.0 / n_samples if self.reduction == "mean" else 1.0

    def reduce_total(self, total: float, n_samples: int) -> float:
        """The reduced error from the sum of ``n_samples`` samples' errors (mean or sum)."""
        return total * self._scale(n_samples)

    def check_targets(self, y: np.ndarray, what: str = "Y") -> None:
        """Refuse targets this loss is not defined for (the cross-entropies need values in [0, 1])."""
        if self.requires_activation is not None and ((y < 0).any() or (y > 1).any()):
            raise fail(what, f"values in [0, 1] for loss {self.name!r}", y)

    # -- what the engine uses ---------------------------------------------------------
    def value(self, a: np.ndarray, z: np.ndarray, y: np.ndarray) -> float:
        """The reduced error E (a Python float)."""
        return float(self.per_output(a, z, y).sum() * self._scale(a.shape[0]))

    def weighted_value(
        self, a: np.ndarray, z: np.ndarray, y: np.ndarray, weight: np.ndarray, rows: int | None = None
    ) -> float:
        """E with sample ``i``'s error multiplied by ``weight[i]`` (shape ``(n,)``), then reduced.

        With ``reduction="mean"`` this is ``sum_i w_i E_i / n``: all-ones weights give E.
        ``rows`` replaces ``n`` in the mean (see :meth:`value_and_delta`).
        Unlike :meth:`value_and_delta` it allocates the per-sample errors ``(n,)``.
        """
        per_sample = self.per_output(a, z, y).sum(axis=1)
        return float(np.dot(per_sample, weight) * self._scale(rows or a.shape[0]))

    def value_and_delta(
        self,
        a: np.ndarray,
        z: np.ndarray,
        y: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        rows: int | None = None,
    ) -> float:
        """Return E and write the output layer's delta dE/dz into ``out`` (shape ``(n, m)``).

        ``rows``: the number of samples the mean reduction divides by, when
        these ``n`` are part of a larger batch (data-parallel training); default ``n``.
        The default goes through the activation's chain rule; fused losses override it.
        """
        n = rows or a.shape[0]
        value = float(self.per_output(a, z, y).sum() * self._scale(n))
        grad = self.gradient(a, y)
        if n != a.shape[0]:
            grad *= self._scale(n) / self._scale(a.shape[0])
        activation.backward_from(z=z, a=a, grad_a=grad, out=out)
        return value

    def forward_value_and_delta(
        self,
        z: np.ndarray,
        y: np.ndarray,
        activation: Activation,
        a: np.ndarray,
        out: np.ndarray,
        rows: int | None = None,
    ) -> float:
        """The output layer's activation and the loss in one call (the training pass uses it).

        Writes ``a = activation(z)`` and dE/dz into ``out`` (all ``(n, m)``) and
        returns E, as ``activation.forward`` then :meth:`value_and_delta` would;
        a loss fused with its activation (cross-entropy with softmax) shares the
        work. The caller silences floating-point overflow.
        """
        activation.forward_unchecked(z, a)
        return self.value_and_delta(a, z, y, activation, out, rows)

    def check_activation(self, activation: Activation) -> None:
        """Refuse an output activation this loss cannot be paired with."""
        required = self.requires_activation
        if required is not None and activation.name != required:
            raise fail(
                f"loss {self.name!r}",
                f"an output layer with activation {required!r}",
                Described(f"activation {activation.name!r}"),
            )

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    # -- facts (for the trace) ------------------------------------------------------------------
    def per_output_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any | None:
        """One output's share of one sample's error (the tutorial's ``E_o1``), built with ``ops``."""
        return None

    def gradient_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any | None:
        """dE/dout of one output for one sample, the unfused form :meth:`gradient` computes."""
        return None

    def fused_delta_formula(self, target: Any, out: Any, ops: FormulaOps[Any]) -> Any | None:
        """The delta dE/dnet the engine computes directly with :attr:`requires_activation`, or None."""
        return None

    def description(self, n_outputs: int) -> str | None:
        """What the total error is, in words and symbols (``sum over outputs of ...``), or None."""
        return None

    def computation_note(self) -> str | None:
        """How the engine computes the error, where that differs from its formula (the trace prints it)."""
        return None


class SquaredError(Loss):
    """Squared error, the tutorial's loss.

    ``output_reduction="half_sum"`` (default, the tutorial): per sample
    ``E = sum_k 1/2 (y_k - a_k)^2`` and ``dE/da_k = a_k - y_k``.
    ``output_reduction="mean"``: per sample ``E = (1/m) sum_k (y_k - a_k)^2`` and
    ``dE/da_k = 2 (a_k - y_k) / m``.
    """

    name = "squared_error"
    OUTPUT_REDUCTIONS = ("half_sum", "mean")
    _row: np.ndarray | None = None  # scratch for dE/da
    _flat: np.ndarray | None = None  # the same, flat
    _row_for: np.ndarray | None = None

    def __init__(self, reduction: str = "mean", output_reduction: str = "half_sum") -> None:
        super().__init__(reduction)
        if output_reduction not in self.OUTPUT_REDUCTIONS:
            raise fail("squared_error output_reduction", f"one of {list(self.OUTPUT_REDUCTIONS)}", output_reduction)
        self.output_reduction = output_reduction

    def _output_factor(self, m: int) -> float:
        # E per output is c/2 (y - a)^2, so dE/da = c (a - y).
        return 1.0 if self.output_reduction == "half_sum" else 2.0 / m

    def per_output(self, a: np.ndarray, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        per_output: np.ndarray = 0.5 * self._output_factor(a.shape[1]) * (y - a) ** 2
        return per_output

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        gradient: np.ndarray = (a - y) * (self._output_factor(a.shape[1]) * self._scale(a.shape[0]))
        return gradient

    def value_and_delta(
        self,
        a: np.ndarray,
        z: np.ndarray,
        y: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        rows: int | None = None,
    ) -> float:
        n, m = a.shape
        # _output_factor(m) * _scale(rows or n), written out: the calls cost more than a tiny step.
        factor = (1.0 if self.output_reduction == "half_sum" else 2.0 / m) * (
            1.0 / (rows or n) if self.reduction == "mean" else 1.0
        )
        if isinstance(activation, Identity):
            grad_a = flat = out  # dE/dz = dE/da: compute it in place
        elif out is self._row_for:  # the activation's backward needs distinct buffers
            # (_scratch sets _row and _flat whenever it sets _row_for: neither is None here)
            grad_a, flat = self._row, self._flat  # type: ignore[assignment]
        else:
            grad_a = self._scratch(out)
            flat = self._flat  # type: ignore[assignment]  # set by _scratch
        np.subtract(a, y, grad_a)
        value = 0.5 * factor * float(np.vdot(flat, flat) if flat is out else flat.dot(flat))
        if factor != 1.0:  # (one sample, as in the tutorial: nothing to scale)
            grad_a *= factor  # dE/da
        if grad_a is not out:
            if activation.needs_z:
                activation.backward(a, grad_a, out, z=z)  # type: ignore[call-arg]  # a needs_z activation's
            elif type(activation).backward is Activation.backward:  # (its body, without its call)
                activation.derivative(a, out)
                np.multiply(out, grad_a, out)
            else:
                activation.backward(a, grad_a, out)
        return value

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        buf = self._row
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = self._row = np.empty_like(like)
            self._flat = buf.reshape(-1)  # the same memory, for a 1-d dot (no dispatch, no copy)
        self._row_for = like  # the array it was last made for: the same one again needs no checks
        return buf

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction, "output_reduction": self.output_reduction}

    # facts
    def per_output_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any:
        if self.output_reduction == "half_sum":
            return ops.mul(ops.div(1.0, 2.0), ops.pow(ops.sub(target, out), 2.0))
        return ops.div(ops.pow(ops.sub(target, out), 2.0), float(n_outputs))

    def gradient_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any:
        if self.output_reduction == "half_sum":
            return ops.sub(out, target)
        return ops.div(ops.mul(2.0, ops.sub(out, target)), float(n_outputs))

    def description(self, n_outputs: int) -> str:
        if self.output_reduction == "half_sum":
            return "sum over outputs of 1/2 (target - out)^2"
        return f"mean over the {n_outputs} outputs of (target - out)^2"


# (*) ufunc.reduce(array, axis, dtype, out, keepdims) by position, which NumPy accepts; its stubs take
# out and keepdims by keyword only, hence the ignores (the tuned calls stay as they are).


class CategoricalCrossEntropy(Loss):
    """``E = -sum_k y_k log(softmax(z)_k)`` per sample, requiring a softmax output.

    Computed as ``sum_k y_k (logsumexp(z) - z_k)``. The fused delta is
    ``dE/dz = a * sum_k(y_k) - y`` (``a - y`` for one-hot or probability targets).

    Targets need values in [0, 1] (:meth:`check_targets`) but a row need not sum
    to 1: the formula is used as written, as PyTorch's ``cross_entropy`` does
    with probability targets. A row summing to ``t`` counts ``t`` times (like a
    sample weight); an all-zero row contributes no error and no gradient.
    """

    name = "categorical_cross_entropy"
    requires_activation = "softmax"
    _row: np.ndarray | None = None  # scratch: two (n, 1) columns
    _wide: np.ndarray | None = None  # scratch: (n, m)

    @staticmethod
    def _log_softmax(z: np.ndarray) -> np.ndarray:
        shifted = z - z.max(axis=1, keepdims=True)
        log_softmax: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return log_softmax

    def per_output(self, a: np.ndarray, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        per_output: np.ndarray = -y * self._log_softmax(z)
        return per_output

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        # Shown by the trace as a factor; the engine never divides by a.
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, 0.0, -y / a).astype(a.dtype, copy=False) * self._scale(a.shape[0])

    def _columns(self, n: int, dtype: np.dtype) -> np.ndarray:
        columns = self._row
        if columns is None or columns.shape[1] != n or columns.dtype != dtype:
            columns = self._row = np.empty((2, n, 1), dtype=dtype)
        return columns  # two contiguous (n, 1) scratch columns

    def _spread(self, like: np.ndarray) -> np.ndarray:
        # An (n, m) scratch to copy a column into before an elementwise operation: a ufunc
        # broadcasting an (n, 1) column allocates a buffer of up to 8192 values on every call.
        wide = self._wide
        if wide is None or wide.shape != like.shape or wide.dtype != like.dtype:
            wide = self._wide = np.empty_like(like)
        return wide

    def forward_value_and_delta(
        self,
        z: np.ndarray,
        y: np.ndarray,
        activation: Activation,
        a: np.ndarray,
        out: np.ndarray,
        rows: int | None = None,
    ) -> float:
        if type(activation) is not Softmax:
            return super().forward_value_and_delta(z, y, activation, a, out, rows)
        n = z.shape[0]
        scale = self._scale(rows or n)
        row, lse = self._columns(n, z.dtype)
        wide = self._spread(z)
        # exp(z - max z) once, for the softmax (as Softmax.forward: the same operations, the same
        # bits) and for E = sum_n [lse(z_n) * sum_k y_nk - sum_k y_nk z_nk].
        np.maximum.reduce(z, 1, None, row, True)  # type: ignore[call-overload]  # (*)
        np.copyto(wide, row)
        np.subtract(z, wide, out)
        np.exp(out, out)
        np.add.reduce(out, 1, None, lse, True)  # type: ignore[call-overload]  # (*)
        np.copyto(wide, lse)
        np.divide(out, wide, a)
        np.log(lse, lse)
        np.add(lse, row, lse)
        np.add.reduce(y, 1, None, row, True)  # type: ignore[call-overload]  # row = sum_k y_nk (*)
        total = float(np.vdot(lse, row)) - float(np.vdot(y, z))
        # Fused delta: dE/dz = a * sum(y) - y, times the sample reduction.
        np.copyto(wide, row)
        np.multiply(a, wide, out)
        np.subtract(out, y, out)
        out *= scale
        return total * scale

    def value_and_delta(
        self,
        a: np.ndarray,
        z: np.ndarray,
        y: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        rows: int | None = None,
    ) -> float:
        n = a.shape[0]
        scale = self._scale(rows or n)
        row, lse = self._columns(n, a.dtype)
        # E = sum_n [ lse(z_n) * sum_k y_nk - sum_k y_nk z_nk ], with lse = max + log(sum exp(z - max)).
        np.maximum.reduce(z, 1, None, row, True)  # type: ignore[call-overload]  # (*)
        np.subtract(z, row, out=out)
        np.exp(out, out=out)
        np.add.reduce(out, 1, None, lse, True)  # type: ignore[call-overload]  # (*)
        np.log(lse, out=lse)
        lse += row
        np.add.reduce(y, 1, None, row, True)  # type: ignore[call-overload]  # row = sum_k y_nk (*)
        total = float(np.vdot(lse, row)) - float(np.vdot(y, z))
        value = total * scale
        # Fused delta: dE/dz = a * sum(y) - y, times the sample reduction.
        np.multiply(a, row, out=out)
        out -= y
        out *= scale
        return value

    # facts
    def per_output_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any:
        return ops.neg(ops.mul(target, ops.call("log", out)))

    def gradient_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any:
        return ops.neg(ops.div(target, out))

    def fused_delta_formula(self, target: Any, out: Any, ops: FormulaOps[Any]) -> Any:
        """``out - target``, for targets that sum to 1 (``out * sum(target) - target`` otherwise)."""
        return ops.sub(out, target)

    def description(self, n_outputs: int) -> str:
        return "cross-entropy = - sum over outputs of target * log(out)"

    def computation_note(self) -> str:
        return (
            "E_o is computed from net as target * (logsumexp(net) - net_o), which equals "
            "-target * log(out_o) without ever taking log(0)."
        )


class BinaryCrossEntropy(Loss):
    """``E = -sum_k [y_k log a_k + (1 - y_k) log(1 - a_k)]`` per sample, with a sigmoid output.

    Computed from ``z`` as ``softplus(z) - y z`` (softplus(z) = max(z, 0) + log1p(exp(-|z|))),
    never ``log(0)``. The fused delta is ``dE/dz = a - y``.
    """

    name = "binary_cross_entropy"
    requires_activation = "sigmoid"
    _row: np.ndarray | None = None  # scratch: (n, m)

    def per_output(self, a: np.ndarray, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        per_output: np.ndarray = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z
        return per_output

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        # Shown by the trace as a factor; the engine never divides by a (1 - a).
        with np.errstate(divide="ignore", invalid="ignore"):
            gradient: np.ndarray = (a - y) / (a * (1 - a)) * self._scale(a.shape[0])
            return gradient

    def value_and_delta(
        self,
        a: np.ndarray,
        z: np.ndarray,
        y: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        rows: int | None = None,
    ) -> float:
        scale = self._scale(rows or a.shape[0])
        # per_output(a, z, y).sum(), the same operations in the same order, through out and a
        # scratch array instead of temporaries.
        part = self._row
        if part is None or part.shape != out.shape or part.dtype != out.dtype:
            part = self._row = np.empty_like(out)
        np.maximum(z, 0, out=out)
        np.abs(z, part)
        np.negative(part, part)
        np.exp(part, part)
        np.log1p(part, part)
        np.add(out, part, out)
        np.multiply(y, z, part)
        np.subtract(out, part, out)
        value = float(np.add.reduce(out, None) * scale)
        np.subtract(a, y, out)
        out *= scale
        return value

    # facts
    def per_output_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any:
        def log(x: Any) -> Any:
            return ops.call("log", x)

        return ops.neg(ops.add(ops.mul(target, log(out)), ops.mul(ops.sub(1.0, target), log(ops.sub(1.0, out)))))

    def gradient_formula(self, target: Any, out: Any, n_outputs: int, ops: FormulaOps[Any]) -> Any:
        return ops.div(ops.sub(out, target), ops.mul(out, ops.sub(1.0, out)))

    def fused_delta_formula(self, target: Any, out: Any, ops: FormulaOps[Any]) -> Any:
        return ops.sub(out, target)

    def description(self, n_outputs: int) -> str:
        return "binary cross-entropy = - sum over outputs of [target log(out) + (1 - target) log(1 - out)]"


#: Every loss by name: the built-ins, then those registered with :func:`register_loss`.
LOSSES: Registry[Loss] = Registry(
    "loss",
    Loss,
    "chainrule.register_loss",
    required=("per_output", "gradient"),
    aliases={"mse": "squared_error", "cross_entropy": "categorical_cross_entropy", "bce": "binary_cross_entropy"},
)
for _cls in (SquaredError, CategoricalCrossEntropy, BinaryCrossEntropy):
    LOSSES.add_builtin(_cls)
del _cls
#: Other names of built-in losses.
ALIASES = LOSSES.aliases


def register_loss(cls: Any = None, *, replace: bool = False) -> Any:
    """Register your :class:`Loss` subclass under its ``name``; return it (a class decorator too).

    The same rules as :func:`~chainrule.core.activations.register_activation`:
    built-in names and aliases are reserved; model files store the loss's config
    and need it registered again before they load.
    """
    return LOSSES.register(cls, replace=replace)


def unregister_loss(name: str) -> None:
    """Forget a loss you registered."""
    LOSSES.unregister(name)


def get_loss(spec: str | dict[str, Any] | Loss) -> Loss:
    """Resolve a name (``"squared_error"``, ``"cross_entropy"``...), a config dict or an instance.

    Anything else is refused with a :class:`~chainrule.core.errors.ValidationError`.
    """
    return LOSSES.resolve(spec)

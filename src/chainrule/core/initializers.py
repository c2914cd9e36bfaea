"""Weight initialisation schemes, scaled by fan-in and fan-out.

Every function takes the weight shape ``(n_in, n_out)``, a
``numpy.random.Generator`` and a dtype, and returns a fresh array. Randomness
comes only from the generator passed in: there is no global random state.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from .errors import Described, excerpt
from .validation import fail

__all__ = ["INITIALIZERS", "get_initializer", "make_rng", "sklearn_initial_parameters", "sklearn_init_bound"]

#: ``(shape (n_in, n_out), generator, dtype) -> a fresh array of that shape and dtype``.
Initializer = Callable[[tuple[int, int], np.random.Generator, npt.DTypeLike], np.ndarray]


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from a seed, an existing Generator (returned as is), or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
        return np.random.default_rng(seed)
    raise fail("seed", "a non-negative integer, a numpy.random.Generator or None", seed)


def _uniform(limit: float) -> Initializer:
    return lambda shape, rng, dtype: rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    return _uniform(np.sqrt(6.0 / (shape[0] + shape[1])))(shape, rng, dtype)


def glorot_normal(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """N(0, 2 / (fan_in + fan_out))."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / (shape[0] + shape[1]))).astype(dtype)


def he_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """U(-l, l) with l = sqrt(6 / fan_in) (He et al., 2015), for ReLU layers."""
    return _uniform(np.sqrt(6.0 / shape[0]))(shape, rng, dtype)


def he_normal(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """N(0, 2 / fan_in)."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / shape[0])).astype(dtype)


def lecun_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """U(-l, l) with l = sqrt(3 / fan_in)."""
    return _uniform(np.sqrt(3.0 / shape[0]))(shape, rng, dtype)


def lecun_normal(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """N(0, 1 / fan_in)."""
    return (rng.standard_normal(shape) * math.sqrt(1.0 / shape[0])).astype(dtype)


def zeros(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """All zeros (symmetric: every neuron of a layer then learns the same thing)."""
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """All ones."""
    return np.ones(shape, dtype=dtype)


def sklearn_init_bound(fan_in: int, fan_out: int, activation: str = "relu") -> float:
    """scikit-learn MLP's bound ``sqrt(factor / (fan_in + fan_out))``: factor 2 for the logistic
    sigmoid, 6 otherwise (``BaseMultilayerPerceptron._init_coef``)."""
    factor = 2.0 if activation in ("sigmoid", "logistic") else 6.0
    return float(np.sqrt(factor / (fan_in + fan_out)))


def sklearn_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """scikit-learn MLP's weights: U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (Glorot's bound)."""
    return rng.uniform(-sklearn_init_bound(*shape), sklearn_init_bound(*shape), shape).astype(dtype, copy=False)


def sklearn_uniform_logistic(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
    """scikit-learn MLP's weights for logistic hidden layers: U(-l, l), l = sqrt(2 / (fan_in + fan_out))."""
    bound = sklearn_init_bound(shape[0], shape[1], "logistic")
    return rng.uniform(-bound, bound, shape).astype(dtype, copy=False)


def sklearn_initial_parameters(
    sizes: list[int], hidden_activation: str, rng: np.random.Generator | np.random.RandomState, dtype: np.dtype
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every layer's ``(W (n_in, n_out), b (n_out,))`` as scikit-learn's MLP initialises them.

    Weights *and* biases are U(-l, l) with l = :func:`sklearn_init_bound` of the
    layer's fans and the hidden activation (every layer, the output layer
    included, uses the hidden activation's factor, as scikit-learn does).
    They are drawn layer by layer, weights then biases, from ``rng``: given a
    ``numpy.random.RandomState(seed)`` the values are scikit-learn's for
    ``random_state=seed``.
    """
    result = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = sklearn_init_bound(fan_in, fan_out, hidden_activation)
        weights = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype, copy=False)
        biases = rng.uniform(-bound, bound, fan_out).astype(dtype, copy=False)
        result.append((weights, biases))
    return result


INITIALIZERS: dict[str, Initializer] = {
    f.__name__: f
    for f in (
        glorot_uniform,
        glorot_normal,
        he_uniform,
        he_normal,
        lecun_uniform,
        lecun_normal,
        zeros,
        ones,
        sklearn_uniform,
        sklearn_uniform_logistic,
    )
}
INITIALIZERS["xavier_uniform"] = glorot_uniform
INITIALIZERS["xavier_normal"] = glorot_normal
INITIALIZERS["kaiming_uniform"] = he_uniform
INITIALIZERS["kaiming_normal"] = he_normal


def _finite(number: numbers.Real) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer of hundreds of digits
        return False


def _checked_callable(init: Initializer, user_callable: bool = True) -> Initializer:
    """``init`` called as ``init(shape, rng, dtype)``, its result checked: finite numbers of that shape."""

    def checked(shape: tuple[int, int], rng: np.random.Generator, dtype: npt.DTypeLike) -> np.ndarray:
        expected = (
            f"a callable (shape, rng, dtype) returning finite numbers of shape {tuple(shape)}"
            if user_callable
            else f"an array of shape {tuple(shape)}"
        )
        try:
            values = init(shape, rng, dtype)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, ArithmeticError) as err:
            # A callable of another signature, or one that cannot build this shape: name it, keep the cause.
            raise fail(
                "init",
                expected,
                Described(f"{excerpt(init)}, which raised {type(err).__name__}: {excerpt(Described(str(err)[:200]))}"),
            ) from err
        try:
            array = np.asarray(values, dtype=np.float64) if not isinstance(values, np.ndarray) else values
        except (TypeError, ValueError, OverflowError):
            raise fail("init", expected, values) from None
        if array.dtype.kind not in "biuf" or array.shape != tuple(shape):
            raise fail("init", expected, array if array.dtype.kind in "biuf" else values)
        with np.errstate(over="ignore", invalid="ignore"):
            array = array.astype(dtype, copy=False)
        bad = ~np.isfinite(array)
        if bad.any():
            raise fail(
                "init",
                expected,
                Described(
                    f"{int(bad.sum())} values that are not finite in {np.dtype(dtype)} "
                    f"(the first at {tuple(int(i) for i in np.argwhere(bad)[0])})"
                ),
            )
        return array

    return checked


def get_initializer(spec: str | float | np.ndarray | Initializer) -> Initializer:
    """A name from :data:`INITIALIZERS`, a constant (every weight set to it), hand-set values or a callable.

    Hand-set values are an array (or nested lists) of the weight's shape ``(n_in, n_out)``;
    a callable takes ``(shape, rng, dtype)`` and returns such an array.
    """
    if callable(spec):
        return _checked_callable(spec)
    if isinstance(spec, (list, tuple, np.ndarray)):
        try:
            values = np.array(spec, dtype=np.float64) if np.asarray(spec).dtype.kind in "biufO" else None
        except (TypeError, ValueError, OverflowError, RecursionError):
            values = None
        if values is None:
            raise fail("init", "hand-set weights: an array of numbers", spec)
        if not np.isfinite(values).all():
            raise fail("init", "finite hand-set weights", spec)
        return _checked_callable(lambda shape, rng, dtype: values, user_callable=False)
    if isinstance(spec, numbers.Real) and not isinstance(spec, (bool, np.bool_)) and _finite(spec):
        value = float(spec)
        return _checked_callable(lambda shape, rng, dtype: np.full(shape, value), user_callable=False)
    if isinstance(spec, str) and spec in INITIALIZERS:
        return INITIALIZERS[spec]
    raise fail("init", f"one of {sorted(INITIALIZERS)}, a finite number, an array or a callable", spec)

"""The error function and the standard normal distribution function, for GELU, in NumPy alone.

NumPy has no ``erf`` and the core may not depend on SciPy, so these are W. J.
Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
for the error function", Math. Comp. 23, 1969; the coefficients of his SPECFUN
routine CALERF), whose own error is below float64's rounding:

==========================  ====================================================
``|x| <= 0.46875``          ``erf(x) = x P(x^2) / Q(x^2)``, degrees 4/4
``0.46875 < |x| <= 4``      ``erfc(x) = exp(-x^2) P(x) / Q(x)``, degrees 8/8
``|x| > 4``                 ``erfc(x) = exp(-x^2) / x (1/sqrt(pi) + P(1/x^2) / (x^2 Q(1/x^2)))``
==========================  ====================================================

``exp(-x^2)`` is computed as ``exp(-r^2) exp(-(x - r)(x + r))`` with ``r`` the
multiple of 1/16 below ``x``, so that the rounding of ``x^2`` is not
amplified in the tail. Measured against Python's ``math.erf`` / ``math.erfc``
(tests/test_special.py) the relative error stays below 1e-15 (a few units in
the last place) everywhere. In float32 the same arithmetic runs in float32.

Every branch is evaluated on the whole array (on clipped arguments, so that no
branch overflows; the third only when an argument reaches it) and the results
are selected exactly with 0/1 masks: with the buffers from a
:class:`~chainrule.core.scratch.Scratch` nothing is allocated, which boolean
indexing could not offer, and no masked (slow) ufunc path is taken.
"""

from __future__ import annotations

import math

import numpy as np

from .scratch import Scratch

__all__ = ["erf", "erfc", "normal_cdf"]

_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
_SMALL = 0.46875  # end of the first interval
_MID = 4.0  # end of the second
#: Past this, erfc underflows to 0 in float64 (below 26.543, Cody's XBIG, it is a normal number).
_BIG = 27.5
_SQRT1_2 = math.sqrt(0.5)
_SCRATCH_FLOATS = 7


def _erf_small(u: np.ndarray, out: np.ndarray, s: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``erf(u)`` for ``|u| <= 0.46875`` into ``out``."""
    np.multiply(u, u, out=s)
    np.multiply(s, _A[4], out=out)
    np.copyto(den, s)
    for i in range(3):
        out += _A[i]
        out *= s
        den += _B[i]
        den *= s
    out += _A[3]
    den += _B[3]
    out *= u
    out /= den
    return out


def _exp_minus_square(t: np.ndarray, out: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``exp(-t^2)`` as ``exp(-r^2) exp(-(t - r)(t + r))``, ``r = trunc(16 t) / 16``, into ``out``."""
    np.multiply(t, 16.0, out=r)
    np.trunc(r, out=r)
    r *= 0.0625
    np.subtract(t, r, out=out)
    np.add(t, r, out=w)
    out *= w
    np.negative(out, out=out)
    np.exp(out, out=out)  # exp(-(t - r)(t + r)): r^2 is exact, so no rounding of t^2 is amplified
    np.multiply(r, r, out=w)
    np.negative(w, out=w)
    np.exp(w, out=w)
    out *= w
    return out


def _erfc_mid(t: np.ndarray, out: np.ndarray, den: np.ndarray, e: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``erfc(t)`` for ``0.46875 <= t <= 4`` into ``out``."""
    np.multiply(t, _C[8], out=out)
    np.copyto(den, t)
    for i in range(7):
        out += _C[i]
        out *= t
        den += _D[i]
        den *= t
    out += _C[7]
    den += _D[7]
    out /= den
    out *= _exp_minus_square(t, e, r, den)
    return out


def _erfc_big(t: np.ndarray, out: np.ndarray, den: np.ndarray, e: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``erfc(t)`` for ``4 <= t <= 27.5`` into ``out``; ``e`` holds ``1/t^2`` on the way."""
    np.multiply(t, t, out=e)
    np.reciprocal(e, out=e)
    np.multiply(e, _P[5], out=out)
    np.copyto(den, e)
    for i in range(4):
        out += _P[i]
        out *= e
        den += _Q[i]
        den *= e
    out += _P[4]
    den += _Q[4]
    out /= den
    out *= e
    np.subtract(_ONE_OVER_SQRT_PI, out, out=out)
    out /= t
    out *= _exp_minus_square(t, e, r, den)
    return out


def _select(out: np.ndarray, value: np.ndarray, take: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``out = value where take else out``, exactly, with ``take``/``keep`` as 1.0/0.0 floats (``keep = 1 - take``).

    ``value * 1 + out * 0`` is ``value`` bit for bit (both are finite); the masked ufunc
    paths (``np.copyto(where=...)``) are several times slower than these three passes.
    ``value`` is overwritten.
    """
    out *= keep
    value *= take
    out += value
    return out


def _half_erfc(u: np.ndarray, out: np.ndarray, work: list[np.ndarray]) -> np.ndarray:
    """``erfc(u) / 2`` into ``out`` (``u`` is left unchanged): the three intervals, selected exactly.

    ``work``: seven float arrays of ``u``'s shape, distinct from ``u`` and ``out``.
    """
    s, t, den, e, r, take, keep = work
    # erfc(|u|) / 2 from the second interval, on |u| clipped into it ...
    np.abs(u, out=t)
    largest = float(t.max()) if t.size else 0.0
    np.clip(t, _SMALL, _MID, out=t)
    _erfc_mid(t, out, den, e, r)
    out *= 0.5
    if largest > _MID:  # ... or the third, only when some argument reaches it
        np.abs(u, out=t)
        np.greater(t, _MID, out=take)
        np.subtract(1.0, take, out=keep)
        np.clip(t, _MID, _BIG, out=t)
        _erfc_big(t, s, den, e, r)
        s *= 0.5
        _select(out, s, take, keep)
    # ... then for u < 0, erfc(u) / 2 = 1 - erfc(-u) / 2.
    np.less(u, 0.0, out=take)
    np.subtract(1.0, take, out=keep)
    np.subtract(1.0, out, out=s)
    _select(out, s, take, keep)
    # The first interval, on u clipped into it: erfc(u) / 2 = (1 - erf(u)) / 2.
    np.clip(u, -_SMALL, _SMALL, out=t)
    _erf_small(t, s, den, e)
    np.multiply(s, -0.5, out=s)
    s += 0.5
    np.abs(u, out=t)
    np.less_equal(t, _SMALL, out=take)
    np.subtract(1.0, take, out=keep)
    return _select(out, s, take, keep)


def _work(scratch: Scratch, like: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """One float array for the argument and the work arrays of :func:`_half_erfc`."""
    u, *work = scratch.arrays(like.shape, like.dtype, 1 + _SCRATCH_FLOATS)
    return u, work


def normal_cdf(z: np.ndarray, out: np.ndarray, scratch: Scratch) -> np.ndarray:
    """The standard normal distribution function ``Phi(z) = erfc(-z / sqrt(2)) / 2`` into ``out``.

    ``z`` and ``out`` have the same shape and float dtype (``out`` may not alias
    ``z``); ``scratch`` supplies the work arrays. Accurate in relative terms in
    both tails: ``erfc`` is used directly, never ``1 + erf`` where that cancels.
    """
    u, work = _work(scratch, z)
    np.multiply(z, -_SQRT1_2, out=u)
    return _half_erfc(u, out, work)


def _float_array(x: object) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def erfc(x: object) -> np.ndarray:
    """The complementary error function ``1 - erf(x)``, elementwise, in a new array (float dtype kept)."""
    x = _float_array(x)
    u, work = _work(Scratch(), x)
    np.copyto(u, x)
    out = _half_erfc(u, np.empty_like(x), work)
    out *= 2.0
    return out


def erf(x: object) -> np.ndarray:
    """The error function, elementwise, in a new array (float dtype kept).

    Inside the first interval it is computed directly (no cancellation near 0);
    outside, as ``erfc(-x) - 1``.
    """
    x = _float_array(x)
    u, work = _work(Scratch(), x)
    np.negative(x, out=u)
    out = _half_erfc(u, np.empty_like(x), work)  # erfc(-x) / 2 = (1 + erf(x)) / 2
    out *= 2.0
    out -= 1.0
    s, t, den, e, _, take, keep = work
    np.clip(x, -_SMALL, _SMALL, out=t)
    _erf_small(t, s, den, e)
    np.abs(x, out=t)
    np.less_equal(t, _SMALL, out=take)
    np.subtract(1.0, take, out=keep)
    return _select(out, s, take, keep)

"""erf, erfc and the normal distribution function against Python's math module (libm)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.core.scratch import Scratch
from chainrule.core.special import erf, erfc, normal_cdf

# Dense over every interval of Cody's approximation, their borders, and tiny arguments.
ARGS = np.concatenate(
    [
        np.linspace(-27.5, 27.5, 220001),
        [0.0, 0.46875, -0.46875, np.nextafter(0.46875, 1), 4.0, -4.0, np.nextafter(4.0, 5), 26.543, 27.0],
        np.geomspace(1e-300, 1.0, 2000),
        -np.geomspace(1e-300, 1.0, 2000),
    ]
)


def relative_error(ours: np.ndarray, exact: np.ndarray) -> np.ndarray:
    diff = np.abs(ours - exact)
    return np.where(diff == 0, 0.0, diff / np.maximum(np.abs(exact), np.finfo(float).tiny))


def test_erf_is_accurate_to_float64_rounding():
    exact = np.array([math.erf(x) for x in ARGS])
    assert relative_error(erf(ARGS), exact).max() < 1e-15  # measured 4.5e-16 (2 units in the last place)


def test_erfc_is_accurate_to_float64_rounding_in_both_tails():
    exact = np.array([math.erfc(x) for x in ARGS])
    normal = exact >= np.finfo(float).tiny  # beyond ~26.5 erfc is subnormal, then 0
    assert relative_error(erfc(ARGS)[normal], exact[normal]).max() < 1.5e-15  # measured 8.9e-16
    assert np.abs(erfc(ARGS) - exact).max() < 1e-300 + 1e-15  # subnormal results are right in absolute terms
    assert erfc(np.array([30.0, 1e308]))[0] == 0.0 and erfc(np.array([-1e308]))[0] == 2.0


def test_normal_cdf_uses_erfc_in_the_left_tail():
    z = np.linspace(-37, 37, 74002).reshape(2, -1)
    # The same argument -z * sqrt(1/2), rounded as the implementation rounds it: this measures erfc alone.
    exact = np.array([0.5 * math.erfc(-v * math.sqrt(0.5)) for v in z.ravel()]).reshape(z.shape)
    ours = normal_cdf(z, np.empty_like(z), Scratch())
    assert relative_error(ours, exact).max() < 1.5e-15
    assert ours[0, 0] > 0  # Phi(-37) = 5.7e-300, not the 0 of 1 + erf


@pytest.mark.parametrize("function, exact", [(erf, math.erf), (erfc, math.erfc)])
def test_float32_stays_float32(function, exact):
    x = np.linspace(-6, 6, 1201).astype(np.float32)
    ours = function(x)
    assert ours.dtype == np.float32
    reference = np.array([exact(float(v)) for v in x])
    assert np.abs(ours - reference).max() < 4e-7


def test_no_floating_point_warnings_at_the_extremes():
    x = np.array([-np.finfo(float).max, -1e200, -30.0, -1e-320, 0.0, 1e-320, 30.0, 1e200, np.finfo(float).max])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ours = erf(x)
        assert np.isfinite(erfc(x)).all()
    np.testing.assert_array_equal(ours[[0, 1, 2, 6, 7, 8]], [-1, -1, -1, 1, 1, 1])
    assert ours[3] < 0 and ours[4] == 0 and ours[5] > 0

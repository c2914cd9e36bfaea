"""Weight initialisation: each scheme's distribution, seeding, dtypes and hand-set values."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import INITIALIZERS
from chainrule.core.initializers import get_initializer
from chainrule.core.layers import Dense

FAN_IN, FAN_OUT = 400, 200
# (name, distribution, variance): uniform U(-l, l) has variance l^2 / 3.
SCHEMES = [
    ("glorot_uniform", "uniform", 2 / (FAN_IN + FAN_OUT)),
    ("glorot_normal", "normal", 2 / (FAN_IN + FAN_OUT)),
    ("he_uniform", "uniform", 2 / FAN_IN),
    ("he_normal", "normal", 2 / FAN_IN),
    ("lecun_uniform", "uniform", 1 / FAN_IN),
    ("lecun_normal", "normal", 1 / FAN_IN),
]


@pytest.mark.parametrize("name, kind, variance", SCHEMES)
def test_distribution_has_the_scheme_variance(name, kind, variance):
    W = INITIALIZERS[name]((FAN_IN, FAN_OUT), np.random.default_rng(0), np.float64)
    n = W.size
    # The sample variance of 80,000 draws is within 3% of the true one (about 3 standard errors).
    assert W.var() == pytest.approx(variance, rel=0.03)
    assert abs(W.mean()) < 4 * np.sqrt(variance / n)
    if kind == "uniform":
        limit = np.sqrt(3 * variance)
        assert np.abs(W).max() <= limit and np.abs(W).max() > 0.999 * limit
    else:
        # A normal has about 4.6% of its mass beyond 2 sigma; a uniform of that variance none beyond 1.73.
        assert np.mean(np.abs(W) > 2 * np.sqrt(variance)) == pytest.approx(0.0455, abs=0.005)


def test_aliases_name_the_same_schemes():
    assert INITIALIZERS["xavier_uniform"] is INITIALIZERS["glorot_uniform"]
    assert INITIALIZERS["kaiming_normal"] is INITIALIZERS["he_normal"]


@pytest.mark.parametrize("name", [s[0] for s in SCHEMES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seeded_and_typed(name, dtype):
    a = Dense(30, 20, init=name, seed=np.random.default_rng(5), dtype=dtype)
    b = Dense(30, 20, init=name, seed=5, dtype=dtype)
    np.testing.assert_array_equal(a.W, b.W)
    assert a.W.dtype == dtype and not np.array_equal(a.W, Dense(30, 20, init=name, seed=6, dtype=dtype).W)


def test_constants_and_hand_set_values():
    assert (Dense(3, 2, init="zeros").W == 0).all() and (Dense(3, 2, init="ones").W == 1).all()
    assert (Dense(3, 2, init=0.25).W == 0.25).all()
    hand = [[0.15, 0.25], [0.2, 0.3]]  # the tutorial's w1..w4
    layer = Dense(2, 2, init=hand, dtype=np.float32)
    np.testing.assert_array_equal(layer.W, np.array(hand, dtype=np.float32))


@pytest.mark.parametrize(
    "init, message",
    [
        ("orthogonal", "init: expected one of"),
        (float("inf"), "init: expected one of"),
        (True, "init: expected one of"),
        ([[1.0, np.nan]], "init: expected finite hand-set weights"),
        ([["a"]], "init: expected hand-set weights"),
    ],
)
def test_bad_init(init, message):
    with pytest.raises(ValueError, match=message):
        get_initializer(init)


def test_hand_set_shape_is_checked():
    with pytest.raises(ValueError, match=r"init: expected an array of shape \(2, 3\)"):
        Dense(2, 3, init=np.zeros((3, 2)))

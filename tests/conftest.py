"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def data_for(loss: str, n: int, n_in: int, n_out: int, rng: np.random.Generator):
    """Random inputs and targets that suit ``loss``."""
    X = rng.normal(size=(n, n_in))
    if loss == "categorical_cross_entropy":
        Y = np.eye(n_out)[rng.integers(0, n_out, n)]
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n, n_out)).astype(float)
    else:
        Y = rng.uniform(0.05, 0.95, size=(n, n_out))
    return X, Y


@pytest.fixture(scope="module")
def server():
    """The explorer's server on a free loopback port, for one test module."""
    from chainrule.visual.server import make_server

    srv = make_server(port=0)
    srv.start_background()
    yield srv
    srv.shutdown()
    srv.server_close()

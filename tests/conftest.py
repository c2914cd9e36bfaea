"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import numpy as np
import pytest

from needs import IN_CI


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "ci_may_skip(reason): skips inside this test are by design (not a missing tool) and stay skips under CI=true",
    )
    if IN_CI:
        # A module whose tool is missing fails at collection; the run goes on, so that one CI run
        # names every missing tool (it still fails: pytest exits 1 on any collection error).
        config.option.continue_on_collection_errors = True


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _fail_skip_in_ci(report, what: str) -> None:
    report.outcome = "failed"
    report.longrepr = (
        f"CI=true and {what} was skipped: {_skip_reason(report)}\n"
        "A green CI run must mean every test family ran: install what the reason names "
        "(see tests/needs.py), or mark a skip that is by design with @pytest.mark.ci_may_skip."
    )


# Under CI=true a skip is a failure, whichever way it was raised (pytest.skip, importorskip, skipif),
# unless the test says its skips are by design. tests/needs.py fails with the install hint directly;
# these hooks catch the skips that do not go through it.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker("ci_may_skip") is None:
        _fail_skip_in_ci(report, f"test {item.nodeid}")


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        _fail_skip_in_ci(report, f"the whole of {collector.nodeid}")


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

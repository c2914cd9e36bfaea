"""Bad arguments to the Python API end in the library's ValidationError (issue 11).

Each test is one kind of bad input the adversarial campaign found crashing
with an internal exception (TypeError, OverflowError, MemoryError...) or
accepted silently (all-zero weights, an ``init`` returning NaN).
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np
import pytest

import chainrule as cr
import needs
from chainrule import Network, ValidationError, check_gradients
from chainrule.core.gradcheck import MAX_GRADCHECK_WORK
from chainrule.core.json_numbers import dumps, json_ready
from chainrule.core.validation import MAX_PARAMETERS, as_2d
from chainrule.optim import ExponentialLR, StepLR
from chainrule.training import Callback


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    return X, (X[:, :1] > 0).astype(float)


def net(dtype="float64"):
    return Network.from_sizes([2, 3, 1], seed=0, dtype=dtype)


# -- fit's arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "callbacks, field",
    [
        (5, "callbacks"),
        ("abc", "callbacks"),
        ({"a": 1}, "callbacks"),
        ([5], "callbacks[0]"),
        ([Callback(), None], "callbacks[1]"),
    ],
)
def test_fit_callbacks_must_be_a_list_of_callbacks(xy, callbacks, field):
    with pytest.raises(ValidationError) as err:
        net().fit(*xy, callbacks=callbacks)
    assert err.value.field == field


def test_one_callback_need_not_be_wrapped_in_a_list(xy):
    seen = []

    class Count(Callback):
        def on_epoch_end(self, loop, epoch, logs):
            seen.append(epoch)

    net().fit(*xy, epochs=2, callbacks=Count(), progress=False)
    assert seen == [1, 2]


def test_fit_metrics_must_be_a_list(xy):
    with pytest.raises(ValidationError, match="metrics: expected a list of metric names"):
        net().fit(*xy, metrics=5)


def test_an_exponential_schedule_that_overflows_is_refused_before_training(xy):
    network = net()
    before = network.buffer.values.copy()
    with pytest.raises(
        ValidationError,
        match=r"schedule: expected a schedule whose learning rate stays finite.*"
        r"ExponentialLR\(gamma=10000000000.0.*gives inf after 39 epochs",
    ):
        network.fit(*xy, epochs=40, schedule=ExponentialLR(1e10), progress=False)
    assert np.array_equal(network.buffer.values, before)  # refused before the first update


def test_schedules_give_inf_instead_of_raising_overflow_error():
    assert ExponentialLR(1e10)(31, 0.1) == math.inf
    assert StepLR(1, 1e10)(400, 0.1) == math.inf
    assert ExponentialLR(0.5)(5000, 0.1) == 0.0  # underflow is harmless: the rate reaches 0


def test_a_per_step_schedule_is_checked_over_the_whole_run(xy):
    with pytest.raises(ValidationError, match="gives inf after 79 steps"):
        net().fit(*xy, epochs=4, batch_size=2, schedule=ExponentialLR(1e20, per="step"), progress=False)


# -- sample weights ----------------------------------------------------------------------------------
def test_all_zero_sample_weights_are_refused(xy):
    with pytest.raises(
        ValidationError, match=r"sample_weight: expected weights with a positive total.*nothing to learn"
    ):
        net().fit(*xy, sample_weight=np.zeros(40))


def test_zero_weights_on_one_side_of_a_validation_split_are_refused(xy):
    # The split is the documented one: default_rng([seed, 0]).permutation(n)[:n_val] are held out.
    order = np.random.default_rng([3, 0]).permutation(40)
    weights = np.zeros(40)
    weights[order[10:]] = 1.0  # every training row weighted, the 10 validation rows all zero
    with pytest.raises(ValidationError, match=r"sample_weight \(validation rows\): expected weights with a positive"):
        net().fit(*xy, epochs=1, validation_fraction=0.25, seed=3, sample_weight=weights, progress=False)
    with pytest.raises(ValidationError, match="validation_data weights: expected weights with a positive total"):
        net().fit(*xy, validation_data=(xy[0], xy[1], np.zeros(40)))


@pytest.mark.parametrize("dtype, weight", [("float64", 1e308), ("float64", 1e153), ("float32", 1e30)])
def test_weights_whose_total_overflows_are_refused(xy, dtype, weight):
    with pytest.raises(ValidationError, match=f"expected weights totalling at most .* in {dtype}"):
        net(dtype).fit(*xy, sample_weight=np.full(40, weight))


def test_large_but_safe_weights_train_like_their_scaled_down_copy(xy):
    # Adam is invariant to the loss's scale (up to its epsilon): weights of 1e100 and of 1 train the same network.
    a, b = net(), net()
    a.fit(*xy, sample_weight=np.full(40, 1e100), optimizer="adam", epochs=3, seed=1, progress=False)
    b.fit(*xy, sample_weight=np.ones(40), optimizer="adam", epochs=3, seed=1, progress=False)
    np.testing.assert_allclose(a.buffer.values, b.buffer.values, rtol=1e-4, atol=1e-6)


# -- building networks -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sizes, message",
    [
        ([3, 10**12, 2], f"sizes: expected a network of at most {MAX_PARAMETERS:,} weights"),
        ([100_000, 100_000], f"sizes: expected a network of at most {MAX_PARAMETERS:,} weights"),
        (
            [10**5000, 2],
            r"sizes\[0\]: expected an integer from 1 to 9223372036854775807, received: <an integer of about",
        ),
    ],
)
def test_from_sizes_refuses_networks_past_the_bound_before_allocating(sizes, message):
    start = time.perf_counter()
    with pytest.raises(ValidationError, match=message):
        Network.from_sizes(sizes)
    assert time.perf_counter() - start < 1


def test_from_sizes_names_the_largest_layer():
    with pytest.raises(ValidationError, match=r"layer 2, sizes\[1\] -> sizes\[2\], alone has 100,000,000,000 weights"):
        Network.from_sizes([2, 10, 10**10, 1])


@pytest.mark.parametrize(
    "init, received",
    [
        (lambda shape, rng, dtype: np.full(shape, np.nan), "4 values that are not finite"),
        (lambda shape, rng, dtype: np.full(shape, 1e39), "not finite in float32"),
        (lambda shape, rng, dtype: np.zeros((3, 3)), "array of shape (3, 3)"),
        (lambda shape, rng, dtype: "weights", "'weights'"),
        (lambda shape, rng, dtype: [[1, 2], [3]], "[[1, 2], [3]]"),
        (lambda shape: np.zeros(shape), "which raised TypeError"),
    ],
)
def test_an_init_callable_is_checked(init, received):
    with pytest.raises(ValidationError) as err:
        Network.from_sizes([2, 2, 1], init=init, dtype="float32")
    assert err.value.field == "init" and "returning finite numbers of shape (2, 2)" in err.value.expected
    assert received in err.value.received


def test_a_good_init_callable_is_used_as_is():
    network = Network.from_sizes([2, 2], init=lambda shape, rng, dtype: np.full(shape, 0.25, dtype))
    assert np.array_equal(network.layers[0].W, np.full((2, 2), 0.25))


# -- save_model, check_gradients --------------------------------------------------------------------
def test_save_model_refuses_what_is_not_a_network(tmp_path):
    needs.module("safetensors")
    with pytest.raises(ValidationError, match="network: expected a chainrule Network, received: 'str'"):
        cr.save_model(tmp_path / "m.safetensors", "str")
    with pytest.raises(ValidationError, match="path: expected a file path"):
        cr.save_model(None, net())


@pytest.mark.parametrize(
    "options, field",
    [
        ({"h": math.nan}, "h"),
        ({"h": -1.0}, "h"),
        ({"h": math.inf}, "h"),
        ({"floor": 0.0}, "floor"),
        ({"max_work": 0}, "max_work"),
        ({"max_work": "lots"}, "max_work"),
    ],
)
def test_check_gradients_validates_its_options(xy, options, field):
    with pytest.raises(ValidationError) as err:
        check_gradients(net(), *xy, **options)
    assert err.value.field == field


def test_check_gradients_bounds_its_work_before_copying_the_network():
    big = Network.from_sizes([300, 300, 10], seed=0)  # 93,310 parameters: 8 samples cost 7e10 > 1e10
    X, Y = np.zeros((8, 300)), np.zeros((8, 10))
    start = time.perf_counter()
    with pytest.raises(ValidationError, match=r"network: expected a gradient check of at most 1e\+10 samples"):
        check_gradients(big, X, Y)
    assert time.perf_counter() - start < 1
    with pytest.raises(ValidationError, match="network: expected a chainrule Network"):
        check_gradients("net", X, Y)
    assert MAX_GRADCHECK_WORK == 10**10


# -- data given as sparse matrices, pandas frames and object arrays ----------------------------------
def test_a_sparse_matrix_is_refused_with_the_conversion_to_use():
    sparse = needs.module("scipy.sparse")
    with pytest.raises(
        ValidationError,
        match=r"X: expected a dense array \(convert a sparse matrix with "
        r"X.toarray\(\)\), received: a sparse matrix of shape \(3, 2\)",
    ):
        net().predict(sparse.csr_matrix(np.ones((3, 2))))


def test_pandas_nullable_columns_are_converted_and_missing_values_named():
    pd = needs.module("pandas")
    frame = pd.DataFrame({"a": pd.array([1, 2, 3], dtype="Int64"), "b": pd.array([0.5, 1.5, 2.5], dtype="Float64")})
    plain = np.array([[1, 0.5], [2, 1.5], [3, 2.5]])
    assert np.array_equal(net().predict(frame), net().predict(plain))
    frame.loc[1, "b"] = pd.NA
    with pytest.raises(ValidationError, match="X: expected finite values, received: nan at row 1, column 1"):
        net().predict(frame)
    frame["c"] = ["x", "y", "z"]
    with pytest.raises(ValidationError, match="X: expected numeric columns, received: column 'c' of dtype"):
        Network.from_sizes([3, 1]).predict(frame)


def test_object_arrays_of_numbers_are_accepted_and_others_named():
    network = net()
    values = np.array([[1, 2.5], [None, 3]], dtype=object)
    with pytest.raises(ValidationError, match="received: nan at row 1, column 0"):
        network.predict(values)
    assert np.array_equal(network.predict(np.array([[1, 2.5]], dtype=object)), network.predict([[1.0, 2.5]]))
    with pytest.raises(ValidationError, match="X: expected numbers within the range of a float64"):
        network.predict(np.array([[10**400, 1]], dtype=object))
    with pytest.raises(ValidationError, match="X: expected numeric values"):
        network.predict(np.array([["a", 1]], dtype=object))
    deep: list = []
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    with pytest.raises(ValidationError):
        as_2d(deep, "X", np.dtype(np.float64))


# -- JSON output ----------------------------------------------------------------------------------------
def test_json_ready_writes_non_finite_numbers_as_strings():
    data = {
        "a": [1.0, math.inf, -math.inf, math.nan],
        "b": np.float32("inf"),
        "c": (np.int64(3), True),
        "d": np.array([1.0, np.nan]),
    }
    text = dumps(data)
    assert json.loads(text) == {
        "a": [1.0, "Infinity", "-Infinity", "NaN"],
        "b": "Infinity",
        "c": [3, True],
        "d": [1.0, "NaN"],
    }
    deep: list = [1.5]
    for _ in range(10_000):
        deep = [deep]
    ready = json_ready(deep)  # no recursion: any depth
    for _ in range(10_000):
        ready = ready[0]
    assert ready == [1.5]


# -- under mpiexec -n 2: the weights' total is the whole data's, not one rank's --------------------------
from test_distributed import mpiexec  # noqa: F401 -- the module's fixture (skips without MPI)

ZERO_ON_ONE_RANK = """
import sys
import numpy as np, chainrule as cr
from mpi4py import MPI
rank = MPI.COMM_WORLD.Get_rank()
rng = np.random.default_rng(0)
X = rng.normal(size=(30, 2)); Y = (X[:, :1] > 0).astype(float)
scale = float(sys.argv[1])
w = np.full(30, scale if rank == 0 else 0.0)  # rank 1 holds only zero weights
net = cr.Network.from_sizes([2, 3, 1], seed=0)
try:
    net.fit(X, Y, sample_weight=w, epochs=2, progress=False, comm=MPI.COMM_WORLD, sharded=True)
    print(f"rank {rank} trained")
except cr.ValidationError as err:
    print(f"rank {rank} refused: {err}")
"""


def test_a_rank_may_hold_only_zero_weights_but_the_total_may_not_be_zero(mpiexec):  # noqa: F811
    done = mpiexec(sys.executable, "-c", ZERO_ON_ONE_RANK, "1.0")
    assert "rank 0 trained" in done.stdout and "rank 1 trained" in done.stdout
    done = mpiexec(sys.executable, "-c", ZERO_ON_ONE_RANK, "0.0")
    assert done.stdout.count("expected weights with a positive total") == 2, done.stdout + done.stderr

"""Copies of networks, layers and estimators are independent and train exactly as the original would.

A network keeps every value in one flat buffer and its layers' arrays are views
of it; a copy that lost those views would train nothing (the optimizer would
update a buffer no layer reads). Every way of copying is checked: the copy
trains, bitwise as the original does from the same state, and leaves the
original alone.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import needs
from chainrule import SGD, Adam, Dense, Network

COPIES = {
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "Network.copy": lambda obj: obj.copy(),
}


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    Y = np.eye(2)[(X[:, 0] + X[:, 1] > 0).astype(int)]
    return X, Y


def network() -> Network:
    return Network.from_sizes([3, 5, 2], "tanh", output_activation="softmax", loss="cross_entropy", seed=0)


def assert_views_of_own_buffer(net: Network) -> None:
    for layer in net.layers:
        for param in (layer.weight, layer.bias):
            assert param.buffer is net.buffer
            assert np.shares_memory(param.value, net.buffer.values)
            assert np.shares_memory(param.grad, net.buffer.gradients)


@pytest.mark.parametrize("how", list(COPIES))
def test_a_copied_network_trains_bitwise_as_the_original(how, data):
    X, Y = data
    original = network()
    before = original.buffer.values.copy()
    duplicate = COPIES[how](original) if how != "Network.copy" else original.copy()
    assert duplicate is not original and duplicate.buffer is not original.buffer
    assert_views_of_own_buffer(duplicate)
    history = duplicate.fit(X, Y, optimizer=SGD(learning_rate=0.5), epochs=3, batch_size=8, seed=1, progress=False)
    assert history.loss[-1] < history.loss[0]
    assert not np.array_equal(duplicate.buffer.values, before)
    np.testing.assert_array_equal(original.buffer.values, before)  # the original is untouched
    original.fit(X, Y, optimizer=SGD(learning_rate=0.5), epochs=3, batch_size=8, seed=1, progress=False)
    assert original.buffer.values.tobytes() == duplicate.buffer.values.tobytes()
    for a, b in zip(original.layers, duplicate.layers):
        assert a.W.tobytes() == b.W.tobytes() and a.b.tobytes() == b.b.tobytes()


@pytest.mark.parametrize("how", ["copy.copy", "copy.deepcopy", "pickle"])
def test_a_copied_layer_is_independent(how):
    layer = Dense(3, 2, "relu", seed=0)
    duplicate = COPIES[how](layer)
    duplicate.W[0, 0] = 7.0
    duplicate.b = [1.0, 2.0]
    assert layer.W[0, 0] != 7.0 and not layer.b.any()
    net = Network([duplicate, Dense(2, 1, "identity", seed=1)])
    assert net.layers[0].W[0, 0] == 7.0 and net.buffer.values[0] == 7.0


def test_a_layer_of_a_network_copies_with_its_values(data):
    net = network()
    layer = copy.deepcopy(net.layers[0])
    np.testing.assert_array_equal(layer.W, net.layers[0].W)
    layer.W[...] = 0.0
    assert net.layers[0].W.any()


@pytest.mark.parametrize("how", list(COPIES))
def test_values_set_by_hand_reach_the_copys_buffer(how, data):
    duplicate = COPIES[how](network())
    duplicate.layers[1].W[0, 1] = 3.25
    duplicate.layers[0].set_weights(b=np.full(5, -0.5))
    duplicate.layers[0].W = np.ones((3, 5))
    w_index = duplicate.layers[1].weight.offset + 1
    assert duplicate.buffer.values[w_index] == 3.25
    np.testing.assert_array_equal(duplicate.layers[0].W, np.ones((3, 5)))
    assert np.shares_memory(duplicate.layers[0].W, duplicate.buffer.values)
    X, Y = data
    duplicate.fit(X, Y, optimizer=SGD(learning_rate=0.1), epochs=1, seed=0, progress=False)
    assert duplicate.layers[1].W[0, 1] != 3.25  # the hand-set value was trained


def test_an_optimizer_copied_with_its_network_stays_bound_to_the_copy(data):
    X, Y = data
    net, opt = network(), Adam(learning_rate=0.01)
    net.fit(X, Y, optimizer=opt, epochs=1, seed=0, progress=False)
    net2, opt2 = copy.deepcopy((net, opt))
    net3, opt3 = pickle.loads(pickle.dumps((net, opt)))
    for n, o in ((net2, opt2), (net3, opt3)):
        assert n.owns(o.parameters)
        n.fit(X, Y, optimizer=o, epochs=3, seed=2, progress=False)
    net.fit(X, Y, optimizer=opt, epochs=3, seed=2, progress=False)
    assert net.buffer.values.tobytes() == net2.buffer.values.tobytes() == net3.buffer.values.tobytes()


ESTIMATOR_COPIES = ["copy.copy", "copy.deepcopy", "pickle"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 3 to 5 epochs on purpose
@pytest.mark.parametrize("how", ESTIMATOR_COPIES)
def test_copied_estimators_continue_with_partial_fit_and_warm_start(how, data):
    needs.module("sklearn")
    from chainrule.sklearn import NetworkClassifier, NetworkRegressor

    X, Y = data
    y = Y.argmax(axis=1)
    clf = NetworkClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0, tol=0).fit(X, y)
    duplicate = COPIES[how](clf)
    before = duplicate.coefs_[0].copy()
    duplicate.partial_fit(X, y)
    assert not np.array_equal(duplicate.coefs_[0], before)
    np.testing.assert_array_equal(clf.coefs_[0], before)  # the original is untouched
    clf.partial_fit(X, y)
    assert clf.coefs_[0].tobytes() == duplicate.coefs_[0].tobytes()

    target = X @ np.array([1.0, -2.0, 0.5])
    reg = NetworkRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0, tol=0, warm_start=True)
    reg.fit(X, target)
    again = COPIES[how](reg)
    again.fit(X, target)
    reg.fit(X, target)
    assert reg.coefs_[1].tobytes() == again.coefs_[1].tobytes()

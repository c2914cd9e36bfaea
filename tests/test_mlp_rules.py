"""scikit-learn's update rules (MLPAdam, MLPSGD) and its L2 penalty, beyond the estimators' parity runs.

The parity tests (tests/test_sklearn_parity.py) drive these through whole fits;
these pin what a fit does not reach: the defaults, the refusals, several
parameters at once, the state a checkpoint keeps, and the penalty's exact
arithmetic on one-row batches and in float32.
"""

from __future__ import annotations

import numpy as np
import pytest

import needs
from chainrule import Network, ValidationError
from chainrule.core.penalty import add_l2_penalty
from chainrule.optim import MLPSGD, MLPAdam
from conftest import data_for


def _net(dtype=np.float64) -> Network:
    return Network.from_sizes([3, 5, 2], "tanh", seed=0, dtype=dtype)


def _grads(net: Network, rng: np.random.Generator) -> None:
    for p in net.parameters():
        p.grad[...] = rng.normal(size=p.grad.shape).astype(p.grad.dtype)


def test_the_defaults_are_scikit_learns():
    needs.module("sklearn")
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier().get_params()
    adam, sgd = MLPAdam(), MLPSGD()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        mlp["learning_rate_init"],
        mlp["beta_1"],
        mlp["beta_2"],
        mlp["epsilon"],
    )
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (
        mlp["learning_rate_init"],
        mlp["momentum"],
        mlp["nesterovs_momentum"],
    )
    assert adam.weight_decay == sgd.weight_decay == 0.0
    assert MLPSGD(weight_decay=0.25).weight_decay == MLPAdam(weight_decay=0.25).weight_decay == 0.25


@pytest.mark.parametrize(
    "make, field, expected, received",
    [
        (lambda: MLPAdam(beta_1=1.0), "beta_1", "a number in [0, 1)", 1.0),
        (lambda: MLPAdam(beta_2=1.0), "beta_2", "a number in [0, 1)", 1.0),
        (lambda: MLPAdam(beta_1=-0.1), "beta_1", "", -0.1),
        (lambda: MLPAdam(epsilon=0.0), "epsilon", "", 0.0),
        (lambda: MLPSGD(momentum=1.5), "momentum", "a number in [0, 1]", 1.5),
        (lambda: MLPSGD(momentum=-0.1), "momentum", "", -0.1),
        (lambda: MLPSGD(nesterov="yes"), "nesterov", "True or False", "yes"),
    ],
)
def test_bad_values_are_refused_naming_the_field(make, field, expected, received):
    with pytest.raises(ValidationError) as err:
        make()
    assert err.value.field == field and expected in err.value.expected
    assert err.value.received == repr(received)


@pytest.mark.parametrize("cls", [MLPAdam, MLPSGD])
def test_a_learning_rate_given_first_is_refused_saying_how_to_give_it(cls):
    # The first positional argument is the parameters, as in torch.optim: a rate there is named.
    with pytest.raises(ValidationError) as err:
        cls(0.1)
    assert err.value.field == "parameters" and "learning_rate=" in err.value.expected


def test_the_ends_of_the_ranges_are_accepted():
    assert MLPAdam(beta_1=0.0, beta_2=0.0).beta_1 == 0.0
    assert MLPSGD(momentum=0.0).momentum == 0.0 and MLPSGD(momentum=1.0).momentum == 1.0


@pytest.mark.parametrize(
    "rule",
    [
        lambda: MLPAdam(learning_rate=1e-2),
        lambda: MLPSGD(learning_rate=0.1),
        lambda: MLPSGD(learning_rate=0.1, nesterov=False),
    ],
)
def test_several_parameters_step_as_the_flat_one(rule):
    # Each parameter keeps its own state: bound layer by layer, the steps equal those of the
    # flat parameter, for several steps, with weight decay.
    rng = np.random.default_rng(0)
    nets = [_net(), _net()]
    flat, per_layer = rule(), rule()
    flat.weight_decay = per_layer.weight_decay = 0.01
    flat.bind([nets[0].flat_parameter()])
    per_layer.bind(nets[1].parameters())
    for _ in range(4):
        _grads(nets[0], rng)
        for p, q in zip(nets[1].parameters(), nets[0].parameters()):
            p.grad[...] = q.grad
        flat.step()
        per_layer.step()
        assert nets[0].buffer.values.tobytes() == nets[1].buffer.values.tobytes()


@pytest.mark.parametrize("rule", [lambda: MLPAdam(learning_rate=1e-2), lambda: MLPSGD(learning_rate=0.1)])
def test_a_restored_state_continues_exactly(rule):
    rng = np.random.default_rng(1)
    a, b = _net(), _net()
    first = rule().bind([a.flat_parameter()])
    for _ in range(3):
        _grads(a, rng)
        first.step()
    state = first.state_dict()
    assert state["buffers"], "the moments are part of the state"
    b.buffer.values[...] = a.buffer.values
    second = rule().bind([b.flat_parameter()])
    second.load_state_dict(state)
    for _ in range(2):
        _grads(a, rng)
        b.buffer.gradients[...] = a.buffer.gradients
        first.step()
        second.step()
    assert a.buffer.values.tobytes() == b.buffer.values.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 5])
def test_the_l2_penalty_adds_alpha_w_over_the_rows_in_the_networks_dtype(dtype, rows):
    # g += w * (alpha / n) in the network's own dtype, for every weight matrix and no bias, on a
    # batch of one row too; the loss term is 0.5 alpha sum ||W||^2 / n.
    rng = np.random.default_rng(2)
    net = _net(dtype)
    X, Y = data_for("squared_error", rows, 3, 2, rng)
    X, Y = X.astype(dtype), Y.astype(dtype)
    alpha = 0.3
    with np.errstate(over="ignore"):
        net.loss_and_gradients(X, Y)
    before = [(layer.weight.grad.copy(), layer.bias.grad.copy()) for layer in net.layers]
    value = add_l2_penalty(net, alpha, rows)
    for layer, (g_w, g_b) in zip(net.layers, before):
        assert layer.weight.grad.dtype == dtype
        expected = g_w + layer.weight.value * dtype(alpha / rows)
        assert layer.weight.grad.tobytes() == expected.astype(dtype).tobytes()
        assert layer.bias.grad.tobytes() == g_b.tobytes()
    squares = sum(float(np.dot(w, w)) for w in (layer.weight.value.reshape(-1) for layer in net.layers))
    assert value == pytest.approx(0.5 * alpha * squares / rows, rel=1e-12)


def test_train_step_adds_the_penalty_to_the_loss_of_a_one_row_batch():
    rng = np.random.default_rng(3)
    X, Y = data_for("squared_error", 1, 3, 2, rng)
    plain, penalised = _net(), _net()
    w = [layer.weight.value.copy() for layer in plain.layers]
    loss = plain.train_step(X, Y, MLPSGD(learning_rate=1e-12, momentum=0.0))
    with_penalty = penalised.train_step(X, Y, MLPSGD(learning_rate=1e-12, momentum=0.0), l2=0.5)
    squares = sum(float(np.vdot(m, m)) for m in w)
    assert with_penalty == pytest.approx(loss + 0.25 * squares, rel=1e-12)

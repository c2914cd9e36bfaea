"""The engine's training step: divergence caught at its step, the weights left bitwise the last finite ones.

The step refuses an overflowing update without copying the weights first: it
proves the update safe from sums of squares (of the weights, or a bound
carried from the last step; of the gradients, or a Cauchy-Schwarz bound from
the backward pass's inputs and deltas) and only otherwise takes the exact slow
path. These tests drive every route: full batches (one step per epoch), small
batches of a wide layer (the Cauchy-Schwarz bound), the carried bound of the
loop's own consecutive steps, the step's public pieces, and optimizers that
show their step (SGD, momentum, Adam, AdamW) or do not (the in-place
``update`` contract).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import SGD, Adam, AdamW, DivergenceError, Network, RMSprop
from chainrule.optim import Optimizer, Schedule
from chainrule.training import LambdaCallback
from conftest import data_for


def values(net):
    return net.buffer.values.copy()


def wide(dtype, seed=0, regression=False):
    """A network whose first layer is wide enough (and batches small enough) for the Cauchy-Schwarz bound."""
    if regression:
        return Network.from_sizes(
            [300, 128, 1],
            "relu",
            output_activation="identity",
            loss="squared_error",
            init="he_uniform",
            seed=seed,
            dtype=dtype,
        )
    return Network.from_sizes(
        [300, 128, 4],
        "relu",
        output_activation="softmax",
        loss="cross_entropy",
        init="he_uniform",
        seed=seed,
        dtype=dtype,
    )


def wide_data(dtype, n=64, seed=1, regression=False):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 300)).astype(dtype)
    if regression:  # targets far off: gradients well above 1, so that a huge rate overflows
        return X, (100.0 * rng.choice([-1.0, 1.0], size=(n, 1))).astype(dtype)
    return X, np.eye(4, dtype=dtype)[rng.integers(0, 4, n)]


class Jump(Schedule):
    """The base rate for ``steps`` updates, then ``to``."""

    def __init__(self, steps, to):
        super().__init__(per="step")
        self.steps, self.to = steps, to

    def __call__(self, t, base):
        return base if t < self.steps else self.to


OPTIMIZERS = {
    "sgd": lambda lr: SGD(learning_rate=lr),
    "momentum": lambda lr: SGD(learning_rate=lr, momentum=0.9),
    "nesterov+decay": lambda lr: SGD(learning_rate=lr, momentum=0.5, nesterov=True, weight_decay=0.01),
    "adam": lambda lr: Adam(learning_rate=lr),
    "adamw": lambda lr: AdamW(learning_rate=lr, weight_decay=0.1),
    "rmsprop": lambda lr: RMSprop(learning_rate=lr),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [None, 8])  # one step per epoch; several steps per epoch
def test_an_update_that_overflows_at_a_later_step_is_refused_there(dtype, name, batch_size):
    # The learning rate jumps from 1e-4 to the largest float at step 4 (a per-step schedule):
    # the gradients stay finite, the update overflows. The weights left must be bitwise those
    # after step 3, as a run stopped there by a callback leaves them.
    X, Y = wide_data(dtype, n=32, regression=True)
    schedule = Jump(3, float(np.finfo(dtype).max))

    def fit(net, callbacks=()):
        net.fit(
            X,
            Y,
            optimizer=OPTIMIZERS[name](1e-4),
            schedule=schedule,
            epochs=6,
            batch_size=batch_size,
            shuffle=False,
            callbacks=list(callbacks),
            progress=False,
        )

    net = wide(dtype, regression=True)
    with pytest.raises(DivergenceError, match=r"step 4: first non-finite value in the update of layer") as err:
        fit(net)
    assert err.value.step == 4 and err.value.epoch == (4 if batch_size is None else 1)
    assert math.isfinite(err.value.loss)
    reference = wide(dtype, regression=True)
    fit(reference, [LambdaCallback(on_batch_end=lambda loop, step, loss: setattr(loop, "stop_training", step == 3))])
    assert values(net).tobytes() == values(reference).tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_first_update_that_overflows_leaves_the_initial_weights(dtype, name):
    net = Network.from_sizes([2, 3, 1], "tanh", output_activation="identity", loss="squared_error", seed=0, dtype=dtype)
    X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[100.0], [-100.0]])
    before = values(net)
    with pytest.raises(DivergenceError, match=r"epoch 1, step 1: first non-finite value in the update of layer"):
        net.fit(X, Y, optimizer=OPTIMIZERS[name](float(np.finfo(dtype).max)), epochs=2, batch_size=None, progress=False)
    assert values(net).tobytes() == before.tobytes()


def test_a_non_finite_loss_is_caught_at_its_step_with_the_cauchy_schwarz_bound():
    # Float32 targets whose squared error overflows in the 3rd batch only.
    X, Y = wide_data(np.float32, n=32, regression=True)
    Y[16:24] = np.float32(1e30)
    net = wide(np.float32, regression=True)
    assert net._training_pass(8).bound_slack < math.inf  # the route under test
    kept = {}
    rec = LambdaCallback(on_batch_end=lambda loop, step, loss: kept.__setitem__(step, values(loop.network)))
    with pytest.raises(DivergenceError, match=r"epoch 1, step 3: first non-finite value in the loss") as err:
        net.fit(
            X,
            Y,
            optimizer="sgd",
            learning_rate=1e-6,
            epochs=1,
            batch_size=8,
            shuffle=False,
            callbacks=[rec],
            progress=False,
        )
    assert err.value.step == 3 and values(net).tobytes() == kept[2].tobytes()


def test_the_cauchy_schwarz_bound_bounds_every_gradient(rng):
    for seed in range(8):
        for dtype in (np.float32, np.float64):
            net = wide(dtype, seed=seed)
            X, Y = wide_data(dtype, n=16, seed=seed)
            X *= rng.uniform(0.1, 50)
            net._bounding = True
            net.loss_and_gradients(X, Y)
            plan = net._last_pass
            bound = math.sqrt(plan.bound_squares) * plan.bound_slack
            largest = float(np.abs(net.buffer.trainable_gradients).max())
            assert largest <= bound < 1e6 * largest + 1e-30


def test_weights_unchanged_only_skips_a_check():
    # The loop vouches for its own consecutive steps; with a callback between steps it does not.
    # Either way the numbers are the same, bit for bit.
    X, Y = wide_data(np.float64, n=64)
    a, b = wide(np.float64), wide(np.float64)
    a.fit(X, Y, optimizer="sgd", learning_rate=0.05, epochs=2, batch_size=8, seed=3, progress=False)
    watcher = LambdaCallback(on_batch_end=lambda loop, step, loss: None)
    b.fit(
        X, Y, optimizer="sgd", learning_rate=0.05, epochs=2, batch_size=8, seed=3, callbacks=[watcher], progress=False
    )
    assert values(a).tobytes() == values(b).tobytes()


def test_a_callback_that_sets_huge_weights_between_steps_is_not_trusted_away():
    # A weight set by hand between two steps (so that the next update overflows) must be seen:
    # the loop does not vouch for steps that a callback sees.
    # Step 1 changes nothing (x = 0); then W = 1.7e308 makes step 2's update overflow, as in
    # test_training.py's test_an_update_that_overflows_weights_set_by_hand_is_refused.
    net = Network.from_sizes([1, 1], "identity", loss="squared_error", train_bias=False, seed=0)
    X, Y = np.array([[0.0], [1e-150]]), np.array([[0.0], [1.7e158 + 1e149]])

    def poke(loop, step, loss):
        if step == 1:
            loop.network.layers[0].set_weights(W=[[1.7e308]])

    with pytest.raises(DivergenceError, match="step 2: first non-finite value in the update of layer 1 weights W"):
        net.fit(
            X,
            Y,
            optimizer=SGD(learning_rate=1e308),
            epochs=1,
            batch_size=1,
            shuffle=False,
            callbacks=[LambdaCallback(on_batch_end=poke)],
            progress=False,
        )
    assert net.layers[0].W[0, 0] == 1.7e308


def test_train_step_and_apply_update_refuse_overflow_on_their_own():
    net = Network.from_sizes([1, 1], "identity", loss="squared_error", train_bias=False, seed=0)
    net.layers[0].set_weights(W=[[1.7e308]])
    X, Y = np.array([[1e-150]]), np.array([[1.7e158 + 1e149]])
    opt = SGD(learning_rate=1e308)
    with np.errstate(over="ignore"), pytest.raises(DivergenceError, match="the update of layer 1 weights W"):
        net.train_step(X, Y, opt, weights_unchanged=True)  # no step before it: nothing to vouch for
    assert net.layers[0].W[0, 0] == 1.7e308
    with np.errstate(over="ignore"):
        net.loss_and_gradients(X, Y)
        with pytest.raises(DivergenceError, match="the update of layer 1 weights W"):
            net.apply_update(opt)
    assert net.layers[0].W[0, 0] == 1.7e308


class InPlaceSGD(Optimizer):
    """An optimizer written for the earlier contract: update() changes the values in place."""

    def update(self, index, param):
        param.value -= self.learning_rate * param.grad


def test_an_in_place_optimizer_still_trains_and_is_checked_the_slow_way(rng):
    X, Y = data_for("squared_error", 20, 3, 2, rng)
    a = Network.from_sizes([3, 4, 2], "tanh", seed=0)
    b = Network.from_sizes([3, 4, 2], "tanh", seed=0)
    a.fit(X, Y, optimizer=InPlaceSGD(learning_rate=0.1), epochs=3, batch_size=5, shuffle=False, progress=False)
    b.fit(X, Y, optimizer=SGD(learning_rate=0.1), epochs=3, batch_size=5, shuffle=False, progress=False)
    np.testing.assert_allclose(values(a), values(b), rtol=1e-15)
    c = Network.from_sizes([3, 4, 2], "tanh", seed=0)
    before = values(c)
    with pytest.raises(DivergenceError, match="first non-finite value in the update of layer"):
        c.fit(X, 1e3 * Y, optimizer=InPlaceSGD(learning_rate=1e308), epochs=1, batch_size=None, progress=False)
    assert values(c).tobytes() == before.tobytes()


def test_an_in_place_optimizer_counts_each_step_once(rng):
    # Its rule may read its step count (Adam-style bias corrections do): the engine must not
    # count a step when it looks for the step in advance and again when it takes it.
    class CountingSGD(InPlaceSGD):
        def update(self, index, param):
            seen.append(self.steps)
            super().update(index, param)

    seen = []
    X, Y = data_for("squared_error", 20, 3, 2, rng)
    net = Network.from_sizes([3, 4, 2], "tanh", seed=0)
    opt = CountingSGD(learning_rate=0.1)
    assert not opt.shows_step and SGD().shows_step
    net.fit(X, Y, optimizer=opt, epochs=2, batch_size=5, shuffle=False, progress=False)
    assert opt.steps == 8 and seen == list(range(1, 9))
    net.apply_update(opt)
    assert opt.steps == 9 and seen[-1] == 9


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_prepare_then_apply_is_step(name, rng):
    # Several parameters (one per layer, not the flat one), one larger than a chunk of the scaled step.
    nets = [Network.from_sizes([300, 256, 3], "tanh", seed=1, dtype=np.float32) for _ in range(2)]
    opts = [OPTIMIZERS[name](0.01).bind(net.parameters()) for net in nets]
    for _ in range(3):
        grads = [rng.normal(size=p.grad.shape).astype(np.float32) for p in nets[0].parameters()]
        for net in nets:
            for p, g in zip(net.parameters(), grads):
                p.grad[...] = g
        opts[0].step()
        deltas = opts[1].prepare_step()
        assert opts[1].prepared_factor == opts[1].value_factor and opts[1].prepared_scale == opts[1].delta_scale
        opts[1].apply_step(deltas)
        assert values(nets[0]).tobytes() == values(nets[1]).tobytes()


def test_plain_sgd_scales_the_gradient_and_others_do_not():
    assert SGD(learning_rate=0.3).delta_scale == 0.3
    assert SGD(learning_rate=0.3, momentum=0.9).delta_scale is None
    assert SGD(learning_rate=0.3, weight_decay=0.1).delta_scale is None
    assert Adam().delta_scale is None and Adam().value_factor == 1.0
    assert AdamW(learning_rate=0.1, weight_decay=0.5).value_factor == pytest.approx(0.95)


def test_check_finite_names_the_first_bad_layer_with_its_epoch_and_step():
    # The public divergence check (train_with_convention uses it): a NaN in layer 2's gradients.
    net = Network.from_sizes([2, 3, 2], "tanh", seed=0)
    X, Y = np.array([[0.1, 0.2]]), np.array([[0.3, 0.4]])
    loss = net.loss_and_gradients(X, Y)
    net.check_finite(loss, epoch=4, step=9)  # finite: nothing raised
    net.layers[1].weight.grad[0, 1] = np.nan
    with np.errstate(invalid="ignore"), pytest.raises(DivergenceError) as err:
        net.check_finite(loss, epoch=4, step=9)
    assert (err.value.epoch, err.value.step, err.value.loss) == (4, 9, loss)
    assert "layer 2" in err.value.where
    net.layers[1].weight.grad[0, 1] = 0.0
    with pytest.raises(DivergenceError) as err:
        net.check_finite(math.inf, epoch=1, step=1)
    assert err.value.where == "the loss"


def test_an_overflowing_update_names_its_epoch_step_loss_and_the_bias_that_overflowed():
    net = Network.from_sizes([1, 1], "identity", loss="squared_error", seed=0)
    net.layers[0].set_weights(W=[[0.0]], b=[1e150])
    X, Y = np.array([[0.0]]), np.array([[1.0]])  # dE/db = b - y, finite; lr * dE/db overflows the bias
    opt = SGD(learning_rate=1e300).bind([net.flat_parameter()])
    before = values(net)
    with np.errstate(over="ignore"):
        loss = net.loss_and_gradients(X, Y)
        with pytest.raises(DivergenceError) as err:
            net.apply_update(opt, epoch=3, step=7, loss=2.5)
    assert (err.value.epoch, err.value.step, err.value.loss) == (3, 7, 2.5)
    assert math.isfinite(loss) and err.value.where == "the update of layer 1 biases b"
    assert values(net).tobytes() == before.tobytes()


def test_train_defaults_are_the_tutorials_one_step_at_half():
    a = Network.from_sizes([2, 2, 2], "sigmoid", seed=0)
    b = Network.from_sizes([2, 2, 2], "sigmoid", seed=0)
    X, Y = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
    assert len(a.train(X, Y)) == 1
    b.train(X, Y, optimizer=SGD(learning_rate=0.5), epochs=1)
    assert values(a).tobytes() == values(b).tobytes()

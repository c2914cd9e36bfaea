"""The training loop: history, reproducibility, resuming, early stopping, callbacks, divergence."""

from __future__ import annotations

import io
import os
import signal
import tracemalloc

import numpy as np
import pytest

import needs
from chainrule import SGD, Adam, DivergenceError, Network
from chainrule.optim import CosineAnnealingLR, StepLR
from chainrule.training import Callback, EarlyStopping, History, LambdaCallback, ProgressBar, Strategy, TrainingLoop
from conftest import data_for


def classifier(seed=0, dtype=np.float64, sizes=(4, 8, 3)):
    return Network.from_sizes(
        list(sizes), "tanh", output_activation="softmax", loss="categorical_cross_entropy", seed=seed, dtype=dtype
    )


@pytest.fixture
def data(rng):
    return data_for("categorical_cross_entropy", 60, 4, 3, rng)


def values(net):
    return net.buffer.values.copy()


class Recorder(Callback):
    """Keeps a copy of the weights and the logs after every epoch, and counts batches."""

    def __init__(self):
        self.weights, self.logs, self.batches, self.epochs_begun = {}, {}, [], []

    def on_train_begin(self, loop):
        self.validation = loop.validation
        self.train_rows, self.train_targets = loop.X.copy(), loop.Y.copy()

    def on_epoch_begin(self, loop, epoch):
        self.epochs_begun.append((epoch, loop.optimizer.learning_rate))

    def on_batch_end(self, loop, step, loss):
        self.batches.append((loop.epoch, step, loss))

    def on_epoch_end(self, loop, epoch, logs):
        self.weights[epoch] = values(loop.network)
        self.logs[epoch] = dict(logs)


def test_history_records_each_epoch(data):
    X, Y = data
    net = classifier()
    rec = Recorder()
    h = net.fit(
        X,
        Y,
        epochs=4,
        batch_size=16,
        seed=1,
        validation_fraction=0.25,
        metrics=["accuracy"],
        callbacks=[rec],
        progress=False,
    )
    assert isinstance(h, History) and len(h) == 4 and h.epoch == [1, 2, 3, 4]
    assert set(h.series) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h.loss == h["loss"] == h.to_dict()["loss"] and len(h.val_accuracy) == 4
    assert h.to_dict()["seed"] == 1 and h.steps == 4 * 3  # 45 training samples in batches of 16
    # The batch losses of an epoch, weighted by batch size, average to the epoch's loss.
    epoch1 = [loss for epoch, _, loss in rec.batches if epoch == 1]
    assert h.loss[0] == pytest.approx((16 * epoch1[0] + 16 * epoch1[1] + 13 * epoch1[2]) / 45, rel=1e-12)
    assert [s for _, s, _ in rec.batches] == list(range(1, 13))
    # The held-out rows: 15 of the 60, disjoint from the 45 trained on.
    X_val, Y_val, w_val = rec.validation
    assert w_val is None and len(X_val) == 15 and len(rec.train_rows) == 45
    rows = {tuple(x) for x in X_val} | {tuple(x) for x in rec.train_rows}
    assert rows == {tuple(x) for x in X}
    # Each epoch's numbers are computed here from the weights after that epoch, by the formulas:
    # cross-entropy -sum y log p averaged over rows, accuracy the share of argmax hits.
    for epoch in h.epoch:
        net.buffer.values[...] = rec.weights[epoch]
        for prefix, (Xs, Ys) in (("val_", (X_val, Y_val)), ("", (rec.train_rows, rec.train_targets))):
            P = net.predict(Xs)
            assert h[prefix + "accuracy"][epoch - 1] == np.mean(P.argmax(axis=1) == Ys.argmax(axis=1))
            if prefix:
                assert h.val_loss[epoch - 1] == pytest.approx(-np.mean((Ys * np.log(P)).sum(axis=1)), rel=1e-12)
    assert len(set(h.val_loss)) == 4  # the weights changed every epoch, so did the number
    with pytest.raises(AttributeError, match="History has no series 'val_mse'"):
        h.val_mse  # noqa: B018 -- reading the attribute is what raises


def test_validation_metrics_match_evaluate(data):
    X, Y = data
    net = classifier()
    h = net.fit(
        X[:40], Y[:40], epochs=2, seed=0, validation_data=(X[40:], Y[40:]), metrics=["accuracy", "mse"], progress=False
    )
    expected = net.evaluate(X[40:], Y[40:], metrics=["accuracy", "mse"])
    assert h.val_loss[-1] == pytest.approx(expected["loss"], rel=1e-12)
    assert expected["loss"] == pytest.approx(net.loss(X[40:], Y[40:]), rel=1e-12)
    predicted = net.predict(X[40:]).argmax(axis=1)
    assert h.val_accuracy[-1] == np.mean(predicted == Y[40:].argmax(axis=1))
    assert h.val_mse[-1] == pytest.approx(np.mean((net.predict(X[40:]) - Y[40:]) ** 2), rel=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_seeded_runs_are_bitwise_reproducible_and_seeds_matter(data, optimizer):
    X, Y = data
    runs = []
    for seed in (5, 5, 6):
        net = classifier()
        net.fit(X, Y, optimizer=optimizer, epochs=3, batch_size=8, seed=seed, progress=False)
        runs.append(values(net))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_shuffle_order_comes_from_seed_and_epoch(data):
    X, Y = data
    seen = []

    class Order(Callback):
        def on_epoch_begin(self, loop, epoch):
            seen.append(loop.epoch_order)

    classifier().fit(X, Y, epochs=2, batch_size=10, seed=9, callbacks=[Order()], progress=False)
    for epoch, order in enumerate(seen, start=1):
        np.testing.assert_array_equal(order, np.random.default_rng([9, epoch]).permutation(60))


def test_a_resumed_run_ends_bitwise_equal_to_an_uninterrupted_one(data):
    X, Y = data
    options = dict(batch_size=7, seed=3, validation_fraction=0.2, schedule=StepLR(2, gamma=0.5), progress=False)
    straight = classifier()
    h_straight = straight.fit(X, Y, optimizer=Adam(learning_rate=0.01), epochs=6, **options)

    first = classifier()
    opt = Adam(learning_rate=0.01)
    first.fit(X, Y, optimizer=opt, epochs=3, **options)
    state, weights = opt.state_dict(), values(first)

    resumed = classifier(seed=99)  # different initial weights, overwritten below
    resumed.buffer.values[...] = weights
    opt2 = Adam(resumed.flat_parameter(), learning_rate=0.01)
    opt2.load_state_dict(state)
    h_resumed = resumed.fit(X, Y, optimizer=opt2, epochs=6, initial_epoch=3, **options)
    np.testing.assert_array_equal(values(resumed), values(straight))
    assert h_resumed.epoch == [4, 5, 6] and h_resumed.loss == h_straight.loss[3:]
    assert opt2.steps == h_straight.steps == 6 * 7  # 48 training samples in batches of 7


def test_step_schedule_sets_the_rate_before_every_update(data):
    X, Y = data
    rates = []
    sched = CosineAnnealingLR(10, per="step")
    cb = LambdaCallback(on_batch_end=lambda loop, step, loss: rates.append((step, loop.optimizer.learning_rate)))
    classifier().fit(
        X,
        Y,
        optimizer=SGD(learning_rate=0.2),
        schedule=sched,
        epochs=2,
        batch_size=20,
        seed=0,
        callbacks=[cb],
        progress=False,
    )
    assert [s for s, _ in rates] == [1, 2, 3, 4, 5, 6]
    assert [r for _, r in rates] == [sched(s - 1, 0.2) for s, _ in rates]


def test_epoch_schedule_and_callbacks_see_the_rate(data):
    X, Y = data
    rec = Recorder()
    classifier().fit(
        X,
        Y,
        optimizer="sgd",
        learning_rate=0.4,
        schedule=StepLR(2, 0.1),
        epochs=5,
        seed=0,
        callbacks=[rec],
        progress=False,
    )
    # StepLR's rate is base * gamma ** (epochs // step), to the last bit.
    assert rec.epochs_begun == [(1, 0.4), (2, 0.4), (3, 0.4 * 0.1), (4, 0.4 * 0.1), (5, 0.4 * 0.1**2)]


class TestEarlyStopping:
    def run(self, data, **options):
        X, Y = data
        # Validation targets contradict the training targets: validation loss rises as training improves.
        rec = Recorder()
        net = classifier()
        stop = EarlyStopping(**options)
        h = net.fit(
            X,
            Y,
            optimizer="sgd",
            learning_rate=0.5,
            epochs=30,
            batch_size=15,
            seed=0,
            validation_data=(X, Y[:, ::-1]),
            early_stopping=stop,
            callbacks=[rec],
            progress=False,
        )
        return net, stop, h, rec

    def test_stops_after_patience_and_restores_the_best_weights(self, data):
        net, stop, h, rec = self.run(data, patience=3)
        best = int(np.argmin(h.val_loss)) + 1
        assert stop.best_epoch == best and stop.best == min(h.val_loss)
        assert h.stopped_epoch == stop.stopped_epoch == best + 3 == len(h)
        np.testing.assert_array_equal(values(net), rec.weights[best])

    def test_keeps_the_last_weights_when_asked(self, data):
        net, stop, h, rec = self.run(data, patience=2, restore_best_weights=False)
        np.testing.assert_array_equal(values(net), rec.weights[len(h)])
        assert stop.best_weights is None

    def test_min_delta_ignores_small_improvements(self, data):
        X, Y = data
        # Training loss keeps falling, but never by 10 in one epoch: stops after patience epochs.
        stop = EarlyStopping(patience=2, min_delta=10.0, monitor="loss")
        h = classifier().fit(X, Y, epochs=20, seed=0, early_stopping=stop, progress=False)
        assert all(np.diff(h.loss) < 0) and len(h) == 3 and stop.best_epoch == 1

    def test_higher_is_better_for_accuracy(self, data):
        stop = EarlyStopping(monitor="val_accuracy")
        assert stop.higher_is_better and not EarlyStopping().higher_is_better

    def test_needs_a_recorded_monitor(self, data):
        X, Y = data
        with pytest.raises(
            ValueError, match=r"EarlyStopping monitor: expected one of \['loss'\], received: 'val_loss'"
        ):
            classifier().fit(X, Y, early_stopping=EarlyStopping(), progress=False)

    @pytest.mark.parametrize(
        "options, message",
        [
            ({"patience": -1}, "patience: expected an integer >= 0"),
            ({"patience": 2.5}, "patience: expected an integer >= 0"),
            ({"min_delta": -0.1}, "min_delta: expected a finite number >= 0"),
            ({"restore_best_weights": "yes"}, "restore_best_weights: expected True or False"),
            ({"mode": "up"}, "mode: expected one of"),
            ({"monitor": ""}, "monitor: expected a history name"),
        ],
    )
    def test_bad_arguments(self, options, message):
        with pytest.raises(ValueError, match=message):
            EarlyStopping(**options)


def test_a_callback_can_stop_training(data):
    X, Y = data
    stopper = LambdaCallback(on_batch_end=lambda loop, step, loss: setattr(loop, "stop_training", step == 5))
    h = classifier().fit(X, Y, epochs=10, batch_size=20, seed=0, callbacks=[stopper], progress=False)
    assert h.stopped_epoch == 2 and h.steps == 5 and len(h) == 2


def test_divergence_names_epoch_step_layer_and_keeps_finite_weights():
    net = Network.from_sizes([1, 1], "identity", loss="squared_error", seed=0)
    net.layers[0].set_weights(W=[[1.0]], b=[0.0])
    X, Y = np.array([[1e150], [1e150]]), np.array([[0.0], [0.0]])
    rec = Recorder()
    with pytest.raises(DivergenceError, match=r"epoch 1, step 2: first non-finite value in layer 1") as err:
        net.fit(
            X,
            Y,
            optimizer="sgd",
            learning_rate=1.0,
            epochs=3,
            batch_size=1,
            shuffle=False,
            callbacks=[rec],
            progress=False,
        )
    assert (err.value.epoch, err.value.step) == (1, 2) and len(err.value.history) == 0
    assert len(rec.batches) == 1 and np.isfinite(values(net)).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_overflowing_update_is_refused_and_the_weights_are_the_last_finite_ones(dtype):
    # A finite gradient times a huge learning rate overflows in the update itself.
    net = Network.from_sizes([2, 3, 1], "tanh", output_activation="identity", loss="squared_error", seed=0, dtype=dtype)
    X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[100.0], [-100.0]])  # gradients > 1
    huge = float(np.finfo(dtype).max)
    before = values(net)
    with pytest.raises(DivergenceError, match=r"epoch 1, step 1: first non-finite value in the update of layer") as err:
        net.fit(X, Y, optimizer=SGD(learning_rate=huge), epochs=3, batch_size=None, progress=False)
    assert err.value.step == 1 and np.isfinite(err.value.loss)
    assert values(net).tobytes() == before.tobytes()  # really the last finite weights


def test_an_update_that_overflows_weights_set_by_hand_is_refused():
    net = Network.from_sizes([1, 1], "identity", loss="squared_error", train_bias=False, seed=0)
    net.layers[0].set_weights(W=[[1.7e308]])
    # z = W x = 1.7e158 and z - y = -1e149: loss 5e297 and dE/dW = (z - y) x = -0.1 are finite,
    # but W - 1e308 * (-0.1) = 1.8e308 is past the largest float64.
    X, Y = np.array([[1e-150]]), np.array([[1.7e158 + 1e149]])
    with pytest.raises(
        DivergenceError, match="epoch 1, step 1: first non-finite value in the update of layer 1 weights W"
    ):
        net.fit(X, Y, optimizer=SGD(learning_rate=1e308), epochs=1, batch_size=None, progress=False)
    assert net.layers[0].W[0, 0] == 1.7e308


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_finishes_the_update_then_raises_with_history(data):
    X, Y = data
    net = classifier()
    opt = Adam(learning_rate=0.01)
    stop = EarlyStopping(monitor="loss")
    kill = LambdaCallback(on_batch_end=lambda loop, step, loss: step == 8 and os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt, match="training interrupted at epoch 2, step 8") as err:
        net.fit(
            X, Y, optimizer=opt, epochs=5, batch_size=10, seed=0, early_stopping=stop, callbacks=[kill], progress=False
        )
    assert opt.steps == 8 and np.isfinite(values(net)).all()
    assert err.value.history.epoch == [1] and stop.best_epoch == 1
    assert stop.restore(net) and np.array_equal(values(net), stop.best_weights)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sample_weights_equal_repeating_samples(rng):
    X, Y = data_for("squared_error", 5, 3, 2, rng)
    weights = np.array([2.0, 1.0, 0.0, 3.0, 1.0])
    rows = np.repeat(np.arange(5), weights.astype(int))

    def make():
        return Network.from_sizes([3, 4, 2], "tanh", loss={"name": "squared_error", "reduction": "sum"}, seed=1)

    weighted, repeated = make(), make()
    h1 = weighted.fit(X, Y, sample_weight=weights, batch_size=None, epochs=3, learning_rate=0.05, progress=False)
    h2 = repeated.fit(X[rows], Y[rows], batch_size=None, epochs=3, learning_rate=0.05, progress=False)
    np.testing.assert_allclose(values(weighted), values(repeated), rtol=1e-13)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-13)


def test_unit_sample_weights_change_nothing(data):
    X, Y = data
    a, b = classifier(), classifier()
    a.fit(X, Y, epochs=2, batch_size=16, seed=0, progress=False)
    b.fit(X, Y, epochs=2, batch_size=16, seed=0, sample_weight=np.ones(60), progress=False)
    np.testing.assert_allclose(values(a), values(b), rtol=1e-14)


def test_validation_fraction_is_a_seeded_disjoint_split(data):
    X, Y = data
    loops = [TrainingLoop(classifier(), seed=s, progress=False) for s in (4, 4, 5)]
    for loop in loops:
        loop.prepare(X, Y, validation_fraction=0.25)
    (Xt, _), (Xv, _) = (loops[0].X, loops[0].Y), loops[0].validation[:2]
    assert Xt.shape == (45, 4) and Xv.shape == (15, 4)
    rows = {tuple(r) for r in Xt} | {tuple(r) for r in Xv}
    assert len(rows) == 60
    np.testing.assert_array_equal(loops[1].validation[0], Xv)
    assert not np.array_equal(loops[2].validation[0], Xv)


def test_optimizer_state_carries_over_and_foreign_optimizers_are_refused(data):
    X, Y = data
    net = classifier()
    opt = Adam(learning_rate=0.01)
    net.fit(X, Y, optimizer=opt, epochs=1, batch_size=30, progress=False)
    net.fit(X, Y, optimizer=opt, epochs=1, batch_size=30, progress=False)
    assert opt.steps == 4
    with pytest.raises(ValueError, match="optimizer: expected an optimizer bound to this network"):
        classifier().fit(X, Y, optimizer=opt, progress=False)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_float32_training_stays_float32(data, optimizer):
    X, Y = data
    net = classifier(dtype=np.float32)
    seen = []
    cb = LambdaCallback(
        on_batch_end=lambda loop, step, loss: seen.append(
            {a.dtype for layer in loop.network.layers for a in (layer.z, layer.a, layer.dz)}
        )
    )
    opt_holder = {}
    cb2 = LambdaCallback(on_train_begin=lambda loop: opt_holder.setdefault("opt", loop.optimizer))
    net.fit(
        X,
        Y,
        optimizer=optimizer,
        epochs=2,
        batch_size=16,
        seed=0,
        sample_weight=np.ones(60),
        validation_fraction=0.2,
        callbacks=[cb, cb2],
        progress=False,
    )
    assert net.buffer.values.dtype == net.buffer.gradients.dtype == np.float32
    assert seen and all(s == {np.dtype(np.float32)} for s in seen)
    buffers = opt_holder["opt"]._buffers
    assert buffers and all(b.dtype == np.float32 for b in buffers.values())
    assert net.predict(X).dtype == np.float32


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_steps_do_not_grow_memory(rng, optimizer):
    X, Y = data_for("categorical_cross_entropy", 2000, 20, 5, rng)
    net = Network.from_sizes(
        [20, 32, 16, 5], "relu", output_activation="softmax", loss="cross_entropy", seed=0, dtype=np.float32
    )
    sizes = []

    class Probe(Callback):
        def on_batch_end(self, loop, step, loss):
            if step in (120, 170, 220):  # epochs 2 and 3 (100 steps each): warm-up is over
                sizes.append(tracemalloc.get_traced_memory()[0])

    tracemalloc.start()
    try:
        net.fit(X, Y, optimizer=optimizer, epochs=3, batch_size=20, seed=0, callbacks=[Probe()], progress=False)
    finally:
        tracemalloc.stop()
    # 50 steps between probes: a per-step allocation of even one 20x32 float32 array would show as 128 kB.
    assert sizes[1] - sizes[0] < 1024 and sizes[2] - sizes[1] < 1024


STEP_CASES = {
    # name: (sizes, hidden activation, output activation, loss, dtype, optimizer, batch size)
    "relu-softmax float32 sgd": ([30, 128, 64, 5], "relu", "softmax", "cross_entropy", np.float32, "sgd", 64),
    "relu-softmax float64 momentum": (
        [30, 128, 64, 5],
        "relu",
        "softmax",
        "cross_entropy",
        np.float64,
        SGD(learning_rate=0.01, momentum=0.9),
        64,
    ),
    "tanh-sigmoid float64 adam": ([30, 128, 3], "tanh", "sigmoid", "binary_cross_entropy", np.float64, "adam", 64),
    "sigmoid squared error float32 rmsprop": (
        [30, 128, 3],
        "sigmoid",
        "sigmoid",
        "squared_error",
        np.float32,
        "rmsprop",
        64,
    ),
    # a wide first layer and small batches: the gradients are bounded from the backward pass's inputs
    "wide relu-softmax float64 sgd": ([512, 128, 5], "relu", "softmax", "cross_entropy", np.float64, "sgd", 16),
}


@pytest.mark.parametrize("case", sorted(STEP_CASES))
def test_a_training_step_allocates_nothing_after_warm_up(rng, case):
    # Not even temporaries: between two points of one epoch, the peak of traced memory stays
    # within NumPy's own bounded scratch (an iterator, a cast buffer of at most 8192 values:
    # ReLU's derivative casts its booleans) and Python's small objects, well below any array
    # of a layer's activations (32 kB and more here).
    sizes, hidden, output, loss, dtype, optimizer, batch = STEP_CASES[case]
    X, Y = data_for({"cross_entropy": "categorical_cross_entropy"}.get(loss, loss), 1600, sizes[0], sizes[-1], rng)
    net = Network.from_sizes(sizes, hidden, output_activation=output, loss=loss, seed=0, dtype=dtype)
    seen = {}

    class Probe(Callback):
        def on_batch_end(self, loop, step, loss_value):
            if loop.epoch == 2 and loop.samples_done == 5 * batch:
                tracemalloc.reset_peak()
                seen["start"] = tracemalloc.get_traced_memory()[0]
            elif loop.epoch == 2 and loop.samples_done == 20 * batch:
                seen["end"], seen["peak"] = tracemalloc.get_traced_memory()

    tracemalloc.start()
    try:
        net.fit(X, Y, optimizer=optimizer, epochs=2, batch_size=batch, seed=0, callbacks=[Probe()], progress=False)
    finally:
        tracemalloc.stop()
    assert seen["end"] - seen["start"] < 512
    assert seen["peak"] - seen["start"] < 12 * 1024


def test_the_tutorial_networks_updates_allocate_nothing():
    # train(epochs=N) is N one-step epochs: each adds one float to the history (and to the list
    # train returns) and nothing else; and one step, through the same engine, leaves no temporaries.
    from chainrule.explain.tutorial import TUTORIAL_INPUT, TUTORIAL_TARGET, tutorial_network

    net = tutorial_network()
    x, t = np.array([TUTORIAL_INPUT]), np.array([TUTORIAL_TARGET])
    net.train(x, t, learning_rate=0.5, epochs=10)
    tracemalloc.start()
    try:
        grown = []
        for epochs in (100, 1100):
            start = tracemalloc.get_traced_memory()[0]
            losses = net.train(x, t, learning_rate=0.5, epochs=epochs)
            grown.append(tracemalloc.get_traced_memory()[0] - start)
            del losses
        opt = SGD(learning_rate=0.5)
        with np.errstate(over="ignore"):
            for _ in range(10):
                net.train_step(x, t, opt)
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            for _ in range(100):
                net.train_step(x, t, opt, weights_unchanged=True)
            end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (grown[1] - grown[0]) / 1000 < 48  # a float (24 bytes) and two list slots per update
    assert end - start < 256 and peak - start < 2048


def test_progress_bar_shows_loss_and_throughput(data):
    needs.module("tqdm")
    X, Y = data
    out = io.StringIO()
    history = classifier().fit(X, Y, epochs=2, seed=0, callbacks=[ProgressBar(file=out, ncols=100)], progress=False)
    last = out.getvalue().replace("\r", "\n").splitlines()[-1]
    assert last.startswith("epoch 2/2 100%|") and "samples/s" in last
    assert f"loss {history.loss[-1]:.3g}" in last


def test_progress_is_off_when_not_a_terminal(data, capsys):
    loop = TrainingLoop(classifier(), progress=None)
    assert not any(isinstance(cb, ProgressBar) for cb in loop.callbacks)


def test_train_is_fit_with_full_batches(data):
    X, Y = data
    a, b = classifier(), classifier()
    losses = a.train(X, Y, learning_rate=0.3, epochs=3)
    h = b.fit(X, Y, optimizer=SGD(learning_rate=0.3), batch_size=None, epochs=3, progress=False)
    assert losses == h.loss
    np.testing.assert_array_equal(values(a), values(b))


class TestBadArguments:
    X = np.zeros((6, 4))
    Y = np.eye(3)[[0, 1, 2, 0, 1, 2]]

    @pytest.mark.parametrize(
        "options, message",
        [
            ({"epochs": 0}, "epochs: expected an integer >= 1"),
            ({"epochs": 2.0}, "epochs: expected an integer >= 1"),
            ({"batch_size": 0}, "batch_size: expected an integer >= 1"),
            ({"batch_size": "32"}, "batch_size: expected an integer >= 1"),
            ({"initial_epoch": -1}, "initial_epoch: expected an integer >= 0"),
            ({"initial_epoch": 3, "epochs": 3}, r"initial_epoch: expected less than epochs \(3\)"),
            ({"optimizer": "adagrad"}, "optimizer: expected one of"),
            ({"optimizer": SGD(learning_rate=0.1), "learning_rate": 0.1}, "learning_rate: expected None when"),
            ({"learning_rate": -1}, "learning_rate: expected a finite number > 0"),
            ({"seed": -3}, "seed: expected a non-negative integer"),
            ({"shuffle": "yes"}, "shuffle: expected True or False"),
            ({"metrics": ["f1"]}, "metrics: expected names from"),
            ({"metrics": [3]}, "metrics: expected names from"),
            ({"schedule": 0.5}, "schedule: expected a Schedule"),
            ({"early_stopping": 5}, "early_stopping: expected an EarlyStopping or None"),
            ({"callbacks": [print]}, r"callbacks\[0\]: expected a Callback"),
            ({"progress": "auto"}, "progress: expected True, False or None"),
            ({"validation_fraction": 1.0}, "validation_fraction: expected a fraction in"),
            ({"validation_fraction": 0.01}, "validation_fraction: expected a fraction in"),
            ({"validation_fraction": -0.2}, "validation_fraction: expected a finite number > 0"),
            ({"validation_fraction": 0.2, "validation_data": (X, Y)}, "validation_fraction: expected None when"),
            ({"validation_data": X}, r"validation_data: expected a tuple \(X_val, Y_val\)"),
            ({"validation_data": (X[:, :3], Y)}, "validation_data X: expected 4 columns"),
            ({"validation_data": (X, Y[:4])}, "validation_data Y: expected 6 rows"),
            ({"sample_weight": np.ones(5)}, r"sample_weight: expected shape \(6,\)"),
            ({"sample_weight": -np.ones(6)}, "sample_weight: expected finite, non-negative weights"),
            ({"sample_weight": [1, 1, 1, 1, 1, np.nan]}, "sample_weight: expected finite, non-negative weights"),
            ({"sample_weight": "heavy"}, "sample_weight: expected 6 non-negative numbers"),
        ],
    )
    def test_fit(self, options, message):
        with pytest.raises(ValueError, match=message):
            classifier().fit(self.X, self.Y, **{"progress": False, **options})


def test_a_strategy_reduces_between_backward_and_the_update(data):
    X, Y = data
    calls = []

    class Halving(Strategy):
        """Stands in for data-parallel averaging: changes the gradients the optimizer sees."""

        def start(self, loop):
            self.loop = loop

        def reduce(self, value):
            calls.append(self.loop.step)
            self.loop.network.buffer.trainable_gradients[...] *= 0.5
            return value

    a, b = classifier(), classifier()
    a.fit(X, Y, optimizer=SGD(learning_rate=0.2), epochs=2, batch_size=20, seed=0, progress=False, strategy=Halving())
    b.fit(X, Y, optimizer=SGD(learning_rate=0.1), epochs=2, batch_size=20, seed=0, progress=False)
    assert calls == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(values(a), values(b), rtol=1e-13)


def test_history_round_trips_and_extends_with_a_resumed_run(data):
    X, Y = data
    net = classifier()
    first = net.fit(X, Y, epochs=2, seed=0, validation_fraction=0.2, progress=False)
    later = net.fit(X, Y, epochs=4, initial_epoch=2, seed=0, validation_fraction=0.2, progress=False)
    copy = History.from_dict(first.to_dict())
    assert copy.to_dict() == first.to_dict()
    whole = copy.extend(later)
    assert whole.epoch == [1, 2, 3, 4] and whole.val_loss == first.val_loss + later.val_loss
    assert whole.steps == later.steps == 4 * 2  # 48 training samples in batches of 32
    with pytest.raises(ValueError, match="later: expected epochs after 4"):
        whole.extend(later)
    with pytest.raises(ValueError, match="history 'loss': expected a list of 2 values"):
        History.from_dict({"epoch": [1, 2], "loss": [0.5]})


# -- the progress bar's layout ------------------------------------------------------------------
def _bar_lines(data, columns, **fit):
    needs.module("tqdm")
    X, Y = data
    out = io.StringIO()
    history = classifier().fit(
        X, Y, epochs=3, seed=0, callbacks=[ProgressBar(file=out, ncols=columns)], progress=False, **fit
    )
    return out.getvalue().replace("\r", "\n").splitlines(), history


@pytest.mark.parametrize("columns", [80, 60])
def test_progress_bar_keeps_its_bar_and_the_validation_metrics_at_80_columns(data, columns):
    from chainrule.training.progress import MIN_BAR

    lines, history = _bar_lines(data, columns, validation_fraction=0.25, metrics=["accuracy"])
    last = lines[-1]
    assert len(last) <= columns and last.startswith("epoch 3/3 100%|")
    bar = last.split("|")[1]
    assert len(bar) >= MIN_BAR and set(bar) <= {"#"}  # the finished bar, drawn in full
    assert f", loss {history.loss[-1]:.3g}" in last
    if columns == 80:  # the validation loss and accuracy come next, before the training accuracy
        assert (
            f"loss {history.loss[-1]:.3g} val_loss {history.val_loss[-1]:.3g} "
            f"val_acc {history.val_accuracy[-1]:.3g}" in last
        )


def test_progress_bar_shows_every_metric_and_the_rate_when_there_is_room(data):
    lines, history = _bar_lines(data, 160, validation_fraction=0.25, metrics=["accuracy"])
    last = lines[-1]
    for name, short in (("loss", "loss"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc"), ("accuracy", "acc")):
        assert f"{short} {history[name][-1]:.3g}" in last
    assert "samples/s" in last and len(last) <= 160


def test_bar_format_orders_and_drops_metrics_to_fit():
    from chainrule.training.progress import bar_format, metric_order

    logs = {"loss": 0.5, "accuracy": 0.9, "val_loss": 0.6, "val_accuracy": 0.8, "r2": 0.1}
    assert metric_order(logs) == ["loss", "val_loss", "val_accuracy", "accuracy", "r2"]
    narrow = bar_format(50, "epoch 1/9", logs)
    assert "loss 0.5" in narrow and "acc" not in narrow and "{rate_fmt}" not in narrow
    assert "{bar}" in narrow


def test_keep_epoch_weights_holds_the_last_complete_epoch(data):
    from chainrule.training import KeepEpochWeights

    X, Y = data
    net = classifier()
    kept, at_epoch_end = KeepEpochWeights(), {}
    record = LambdaCallback(
        on_epoch_end=lambda loop, epoch, logs: at_epoch_end.update({epoch: loop.network.buffer.values.copy()})
    )

    def interrupt(loop, step, loss):
        if step == 14:  # 60 rows in batches of 16: the second update of epoch 4
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        net.fit(
            X,
            Y,
            epochs=5,
            batch_size=16,
            seed=0,
            progress=False,
            callbacks=[kept, record, LambdaCallback(on_batch_end=interrupt)],
        )
    assert kept.epoch == 3 and kept.weights.tobytes() == at_epoch_end[3].tobytes()
    assert net.buffer.values.tobytes() != at_epoch_end[3].tobytes()  # two updates into epoch 4
    assert kept.restore(net) and net.buffer.values.tobytes() == at_epoch_end[3].tobytes()
    assert not KeepEpochWeights().restore(net)

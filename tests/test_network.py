"""Network: whole-network gradient checks, training, dtypes, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chainrule import SGD, DivergenceError, Network, ValidationError, check_gradients
from chainrule.core.layers import Dense
from conftest import data_for

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]
PAIRS = [("squared_error", None), ("categorical_cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]


def make(sizes, activation, loss, output, seed=0, dtype=np.float64, bias="per_neuron"):
    return Network.from_sizes(
        sizes, activation, output_activation=output or activation, loss=loss, seed=seed, dtype=dtype, bias=bias
    )


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("loss, output", PAIRS)
def test_gradients_match_finite_differences(depth, activation, loss, output):
    rng = np.random.default_rng(depth)
    sizes = [3] + [4] * (depth - 1) + [3]
    net = make(sizes, activation, loss, output, seed=depth)
    for layer in net.layers:  # positive biases keep ReLU units alive and away from their kink
        layer.set_weights(b=rng.uniform(0.05, 0.3, size=layer.b.shape))
    X, Y = data_for(loss, 6, 3, 3, rng)
    rows = check_gradients(net, X, Y)
    assert len(rows) == 2 * depth
    for row in rows:
        assert row.max_rel_error < 1e-6, row
        assert row.kinks <= 2, row


def test_gradcheck_catches_a_wrong_derivative(monkeypatch):
    # Trap from the style guide: sigmoid's derivative taken of z instead of a.
    from chainrule.core.activations import Sigmoid

    def wrong(self, a, out):
        z = np.log(a / (1 - a))
        np.multiply(z, 1 - z, out=out)
        return out

    net = make([2, 3, 2], "sigmoid", "squared_error", None)
    X, Y = data_for("squared_error", 4, 2, 2, np.random.default_rng(0))
    monkeypatch.setattr(Sigmoid, "derivative", wrong)
    assert max(r.max_rel_error for r in check_gradients(net, X, Y)) > 1e-2


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**31),
    activation=st.sampled_from(["sigmoid", "tanh", "identity"]),
    bias=st.sampled_from(["per_neuron", "shared"]),
)
# Found by a random run: with the default step h = 1e-3 the fourth-order difference's own
# truncation error reached 1.2e-6 relative on a small entry (the engine agrees with PyTorch to
# 1e-16 there). At h = 3e-4 the worst of 300 random networks is 1.6e-7, round-off still small.
@example(sizes=[5, 4, 5, 4], n=6, seed=3, activation="tanh", bias="per_neuron")
def test_gradients_property_random_shapes(sizes, n, seed, activation, bias):
    rng = np.random.default_rng(seed)
    net = make(sizes, activation, "squared_error", None, seed=seed, bias=bias)
    X, Y = data_for("squared_error", n, sizes[0], sizes[-1], rng)
    for row in check_gradients(net, X, Y, h=3e-4):
        assert row.max_rel_error < 1e-6


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 8), n_out=st.integers(2, 5), seed=st.integers(0, 2**31))
def test_softmax_cross_entropy_property(n, n_out, seed):
    rng = np.random.default_rng(seed)
    net = make([3, 4, n_out], "tanh", "categorical_cross_entropy", "softmax", seed=seed)
    X, Y = data_for("categorical_cross_entropy", n, 3, n_out, rng)
    for row in check_gradients(net, X, Y):
        assert row.max_rel_error < 1e-6


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_loss_and_gradients_agree_with_forward_backward(depth, rng):
    sizes = [3] + [5] * (depth - 1) + [2]
    net = make(sizes, "tanh", "squared_error", "sigmoid")
    X, Y = data_for("squared_error", 4, 3, 2, rng)
    value, grads = net.copy().gradients(X, Y)  # on a copy: the teaching pass below starts from nothing
    assert value == pytest.approx(net.loss(X, Y), rel=1e-14)
    np.testing.assert_array_equal(net.forward(X), net.predict(X))
    assert net.backward(Y) == pytest.approx(value, rel=1e-14)
    for layer, g in zip(net.layers, grads):  # every layer's dW and db, the first included
        np.testing.assert_array_equal(layer.dW, g["W"])
        np.testing.assert_array_equal(layer.db, g["b"])


def test_size_and_description():
    net = Network.from_sizes(
        [3, 5, 2],
        ["tanh", {"name": "leaky_relu", "alpha": 0.2}],
        loss="squared_error",
        seed=0,
        bias="shared",
        dtype=np.float32,
    )
    assert net.n_parameters() == 3 * 5 + 1 + 5 * 2 + 1
    frozen = Network([Dense(3, 5, "tanh", seed=0), Dense(5, 2, "identity", seed=0, train_bias=False)])
    assert (
        frozen.n_parameters() == 3 * 5 + 5 + 5 * 2 + 2 and frozen.n_parameters(trainable_only=True) == 3 * 5 + 5 + 5 * 2
    )
    assert repr(net) == (
        "Network(sizes=[3, 5, 2], activations=[tanh, leaky_relu], "
        "loss=SquaredError(reduction='mean', output_reduction='half_sum'), dtype=float32)"
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss, output", PAIRS)
def test_training_is_sgd_on_the_gradients_reduces_the_loss_and_keeps_dtype(dtype, loss, output, rng):
    net = make([4, 8, 3], "tanh", loss, output, dtype=dtype)
    X, Y = data_for(loss, 64, 4, 3, rng)
    reference = net.copy()
    before = net.loss(X, Y)
    losses = net.train(X, Y, learning_rate=0.5, epochs=3, batch_size=16, seed=0)
    # The same steps by hand: batches in the seeded order, each W <- W - 0.5 dE/dW with the gradients
    # that the finite-difference and PyTorch tests check; each epoch's loss the mean of its batches' losses.
    expected_losses = []
    for epoch in (1, 2, 3):
        order = np.random.default_rng([0, epoch]).permutation(64)
        batch_losses = []
        for start in range(0, 64, 16):
            rows = order[start : start + 16]
            value, grads = reference.gradients(X[rows], Y[rows])
            batch_losses.append(value)
            for layer, g in zip(reference.layers, grads):
                layer.set_weights(W=layer.W - 0.5 * g["W"], b=layer.b - 0.5 * g["b"])
        expected_losses.append(np.mean(batch_losses))
    tight = 2e-6 if dtype == np.float32 else 1e-13
    for ours, theirs in zip(net.layers, reference.layers):
        np.testing.assert_allclose(ours.W, theirs.W, rtol=tight, atol=tight)
        np.testing.assert_allclose(ours.b, theirs.b, rtol=tight, atol=tight)
    np.testing.assert_allclose(losses, expected_losses, rtol=10 * tight)
    assert net.loss(X, Y) < 0.97 * before  # three epochs of descent on the whole set's loss
    assert all(p.value.dtype == dtype and p.grad.dtype == dtype for p in net.parameters())
    assert net.predict(X).dtype == dtype
    assert net.predict(X.astype(np.float64)).dtype == dtype


def test_float32_and_float64_agree(rng):
    net64 = make([3, 6, 2], "tanh", "squared_error", "sigmoid")
    net32 = net64.astype(np.float32)
    X, Y = data_for("squared_error", 10, 3, 2, rng)
    np.testing.assert_allclose(net32.predict(X), net64.predict(X), rtol=1e-6)
    _, g64 = net64.gradients(X, Y)
    _, g32 = net32.gradients(X, Y)
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a["W"], b["W"], rtol=1e-4, atol=1e-6)


def test_seeded_training_is_bitwise_reproducible(rng):
    X, Y = data_for("categorical_cross_entropy", 50, 4, 3, rng)
    results = []
    for _ in range(2):
        net = make([4, 6, 3], "relu", "categorical_cross_entropy", "softmax", seed=3)
        net.train(X, Y, learning_rate=0.1, epochs=5, batch_size=8, seed=11)
        results.append([p.value.copy() for p in net.parameters()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_training_does_not_touch_global_random_state(rng):
    X, Y = data_for("squared_error", 20, 2, 2, rng)
    # The legacy global generator on purpose (NPY002): training must leave it untouched.
    np.random.seed(0)  # noqa: NPY002
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(0)  # noqa: NPY002
    make([2, 3, 2], "tanh", "squared_error", None, seed=None).train(X, Y, epochs=2, batch_size=4)
    assert np.random.random() == expected  # noqa: NPY002


def test_full_batch_sgd_is_w_minus_eta_grad(rng):
    net = make([2, 3, 2], "sigmoid", "squared_error", None)
    X, Y = data_for("squared_error", 5, 2, 2, rng)
    before = [p.value.copy() for p in net.parameters()]
    _, grads = net.gradients(X, Y)
    flat = [g for layer in grads for g in (layer["W"], layer["b"])]
    net.train(X, Y, learning_rate=0.3, epochs=1)
    for old, g, p in zip(before, flat, net.parameters()):
        np.testing.assert_allclose(p.value, old - 0.3 * g, rtol=1e-15, atol=1e-17)


def test_divergence_keeps_last_finite_weights():
    net = make([1, 1], "identity", "squared_error", None)
    X, Y = np.array([[1e150]]), np.array([[0.0]])
    # The first step's gradient is finite (1e300) and is applied; the second overflows.
    net.layers[0].set_weights(W=[[1.0]], b=[0.0])
    with pytest.raises(DivergenceError, match=r"epoch 2, step 2: first non-finite value in layer 1") as err:
        net.train(X, Y, learning_rate=1.0, epochs=5)
    assert err.value.epoch == 2
    assert all(np.isfinite(p.value).all() for p in net.parameters())


def test_optimizer_needs_trainable_parameters():
    with pytest.raises(ValueError, match="parameters: expected at least one trainable Parameter"):
        SGD([])


@pytest.mark.parametrize("lr", [0, -0.5, float("nan"), float("inf"), "0.1", None])
def test_learning_rate_must_be_positive(lr):
    net = make([2, 2], "sigmoid", "squared_error", None)
    with pytest.raises(ValueError, match="learning_rate: expected a finite number > 0"):
        SGD(net.parameters(), learning_rate=lr)


class TestBadInput:
    net = make([3, 4, 2], "tanh", "squared_error", None)

    @pytest.mark.parametrize(
        "X, message",
        [
            (np.zeros((4, 2)), r"X: expected 3 columns, received: shape \(4, 2\)"),
            (
                np.zeros(3),
                r"X: expected a 2-D array \(n_samples, n_features\) \(for one sample use X.reshape\(1, -1\)\), received: shape \(3,\)",
            ),
            (np.zeros((0, 3)), r"X: expected at least one sample"),
            (np.array([[1.0, np.nan, 0.0]]), r"X: expected finite values, received: nan at row 0, column 1"),
            (np.array([[1.0, np.inf, 0.0]]), r"X: expected finite values, received: inf at row 0, column 1"),
            ([["a", "b", "c"]], r"X: expected numeric values"),
        ],
    )
    def test_bad_inputs(self, X, message):
        with pytest.raises(ValueError, match=message):
            self.net.predict(X)

    def test_bad_targets(self):
        X = np.zeros((4, 3))
        with pytest.raises(ValueError, match=r"Y: expected 4 rows"):
            self.net.loss(X, np.zeros((5, 2)))
        with pytest.raises(ValueError, match=r"Y: expected 2 columns"):
            self.net.train(X, np.zeros((4, 3)))
        with pytest.raises(ValueError, match=r"Y: expected finite values, received: nan at row 2"):
            self.net.gradients(X, np.where(np.arange(8).reshape(4, 2) == 4, np.nan, 0.0))

    def test_cross_entropy_targets_must_be_probabilities(self):
        net = make([3, 2], "tanh", "categorical_cross_entropy", "softmax")
        with pytest.raises(ValueError, match=r"Y: expected values in \[0, 1\]"):
            net.loss(np.zeros((1, 3)), [[2.0, -1.0]])

    @pytest.mark.parametrize("epochs", [0, -1, 1.5, "3"])
    def test_bad_epochs(self, epochs):
        with pytest.raises(ValueError, match="epochs: expected an integer >= 1"):
            self.net.train(np.zeros((2, 3)), np.zeros((2, 2)), epochs=epochs)

    @pytest.mark.parametrize("batch", [0, -4, 2.5])
    def test_bad_batch_size(self, batch):
        with pytest.raises(ValueError, match="batch_size: expected an integer >= 1"):
            self.net.train(np.zeros((2, 3)), np.zeros((2, 2)), batch_size=batch)

    def test_mismatched_layers(self):
        with pytest.raises(ValueError, match=r"layer 2 n_in: expected 4 \(the outputs of layer 1\), received: 3"):
            Network([Dense(2, 4), Dense(3, 1)])

    def test_mixed_dtypes(self):
        with pytest.raises(ValueError, match="layer 2 dtype: expected float64"):
            Network([Dense(2, 4), Dense(4, 1, dtype=np.float32)])

    def test_loss_activation_pairing(self):
        with pytest.raises(
            ValueError, match="loss 'categorical_cross_entropy': expected an output layer with activation 'softmax'"
        ):
            Network.from_sizes([2, 3], "sigmoid", loss="cross_entropy")

    @pytest.mark.parametrize("sizes", [[3], [], "32", [3, 0], [3, -1, 2]])
    def test_bad_sizes(self, sizes):
        with pytest.raises(ValueError, match="sizes"):
            Network.from_sizes(sizes)

    def test_bad_seed(self):
        with pytest.raises(ValueError, match="seed: expected"):
            Network.from_sizes([2, 2], seed=-1)


def test_parameters_live_in_one_flat_buffer_trainable_first(rng):
    net = Network([Dense(2, 3, bias="shared", train_bias=False), Dense(3, 2)], loss="squared_error")
    flat = net.flat_parameter()
    assert flat.value.shape == (2 * 3 + 3 * 2 + 2,)  # the frozen shared bias is left out
    layer = net.layers[1]
    assert np.shares_memory(layer.W, flat.value) and np.shares_memory(layer.dW, flat.grad)
    assert not np.shares_memory(net.layers[0].b, flat.value)
    X, Y = data_for("squared_error", 4, 2, 2, rng)
    _, grads = net.gradients(X, Y)
    np.testing.assert_array_equal(
        flat.grad, np.concatenate([grads[0]["W"].ravel(), grads[1]["W"].ravel(), grads[1]["b"]])
    )
    flat.value[:] = 0.0
    assert not layer.W.any()


def test_per_layer_and_flat_optimizers_agree(rng):
    X, Y = data_for("squared_error", 10, 3, 2, rng)
    a = Network.from_sizes([3, 4, 2], "tanh", seed=0)
    b = a.copy()
    a.train(X, Y, optimizer=SGD(a.parameters(), learning_rate=0.1), epochs=3)
    b.train(X, Y, optimizer=SGD([b.flat_parameter()], learning_rate=0.1), epochs=3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.value, q.value)


@pytest.mark.parametrize(
    "X, Y, b, where",
    [
        # z = 1e200 is finite, the loss 5e399 is not; dz = 1e200 is finite, dW = x dz = 1e400 is not.
        ([[1e200]], [[0.0]], 0.0, "layer 1 gradient dE/dW"),
        # dz = a - y = 1e308 - (-1e308) overflows while z and a are finite.
        ([[1.0]], [[-1e308]], 1e308 - 1.0, "layer 1 deltas dE/dz"),
        # Two rows of dz = 1e308 (reduction sum): db = 2e308 overflows, dW = 1e-200 * 2e308 does not.
        ([[1e-200], [1e-200]], [[0.0], [0.0]], 1e308, "layer 1 gradient dE/db"),
    ],
)
def test_divergence_names_the_first_non_finite_quantity(X, Y, b, where):
    net = Network([Dense(1, 1, "identity", seed=0)], loss={"name": "squared_error", "reduction": "sum"})
    net.layers[0].set_weights(W=[[1.0]], b=[b])
    with pytest.raises(DivergenceError, match=rf"epoch 1, step 1: first non-finite value in {where}\b"):
        net.fit(np.array(X), np.array(Y), optimizer="sgd", learning_rate=1e-300, epochs=1, progress=False)


def test_divergence_in_a_later_layer_is_named_after_the_earlier_layers_are_searched():
    # Layer 1 is finite throughout; layer 2's gradient dE/dW overflows (its input a1 = 1e200).
    first = Dense(1, 1, "identity", seed=0)
    first.set_weights(W=[[1e100]], b=[0.0])
    second = Dense(1, 1, "identity", seed=0)
    second.set_weights(W=[[1e-150]], b=[0.0])
    net = Network([first, second], loss={"name": "squared_error", "reduction": "sum"})
    with pytest.raises(DivergenceError, match=r"first non-finite value in layer 2 gradient dE/dW"):
        net.fit(
            np.array([[1e100]]), np.array([[-1e308]]), optimizer="sgd", learning_rate=1e-300, epochs=1, progress=False
        )


def test_pickles_hold_no_scratch_space():
    # Workspaces sized for the largest batch, the last input, the divergence check's scratch: none of it
    # belongs in a pickle (or a copy), which would otherwise grow with the data seen.
    import pickle

    fresh = Network.from_sizes([20, 30, 5], "tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    size = len(pickle.dumps(fresh))
    used = fresh.copy()
    X = np.random.default_rng(0).normal(size=(2000, 20))
    used.fit(X, np.eye(5)[np.arange(2000) % 5], epochs=1, batch_size=2000, progress=False)
    used.forward(X[:1500])
    used.evaluate(X, np.eye(5)[np.arange(2000) % 5])
    assert len(pickle.dumps(used)) <= size + 200
    # And the fresh one holds its values and gradients (8 bytes each, 785 parameters) and little else.
    assert size < 2 * 8 * fresh.n_parameters() + 2000
    restored = pickle.loads(pickle.dumps(used))
    np.testing.assert_array_equal(restored.predict(X[:5]), used.predict(X[:5]))


def test_chunked_evaluation_keeps_the_dtype_and_every_row():
    net = Network.from_sizes(
        [3, 4, 2], "tanh", output_activation="softmax", loss="cross_entropy", seed=0, dtype=np.float32
    )
    X = np.random.default_rng(1).normal(size=(8192 + 100, 3)).astype(np.float32)  # two chunks
    Y = np.eye(2, dtype=np.float32)[np.arange(len(X)) % 2]
    outputs, losses = net.outputs_and_losses(X, Y)
    assert outputs.dtype == np.float32 and losses.dtype == np.float64
    np.testing.assert_array_equal(outputs, net.predict(X))
    np.testing.assert_allclose(losses, -np.log(np.sum(net.predict(X) * Y, axis=1)), rtol=1e-5)


def test_train_is_fit_with_the_tutorials_defaults_and_no_bar(monkeypatch):
    import io

    from chainrule import Adam
    from chainrule.training import progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    X, Y = data_for("squared_error", 12, 3, 2, np.random.default_rng(0))
    net = make([3, 4, 2], "tanh", "squared_error", "sigmoid")
    # A terminal on which fit's automatic bar shows at once: train stays silent all the same.
    terminal = Terminal()
    monkeypatch.setattr(progress, "AUTO_DELAY_S", 0.0)
    monkeypatch.setattr("sys.stderr", terminal)
    net.copy().fit(X, Y, epochs=2)
    assert terminal.getvalue()  # the setting shows a bar where one is allowed
    terminal.seek(0)
    terminal.truncate()
    losses = net.copy().train(X, Y, learning_rate=0.3, epochs=2)
    assert terminal.getvalue() == ""
    monkeypatch.undo()
    # SGD at learning_rate, shuffled by seed unless told not to: the same numbers as fit with those settings.
    for shuffle in (True, False):
        ours, theirs = net.copy(), net.copy()
        got = ours.train(X, Y, learning_rate=0.3, epochs=3, batch_size=5, shuffle=shuffle, seed=4)
        want = theirs.fit(
            X, Y, optimizer="sgd", learning_rate=0.3, epochs=3, batch_size=5, shuffle=shuffle, seed=4, progress=False
        ).loss
        assert got == want
        np.testing.assert_array_equal(ours.buffer.values, theirs.buffer.values)
    unshuffled, shuffled = net.copy(), net.copy()
    unshuffled.train(X, Y, epochs=1, batch_size=5, shuffle=False, seed=4)
    shuffled.train(X, Y, epochs=1, batch_size=5, seed=4)
    assert not np.array_equal(unshuffled.buffer.values, shuffled.buffer.values)
    # An optimizer given is the one used (its own rate; learning_rate is then ignored).
    adam, reference = net.copy(), net.copy()
    adam.train(X, Y, Adam(learning_rate=0.01), learning_rate=99.0, epochs=2, seed=1)
    reference.fit(X, Y, optimizer=Adam(learning_rate=0.01), epochs=2, seed=1, progress=False)
    np.testing.assert_array_equal(adam.buffer.values, reference.buffer.values)
    assert losses == net.copy().fit(X, Y, optimizer="sgd", learning_rate=0.3, epochs=2, progress=False).loss


def test_astype_keeps_everything_but_the_dtype():
    net = Network.from_sizes(
        [3, 4, 2], ["relu", "softmax"], loss={"name": "cross_entropy", "reduction": "sum"}, seed=0, bias="shared"
    )
    for dtype in (np.float32, np.float64):
        other = net.astype(dtype)
        assert other.dtype == dtype and all(layer.W.dtype == dtype for layer in other.layers)
        assert other.loss_function == net.loss_function and other.config()["layers"] == net.config()["layers"]
        assert [layer.name for layer in other.layers] == [layer.name for layer in net.layers] == ["layer 1", "layer 2"]
        for a, b in zip(other.layers, net.layers):
            np.testing.assert_array_equal(a.W, b.W.astype(dtype))
            np.testing.assert_array_equal(a.b, b.b.astype(dtype))
    with pytest.raises(ValueError, match="dtype"):
        net.astype(np.float16)


def test_the_teaching_forward_silences_overflow():
    net = Network([Dense(1, 1, "sigmoid", seed=0)])
    net.layers[0].set_weights(W=[[1.0]], b=[0.0])
    assert net.forward([[-1000.0], [1000.0]]).tolist() == [[0.0], [1.0]]  # warnings are errors here


def test_validation_weights_are_named_in_their_errors():
    net = make([3, 4, 2], "tanh", "squared_error", "sigmoid")
    X, Y = data_for("squared_error", 10, 3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^validation_data weights: expected "):
        net.fit(X, Y, validation_data=(X, Y, -np.ones(10)), progress=False)
    with pytest.raises(ValueError, match=r"^sample_weight: expected "):
        net.evaluate(X, Y, sample_weight=-np.ones(10))


def test_check_finite_on_a_copy_without_a_forward_pass_still_finds_the_gradient():
    net = Network([Dense(1, 1, "identity", seed=0)], loss={"name": "squared_error", "reduction": "sum"})
    net.layers[0].set_weights(W=[[1.0]], b=[0.0])
    with np.errstate(over="ignore"):
        net.loss_and_gradients(np.array([[1e200]]), np.array([[0.0]]))  # dE/dW = 1e400 = inf
    copy = net.copy()  # keeps the gradients, not the forward pass's z, a and dE/dz
    with pytest.raises(DivergenceError, match="first non-finite value in layer 1 gradient dE/dW"):
        copy.check_finite(float("inf"))


@pytest.mark.parametrize("depth", [1, 2])
def test_teaching_backward_with_a_fused_cross_entropy(depth, rng):
    # The fused losses read the logits z: the teaching pass must hand them over.
    net = make([3] + [4] * (depth - 1) + [3], "tanh", "categorical_cross_entropy", "softmax")
    X, Y = data_for("categorical_cross_entropy", 5, 3, 3, rng)
    value, grads = net.copy().gradients(X, Y)
    net.forward(X)
    assert net.backward(Y) == pytest.approx(value, rel=1e-14)
    for layer, g in zip(net.layers, grads):
        np.testing.assert_array_equal(layer.dW, g["W"])


def test_evaluate_without_metrics_and_a_clear_error_for_a_bad_metrics_value():
    net = Network.from_sizes([2, 3, 1], "sigmoid", seed=0)
    X, Y = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.0], [1.0]])
    assert net.evaluate(X, Y, metrics=None) == net.evaluate(X, Y)
    with pytest.raises(ValidationError) as err:
        net.evaluate(X, Y, metrics=5)
    assert (err.value.field, err.value.expected, err.value.received) == (
        "metrics",
        "a metric name, a list of them, or None",
        "5",
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_weights_take_the_networks_dtype(dtype):
    net = Network.from_sizes([2, 3, 1], "sigmoid", seed=0, dtype=dtype)
    for weights in (np.ones(3, dtype=np.float64), np.ones(3, dtype=np.float32), [1, 2, 3]):
        assert net.check_sample_weight(weights, 3).dtype == dtype


def test_a_layer_too_large_to_allocate_is_refused_before_allocation():
    from chainrule.core.layers import Dense

    with pytest.raises(ValidationError) as err:
        Dense(10**12, 2, name="layer 1")
    assert err.value.field == "layer 1 size" and "1000000000000 x 2" in str(err.value)

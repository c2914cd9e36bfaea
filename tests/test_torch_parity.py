"""Random networks against PyTorch autograd: forward values and gradients, compared separately."""

from __future__ import annotations

import numpy as np
import pytest

import needs
from chainrule import Network
from conftest import data_for

torch = needs.module("torch")

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "identity": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_loss(name, z, a, y, reduction):
    n = z.shape[0]
    if name == "squared_error":
        per_sample = 0.5 * ((y - a) ** 2).sum(dim=1)
    elif name == "categorical_cross_entropy":
        per_sample = -(y * torch.log_softmax(z, dim=1)).sum(dim=1)
    else:
        per_sample = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1)
    return per_sample.sum() / (n if reduction == "mean" else 1)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("activation", sorted(TORCH_ACT))
@pytest.mark.parametrize(
    "loss, output",
    [("squared_error", "sigmoid"), ("categorical_cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_forward_and_gradients_match_torch(seed, activation, loss, output, reduction):
    rng = np.random.default_rng(seed)
    sizes = [4, 6, 5, 3]
    net = Network.from_sizes(
        sizes, activation, output_activation=output, loss={"name": loss, "reduction": reduction}, seed=seed
    )
    for layer in net.layers:
        layer.set_weights(b=rng.normal(scale=0.5, size=layer.b.shape))
    X, Y = data_for(loss, 7, 4, 3, rng)

    params = [(torch.tensor(l.W, requires_grad=True), torch.tensor(l.b, requires_grad=True)) for l in net.layers]
    a = torch.tensor(X)
    for (W, b), layer in zip(params, net.layers):
        z = a @ W + b
        a = TORCH_ACT[layer.activation.name](z)
    value = torch_loss(loss, z, a, torch.tensor(Y), reduction)
    value.backward()

    np.testing.assert_allclose(net.predict(X), a.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours, grads = net.gradients(X, Y)
    assert ours == pytest.approx(value.item(), rel=1e-12)
    for (W, b), g in zip(params, grads):
        np.testing.assert_allclose(g["W"], W.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(g["b"], b.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_sgd_training_matches_torch_optim_sgd():
    rng = np.random.default_rng(0)
    net = Network.from_sizes([3, 5, 2], "tanh", output_activation="sigmoid", seed=0)
    X, Y = data_for("squared_error", 12, 3, 2, rng)
    params = [
        p for l in net.layers for p in (torch.tensor(l.W, requires_grad=True), torch.tensor(l.b, requires_grad=True))
    ]
    opt = torch.optim.SGD(params, lr=0.2)
    for _ in range(25):
        opt.zero_grad()
        a = torch.tanh(torch.tensor(X) @ params[0] + params[1])
        a = torch.sigmoid(a @ params[2] + params[3])
        (0.5 * ((a - torch.tensor(Y)) ** 2).sum(dim=1).mean()).backward()
        opt.step()
    net.train(X, Y, learning_rate=0.2, epochs=25)
    for ours, theirs in zip(net.parameters(), params):
        np.testing.assert_allclose(ours.value, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def torch_reference_loss(loss: dict, z, a, y):
    """Each loss with its options, computed by PyTorch's own loss functions."""
    F = torch.nn.functional
    reduction, name = loss.get("reduction", "mean"), loss["name"]
    if name == "squared_error" and loss.get("output_reduction", "half_sum") == "mean":
        per_sample = F.mse_loss(a, y, reduction="none").mean(dim=1)  # MSELoss: mean over outputs
    elif name == "squared_error":
        per_sample = 0.5 * F.mse_loss(a, y, reduction="none").sum(dim=1)  # the tutorial's half sum
    elif name == "categorical_cross_entropy":
        # Probability targets; torch asks only for values in [0, 1], as chainrule does.
        return F.cross_entropy(z, y, reduction=reduction)
    else:
        per_sample = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1)
    return per_sample.mean() if reduction == "mean" else per_sample.sum()


OPTIONS = [
    ({"name": "squared_error", "reduction": "sum"}, "sigmoid"),
    ({"name": "squared_error", "output_reduction": "mean"}, "identity"),
    ({"name": "squared_error", "output_reduction": "mean", "reduction": "sum"}, "tanh"),
    ({"name": "squared_error", "output_reduction": "half_sum", "reduction": "mean"}, "softmax"),
    ({"name": "categorical_cross_entropy", "reduction": "mean"}, "softmax"),
    ({"name": "categorical_cross_entropy", "reduction": "sum"}, "softmax"),
    ({"name": "binary_cross_entropy", "reduction": "mean"}, "sigmoid"),
    ({"name": "binary_cross_entropy", "reduction": "sum"}, "sigmoid"),
]


@pytest.mark.parametrize("alpha", [0.01, 0.25, 0.6])
@pytest.mark.parametrize(
    "loss, output", OPTIONS, ids=lambda v: "-".join(map(str, v.values())) if isinstance(v, dict) else v
)
def test_every_option_value_matches_torch(alpha, loss, output):
    """Non-default option values: leaky ReLU's alpha, squared error's two reductions, the cross-entropies'."""
    rng = np.random.default_rng(int(alpha * 100))
    leaky = {"name": "leaky_relu", "alpha": alpha}
    net = Network.from_sizes([4, 6, 5, 3], [leaky, leaky, output], loss=loss, seed=2)
    for layer in net.layers:
        layer.set_weights(b=rng.normal(scale=0.5, size=layer.b.shape))
    X = rng.normal(size=(9, 4)) * 2  # both sides of zero in every hidden unit
    if loss["name"] == "categorical_cross_entropy":
        # Rows that sum to 1, to less (0 included) and to more: the delta is a * sum(y) - y.
        Y = np.vstack(
            [
                np.eye(3)[[0, 1, 2]],
                [[0.2, 0.3, 0.5], [0, 0, 0], [0.5, 0, 0], [1, 1, 0], [0.3, 0.9, 0.6], [0.1, 0.1, 0.1]],
            ]
        )
    else:
        Y = rng.uniform(0, 1, size=(9, 3))
    params = [(torch.tensor(l.W, requires_grad=True), torch.tensor(l.b, requires_grad=True)) for l in net.layers]
    a = torch.tensor(X)
    for k, (W, b) in enumerate(params):
        z = a @ W + b
        a = torch.nn.functional.leaky_relu(z, alpha) if k < 2 else TORCH_ACT[output](z)
    value = torch_reference_loss(loss, z, a, torch.tensor(Y))
    value.backward()

    np.testing.assert_allclose(net.predict(X), a.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours, grads = net.gradients(X, Y)
    assert ours == pytest.approx(value.item(), rel=1e-12)
    assert net.loss(X, Y) == pytest.approx(value.item(), rel=1e-12)
    for (W, b), g in zip(params, grads):
        np.testing.assert_allclose(g["W"], W.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(g["b"], b.grad.numpy(), rtol=1e-10, atol=1e-13)

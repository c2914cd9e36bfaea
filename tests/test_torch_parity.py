"""Random networks against PyTorch autograd: forward values and gradients, compared separately."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Network

from conftest import data_for

torch = pytest.importorskip("torch")

TORCH_ACT = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01), "identity": lambda z: z,
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
    "loss, output", [("squared_error", "sigmoid"), ("categorical_cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_forward_and_gradients_match_torch(seed, activation, loss, output, reduction):
    rng = np.random.default_rng(seed)
    sizes = [4, 6, 5, 3]
    net = Network.from_sizes(sizes, activation, output_activation=output,
                             loss={"name": loss, "reduction": reduction}, seed=seed)
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
    params = [p for l in net.layers for p in (torch.tensor(l.W, requires_grad=True), torch.tensor(l.b, requires_grad=True))]
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

"""Optimizers and schedules: update rules re-derived by hand, then step by step against torch.optim."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import SGD, Adam, AdamW, Network, RMSprop
from chainrule.core.layers import Parameter
from chainrule.optim import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    Optimizer,
    SequentialLR,
    StepLR,
    get_optimizer,
    warmup,
)


def param(values, grad=None, dtype=np.float64):
    v = np.array(values, dtype=dtype)
    return Parameter(v, np.zeros_like(v) if grad is None else np.array(grad, dtype=dtype), "p")


# -- by hand ----------------------------------------------------------------------------------
def test_sgd_is_w_minus_eta_g():
    p = param([1.0, -2.0], [0.5, 0.25])
    SGD([p], learning_rate=0.1).step()
    np.testing.assert_allclose(p.value, [1.0 - 0.05, -2.0 - 0.025], rtol=1e-15)


def test_sgd_momentum_by_hand():
    # g1 = 1, g2 = 2 (w = 0 so weight decay 0.5 adds nothing on step 1; on step 2 w = -0.1).
    p = param([0.0], [1.0])
    opt = SGD([p], learning_rate=0.1, momentum=0.9, weight_decay=0.5)
    opt.step()  # b1 = g1 = 1;  w = 0 - 0.1 * 1 = -0.1
    np.testing.assert_allclose(p.value, [-0.1], rtol=1e-15)
    p.grad[...] = 2.0
    opt.step()  # g = 2 + 0.5 * (-0.1) = 1.95;  b2 = 0.9 * 1 + 1.95 = 2.85;  w = -0.1 - 0.285
    np.testing.assert_allclose(p.value, [-0.385], rtol=1e-14)


def test_sgd_nesterov_and_dampening_by_hand():
    p = param([0.0], [1.0])
    opt = SGD([p], learning_rate=0.1, momentum=0.5, nesterov=True)
    opt.step()  # b1 = 1;  d = g + 0.5 b = 1.5;  w = -0.15
    p.grad[...] = 3.0
    opt.step()  # b2 = 0.5 + 3 = 3.5;  d = 3 + 1.75 = 4.75;  w = -0.15 - 0.475
    np.testing.assert_allclose(p.value, [-0.625], rtol=1e-14)
    q = param([0.0], [1.0])
    damped = SGD([q], learning_rate=1.0, momentum=0.5, dampening=0.5)
    damped.step()  # b1 = g1 = 1 (no dampening on the first step, as torch)
    q.grad[...] = 2.0
    damped.step()  # b2 = 0.5 * 1 + 0.5 * 2 = 1.5
    np.testing.assert_allclose(q.value, [-2.5], rtol=1e-15)


def test_adam_by_hand():
    p = param([1.0], [2.0])
    opt = Adam([p], learning_rate=0.1, betas=(0.9, 0.99), eps=1e-8)
    opt.step()
    # m1 = 0.1 * 2 = 0.2, v1 = 0.01 * 4 = 0.04; m^ = 0.2 / 0.1 = 2, v^ = 0.04 / 0.01 = 4
    # w = 1 - 0.1 * 2 / (2 + 1e-8)
    np.testing.assert_allclose(p.value, [1.0 - 0.1 * 2 / (2 + 1e-8)], rtol=1e-14)
    w1 = p.value[0]
    p.grad[...] = -1.0
    opt.step()
    m2, v2 = 0.9 * 0.2 + 0.1 * -1.0, 0.99 * 0.04 + 0.01 * 1.0
    expected = w1 - 0.1 / (1 - 0.81) * m2 / (math.sqrt(v2) / math.sqrt(1 - 0.99**2) + 1e-8)
    np.testing.assert_allclose(p.value, [expected], rtol=1e-14)


def test_adam_weight_decay_is_l2_and_adamw_decouples_it():
    p, q = param([2.0], [0.0]), param([2.0], [0.0])
    Adam([p], learning_rate=0.1, weight_decay=0.5).step()
    # L2: g = 0 + 0.5 * 2 = 1, so Adam's first step moves by lr * sign(g): w = 2 - 0.1 (up to eps)
    np.testing.assert_allclose(p.value, [1.9], rtol=1e-9)
    AdamW([q], learning_rate=0.1, weight_decay=0.5).step()
    # Decoupled: w = 2 * (1 - 0.1 * 0.5) = 1.9, then Adam on g = 0 leaves it.
    np.testing.assert_allclose(q.value, [1.9], rtol=1e-15)


def test_amsgrad_by_hand_keeps_the_largest_second_moment():
    p = param([1.0], [2.0])
    opt = Adam([p], learning_rate=0.1, betas=(0.5, 0.5), eps=0.0, amsgrad=True)
    opt.step()  # m1 = 1, v1 = 2, vmax = 2; w = 1 - 0.1 / 0.5 * 1 / (sqrt(2) / sqrt(0.5)) = 1 - 0.1
    np.testing.assert_allclose(p.value, [0.9], rtol=1e-14)
    p.grad[...] = 0.0
    opt.step()  # m2 = 0.5, v2 = 1 < vmax = 2: the denominator keeps vmax
    expected = 0.9 - 0.1 / 0.75 * 0.5 / (math.sqrt(2.0) / math.sqrt(0.75))
    np.testing.assert_allclose(p.value, [expected], rtol=1e-14)
    state = opt.state_dict()
    assert state["amsgrad"] is True and state["buffers"]["0.max_exp_avg_sq"].tolist() == [2.0]


def test_rmsprop_by_hand():
    p = param([1.0], [2.0])
    opt = RMSprop([p], learning_rate=0.01, alpha=0.9, eps=0.0)
    opt.step()  # s = 0.1 * 4 = 0.4; w = 1 - 0.01 * 2 / sqrt(0.4)
    np.testing.assert_allclose(p.value, [1.0 - 0.02 / math.sqrt(0.4)], rtol=1e-14)
    c = param([1.0], [2.0])
    centered = RMSprop([c], learning_rate=0.01, alpha=0.9, eps=0.0, centered=True, momentum=0.5)
    centered.step()  # s = 0.4, mean g = 0.2, r = sqrt(0.4 - 0.04); b = 2 / r; w = 1 - 0.01 b
    b1 = 2 / math.sqrt(0.36)
    np.testing.assert_allclose(c.value, [1.0 - 0.01 * b1], rtol=1e-14)
    centered.step()  # s = 0.76, mean g = 0.38, b = 0.5 b1 + 2 / sqrt(0.76 - 0.1444)
    b2 = 0.5 * b1 + 2 / math.sqrt(0.76 - 0.38**2)
    np.testing.assert_allclose(c.value, [1.0 - 0.01 * b1 - 0.01 * b2], rtol=1e-13)


# -- against torch ----------------------------------------------------------------------------
CASES = [
    (SGD, {"learning_rate": 0.1}, "SGD", {"lr": 0.1}),
    (SGD, {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.01}, "SGD",
     {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}, "SGD",
     {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3}, "SGD",
     {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (Adam, {"learning_rate": 0.01}, "Adam", {"lr": 0.01}),
    (Adam, {"learning_rate": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}, "Adam",
     {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
    (AdamW, {"learning_rate": 0.01}, "AdamW", {"lr": 0.01}),
    (AdamW, {"learning_rate": 0.02, "weight_decay": 0.3}, "AdamW", {"lr": 0.02, "weight_decay": 0.3}),
    (Adam, {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.05}, "Adam",
     {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    (AdamW, {"learning_rate": 0.02, "amsgrad": True, "betas": (0.8, 0.9)}, "AdamW",
     {"lr": 0.02, "amsgrad": True, "betas": (0.8, 0.9)}),
    (RMSprop, {"learning_rate": 0.01}, "RMSprop", {"lr": 0.01}),
    (RMSprop, {"learning_rate": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
     "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05}),
]


@pytest.mark.parametrize("ours, options, theirs, torch_options", CASES)
def test_matches_torch_optim_step_by_step(ours, options, theirs, torch_options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    start = rng.normal(size=(3, 4))
    grads = rng.normal(size=(8, 3, 4))
    p = param(start.copy())
    opt = ours([p], **options)
    t = torch.tensor(start.copy(), dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, theirs)([t], foreach=False, **torch_options)
    for g in grads:
        p.grad[...] = g
        opt.step()
        t.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        np.testing.assert_allclose(p.value, t.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_amsgrad_matches_torch_when_the_second_moment_falls(cls):
    """Gradients that shrink, so that v_t falls below its maximum and amsgrad changes the steps."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    start = rng.normal(size=(4, 3))
    grads = rng.normal(size=(12, 4, 3)) * np.geomspace(5.0, 0.01, 12)[:, None, None]
    p, plain = param(start.copy()), param(start.copy())
    opt = cls([p], learning_rate=0.05, betas=(0.9, 0.9), amsgrad=True)
    reference = cls([plain], learning_rate=0.05, betas=(0.9, 0.9))
    t = torch.tensor(start.copy(), dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, cls.__name__)([t], lr=0.05, betas=(0.9, 0.9), amsgrad=True, foreach=False)
    for g in grads:
        p.grad[...] = g
        plain.grad[...] = g
        opt.step()
        reference.step()
        t.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        np.testing.assert_allclose(p.value, t.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert np.max(np.abs(p.value - plain.value)) > 1e-3  # amsgrad really took other steps


@pytest.mark.parametrize("ours, options, theirs, torch_options", CASES[::3])
def test_whole_network_training_matches_torch(ours, options, theirs, torch_options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X, labels = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    net = Network.from_sizes([5, 6, 3], "tanh", output_activation="softmax", loss="cross_entropy", seed=0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    with torch.no_grad():
        for k, layer in enumerate((model[0], model[2])):
            layer.weight.copy_(torch.tensor(net.layers[k].W.T))
            layer.bias.copy_(torch.tensor(net.layers[k].b))
    topt = getattr(torch.optim, theirs)(model.parameters(), foreach=False, **torch_options)
    for _ in range(3):
        for start in range(0, 40, 10):
            topt.zero_grad()
            xb, yb = torch.tensor(X[start:start + 10]), torch.tensor(labels[start:start + 10])
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            topt.step()
    net.fit(X, np.eye(3)[labels], optimizer=ours(**options), epochs=3, batch_size=10, shuffle=False, progress=False)
    np.testing.assert_allclose(net.layers[0].W, model[0].weight.detach().numpy().T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.layers[1].b, model[2].bias.detach().numpy(), rtol=1e-10, atol=1e-12)


# -- state ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, options", [(SGD, {"momentum": 0.9}), (Adam, {}), (Adam, {"amsgrad": True}),
                                          (RMSprop, {"centered": True, "momentum": 0.3})])
def test_state_dict_round_trip_continues_bitwise(cls, options):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(6, 5))
    a = param(rng.normal(size=5))
    b = param(a.value.copy())
    opt_a = cls([a], learning_rate=0.01, **options)
    for g in grads[:3]:
        a.grad[...] = g
        opt_a.step()
    state = opt_a.state_dict()
    assert state["steps"] == 3 and all(not k.split(".")[1].startswith("scratch") for k in state["buffers"])
    b.value[...] = a.value
    opt_b = cls([b], learning_rate=0.01, **options)
    opt_b.load_state_dict(state)
    for g in grads[3:]:
        a.grad[...] = g
        b.grad[...] = g
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(a.value, b.value)
    assert opt_b.steps == 6


def test_load_state_dict_refuses_other_states():
    opt = Adam([param([1.0, 2.0])])
    with pytest.raises(ValueError, match="state: expected a state_dict of Adam"):
        opt.load_state_dict(SGD([param([1.0])]).state_dict())
    bad = opt.state_dict() | {"buffers": {"0.exp_avg": np.zeros(3)}}
    with pytest.raises(ValueError, match=r"state buffer '0.exp_avg': expected shape \(2,\)"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match="state buffer '7.exp_avg': expected keys"):
        opt.load_state_dict(opt.state_dict() | {"buffers": {"7.exp_avg": np.zeros(2)}})
    with pytest.raises(ValueError, match="state steps: expected an integer >= 0"):
        opt.load_state_dict(opt.state_dict() | {"steps": -1})


def test_unbound_optimizer_refuses_to_step():
    with pytest.raises(RuntimeError, match="bind parameters before calling step"):
        Adam().step()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD(learning_rate=0.1, momentum=-0.5), "momentum: expected a finite number >= 0"),
        (lambda: SGD(learning_rate=0.1, nesterov=True), "nesterov: expected momentum > 0"),
        (lambda: SGD(learning_rate=0.1, nesterov=1), "nesterov: expected True or False"),
        (lambda: SGD(learning_rate=0.1, weight_decay=-1), "weight_decay: expected a finite number >= 0"),
        (lambda: Adam(betas=(0.9, 1.0)), r"betas: expected two numbers in \[0, 1\)"),
        (lambda: Adam(betas=0.9), r"betas: expected two numbers in \[0, 1\)"),
        (lambda: Adam(eps=float("nan")), "eps: expected a finite number >= 0"),
        (lambda: Adam(amsgrad="yes"), "amsgrad: expected True or False"),
        (lambda: RMSprop(alpha=1.0), r"alpha: expected a number in \[0, 1\)"),
        (lambda: RMSprop(centered="no"), "centered: expected True or False"),
        (lambda: Adam([np.zeros(3)]), "parameters: expected Parameter objects"),
        (lambda: get_optimizer("lbfgs"), "optimizer: expected one of"),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_get_optimizer_uses_pytorch_defaults():
    assert [get_optimizer(n).learning_rate for n in ("sgd", "adam", "adamw", "rmsprop")] == [0.01, 1e-3, 1e-3, 1e-2]
    assert get_optimizer("Adam", 0.5).learning_rate == 0.5 and not get_optimizer("sgd").bound
    assert isinstance(get_optimizer("sgd"), Optimizer)


# -- schedules --------------------------------------------------------------------------------
def test_schedule_formulas_by_hand():
    assert [StepLR(2, 0.5)(t, 1.0) for t in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert ExponentialLR(0.5)(3, 2.0) == 0.25
    cos = CosineAnnealingLR(4, eta_min=0.1)
    assert cos(0, 1.0) == 1.0 and cos(4, 1.0) == pytest.approx(0.1) and cos(2, 1.0) == pytest.approx(0.55)
    lin = LinearLR(0.25, 1.0, 3)
    assert [lin(t, 4.0) for t in range(5)] == [1.0, 2.0, 3.0, 4.0, 4.0]
    w = warmup(2, CosineAnnealingLR(4), start_factor=0.5)
    assert [w(t, 1.0) for t in range(3)] == [0.5, 0.75, 1.0] and w(4, 1.0) == pytest.approx(0.5)


SCHEDULES = [
    (lambda: StepLR(3, 0.5), "StepLR", {"step_size": 3, "gamma": 0.5}),
    (lambda: ExponentialLR(0.9), "ExponentialLR", {"gamma": 0.9}),
    (lambda: CosineAnnealingLR(7, eta_min=0.001), "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    (lambda: LinearLR(0.2, 0.9, 4), "LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 4}),
]


@pytest.mark.parametrize("ours, theirs, options", SCHEDULES)
def test_schedules_match_torch_lr_scheduler(ours, theirs, options):
    torch = pytest.importorskip("torch")
    t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([t], lr=0.1)
    sched = getattr(torch.optim.lr_scheduler, theirs)(opt, **options)
    mine = ours()
    for epoch in range(12):
        assert mine(epoch, 0.1) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-10, abs=1e-15)
        opt.step()
        sched.step()


def test_warmup_matches_torch_sequential_lr():
    torch = pytest.importorskip("torch")
    t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([t], lr=0.2)
    lrs = torch.optim.lr_scheduler
    sched = lrs.SequentialLR(
        opt, [lrs.LinearLR(opt, 0.1, 1.0, total_iters=3), lrs.ExponentialLR(opt, 0.8)], milestones=[3]
    )
    mine = warmup(3, ExponentialLR(0.8), start_factor=0.1)
    for epoch in range(10):
        assert mine(epoch, 0.2) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-10)
        opt.step()
        sched.step()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StepLR(0), "step_size: expected an integer >= 1"),
        (lambda: StepLR(2, gamma=0), "gamma: expected a finite number > 0"),
        (lambda: ExponentialLR(0.9, per="batch"), "per: expected one of"),
        (lambda: CosineAnnealingLR(2.5), "t_max: expected an integer >= 1"),
        (lambda: LinearLR(start_factor=0), "start_factor: expected a finite number > 0"),
        (lambda: LinearLR(start_factor=2.0), "start_factor, end_factor: expected numbers in"),
        (lambda: SequentialLR([StepLR(2)], [3]), "milestones: expected 0 milestones"),
        (lambda: SequentialLR([StepLR(2), StepLR(2, per="step")], [3]), "schedules: expected schedules that all"),
        (lambda: SequentialLR([], []), "schedules: expected a non-empty list"),
    ],
)
def test_bad_schedules(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_schedule_state_dict_describes_it():
    s = warmup(2, StepLR(3))
    s.load_state_dict(s.state_dict())
    with pytest.raises(ValueError, match="state: expected the state_dict of"):
        s.load_state_dict(StepLR(3).state_dict())

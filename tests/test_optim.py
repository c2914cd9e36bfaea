"""Optimizers and schedules: update rules re-derived by hand, then step by step against torch.optim."""

from __future__ import annotations

import math

import numpy as np
import pytest

import needs
from chainrule import SGD, Adam, AdamW, Network, RMSprop
from chainrule.core.layers import Parameter
from chainrule.optim import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    Optimizer,
    Schedule,
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
    (
        SGD,
        {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.01},
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    ),
    (
        SGD,
        {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True},
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    ),
    (
        SGD,
        {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3},
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    ),
    (Adam, {"learning_rate": 0.01}, "Adam", {"lr": 0.01}),
    (
        Adam,
        {"learning_rate": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1},
        "Adam",
        {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1},
    ),
    (AdamW, {"learning_rate": 0.01}, "AdamW", {"lr": 0.01}),
    (AdamW, {"learning_rate": 0.02, "weight_decay": 0.3}, "AdamW", {"lr": 0.02, "weight_decay": 0.3}),
    (
        Adam,
        {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.05},
        "Adam",
        {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05},
    ),
    (
        AdamW,
        {"learning_rate": 0.02, "amsgrad": True, "betas": (0.8, 0.9)},
        "AdamW",
        {"lr": 0.02, "amsgrad": True, "betas": (0.8, 0.9)},
    ),
    (RMSprop, {"learning_rate": 0.01}, "RMSprop", {"lr": 0.01}),
    (
        RMSprop,
        {"learning_rate": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
    ),
]


@pytest.mark.parametrize("ours, options, theirs, torch_options", CASES)
def test_matches_torch_optim_step_by_step(ours, options, theirs, torch_options):
    torch = needs.module("torch")
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
    torch = needs.module("torch")
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
    torch = needs.module("torch")
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
            xb, yb = torch.tensor(X[start : start + 10]), torch.tensor(labels[start : start + 10])
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            topt.step()
    net.fit(X, np.eye(3)[labels], optimizer=ours(**options), epochs=3, batch_size=10, shuffle=False, progress=False)
    np.testing.assert_allclose(net.layers[0].W, model[0].weight.detach().numpy().T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.layers[1].b, model[2].bias.detach().numpy(), rtol=1e-10, atol=1e-12)


# -- state ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, options",
    [(SGD, {"momentum": 0.9}), (Adam, {}), (Adam, {"amsgrad": True}), (RMSprop, {"centered": True, "momentum": 0.3})],
)
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
    sgd_state = SGD([param([1.0])]).state_dict()
    with pytest.raises(
        ValueError, match=r"^state: expected a state_dict of Adam, received: \{'buffers': \{\}, 'dampening'"
    ):
        opt.load_state_dict(sgd_state)
    bad = opt.state_dict() | {"buffers": {"0.exp_avg": np.zeros(3)}}
    with pytest.raises(ValueError, match=r"^state buffer '0.exp_avg': expected shape \(2,\), received: shape \(3,\)$"):
        opt.load_state_dict(bad)
    with pytest.raises(ValueError, match=r"state buffer '7.exp_avg': expected keys"):
        opt.load_state_dict(opt.state_dict() | {"buffers": {"7.exp_avg": np.zeros(2)}})
    with pytest.raises(ValueError, match="state steps: expected an integer >= 0"):
        opt.load_state_dict(opt.state_dict() | {"steps": -1})
    with pytest.raises(RuntimeError, match=r"^Adam: bind parameters before load_state_dict\(\)$"):
        Adam().load_state_dict(opt.state_dict())


def test_a_state_through_json_comes_back_with_its_types():
    # A checkpoint keeps the optimizer's state as JSON: tuples become lists, arrays lists of floats.
    import json

    a = param(np.array([1.0, -2.0], dtype=np.float32), [0.5, 0.25], dtype=np.float32)
    opt = Adam([a], learning_rate=0.1, betas=(0.8, 0.95))
    opt.step()
    opt.learning_rate = 0.05  # as a schedule leaves it
    state = opt.state_dict()
    text = json.dumps({k: ({n: b.tolist() for n, b in v.items()} if k == "buffers" else v) for k, v in state.items()})
    b = param(np.zeros(2, dtype=np.float32), dtype=np.float32)
    restored = Adam([b])
    restored.load_state_dict(json.loads(text))
    assert restored.hyperparameters() == {
        "learning_rate": 0.05,
        "weight_decay": 0.0,
        "betas": (0.8, 0.95),
        "eps": 1e-8,
        "amsgrad": False,
    }
    assert isinstance(restored.betas, tuple) and restored.initial_learning_rate == 0.1 and restored.steps == 1
    for name, buffer in restored.state_dict()["buffers"].items():
        assert buffer.dtype == np.float32 and buffer.tobytes() == state["buffers"][name].tobytes(), name


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
    assert cos(0, 1.0) == 1.0 and cos(4, 1.0) == 0.1 and cos(2, 1.0) == 0.55  # exact in binary64
    lin = LinearLR(0.25, 1.0, 3)
    assert [lin(t, 4.0) for t in range(5)] == [1.0, 2.0, 3.0, 4.0, 4.0]
    w = warmup(2, CosineAnnealingLR(4), start_factor=0.5)
    assert [w(t, 1.0) for t in range(3)] == [0.5, 0.75, 1.0] and w(4, 1.0) == 0.5


SCHEDULES = [
    (lambda: StepLR(3, 0.5), "StepLR", {"step_size": 3, "gamma": 0.5}),
    (lambda: ExponentialLR(0.9), "ExponentialLR", {"gamma": 0.9}),
    (lambda: CosineAnnealingLR(7, eta_min=0.001), "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    (lambda: LinearLR(0.2, 0.9, 4), "LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 4}),
]


@pytest.mark.parametrize("ours, theirs, options", SCHEDULES)
def test_schedules_match_torch_lr_scheduler(ours, theirs, options):
    torch = needs.module("torch")
    t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([t], lr=0.1)
    sched = getattr(torch.optim.lr_scheduler, theirs)(opt, **options)
    mine = ours()
    for epoch in range(12):
        assert mine(epoch, 0.1) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-10, abs=1e-15)
        opt.step()
        sched.step()


def test_warmup_matches_torch_sequential_lr():
    torch = needs.module("torch")
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


@pytest.mark.parametrize(
    "cls, options",
    [
        (SGD, {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.25, "weight_decay": 0.01}),
        (SGD, {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True}),
        (Adam, {"learning_rate": 0.02, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
        (AdamW, {"learning_rate": 0.02, "betas": (0.7, 0.9), "eps": 1e-7, "weight_decay": 0.3}),
        (
            RMSprop,
            {"learning_rate": 0.03, "alpha": 0.9, "eps": 1e-5, "momentum": 0.4, "centered": True, "weight_decay": 0.05},
        ),
    ],
)
def test_state_dict_carries_every_hyperparameter(cls, options):
    # Loaded into an optimizer built with the defaults, the state brings back every option
    # (a hyperparameter left out of it would silently revert to its default).
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(6, 4))
    a = param(rng.normal(size=4))
    opt_a = cls([a], **options)
    for g in grads[:3]:
        a.grad[...] = g
        opt_a.step()
    b = param(a.value.copy())
    opt_b = cls([b])
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.hyperparameters() == opt_a.hyperparameters() == {**cls().hyperparameters(), **options}
    assert (
        repr(opt_b)
        == repr(opt_a)
        == (
            f"{cls.__name__}(" + ", ".join(f"{k}={v!r}" for k, v in opt_a.hyperparameters().items()) + ", parameters=1)"
        )
    )
    for g in grads[3:]:
        a.grad[...] = g
        b.grad[...] = g
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(a.value, b.value)


def test_schedule_state_dicts_and_reprs_name_every_argument():
    cases = [
        (
            StepLR(3, 0.5, per="step"),
            {"name": "StepLR", "step_size": 3, "gamma": 0.5, "per": "step"},
            "StepLR(step_size=3, gamma=0.5, per='step')",
        ),
        (
            ExponentialLR(0.9),
            {"name": "ExponentialLR", "gamma": 0.9, "per": "epoch"},
            "ExponentialLR(gamma=0.9, per='epoch')",
        ),
        (
            CosineAnnealingLR(7, eta_min=0.01),
            {"name": "CosineAnnealingLR", "t_max": 7, "eta_min": 0.01, "per": "epoch"},
            "CosineAnnealingLR(t_max=7, eta_min=0.01, per='epoch')",
        ),
        (
            LinearLR(0.2, 0.9, 4, per="step"),
            {"name": "LinearLR", "start_factor": 0.2, "end_factor": 0.9, "total_iters": 4, "per": "step"},
            "LinearLR(start_factor=0.2, end_factor=0.9, total_iters=4, per='step')",
        ),
    ]
    for schedule, state, text in cases:
        assert schedule.state_dict() == state and repr(schedule) == text
        schedule.load_state_dict(dict(state))
        for key in state:
            if key != "name":
                with pytest.raises(ValueError, match="state: expected the state_dict of"):
                    schedule.load_state_dict({**state, key: "other"})
    seq = SequentialLR([LinearLR(0.5, 1.0, 2), ExponentialLR(0.5)], [2])
    assert seq.state_dict() == {
        "name": "SequentialLR",
        "milestones": [2],
        "schedules": [
            {"name": "LinearLR", "start_factor": 0.5, "end_factor": 1.0, "total_iters": 2, "per": "epoch"},
            {"name": "ExponentialLR", "gamma": 0.5, "per": "epoch"},
        ],
    }
    assert repr(seq) == (
        "SequentialLR([LinearLR(start_factor=0.5, end_factor=1.0, total_iters=2, per='epoch'), "
        "ExponentialLR(gamma=0.5, per='epoch')], milestones=[2])"
    )
    assert seq.per == "epoch" and SequentialLR([StepLR(2, per="step")], []).per == "step"


def test_sequential_and_warmup_by_hand():
    seq = SequentialLR([StepLR(1, 0.5), ExponentialLR(0.1), LinearLR(0.5, 1.0, 2)], [2, 4])
    # t = 0, 1: StepLR; t = 2, 3: ExponentialLR restarted at 0; t >= 4: LinearLR restarted at 0.
    assert [seq(t, 8.0) for t in range(7)] == [8.0, 4.0, 8.0, 8.0 * 0.1, 4.0, 6.0, 8.0]
    assert [warmup(3)(t, 3.0) for t in range(5)] == pytest.approx([1.0, 5 / 3, 7 / 3, 3.0, 3.0], rel=1e-15)
    ramp = warmup(2, per="step")
    assert isinstance(ramp, LinearLR) and ramp.per == "step" and ramp.start_factor == 1.0 / 3.0
    after = warmup(2, CosineAnnealingLR(4, per="step"), start_factor=0.5)
    assert after.per == "step" and after.milestones == [2] and after.schedules[0].per == "step"
    assert LinearLR()(0, 3.0) == 1.0 and LinearLR()(5, 3.0) == 3.0  # defaults: a third, up to 1 over 5


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: LinearLR(end_factor=1.5), r"start_factor, end_factor: expected numbers in \(0, 1\] and \[0, 1\]"),
        (lambda: LinearLR(end_factor=-0.1), "end_factor: expected a finite number >= 0"),
        (lambda: LinearLR(total_iters=0), "total_iters: expected an integer >= 1"),
        (lambda: CosineAnnealingLR(3, eta_min=-1.0), "eta_min: expected a finite number >= 0"),
        (lambda: ExponentialLR(0.0), "gamma: expected a finite number > 0"),
        (lambda: SequentialLR([StepLR(2), "StepLR"], [3]), "schedules: expected a non-empty list of Schedule objects"),
        (lambda: SequentialLR([StepLR(2), StepLR(3)], []), "milestones: expected 1 milestones"),
        (lambda: SequentialLR([StepLR(2), StepLR(3), StepLR(4)], [3, 3]), "milestones: expected strictly increasing"),
        (lambda: SequentialLR([StepLR(2), StepLR(3), StepLR(4)], [5, 3]), "milestones: expected strictly increasing"),
        (lambda: SequentialLR([StepLR(2), StepLR(3)], [0]), "milestones: expected an integer >= 1"),
    ],
)
def test_bad_schedule_options_name_the_option(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: SequentialLR([StepLR(2), "StepLR"], [3]),
            "schedules: expected a non-empty list of Schedule objects, received: [StepLR(step_size=2, gamma=0.1, "
            "per='epoch'), 'StepLR']",
        ),
        (
            lambda: SequentialLR([StepLR(2), StepLR(3)], []),
            "milestones: expected 1 milestones (one fewer than schedules), received: []",
        ),
        (
            lambda: SequentialLR([StepLR(2), StepLR(3), StepLR(4)], [5, 3]),
            "milestones: expected strictly increasing integers, received: [5, 3]",
        ),
        (
            lambda: SequentialLR([StepLR(2), StepLR(2, per="step")], [3]),
            "schedules: expected schedules that all count epochs or all count steps, received: [StepLR(step_size=2, "
            "gamma=0.1, per='epoch'), StepLR(step_size=2, gamma=0.1, ...",
        ),  # received values are cut short
        (lambda: ExponentialLR(0.9, per="batch"), "per: expected one of ['epoch', 'step'], received: 'batch'"),
        (
            lambda: LinearLR(start_factor=1.5),
            "start_factor, end_factor: expected numbers in (0, 1] and [0, 1], received: (1.5, 1.0)",
        ),
        (
            lambda: StepLR(2).load_state_dict({"name": "StepLR"}),
            "state: expected the state_dict of StepLR(step_size=2, gamma=0.1, per='epoch'), received: {'name': 'StepLR'}",
        ),
    ],
)
def test_bad_schedules_say_what_they_received(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert str(err.value) == message


def test_schedule_defaults():
    assert StepLR(2)(2, 1.0) == 0.1 and StepLR(2).per == "epoch"  # gamma 0.1, as torch
    assert LinearLR(1.0, 0.5, 2)(2, 1.0) == 0.5  # a start factor of exactly 1 is allowed

    class Halving(Schedule):
        def __init__(self):
            super().__init__()

        def __call__(self, t, base):
            return base / 2**t

    assert Halving().per == "epoch" and Halving().state_dict() == {"name": "Halving", "per": "epoch"}
    assert LinearLR(end_factor=0.0)(5, 1.0) == 0.0 and CosineAnnealingLR(3, eta_min=0.0)(3, 1.0) == 0.0


def test_a_state_without_buffers_loads_as_one_without_state_arrays():
    a = param([1.0, 2.0], [0.5, 0.5])
    opt = SGD([a], learning_rate=0.1, momentum=0.9)
    state = {k: v for k, v in opt.state_dict().items() if k != "buffers"}
    opt.load_state_dict(state)
    opt.step()  # the first step with momentum starts from the gradient, as after a fresh start
    np.testing.assert_allclose(a.value, [0.95, 1.95], rtol=1e-15)

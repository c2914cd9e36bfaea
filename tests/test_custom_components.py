"""A user's own activation and loss, end to end: registry, fit, gradcheck, trace, model files, ONNX."""

from __future__ import annotations

import numpy as np
import pytest

import needs
from chainrule import (
    ACTIVATIONS,
    LOSSES,
    Activation,
    Dense,
    Loss,
    Network,
    ValidationError,
    check_gradients,
    get_activation,
    get_loss,
    register_activation,
    register_loss,
    unregister_activation,
    unregister_loss,
)
from chainrule.core.onnx_graph import OnnxNode
from chainrule.explain import build_trace, evaluate, render
from chainrule.explain.formula import Call, Sym


class SoftSign(Activation):
    """``a = z / (1 + |z|)``; ``da/dz = 1 / (1 + |z|)^2``, read from z. No formula, no ONNX: the generic forms."""

    name = "softsign"
    needs_z = True
    kinks = (0.0,)  # the second derivative jumps at 0: a finite difference must not straddle it

    def forward(self, z, out):
        np.abs(z, out=out)
        out += 1.0
        return np.divide(z, out, out=out)

    def derivative(self, a, out, *, z):
        np.abs(z, out=out)
        out += 1.0
        np.multiply(out, out, out=out)
        return np.reciprocal(out, out=out)


class HardTanh(Activation):
    """``a = clip(z, low, high)``; ``da/dz = 1`` inside, 0 outside, read from a. Every fact given."""

    name = "hard_tanh"
    default_init = "he_uniform"

    def __init__(self, low: float = -1.0, high: float = 1.0) -> None:
        self.low, self.high = float(low), float(high)

    def config(self):
        return {"name": self.name, "low": self.low, "high": self.high}

    @property
    def kinks(self):
        return (self.low, self.high)

    def forward(self, z, out):
        return np.clip(z, self.low, self.high, out=out)

    def derivative(self, a, out):
        np.greater(a, self.low, out=out)
        out *= a < self.high
        return out

    def formula(self, net, ops, layer_nets):
        return (ops.call("max", self.low, ops.call("min", net, self.high)),)

    def derivative_formula(self, out, net, ops):
        return ops.mul(ops.call("step", ops.sub(net, self.low)), ops.call("step", ops.sub(self.high, net)))

    def onnx_nodes(self):
        return [OnnxNode("Clip", ("z", self.low, self.high), "a")]


class LogCosh(Loss):
    """``E = sum_k log(cosh(a_k - y_k))`` per sample; ``dE/da = tanh(a - y)``. No formula: generic forms."""

    name = "log_cosh"

    def per_output(self, a, z, y):
        d = np.abs(a - y)
        return d + np.log1p(np.exp(-2 * d)) - np.log(2.0)  # log cosh without overflow

    def gradient(self, a, y):
        return np.tanh(a - y) * self._scale(a.shape[0])


class Pseudohuber(Loss):
    """``E = sum_k (sqrt(1 + (a - y)^2) - 1)``: with its formulas and description."""

    name = "pseudo_huber"

    def per_output(self, a, z, y):
        return np.sqrt(1.0 + (a - y) ** 2) - 1.0

    def gradient(self, a, y):
        return (a - y) / np.sqrt(1.0 + (a - y) ** 2) * self._scale(a.shape[0])

    def per_output_formula(self, target, out, n_outputs, ops):
        return ops.sub(ops.pow(ops.add(1.0, ops.pow(ops.sub(out, target), 2.0)), 0.5), 1.0)

    def gradient_formula(self, target, out, n_outputs, ops):
        return ops.div(ops.sub(out, target), ops.pow(ops.add(1.0, ops.pow(ops.sub(out, target), 2.0)), 0.5))

    def description(self, n_outputs):
        return "sum over outputs of sqrt(1 + (out - target)^2) - 1"


@pytest.fixture
def registered():
    """SoftSign, HardTanh, LogCosh and Pseudohuber registered for one test (and forgotten after it)."""
    for cls in (SoftSign, HardTanh):
        register_activation(cls)
    for cls in (LogCosh, Pseudohuber):
        register_loss(cls)
    yield
    for name in ("softsign", "hard_tanh"):
        if name in ACTIVATIONS:
            unregister_activation(name)
    for name in ("log_cosh", "pseudo_huber"):
        if name in LOSSES:
            unregister_loss(name)


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.column_stack([np.tanh(X[:, 0] - X[:, 1]), 0.5 * np.sin(X[:, 2])])
    return X, Y


# -- registration ---------------------------------------------------------------------------
def test_registered_names_work_like_built_ins(registered):
    assert "softsign" in ACTIVATIONS and ACTIVATIONS["softsign"] is SoftSign
    assert "softsign" not in ACTIVATIONS.builtins and "relu" in ACTIVATIONS.builtins
    assert isinstance(get_activation("softsign"), SoftSign)
    assert get_activation({"name": "hard_tanh", "low": -2.0}).config() == {
        "name": "hard_tanh",
        "low": -2.0,
        "high": 1.0,
    }
    assert isinstance(Dense(2, 2, "hard_tanh").activation, HardTanh)
    assert isinstance(get_loss({"name": "log_cosh", "reduction": "sum"}), LogCosh)
    net = Network.from_sizes([3, 4, 2], "softsign", loss="pseudo_huber", seed=0)
    assert [type(layer.activation) for layer in net.layers] == [SoftSign, SoftSign]


def test_an_instance_works_without_registering():
    layer = Dense(2, 2, SoftSign())
    assert isinstance(layer.activation, SoftSign)
    act = HardTanh(-0.5, 0.5)
    net = Network([Dense(2, 3, act), Dense(3, 1, "identity")], loss=LogCosh())
    assert net.layers[0].activation == act and net.layers[0].activation is not act  # a fresh instance
    X, Y = _data()
    rows = check_gradients(net, X[:, :2], Y[:, :1])  # works on a float64 copy: no name lookup needed
    assert max(r.max_rel_error for r in rows) < 1e-6


def test_decorator_forms():
    @register_activation
    class Cube(Activation):
        name = "cube_test"
        needs_z = True

        def forward(self, z, out):
            return np.power(z, 3, out=out)

        def derivative(self, a, out, *, z):
            np.multiply(z, z, out=out)
            return np.multiply(out, 3.0, out=out)

    try:
        assert ACTIVATIONS["cube_test"] is Cube
        assert register_activation(Cube) is Cube  # the same class again: nothing changes

        @register_activation(replace=True)
        class Cube2(Cube):
            name = "cube_test"

        assert ACTIVATIONS["cube_test"] is Cube2
        z = np.array([[0.5, -2.0]])
        a = get_activation("cube_test").forward(z, np.empty_like(z))
        dz = get_activation("cube_test").backward_from(z=z, a=a, grad_a=np.ones_like(z), out=np.empty_like(z))
        np.testing.assert_allclose(dz, 3 * z**2)  # the default backward passes z on
    finally:
        unregister_activation("cube_test")
    assert "cube_test" not in ACTIVATIONS


@pytest.mark.parametrize("name", ["relu", "softmax", "gelu"])
def test_built_in_names_cannot_be_taken(name):
    class Impostor(Activation):
        def forward(self, z, out):
            return np.copyto(out, z) or out

        def derivative(self, a, out):
            return out

    Impostor.name = name
    with pytest.raises(ValidationError, match="no built-in uses"):
        register_activation(Impostor)
    with pytest.raises(ValidationError, match="no built-in uses"):
        register_activation(Impostor, replace=True)
    assert ACTIVATIONS[name] is not Impostor


def test_loss_aliases_are_reserved_too():
    class Mse(LogCosh):
        name = "mse"

    with pytest.raises(ValidationError, match="no built-in uses"):
        register_loss(Mse)


def test_a_second_class_needs_replace(registered):
    class OtherSoftSign(SoftSign):
        name = "softsign"

    with pytest.raises(ValidationError, match="replace=True"):
        register_activation(OtherSoftSign)
    assert ACTIVATIONS["softsign"] is SoftSign
    register_activation(OtherSoftSign, replace=True)
    assert ACTIVATIONS["softsign"] is OtherSoftSign


def test_an_instance_may_not_borrow_a_registered_name():
    from chainrule.core.activations import Sigmoid

    class MySigmoid(Sigmoid):
        name = "sigmoid"

    with pytest.raises(ValidationError, match="belongs to Sigmoid"):
        Dense(2, 2, MySigmoid())


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: type("Inherited", (SoftSign,), {}), "a class attribute of its own"),
        (lambda: type("Upper", (SoftSign,), {"name": "SoftSign2"}), "lower case"),
        (lambda: type("Spaces", (SoftSign,), {"name": "soft sign"}), "lower case"),
        (lambda: type("NoForward", (Activation,), {"name": "no_forward"}), "defines forward"),
        (
            lambda: type("NoDerivative", (Activation,), {"name": "no_derivative", "forward": SoftSign.forward}),
            "defines derivative or backward",
        ),
        (lambda: int, "a subclass of Activation"),
    ],
)
def test_bad_classes_are_refused(make, message):
    cls = make()
    with pytest.raises(ValidationError, match=message):
        register_activation(cls)


def test_unregistering():
    with pytest.raises(ValidationError, match="built-ins cannot be removed"):
        unregister_activation("relu")
    with pytest.raises(ValidationError, match="a registered name"):
        unregister_loss("never_registered")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        3,
        2.5,
        True,
        ["relu"],
        ("relu",),
        object(),
        b"relu",
        {"alpha": 0.1},
        {"name": 3},
        {"name": ["relu"]},
        "",
        "swish",
        "ReLU",
    ],
)
def test_get_activation_refuses_what_is_not_an_activation(bad):
    with pytest.raises(ValidationError, match="activation"):
        get_activation(bad)


@pytest.mark.parametrize("bad", [None, 3, 2.5, ["mse"], object(), {"reduction": "sum"}, {"name": ["mse"]}, "hinge"])
def test_get_loss_refuses_what_is_not_a_loss(bad):
    with pytest.raises(ValidationError, match="loss"):
        get_loss(bad)


@pytest.mark.parametrize("bad", [None, 3])
def test_layers_and_networks_refuse_them_too(bad):
    with pytest.raises(ValidationError, match="activation"):
        Dense(2, 2, bad)
    with pytest.raises(ValidationError, match="activation"):
        Network.from_sizes([2, 3, 1], bad)
    with pytest.raises(ValidationError, match="loss"):
        Network.from_sizes([2, 3, 1], loss=bad)


def test_unknown_name_says_how_to_register():
    with pytest.raises(ValidationError) as info:
        get_activation("mish")
    assert "chainrule.register_activation(YourClass)" in str(info.value) and "'mish'" in str(info.value)


# -- the engine -------------------------------------------------------------------------------
def test_fit_trains_and_gradients_check(registered):
    X, Y = _data(80)
    net = Network.from_sizes([3, 8, 2], ["softsign", "hard_tanh"], loss="log_cosh", seed=1)
    before = net.loss(X, Y)
    net.fit(X, Y, optimizer="adam", learning_rate=0.02, epochs=40, batch_size=16, seed=0, progress=False)
    assert net.loss(X, Y) < 0.5 * before
    for loss in ("log_cosh", "pseudo_huber"):
        net = Network.from_sizes([3, 5, 4, 2], ["softsign", "hard_tanh", "identity"], loss=loss, seed=2)
        rows = check_gradients(net, X[:6], Y[:6])
        assert max(r.max_rel_error for r in rows) < 1e-6, loss


def test_custom_loss_gradient_matches_finite_differences(registered, rng):
    for name in ("log_cosh", "pseudo_huber"):
        f = get_loss(name)
        a, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
        delta = np.empty_like(a)
        value = f.value_and_delta(a, a, y, get_activation("identity"), out=delta)
        h = 1e-6
        numeric = np.empty_like(a)
        for idx in np.ndindex(a.shape):
            ap, am = a.copy(), a.copy()
            ap[idx] += h
            am[idx] -= h
            numeric[idx] = (f.value(ap, ap, y) - f.value(am, am, y)) / (2 * h)
        assert value == pytest.approx(f.value(a, a, y))
        np.testing.assert_allclose(delta, numeric, rtol=1e-7, atol=1e-10)


def test_gradcheck_reads_the_kinks_fact():
    # Pre-activations within 1e-4 of HardTanh's kink at 1: a difference straddling it is badly wrong,
    # unless gradcheck knows the kink (the same activation without the fact shows it).
    class Blind(HardTanh):
        name = "hard_tanh_blind"
        kinks = ()

    errors = []
    for act in (HardTanh(), Blind()):
        net = Network([Dense(2, 2, act, init="zeros"), Dense(2, 1, "identity", seed=0)], loss="squared_error")
        net.layers[0].set_weights(W=[[1.0, 0.0], [0.0, 1.0]], b=[1.0, -1.0])
        X = np.array([[1e-4, -5e-4], [-2e-4, 0.3]])
        errors.append(max(r.max_rel_error for r in check_gradients(net, X, np.array([[0.3], [0.1]]))))
    assert errors[0] < 1e-7 and errors[1] > 1e-2


# -- the trace --------------------------------------------------------------------------------
def test_trace_writes_generic_forms(registered):
    net = Network.from_sizes([2, 2, 2], "softsign", loss="log_cosh", seed=0, train_bias=True)
    x, y = np.array([0.3, -0.7]), np.array([0.1, 0.4])
    trace = build_trace(net, x, y, 0.5)
    assert trace["out_h1"].forms[0].formula == Call("softsign", (Sym("net_h1"),))
    assert trace["dout_h1/dnet_h1"].forms[0].formula == Call("softsign'", (Sym("net_h1"),))
    assert trace["E_o1"].forms[0].formula == Call("log_cosh", (Sym("target_o1"), Sym("out_o1")))
    assert trace["dE_total/dout_o1"].forms[0].formula == Call("log_cosh'", (Sym("target_o1"), Sym("out_o1")))
    # The values are the engine's.
    _, grads = net.gradients(x[None, :], y[None, :])
    assert trace["dE_total/dw1"].value == pytest.approx(grads[0]["W"][0, 0], rel=1e-10)
    assert trace["dE_total/dw5"].value == pytest.approx(grads[1]["W"][0, 0], rel=1e-10)
    text = render(trace, "text")
    assert "out_h1 = softsign(net_h1) = softsign(" in text
    assert "dout_h1/dnet_h1  = softsign'(net_h1) = softsign'(" in text
    assert "E_total = sum over outputs of log_cosh(target, out)." in text
    latex = render(trace, "latex")
    assert r"\operatorname{softsign}'\left(" in latex and r"\operatorname{log\_cosh}\left(" in latex
    for fmt in ("markdown", "json"):
        assert "softsign" in render(trace, fmt)
    with pytest.raises(ValidationError, match="generic form"):
        evaluate(trace["out_h1"].forms[0].formula, trace.values())


def test_trace_uses_given_formulas(registered):
    net = Network.from_sizes([2, 3, 2], ["hard_tanh", "identity"], loss="pseudo_huber", seed=3, train_bias=True)
    net.layers[0].set_weights(b=[0.2, -0.3, 0.1])
    x, y = np.array([0.4, -0.2]), np.array([0.5, -0.1])
    trace = build_trace(net, x, y, 0.1)
    values = trace.values()
    for q in trace:
        for form in q.forms:
            assert evaluate(form.formula, values) == pytest.approx(q.value, rel=1e-9, abs=1e-12), q.name
    text = render(trace, "text")
    assert "out_h1 = max(-1, min(net_h1, 1))" in text
    assert "E_total = sum over outputs of sqrt(1 + (out - target)^2) - 1." in text


# -- model files ------------------------------------------------------------------------------
def test_model_files_store_the_name_and_options_and_need_the_class(tmp_path, registered):
    needs.module("safetensors")
    from chainrule import load_model, save_model
    from chainrule.io import ModelFileError

    net = Network.from_sizes([3, 4, 2], [SoftSign(), HardTanh(-0.5, 2.0)], loss="log_cosh", seed=0)
    path = save_model(tmp_path / "custom.safetensors", net)
    loaded = load_model(path).network
    assert loaded.layers[1].activation == HardTanh(-0.5, 2.0)
    assert loaded.loss_function == LogCosh()
    X = np.random.default_rng(0).normal(size=(6, 3))
    assert loaded.predict(X).tobytes() == net.predict(X).tobytes()

    unregister_activation("softsign")
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert "'softsign'" in message and "chainrule.register_activation(YourClass)" in message
    register_activation(SoftSign)
    unregister_loss("log_cosh")
    with pytest.raises(ModelFileError, match=r"chainrule\.register_loss\(YourClass\).*'log_cosh'"):
        load_model(path)
    register_loss(LogCosh)
    assert load_model(path).network.predict(X).tobytes() == net.predict(X).tobytes()


def test_saving_an_unregistered_class_is_refused_up_front(tmp_path):
    needs.module("safetensors")
    from chainrule import save_model

    net = Network.from_sizes([3, 4, 2], SoftSign(), seed=0)  # works in memory without registering
    with pytest.raises(ValidationError, match=r"chainrule\.register_activation\(YourClass\).*'softsign'"):
        save_model(tmp_path / "m.safetensors", net)
    assert not (tmp_path / "m.safetensors").exists()


# -- ONNX -------------------------------------------------------------------------------------
def test_onnx_export_refuses_an_activation_without_operators(registered):
    needs.module("onnx")
    from chainrule.export import to_onnx

    net = Network.from_sizes([3, 4, 2], ["tanh", "softsign"], seed=0)
    with pytest.raises(ValidationError, match=r"layer 2 activation.*onnx_nodes\(\).*'softsign' \(SoftSign\)"):
        to_onnx(net)


def test_onnx_export_uses_an_activation_s_own_operators(registered):
    needs.module("onnx")
    ort = needs.module("onnxruntime")
    from chainrule.export import to_onnx

    net = Network.from_sizes([3, 6, 2], [HardTanh(-0.3, 0.4), "identity"], seed=0, dtype=np.float32)
    X = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    session = ort.InferenceSession(to_onnx(net).SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": X})
    np.testing.assert_allclose(got, net.predict(X), rtol=1e-6, atol=1e-6)


# -- the other facts --------------------------------------------------------------------------
def test_default_initializer_reads_the_facts(registered):
    from chainrule.core.activations import default_initializer

    assert default_initializer(["relu", "leaky_relu"]) == "he_uniform"
    assert default_initializer(["relu", "gelu", "elu", "hard_tanh"]) == "he_uniform"
    assert default_initializer(["relu", "tanh"]) == "glorot_uniform"
    assert default_initializer(["softsign"]) == "glorot_uniform"  # the base class's default
    assert default_initializer([]) == "glorot_uniform"


def test_built_in_facts():
    from chainrule.core.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh

    assert ReLU().kinks == LeakyReLU().kinks == (0.0,)
    assert Sigmoid().kinks == Tanh().kinks == Softmax().kinks == Identity().kinks == ()
    assert ReLU.default_init == LeakyReLU.default_init == "he_uniform" and Tanh.default_init == "glorot_uniform"
    assert not Softmax.elementwise and all(ACTIVATIONS[n].elementwise for n in ACTIVATIONS.builtins if n != "softmax")
    # Leaky ReLU as the engine computes it, alpha a constant in the graph's dtype (not LeakyRelu's float32 attribute).
    assert [(n.op_type, n.inputs) for n in LeakyReLU(0.2).onnx_nodes()] == [
        ("Mul", ("z", 0.2)),
        ("Max", ("z", "alpha_z")),
    ]
    assert [(n.op_type, dict(n.attributes)) for n in Softmax().onnx_nodes()] == [("Softmax", {"axis": -1})]
    for name in ACTIVATIONS.builtins:
        act = get_activation(name)
        assert act.onnx_nodes(), name
        assert act.formula is not Activation.formula and act.derivative_formula is not Activation.derivative_formula
    for name in LOSSES.builtins:
        loss = get_loss(name)
        assert loss.description(2) and loss.per_output_formula is not Loss.per_output_formula
    assert get_loss("cross_entropy").requires_activation == "softmax" and get_loss("mse").requires_activation is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # five epochs on purpose
def test_sklearn_accepts_registered_activations(registered):
    needs.module("sklearn")
    from chainrule.sklearn import NetworkRegressor

    X, Y = _data(60)
    model = NetworkRegressor(hidden_layer_sizes=(6,), activation="softsign", max_iter=5, random_state=0)
    model.fit(X, Y[:, 0])
    assert isinstance(model.network_.layers[0].activation, SoftSign)
    with pytest.raises(ValueError, match="activation"):
        NetworkRegressor(activation="softmax", max_iter=1).fit(X, Y[:, 0])

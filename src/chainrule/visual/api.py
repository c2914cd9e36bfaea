"""The explorer's JSON API, as plain functions of JSON in, JSON out (no HTTP here).

Each function takes the request's decoded JSON and returns the response's
JSON, or raises :class:`~chainrule.visual.state.ValidationError` (a ``ValueError``)
naming the field at fault. :mod:`chainrule.visual.server` maps them to URLs.

Every number in a response comes from the engine: the step's named values from
:mod:`chainrule.explain`, N updates from the engine's training step under the
state's hidden-deltas convention (:func:`chainrule.explain.train_with_convention`;
for the chain rule, the updates of :meth:`Network.train`). The page only
displays them.

Every request may say ``"lang"`` (``"en"`` by default, see
:func:`chainrule.i18n.languages`): the panels, diagrams, hints, notes and
messages of the answer are in that language (the ``chainrule`` catalogue),
the numbers never change. :func:`messages` gives the page its own texts (the
``explorer`` catalogue), and :func:`error_text` a refusal in the request's
language.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from ..core.activations import ACTIVATIONS
from ..core.errors import DivergenceError, ValidationError
from ..core.initializers import get_initializer, make_rng
from ..core.losses import LOSSES
from ..core.network import Network
from ..core.validation import check_choice
from ..explain import names as qn
from ..explain.convention import HIDDEN_DELTA_PHRASES, train_with_convention
from ..explain.formula import symbols
from ..explain.naming import Naming
from ..explain.prose import Prose, localize
from ..explain.trace import HIDDEN_DELTAS, Trace, build_trace
from ..explain.tutorial import TUTORIAL_LEARNING_RATE, TUTORIAL_MISPRINTS, annotate_misprints
from ..i18n import DEFAULT_LANGUAGE, Translator, check_language, complete_languages, language_name, translator
from ..i18n import messages as catalogue_messages
from . import data as datasets
from .diagram import OVERLAYS, network_svg, number_text
from .formulas import EXPLORER_STAGES as _EXPLORER_STAGE_IDS
from .formulas import explorer_panels
from .mathml import equation_chunks, math, symbol
from .matrices import matrix_panels
from .netfile import state_from_file, state_to_file
from .state import ExplorerState, check_number

__all__ = [
    "ENDPOINTS",
    "QUERIES",
    "MAX_UPDATES",
    "PRACTICE_TOLERANCE",
    "build",
    "check",
    "dataset",
    "error_text",
    "fit",
    "initial",
    "load",
    "messages",
    "page_languages",
    "request_language",
    "save",
    "step",
    "step_trace",
    "train",
    "tutorial",
]

#: Most updates one ``train`` request runs (the page asks in chunks to draw the curve live).
MAX_UPDATES = 100_000
#: The stages of one step, in order; "setup" shows the network before the forward pass.
STAGES = ("setup",) + OVERLAYS
#: A practice answer is right when within this relative distance of the engine's value (0.1 %).
PRACTICE_TOLERANCE = 1e-3


def _state(request: Any) -> ExplorerState:
    if not isinstance(request, dict) or "state" not in request:
        raise ValidationError("state", "a request object with a 'state'", request)
    return ExplorerState.from_json(request["state"])


def _digits(request: dict[str, Any]) -> int:
    digits = request.get("digits", 9)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValidationError("digits", "an integer from 1 to 17", digits)
    return digits


def page_languages() -> list[str]:
    """The languages the page can be shown in: those with both catalogues (its own and the server's)."""
    return list(complete_languages())


def _lang(request: Any) -> str:
    """The request's ``lang`` (default English), checked: one of :func:`page_languages`."""
    lang = request.get("lang", DEFAULT_LANGUAGE) if isinstance(request, dict) else DEFAULT_LANGUAGE
    lang = check_language(lang, "explorer")
    if lang not in page_languages():
        raise ValidationError("lang", f"one of {page_languages()}", lang)
    return lang


def request_language(request: Any) -> str:
    """The language to refuse ``request`` in: its ``lang`` if it is one the page has, else English."""
    try:
        return _lang(request)
    except ValidationError:
        return DEFAULT_LANGUAGE


def error_text(err: ValidationError, lang: str = DEFAULT_LANGUAGE) -> str:
    """``err``'s message in ``lang`` when what it expected has a translation, else as the engine wrote it.

    A refusal reads ``field: expected ..., received: ...``; the explorer's own
    refusals say what they expected as a :class:`~chainrule.explain.prose.Prose`
    (translated, the placeholders filled), the engine's in English; a message is
    never half translated.
    """
    if lang == DEFAULT_LANGUAGE:
        return str(err)
    tr = translator(lang)
    expected = err.expected
    message = expected.message if isinstance(expected, Prose) else str(expected)
    if message not in catalogue_messages(lang):
        return str(err)
    return tr(
        "{field}: expected {expected}, received: {received}",
        field=err.field,
        expected=localize(expected, tr),
        received=err.received,
    )


def messages(request: Any) -> dict[str, Any]:
    """The page's own texts in one language: ``{"lang", "messages": {English: translation}, "languages"}``.

    Request: ``{"lang": "zh"}`` (``GET /api/messages?lang=zh``). ``messages`` is
    the ``explorer`` catalogue (empty for English: the page is written in it);
    ``languages`` lists every language the page can be shown in, as
    ``{"code", "name"}`` with each one's own name for itself.
    """
    lang = _lang(request)
    return {
        "lang": lang,
        "messages": catalogue_messages(lang, "explorer"),
        "languages": [{"code": code, "name": language_name(code)} for code in page_languages()],
    }


def step_trace(state: ExplorerState) -> Trace:
    """The trace of one step of ``state``: every named quantity, from the engine."""
    # The explorer's own limits (MAX_NEURONS, MAX_LAYERS) keep every network it allows readable.
    return build_trace(
        state.network(), state.x, state.y, state.learning_rate, hidden_deltas=state.hidden_deltas, max_parameters=None
    )


def initial(state: ExplorerState, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """What the page starts from (``GET /api/initial``): ``{"state", "activations", "losses", "lang",
    "languages"}``; ``lang`` is the first language (``chainrule serve --lang``), which a reader's own
    choice, remembered by the page, overrides."""
    return {
        "state": state.to_json(),
        "activations": sorted(ACTIVATIONS),
        "losses": sorted(LOSSES),
        "lang": lang,
        "languages": page_languages(),
    }


def tutorial(request: Any = None) -> dict[str, Any]:
    """The tutorial's state."""
    return {"state": ExplorerState.tutorial().to_json()}


def build(request: Any) -> dict[str, Any]:
    """A changed architecture or convention, with values for its parameters.

    Request: ``{"state": {...}, "seed": int, "previous": {...}}``; the state's
    ``params`` may be empty or stale (they are replaced). When ``previous`` (the
    state before the change) has the same sizes, its weights are kept and each
    neuron keeps the bias that fed it (a shared bias becomes per-neuron copies;
    per-neuron biases become the first neuron's value when made shared). Otherwise
    the engine's Glorot initialiser draws the weights from ``seed`` and biases
    start at 0. Inputs and targets are kept where their sizes still fit.
    """
    if not isinstance(request, dict) or not isinstance(request.get("state"), dict):
        raise ValidationError("state", "a request object with a 'state'", request)
    seed = request.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValidationError("seed", "an integer from 0 to 2**32 - 1", seed)
    raw = request["state"]
    # Validate the architecture and conventions alone: the values are drawn or kept below.
    spec = ExplorerState.spec_from_json(raw)
    sizes = spec.sizes
    learning_rate = check_number(raw.get("learning_rate", TUTORIAL_LEARNING_RATE), "learning_rate", positive=True)
    hidden_deltas = check_choice(raw.get("hidden_deltas", HIDDEN_DELTAS[0]), "hidden_deltas", HIDDEN_DELTAS)
    network = Network.from_spec(spec, init="zeros")
    names = Naming.of(network)
    previous = request.get("previous")
    if previous is not None:
        previous = ExplorerState.from_json(previous)
    if previous is not None and previous.sizes == sizes:
        # Same sizes: keep every weight, and give each neuron the bias that fed it before.
        old = previous.network()
        values = {p.name: previous.params[p.name] for p in names.weights}
        for p in names.biases:
            layer, j = p.layer, names.neurons[p.layer + 1].index(p.targets[0])
            values[p.name] = float(old.layers[layer].b[0 if previous.bias == "shared" else j])
        names.assign(network, values)
    else:
        rng, init = make_rng(seed), get_initializer("glorot_uniform")
        for dense in network.layers:
            dense.W[...] = init(dense.W.shape, rng, dense.dtype)

    def kept(key: str, n: int, default: list[float]) -> list[float]:
        value = raw.get(key)
        return value if isinstance(value, list) and len(value) == n else default

    x = kept("input", sizes[0], [0.5] * sizes[0])
    y = kept("target", sizes[-1], [1.0 / sizes[-1]] * sizes[-1])
    state = ExplorerState.from_network(network, x, y, learning_rate, hidden_deltas=hidden_deltas)
    return {"state": state.to_json()}


def _hidden(request: dict[str, Any], trace: Trace) -> list[str]:
    hidden = request.get("hidden", [])
    if not isinstance(hidden, list) or any(not isinstance(n, str) or n not in trace.quantities for n in hidden):
        bad = (
            hidden
            if not isinstance(hidden, list)
            else next((n for n in hidden if not isinstance(n, str) or n not in trace.quantities), None)
        )
        raise ValidationError("hidden", "a list of quantity names of this step", bad)
    return list(dict.fromkeys(hidden))


def step(request: Any) -> dict[str, Any]:
    """One training step of the request's state, every stage ready to show.

    Request: ``{"state": {...}, "digits": 9, "focus": "h1", "hidden": ["net_h1", ...], "lang": "en"}``.
    Response: ``{"state", "values": {name: number} (the trace's, hidden ones left out),
    "names": {...}, "svg": {stage: svg}, "formulas": {stage: html}, "matrices":
    {stage: html}, "stage_of": {name: explorer stage}, "practice": {hidden name:
    {"hint": html}}, "E_total_after_update", "next": the state after the update
    (None when it would leave the explorer's range), "next_refused": why not, or
    None}``. Every number on the page is in the digits asked for; a hidden
    quantity (practice) appears nowhere with its value. The diagrams, panels,
    matrices, hints and notes are in the request's ``lang``; nothing else changes.
    """
    state = _state(request)
    digits = _digits(request)
    lang = _lang(request)
    tr = translator(lang)
    focus = request.get("focus")
    network = state.network()
    trace = step_trace(state)
    hidden_names = _hidden(request, trace)
    hidden = set(hidden_names)
    values = trace.values()
    neurons = [n for layer in state.names.neurons[1:-1] for n in layer]
    if focus is not None and focus not in neurons:
        raise ValidationError("focus", f"a hidden neuron, one of {neurons}", focus)
    svgs = {
        stage: network_svg(
            network,
            values,
            overlay=None if stage == "setup" else stage,
            focus=focus,
            targets=state.target,
            digits=digits,
            hidden=hidden,
            lang=lang,
        )
        for stage in STAGES
    }
    if state == ExplorerState.tutorial() and not hidden & set(TUTORIAL_MISPRINTS):
        annotate_misprints(trace)  # (a note on a hidden value would give it away)
    params_after = {name: values.get(qn.updated(name), value) for name, value in state.params.items()}
    try:
        following, refusal = ExplorerState.from_json({**state.to_json(), "params": params_after}).to_json(), None
    except ValidationError as err:  # the update leaves the explorer's range: show the step, refuse to apply it
        following, refusal = None, tr("the update cannot be applied: {reason}", reason=error_text(err, lang))
    stage_of = {
        name: explorer
        for explorer, ids in _EXPLORER_STAGE_IDS.items()
        for sid in ids
        if sid in {s.id for s in trace.stages}
        for name in trace.stage(sid).names
    }
    return {
        "state": state.to_json(),
        "values": {name: value for name, value in values.items() if name not in hidden},
        "names": {
            "neurons": state.names.neurons,
            "weights": [[p.name, p.source, p.targets[0]] for p in state.names.weights],
            "biases": [[p.name, list(p.targets)] for p in state.names.biases],
        },
        "svg": svgs,
        "formulas": explorer_panels(trace, digits, hidden, lang=lang),
        "matrices": matrix_panels(trace, digits, hidden, lang=lang),
        "stage_of": stage_of,
        "practice": {name: {"hint": _hint(trace, name, digits, hidden, tr)} for name in hidden_names},
        "E_total_after_update": None if hidden else trace.error_after_update,
        "next": following,
        "next_refused": refusal,
    }


def _hint(trace: Trace, name: str, digits: int, hidden: set[str], tr: Translator) -> str:
    """Where a hidden quantity comes from: its formula in names, and the values it needs (in ``tr``'s language)."""
    q = trace[name]
    needs = sorted({s for form in q.forms for s in symbols(form.formula)}, key=list(trace.quantities).index)
    formula = "".join(equation_chunks(q, digits, values={}, hidden={name} | set(trace.quantities), tr=tr)[:-1])
    items = []
    for need in needs:
        shown = "?" if need in hidden else number_text(trace[need].value, digits)
        cls = ' class="missing"' if need in hidden else ""
        items.append(f'<li{cls} data-q="{escape(need)}">{math(symbol(need, tr))} = {shown}</li>')
    missing = [n for n in needs if n in hidden]
    tail = ""
    if missing:
        # NOTE: {names} is a list of quantity names (net_h1, out_h1) the learner has hidden too.
        first = tr("First work out {names}: it is hidden too.", names=", ".join(missing))
        tail = f'<p class="note">{escape(first)}</p>'
    # NOTE: a hint shows a formula, then "with" and the values the formula needs.
    with_ = escape(tr("with"))
    return f'<div class="hint-formula">{formula}</div><p>{with_}</p><ul class="needs">{"".join(items)}</ul>{tail}'


def check(request: Any) -> dict[str, Any]:
    """Practice answers checked against the engine's values.

    Request: ``{"state": {...}, "answers": {name: number}}``. Response:
    ``{"results": {name: {"correct": bool, "value": the value when correct, else None}},
    "tolerance": PRACTICE_TOLERANCE}``: an answer is correct within
    :data:`PRACTICE_TOLERANCE` of the value, relatively (absolutely 1e-12 near 0).
    """
    state = _state(request)
    answers = request.get("answers")
    if not isinstance(answers, dict) or not answers:
        raise ValidationError("answers", "an object of quantity names and numbers", answers)
    trace = step_trace(state)
    results = {}
    for name, answer in answers.items():
        if name not in trace.quantities:
            raise ValidationError("answers", "names of quantities of this step", name)
        typed = check_number(answer, f"answer {name}", limit=1e300)
        value = trace[name].value
        correct = abs(typed - value) <= PRACTICE_TOLERANCE * abs(value) + 1e-12
        results[name] = {"correct": correct, "value": value if correct else None}
    return {"results": results, "tolerance": PRACTICE_TOLERANCE}


def train(request: Any) -> dict[str, Any]:
    """``updates`` steps of gradient descent on the sample, under the state's hidden-deltas convention.

    Request: ``{"state": {...}, "updates": N}``. Response: ``{"state": state after,
    "errors": [E before update 1, ..., E before update N], "E_after": E after update N,
    "hidden_deltas": the convention the updates followed, "note": what it means, or None}``.
    With ``hidden_deltas`` ``"original"`` (the chain rule) these are the updates of
    :meth:`Network.train`; with ``"updated"`` each one is the published mistake the step
    shows (:func:`~chainrule.explain.train_with_convention`), and ``note`` says so.
    On divergence the response is an error naming the update; the weights are not changed.
    """
    state = _state(request)
    tr = translator(_lang(request))
    updates = request.get("updates")
    if isinstance(updates, bool) or not isinstance(updates, int) or not 1 <= updates <= MAX_UPDATES:
        raise ValidationError("updates", Prose("an integer from {low} to {high}", low=1, high=MAX_UPDATES), updates)
    network = state.network()
    try:
        errors = train_with_convention(
            network, state.x, state.y, state.learning_rate, updates, hidden_deltas=state.hidden_deltas
        )
    except DivergenceError as err:
        raise _diverged(err, state.learning_rate) from None
    try:
        after = state.with_network(network)
    except ValidationError as err:  # finite, but past what the page accepts back
        raise ValidationError(
            "learning_rate",
            Prose(
                "a rate that keeps every parameter within the explorer's range (after {updates} updates {name} would "
                "be {value})",
                updates=updates,
                name=err.field,
                value=repr(after_value(network, err.field)),
            ),
            state.learning_rate,
        ) from None
    note = (
        None
        if state.hidden_deltas == "original"
        else tr(
            "{convention}: not gradient descent on E_total",
            convention=tr.gettext(HIDDEN_DELTA_PHRASES[state.hidden_deltas]),
        )
    )
    return {
        "state": after.to_json(),
        "errors": errors,
        "E_after": network.loss(state.x, state.y),
        "hidden_deltas": state.hidden_deltas,
        "note": note,
    }


def _diverged(err: DivergenceError, learning_rate: float) -> ValidationError:
    """A divergence as a refusal of the learning rate, naming the update where it happened."""
    return ValidationError(
        "learning_rate",
        Prose(
            "a rate at which training stays finite (training diverged at epoch {epoch}, step {step}; the weights "
            "are the last finite ones)",
            epoch=err.epoch,
            step=err.step,
        ),
        learning_rate,
    )


def after_value(network: Network, name: str) -> float:
    """The current value of a named parameter (for messages)."""
    return Naming.of(network).get(network, name)


def save(request: Any) -> dict[str, Any]:
    """The state as a network file: ``{"filename": ..., "text": ...}``."""
    state = _state(request)
    return {"filename": "network.json", "text": state_to_file(state)}


def load(request: Any) -> dict[str, Any]:
    """A network file's text (``{"text": ..., "filename": ...}``) as the page's state."""
    if not isinstance(request, dict) or not isinstance(request.get("text"), str):
        raise ValidationError("file", "the text of a network file", request)
    return {"state": state_from_file(request["text"], request.get("filename") or "network.json").to_json()}


def dataset(request: Any) -> dict[str, Any]:
    """A data set for the data view: ``{"name", "n", "noise", "seed"}`` (xor, moons, circles, spirals)
    or ``{"csv": text, "filename": ...}``; see :mod:`chainrule.visual.data`."""
    if not isinstance(request, dict):
        raise ValidationError("dataset", "a request object", request)
    _lang(request)
    if "csv" in request:
        return datasets.csv_points(request["csv"], request.get("filename"))
    return datasets.dataset_points(request)


def fit(request: Any) -> dict[str, Any]:
    """Full-batch training on a data set, and the decision surface after it.

    Request: ``{"state": {...}, "data": {"points", "labels", "classes"}, "updates": N
    (0 to MAX_UPDATES; 0 only evaluates), "grid": n}``. Response: ``{"state",
    "errors": [E before each update], "E_after", "accuracy", "surface"}``
    (see :func:`chainrule.visual.data.surface`). The state's network needs two
    inputs; its outputs decide the targets (:func:`~chainrule.visual.data.targets_for`).
    """
    state = _state(request)
    _lang(request)
    if state.sizes[0] != 2:
        raise ValidationError("sizes", Prose("a network with 2 inputs for the data view"), state.sizes)
    X, labels, n_classes = datasets.check_points(request.get("data"))
    updates = request.get("updates", 0)
    if isinstance(updates, bool) or not isinstance(updates, int) or not 0 <= updates <= MAX_UPDATES:
        raise ValidationError("updates", Prose("an integer from {low} to {high}", low=0, high=MAX_UPDATES), updates)
    network = state.network()
    Y = datasets.targets_for(network, labels, n_classes)
    try:
        network.check_targets(Y, X.shape[0], "target")
    except ValidationError as err:
        raise ValidationError("loss", f"a loss that can learn these classes ({err.expected})", state.loss) from None
    errors: list[float] = []
    if updates:
        try:
            errors = train_with_convention(
                network, X, Y, state.learning_rate, updates, hidden_deltas=state.hidden_deltas
            )
        except DivergenceError as err:
            raise _diverged(err, state.learning_rate) from None
    try:
        after = state.with_network(network)
    except ValidationError as err:
        raise ValidationError(
            "learning_rate",
            Prose("a rate that keeps every parameter within the explorer's range ({name} left it)", name=err.field),
            state.learning_rate,
        ) from None
    out = network.predict(X)
    predicted = (out[:, 0] >= 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    return {
        "state": after.to_json(),
        "errors": errors,
        "E_after": network.loss(X, Y),
        "accuracy": float((predicted == labels).mean()),
        "surface": datasets.surface(network, X, request.get("grid", 40)),
    }


#: URL path -> handler of a GET request, whose query's parameters are the request (``?lang=zh``).
QUERIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "/api/messages": messages,
}
#: URL path -> handler of a POST request, for the server.
ENDPOINTS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "/api/tutorial": tutorial,
    "/api/build": build,
    "/api/step": step,
    "/api/train": train,
    "/api/save": save,
    "/api/load": load,
    "/api/check": check,
    "/api/dataset": dataset,
    "/api/fit": fit,
}

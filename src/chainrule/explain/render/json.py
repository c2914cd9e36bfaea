"""The JSON form of a trace: stable, documented in ``docs/trace-schema.md``.

Everything is keyed by the tutorial's names, so that a consumer (the HTML
explorer, a notebook) can look up ``quantities["dE_total/dw5"]`` directly.
Formulas are expression trees (:func:`chainrule.explain.formula.to_json`), and
each quantity also carries its whole equation typeset as plain text and as
LaTeX at the requested precision. A non-finite number is written as a string
(``"Infinity"``, ``"-Infinity"``, ``"NaN"``), never as the invalid JSON token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...core.json_numbers import dumps
from ...i18n import DEFAULT_LANGUAGE, Translator, translator
from ..formula import to_json
from ..prose import localize
from ..trace import Trace
from .latex import equation_latex
from .text import equation_text

#: Schema identifiers; bumped only by incompatible changes.
SCHEMA = "chainrule.trace/1"
STEPS_SCHEMA = "chainrule.trace-steps/1"


def trace_to_dict(trace: Trace, precision: int = 9, lang: str | Translator = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """One trace as JSON-ready data (see ``docs/trace-schema.md``); its sentences in ``lang``."""
    tr = lang if isinstance(lang, Translator) else translator(lang)
    stage_of = {name: stage.id for stage in trace.stages for name in stage.names}
    quantities = {}
    for name, q in trace.quantities.items():
        quantities[name] = {
            "kind": q.kind,
            "stage": stage_of[name],
            "value": q.value,
            "forms": [
                {"formula": to_json(f.formula), "numbers": None if f.numbers is None else to_json(f.numbers)}
                for f in q.forms
            ],
            "refs": q.refs,
            "note": None if q.note is None else localize(q.note, tr),
            "text": equation_text(q, precision),
            "latex": equation_latex(q, precision),
        }
    return {
        "schema": SCHEMA,
        "lang": tr.lang,
        "step": trace.step,
        "network": {
            "sizes": trace.sizes,
            "neurons": trace.neurons,
            "layers": trace.layers,
            "loss": trace.loss,
            "dtype": trace.dtype,
        },
        "learning_rate": trace.learning_rate,
        "conventions": trace.conventions,
        "stages": [
            {
                "id": s.id,
                "title": localize(s.title, tr),
                "description": localize(s.description, tr),
                "notes": [localize(n, tr) for n in s.notes],
                "groups": [{"title": localize(g.title, tr), "names": g.names} for g in s.groups],
            }
            for s in trace.stages
        ],
        "quantities": quantities,
        "values": trace.values(),
        "E_total_after_update": trace.error_after_update,
        "notes": [localize(n, tr) for n in trace.notes],
        "precision": precision,
    }


def traces_to_dict(
    traces: Sequence[Trace], precision: int = 9, lang: str | Translator = DEFAULT_LANGUAGE
) -> dict[str, Any]:
    """One trace as :func:`trace_to_dict`; several as ``{"schema": STEPS_SCHEMA, "steps": [...]}``."""
    if len(traces) == 1:
        return trace_to_dict(traces[0], precision, lang)
    return {"schema": STEPS_SCHEMA, "steps": [trace_to_dict(t, precision, lang) for t in traces]}


def render_json(traces: Sequence[Trace], precision: int = 9, lang: str = DEFAULT_LANGUAGE) -> str:
    """The traces as indented JSON text; the sentences (titles, descriptions, notes) in ``lang``.

    Always valid JSON: a value that overflowed (a huge learning rate, say) is written as the
    string ``"Infinity"``, ``"-Infinity"`` or ``"NaN"`` (see :mod:`chainrule.core.json_numbers`).
    """
    return dumps(traces_to_dict(traces, precision, lang), indent=2, ensure_ascii=False)

"""``chainrule example``: the tutorial's worked example, explained, then trained."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from ..core.spec import DTYPES
from ..core.validation import check_positive_int
from ..explain.render.numbers import number
from ..explain.render.text import render_text
from ..explain.trace import build_trace
from ..explain.tutorial import (
    TUTORIAL_INPUT,
    TUTORIAL_LEARNING_RATE,
    TUTORIAL_TARGET,
    tutorial_network,
    worked_example,
)
from ..i18n import DEFAULT_LANGUAGE, translator
from ._common import Subcommands
from .explain import add_lang_option, annotate_tutorial


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "example",
        help="the tutorial's 2-2-2 worked example: forward, error, backward, update, repeat",
        description="Run the tutorial's worked example: one step with every quantity named, "
        "then repeat the update and report the error along the way.",
    )
    p.add_argument("--updates", type=int, default=10_000, help="how many updates to repeat (default 10000)")
    p.add_argument("--json", action="store_true", help="print one JSON object mapping names to values")
    p.add_argument("--precision", type=int, default=9, help="significant digits in the text output (default 9)")
    p.add_argument("--dtype", choices=DTYPES, default="float64")
    add_lang_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    updates = check_positive_int(args.updates, "--updates", minimum=0)
    digits = check_positive_int(args.precision, "--precision")
    dtype = np.dtype(args.dtype)
    result = worked_example(updates, dtype=dtype)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(render_example(result, digits, dtype, lang=args.lang), end="")
    return 0


def render_example(
    result: dict[str, Any], digits: int, dtype: np.dtype = np.dtype(np.float64), lang: str = DEFAULT_LANGUAGE
) -> str:
    """The tutorial's first step, rendered from its trace, then the repeated updates, in ``lang``."""
    tr = translator(lang)
    trace = build_trace(tutorial_network(dtype), TUTORIAL_INPUT, TUTORIAL_TARGET, TUTORIAL_LEARNING_RATE)
    annotate_tutorial(trace)
    title = tr(
        "The tutorial's worked example: a 2-2-2 sigmoid network, one sample, eta = {eta} ({dtype})",
        eta=TUTORIAL_LEARNING_RATE,
        dtype=dtype.name,
    )
    lines = [render_text([trace], digits, title=title, lang=tr.lang).rstrip("\n"), ""]
    add = lines.append
    rep = result["repeated"]

    def f(value: float) -> str:
        return number(value, digits)

    add(
        tr(
            "{number}. Repeating the update {updates} times (same sample, biases fixed)",
            number=len(trace.stages) + 1,
            updates=rep["updates"],
        )
    )
    add("   " + tr("before any update: {error}", error=f"E_total = {f(result['E_total'])}"))
    for h in rep["history"]:
        add(
            "   "
            + tr(
                "after {updates} updates: {values}",
                updates=f"{h['updates']:>6}",
                values=f"E_total = {h['E_total']:.6e}, out_o1 = {h['out_o1']:.6f}, out_o2 = {h['out_o2']:.6f}",
            )
        )
    add(
        "   "
        + tr(
            "the outputs approach the targets {first} and {second}.",
            first=TUTORIAL_TARGET[0],
            second=TUTORIAL_TARGET[1],
        )
    )
    return "\n".join(lines) + "\n"

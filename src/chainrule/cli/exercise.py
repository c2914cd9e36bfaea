"""``chainrule exercise``: an exercise sheet on one training step, or its answer key, for a teacher to print."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.spec import BIAS_MODES
from ..exercise import KINDS, MAX_LAYERS, MAX_NEURONS, compile_pdf, make_exercise, render_exercise
from ..io.atomic import atomic_write_bytes
from ._common import Subcommands
from .explain import add_lang_option


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "exercise",
        help="an exercise sheet (a random network from a seed, questions on one step) or its answer key",
        description="Write an exercise sheet for learners: a random small network drawn from --seed, one sample, "
        "and questions on the quantities of one training step (forward values, errors, deltas, paths, gradients, "
        "updates); with --key, the answer key of the same sheet, every answer from the engine's trace. "
        "LaTeX or HTML to standard output, or a PDF (pdflatex) to --output.",
    )
    p.add_argument("--seed", type=int, default=0, help="draws the network, the sample and the questions (default 0)")
    p.add_argument(
        "--sizes",
        default="2-2-2",
        help=f"layer sizes, inputs first (default 2-2-2; at most {MAX_LAYERS} layers of weights and "
        f"{MAX_NEURONS} neurons a layer)",
    )
    p.add_argument("--activation", default="sigmoid", help="hidden (and output) activation (default sigmoid)")
    p.add_argument("--output-activation", default=None, help="the output layer's activation (default: --activation)")
    p.add_argument("--loss", default="squared_error", help="the loss (default squared_error)")
    p.add_argument("--learning-rate", type=float, default=0.5, help="eta (default 0.5)")
    p.add_argument("--bias", choices=BIAS_MODES, default="per_neuron", help="biases (default: one per neuron)")
    p.add_argument(
        "--questions",
        default=",".join(KINDS),
        help=f"what to ask, comma-separated among {', '.join(KINDS)} (default: all)",
    )
    p.add_argument("--per-kind", type=int, default=2, help="questions of each kind (default 2; 0: every quantity)")
    p.add_argument(
        "--digits", type=int, default=4, help="significant digits asked for (default 4; the key shows 2 more)"
    )
    p.add_argument("--key", action="store_true", help="the answer key instead of the sheet")
    p.add_argument("--format", choices=["html", "latex", "pdf"], default="html", help="output format (default html)")
    p.add_argument("-o", "--output", default=None, help="write to this file (required for pdf)")
    add_lang_option(p)
    p.set_defaults(handler=run)


def _sizes(text: str) -> list[int]:
    try:
        return [int(part) for part in text.replace(",", "-").split("-")]
    except ValueError:
        raise ValueError(f"--sizes: expected layer sizes such as 2-3-2, received: {text!r}") from None


def run(args: argparse.Namespace) -> int:
    if args.format == "pdf" and args.output is None:
        raise ValueError("--output: expected a file to write the PDF to with --format pdf, received: nothing")
    kinds = [k.strip() for k in args.questions.split(",") if k.strip()]
    exercise = make_exercise(
        args.seed,
        _sizes(args.sizes),
        args.activation,
        output_activation=args.output_activation,
        loss=args.loss,
        learning_rate=args.learning_rate,
        bias=args.bias,
        kinds=kinds,
        per_kind=None if args.per_kind == 0 else args.per_kind,
    )
    text = render_exercise(
        exercise, "html" if args.format == "html" else "latex", key=args.key, lang=args.lang, digits=args.digits
    )
    data = compile_pdf(text) if args.format == "pdf" else text.encode("utf-8")
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(Path(args.output), data)
    return 0

"""``chainrule explain``: the tutorial's step-by-step derivation for any small network."""

from __future__ import annotations

import argparse

from ..core.errors import excerpt
from ..core.spec import BIAS_MODES, OUTPUT_REDUCTIONS
from ..core.validation import check_positive_int
from ..explain.config import Conventions, load_setup
from ..explain.render import FORMATS, render
from ..explain.summary import layer_summary, render_summary
from ..explain.trace import HIDDEN_DELTAS, MAX_TRACE_PARAMETERS, Trace, trace_steps
from ..explain.tutorial import annotate_misprints
from ..i18n import DEFAULT_LANGUAGE, languages
from ._common import Subcommands, check_text_file


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """``--lang``: the language of every sentence printed (the numbers and quantity names do not change)."""
    parser.add_argument(
        "--lang",
        choices=languages(),
        default=DEFAULT_LANGUAGE,
        help="language of the text around the formulas (default en; zh: Chinese)",
    )


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "explain",
        help="every named quantity of backpropagation, formula and numbers, for a network and one sample",
        description="Print the whole derivation of one training step (forward pass, error, backward pass "
        "with every chain-rule factor and path, update) for the network, sample, targets and learning rate "
        "in FILE (JSON, TOML or YAML; see examples/), or by default the tutorial's 2-2-2 network. "
        "Conventions default to the file's, else the tutorial's choice.",
    )
    p.add_argument(
        "file",
        nargs="?",
        default=None,
        help="network description (.json, .toml, .yaml); default: the tutorial's worked example",
    )
    p.add_argument(
        "--format",
        choices=[*FORMATS, "html"],
        default="text",
        help="output format (default text; html: a self-contained page with diagrams, see chainrule.visual)",
    )
    p.add_argument("--steps", type=int, default=1, help="successive updates to show (default 1)")
    p.add_argument(
        "--precision", type=int, default=9, help="significant digits (default 9; the --summary table prints at most 6)"
    )
    p.add_argument(
        "--bias",
        choices=BIAS_MODES,
        default=None,
        help="one bias per neuron, or one shared by each layer (shared: the tutorial)",
    )
    p.add_argument(
        "--train-biases",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="update the biases (--train-biases) or keep them frozen (--no-train-biases, the tutorial)",
    )
    p.add_argument(
        "--error",
        choices=OUTPUT_REDUCTIONS,
        default=None,
        help="squared error as sum 1/2 (t - out)^2 (half_sum, the tutorial) or mean (t - out)^2",
    )
    p.add_argument(
        "--hidden-deltas",
        choices=HIDDEN_DELTAS,
        default=None,
        help="hidden deltas from the original output weights (the chain rule, the tutorial) or from "
        "the already updated ones (a published mistake, to reproduce such figures)",
    )
    p.add_argument(
        "--summary", action="store_true", help="a per-layer summary instead of the full trace (any network size)"
    )
    p.add_argument(
        "--max-parameters",
        type=int,
        default=MAX_TRACE_PARAMETERS,
        help=f"refuse a full trace past this many weights and biases (default {MAX_TRACE_PARAMETERS})",
    )
    add_lang_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    steps = check_positive_int(args.steps, "--steps")
    precision = check_positive_int(args.precision, "--precision")
    max_parameters = check_positive_int(args.max_parameters, "--max-parameters")
    conventions = Conventions(
        bias=args.bias, train_bias=args.train_biases, error=args.error, hidden_deltas=args.hidden_deltas
    )
    if args.file is not None:
        check_text_file(args.file, "config file")  # a folder, a pipe, a binary file: named before parsing
    try:
        setup = load_setup(args.file, conventions)
    except ImportError as err:  # an optional extra (TOML on 3.10, YAML) is missing
        raise ValueError(f"{excerpt(args.file)}: {err}") from None
    if args.summary:
        if args.format == "html":
            raise ValueError("--format: expected text, markdown, latex or json with --summary, received: 'html'")
        error, rows = layer_summary(setup.network, setup.x, setup.y, setup.learning_rate)
        print(
            render_summary(
                setup.network, error, rows, setup.learning_rate, args.format, min(precision, 6), lang=args.lang
            ),
            end="",
        )
        return 0
    traces = trace_steps(
        setup.network,
        setup.x,
        setup.y,
        setup.learning_rate,
        steps,
        hidden_deltas=setup.hidden_deltas,
        max_parameters=max_parameters,
    )
    if setup.is_tutorial:
        annotate_tutorial(traces[0])
    if args.format == "html":  # the HTML report lives in chainrule.visual (issue 6)
        from ..visual.report import render_html

        print(render_html(traces, precision, lang=args.lang), end="")
        return 0
    print(render(traces, args.format, precision, lang=args.lang), end="")
    return 0


def annotate_tutorial(trace: Trace) -> None:
    """Attach the tutorial's known misprints to the first step of its trace."""
    annotate_misprints(trace)

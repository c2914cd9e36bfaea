"""The ``chainrule`` command line: one module per subcommand.

Each subcommand module defines ``register(subparsers)``, which adds its parser
and sets ``handler`` to a function ``(args) -> int`` (the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..version import __version__

#: Subcommand modules, in the order ``chainrule --help`` lists them.
COMMANDS = ["example", "explain", "exercise", "gradcheck", "serve", "train", "predict", "evaluate", "info", "export"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Fully connected neural networks trained by backpropagation, every step visible.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except ValueError as err:
        _error(args.command, str(err))
        return 2
    except BrokenPipeError:
        return 0
    except OSError as err:  # a path that could not be read or written: one line, naming it
        from ._common import os_error_text

        _error(args.command, os_error_text(err))
        return 2
    except MemoryError:
        _error(args.command, "not enough memory for this command (a smaller network, or fewer rows?)")
        return 1


#: The longest error message printed in full (a message quoting a value is cut).
MAX_MESSAGE = 2000


def _error(command: str, message: str) -> None:
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    print(f"chainrule {command}: error: {message}", file=sys.stderr)

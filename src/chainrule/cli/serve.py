"""``chainrule serve``: the interactive backpropagation explorer on a local web page."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path

from ..i18n import DEFAULT_LANGUAGE, complete_languages
from ._common import Subcommands, check_text_file


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "serve",
        help="open the interactive explorer: step a network through forward, error, backward, update",
        description="Serve the explorer page: set inputs, targets, weights, biases, activations, learning "
        "rate and conventions; step through one training step stage by stage; train N updates. "
        "Every number comes from chainrule's engine. Listens on 127.0.0.1 only, unless --host says otherwise.",
    )
    p.add_argument(
        "network",
        nargs="?",
        type=Path,
        default=None,
        help="a network file to open: the format chainrule explain reads (JSON, TOML or YAML; "
        "default: the tutorial's network)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.add_argument(
        "--lang",
        choices=complete_languages(),
        default=DEFAULT_LANGUAGE,
        help="the page's first language (default en; zh: Chinese); the page's own switch changes it "
        "and remembers the choice",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..visual.netfile import state_from_path
    from ..visual.server import make_server

    if args.network is not None:
        check_text_file(args.network, "config file")
    initial = None if args.network is None else state_from_path(args.network)
    server = make_server(args.host, args.port, initial, verbose=args.verbose, lang=args.lang)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}: other machines can reach this page", file=sys.stderr)
    print(f"chainrule explorer on {server.url} (Ctrl+C stops it)", flush=True)
    if args.open:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

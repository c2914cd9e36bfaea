"""The explorer's local web server: the page, its static files, and the JSON API.

Standard library only (``http.server``): the page needs four JSON endpoints and
three static files, which a framework would not make shorter or safer. The
server binds to 127.0.0.1 by default, answers only requests whose ``Host`` is
the loopback name it was started on (so another site cannot reach it through
DNS rebinding), and accepts JSON bodies up to :data:`MAX_BODY` bytes.

Errors are JSON too: ``400 {"error": "w5: expected a number ..., received: 'x'",
"field": "w5"}``, so the page can show each message beside its field.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from ..core.activations import ACTIVATIONS
from ..core.losses import LOSSES
from .api import ENDPOINTS
from ..core.errors import ValidationError
from .state import ExplorerState

__all__ = ["ExplorerServer", "make_server", "MAX_BODY"]

MAX_BODY = 1 << 20
_STATIC = {
    "/": ("explorer.html", "text/html; charset=utf-8"),
    "/static/explorer.js": ("explorer.js", "text/javascript; charset=utf-8"),
    "/static/explorer.css": ("explorer.css", "text/css; charset=utf-8"),
}
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def _static(name: str) -> bytes:
    return resources.files("chainrule.visual").joinpath("static", name).read_bytes()


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN and Infinity, which JSON itself does not: refuse them here.
    raise ValidationError("request", "JSON numbers (no NaN or Infinity)", name)


class _Handler(BaseHTTPRequestHandler):
    server: "ExplorerServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return not self.server.loopback_only or host in _LOOPBACK or host == self.server.server_address[0]

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, allow_nan=False).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"error": "this server answers only on its loopback address"})
        path = self.path.split("?", 1)[0]
        if path == "/api/initial":
            return self._json(HTTPStatus.OK, {"state": self.server.initial.to_json(),
                                              "activations": sorted(ACTIVATIONS), "losses": sorted(LOSSES)})
        if path in _STATIC:
            name, content_type = _STATIC[path]
            return self._send(HTTPStatus.OK, _static(name), content_type)
        self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"error": "this server answers only on its loopback address"})
        handler = ENDPOINTS.get(self.path)
        if handler is None:
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: {self.path}"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                              {"error": f"request body: expected at most {MAX_BODY} bytes of JSON", "field": None})
        try:
            request = json.loads(self.rfile.read(length) or b"{}", parse_constant=_reject_constant)
            response = handler(request)
        except ValidationError as err:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(err), "field": err.field})
        except (ValueError, TypeError) as err:  # malformed JSON, or a check deeper in the engine
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(err), "field": None})
        self._json(HTTPStatus.OK, response)


class ExplorerServer(ThreadingHTTPServer):
    """The explorer's HTTP server; ``initial`` is the state the page opens with."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, initial: ExplorerState | None = None,
                 verbose: bool = False) -> None:
        self.initial = initial or ExplorerState.tutorial()
        self.verbose = verbose
        self.loopback_only = host in _LOOPBACK
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread (tests, notebooks); stop with :meth:`shutdown`."""
        thread = threading.Thread(target=self.serve_forever, daemon=True, name="chainrule-explorer")
        thread.start()
        return thread


def make_server(host: str = "127.0.0.1", port: int = 8000, initial: ExplorerState | None = None,
                verbose: bool = False) -> ExplorerServer:
    """An :class:`ExplorerServer`; port 0 picks a free port (see ``server.url``)."""
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValidationError("port", "an integer from 0 to 65535", port)
    return ExplorerServer(host, port, initial, verbose)

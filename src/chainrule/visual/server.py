"""The explorer's local web server: the page, its static files, and the JSON API.

Standard library only (``http.server``): the page needs a few JSON endpoints
and three static files, which a framework would not make shorter or safer.

What it answers, and what it refuses:

* **Only this machine's pages.** It binds to 127.0.0.1 by default and answers
  only requests whose ``Host`` is the loopback name it was started on (so
  another site cannot reach it through DNS rebinding). A request that a
  browser marks as coming from another site is refused with 403: an
  ``Origin`` other than the server's own, or ``Sec-Fetch-Site`` other than
  ``same-origin`` or ``none`` (a typed address). Cross-site *navigation* to a
  static page (a link to the explorer) is allowed; the API is not. Every
  ``POST`` must say ``Content-Type: application/json`` (415 otherwise): a
  web page can send ``text/plain`` or form bodies to any address without
  asking, but JSON needs a CORS preflight, which this server never grants.
* **GET for what the page reads, POST for the rest.** ``GET /`` and the
  static files, ``GET /api/initial`` (the state, the choices and the first
  language) and ``GET /api/messages?lang=zh`` (the page's own texts, see
  :func:`chainrule.visual.api.messages`); every other endpoint is a JSON
  ``POST`` (:data:`chainrule.visual.api.ENDPOINTS`). A request's ``lang``
  decides the language of its answer, refusals included.
* **Every request it accepts gets an answer.** Connections wait in a real
  listen backlog (:data:`LISTEN_BACKLOG`), then in a bounded queue
  (:data:`MAX_PENDING`) for one of :data:`WORKERS` threads. When the queue is
  full a connection is refused with ``503`` and ``Retry-After`` (after its
  request is read, so that the client sees the answer rather than a reset).
  Each response closes its connection, so an idle browser connection never
  holds a worker.
* **Every error is JSON.** ``400 {"error": "w5: expected a number ...,
  received: 'x'", "field": "w5"}`` lets the page show each message beside
  its field; malformed HTTP (a bad request line, oversized headers, an
  unknown method) gets the same shape, as do bodies over :data:`MAX_BODY`
  bytes (413), JSON nested deeper than :data:`MAX_DEPTH`, integers longer
  than :data:`MAX_INT_DIGITS` digits, numbers that overflow, and any failure
  inside a handler (500, never a dropped connection).
"""

from __future__ import annotations

import json
import queue
import socket
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from ..core.errors import Described, ValidationError, excerpt
from ..core.json_numbers import json_ready
from ..i18n import DEFAULT_LANGUAGE
from .api import ENDPOINTS, QUERIES, error_text, initial, request_language
from .state import ExplorerState

__all__ = [
    "ExplorerServer",
    "LISTEN_BACKLOG",
    "MAX_BODY",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_PENDING",
    "WORKERS",
    "make_server",
]

#: Largest request body, in bytes.
MAX_BODY = 1 << 20
#: Deepest nesting of arrays and objects a request may use (the page's own go 3 deep).
MAX_DEPTH = 32
#: Longest integer literal a request may hold (seeds and counts need 10).
MAX_INT_DIGITS = 32
#: Threads answering requests, and connections that may wait for one before new ones get 503.
WORKERS = 8
MAX_PENDING = 64
#: The listen backlog (the kernel may cap it, at ``net.core.somaxconn`` on Linux).
LISTEN_BACKLOG = 1024
#: Seconds a connection may stay silent before it is closed.
SOCKET_TIMEOUT = 15.0
#: Seconds a refused connection gets to finish sending its request before the 503.
REFUSAL_TIMEOUT = 2.0
#: Seconds to wait for a client to close after its answer (see ExplorerServer.shutdown_request).
LINGER_TIMEOUT = 1.0
_REFUSAL_QUEUE = 1024
#: A queued connection: the request socket and the client's address, as socketserver passes them.
_Connection = tuple[Any, Any]

_STATIC = {
    "/": ("explorer.html", "text/html; charset=utf-8"),
    "/static/explorer.js": ("explorer.js", "text/javascript; charset=utf-8"),
    "/static/explorer.css": ("explorer.css", "text/css; charset=utf-8"),
}
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
#: Sec-Fetch-Site values of requests this server's own page (or the address bar) makes.
_OWN_SITES = ("same-origin", "none")


def _static(name: str) -> bytes:
    return (resources.files("chainrule.visual") / "static" / name).read_bytes()


def _reject_constant(name: str) -> Any:
    # json.loads accepts NaN and Infinity, which JSON itself does not: refuse them here.
    raise ValidationError("request", "JSON numbers (no NaN or Infinity)", name)


def _parse_int(text: str) -> int:
    # Python refuses int() of over 4300 digits (a ValueError), and a few hundred digits
    # overflow float(): bound the length before converting.
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValidationError(
            "request",
            f"integers of at most {MAX_INT_DIGITS} digits",
            Described(f"an integer of {len(text.lstrip('-'))} digits"),
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValidationError(
            "request", "numbers within the range of a float64 (about 1.8e308)", Described(excerpt(text))
        )
    return value


def _bounded(text: str, limit: int = 1000) -> str:
    """A message cut to ``limit`` characters (an engine message may quote a long value)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_depth(data: Any) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (iteratively: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise ValidationError(
                    "request",
                    f"JSON nested at most {MAX_DEPTH} levels deep",
                    Described(f"nesting deeper than {MAX_DEPTH} levels"),
                )
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def decode_request(body: bytes) -> Any:
    """The JSON of a request body, checked (see the module docstring); raises ValidationError."""
    try:
        request = json.loads(
            body or b"{}", parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float
        )
    except RecursionError:
        raise ValidationError(
            "request",
            f"JSON nested at most {MAX_DEPTH} levels deep",
            Described("nesting deeper than Python's recursion limit"),
        ) from None
    except UnicodeDecodeError as err:
        raise ValidationError("request", "a UTF-8 JSON body", Described(f"undecodable bytes ({err.reason})")) from None
    except json.JSONDecodeError as err:
        raise ValidationError("request", "a JSON body", Described(f"invalid JSON ({err})")) from None
    _check_depth(request)
    return request


class _Handler(BaseHTTPRequestHandler):
    server: ExplorerServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # -- answering ------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        # One request per connection: an idle keep-alive connection would hold a worker.
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
        try:
            body = json.dumps(json_ready(data), allow_nan=False).encode()
        except (TypeError, ValueError, RecursionError) as err:  # a handler returned something not JSON
            self._log_failure(err)
            status, body = (
                HTTPStatus.INTERNAL_SERVER_ERROR,
                json.dumps(
                    {"error": "internal error: the response could not be encoded as JSON", "field": None}
                ).encode(),
            )
        self._send(status, body, "application/json", extra)

    def _error(self, status: int, message: str, field: str | None = None, extra: dict[str, str] | None = None) -> None:
        self._json(status, {"error": message, "field": field}, extra)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # "GET /" with no version: no headers, no status line
            self.send_error(HTTPStatus.BAD_REQUEST, "expected a request line 'METHOD /path HTTP/1.1'")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed HTTP (http.server's own refusals) answered in JSON, like every other error."""
        if self.request_version == "HTTP/0.9":  # a garbled request line: answer as HTTP/1.0 would
            self.request_version = "HTTP/1.0"
        try:
            short = self.responses[code][0]
        except KeyError:
            short = "error"
        self.log_error("code %d, message %s", code, excerpt(message or short))
        self._error(code, f"{short}: {message}" if message else short)

    def _log_failure(self, err: BaseException) -> None:
        print(f"chainrule explorer: internal error on {excerpt(self.path)}:", file=sys.stderr)
        traceback.print_exception(err, file=sys.stderr)

    # -- refusals -------------------------------------------------------------------------
    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return not self.server.loopback_only or host in _LOOPBACK or host == self.server.server_address[0]

    def _cross_origin(self, api: bool) -> str | None:
        """Why the request comes from another site, or None when it is the page's own (or not a browser's)."""
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{self.headers.get('Host', '')}":
            return f"a request from another origin ({excerpt(origin)})"
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in _OWN_SITES:
            navigation = self.headers.get("Sec-Fetch-Mode") == "navigate" and self.command == "GET"
            if api or not navigation:
                return f"a request from another site (Sec-Fetch-Site: {excerpt(site)})"
        return None

    def _refused(self, api: bool) -> bool:
        """Answer 403 and return True when the request must not be served."""
        if not self._host_ok():
            self._error(HTTPStatus.FORBIDDEN, "this server answers only on its loopback address")
            return True
        reason = self._cross_origin(api)
        if reason is not None:
            self._error(HTTPStatus.FORBIDDEN, f"cross-origin requests are refused: {reason}")
            return True
        return False

    # -- methods --------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self._refused(api=path.startswith("/api/")):
            return
        if path == "/api/initial":
            return self._json(HTTPStatus.OK, initial(self.server.initial, self.server.lang))
        if path in QUERIES:
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            try:
                request = query_request(query)
                return self._json(HTTPStatus.OK, QUERIES[path](request))
            except ValidationError as err:
                return self._error(HTTPStatus.BAD_REQUEST, str(err), err.field)
        if path in _STATIC:
            name, content_type = _STATIC[path]
            return self._send(HTTPStatus.OK, _static(name), content_type)
        if path in ENDPOINTS:
            return self._error(
                HTTPStatus.METHOD_NOT_ALLOWED, f"{path} answers POST requests only", extra={"Allow": "POST"}
            )
        self._error(HTTPStatus.NOT_FOUND, f"no such page: {excerpt(path)}")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        if self._refused(api=True):
            return
        handler = ENDPOINTS.get(self.path)
        if handler is None:
            return self._error(HTTPStatus.NOT_FOUND, f"no such endpoint: {excerpt(self.path)}")
        body = self._read_body()
        if body is None:
            return
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            return self._error(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"request: expected Content-Type application/json, received: {excerpt(kind or None)}",
            )
        request: Any = None
        try:
            request = decode_request(body)
            response = handler(request)
        except ValidationError as err:
            return self._error(HTTPStatus.BAD_REQUEST, error_text(err, request_language(request)), err.field)
        except RecursionError:
            return self._error(
                HTTPStatus.BAD_REQUEST,
                f"request: expected JSON nested at most {MAX_DEPTH} levels "
                "deep, received: a structure too deep to process",
            )
        except MemoryError:
            return self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "request: expected a network that fits in memory, received: one too large",
            )
        except OverflowError as err:
            return self._error(HTTPStatus.BAD_REQUEST, f"request: expected numbers within range, received: ({err})")
        except (ValueError, TypeError) as err:  # a check deeper in the engine
            return self._error(HTTPStatus.BAD_REQUEST, _bounded(str(err)))
        except Exception as err:
            self._log_failure(err)
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(err).__name__}")
        self._json(HTTPStatus.OK, response)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 400/413 for a bad or oversized length."""
        text = self.headers.get("Content-Length")
        try:
            length = int(text) if text is not None and text.strip().isdigit() else (0 if text is None else -1)
        except ValueError:
            length = -1
        if length < 0:
            self._error(
                HTTPStatus.BAD_REQUEST, f"Content-Length: expected a number of bytes, received: {excerpt(text)}"
            )
            return None
        if length > MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body: expected at most {MAX_BODY} bytes of JSON")
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self._error(HTTPStatus.BAD_REQUEST, f"request body: expected {length} bytes, received: {len(body)}")
            return None
        return body

    def _not_allowed(self) -> None:
        self._error(
            HTTPStatus.METHOD_NOT_ALLOWED,
            f"method {excerpt(self.command)} is not allowed; this server answers GET and POST",
            extra={"Allow": "GET, POST"},
        )

    def do_OPTIONS(self) -> None:
        self._error(HTTPStatus.FORBIDDEN, "cross-origin requests are refused (no CORS preflight is granted)")

    do_PUT = do_DELETE = do_PATCH = do_CONNECT = do_TRACE = _not_allowed


class _Refusal(_Handler):
    """Answers 503 to a connection that found the queue full, after reading its request."""

    timeout = REFUSAL_TIMEOUT

    def _overloaded(self) -> None:
        if self.command == "POST" and self._read_body() is None:
            return
        self._error(
            HTTPStatus.SERVICE_UNAVAILABLE, "the explorer is busy; try again in a moment", extra={"Retry-After": "1"}
        )

    do_GET = do_HEAD = do_POST = _overloaded


class ExplorerServer(HTTPServer):
    """The explorer's HTTP server; ``initial`` is the state the page opens with.

    ``workers`` threads answer requests; up to ``max_pending`` accepted
    connections wait for them, and any beyond are answered 503 (see the module
    docstring). :meth:`server_close` stops the threads.
    """

    request_queue_size = LISTEN_BACKLOG
    allow_reuse_address = True

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        initial: ExplorerState | None = None,
        verbose: bool = False,
        *,
        workers: int = WORKERS,
        max_pending: int = MAX_PENDING,
        lang: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.initial = initial or ExplorerState.tutorial()
        self.lang = _checked_language(lang)
        self.verbose = verbose
        self.loopback_only = host in _LOOPBACK
        super().__init__((host, port), _Handler)
        # Connections (request socket, client address) for the workers; None tells a worker to stop.
        self._pending: queue.Queue[_Connection | None] = queue.Queue(max_pending)
        self._refusals: queue.Queue[_Connection | None] = queue.Queue(_REFUSAL_QUEUE)
        self._threads = [
            threading.Thread(
                target=self._work, args=(self._pending, _Handler), daemon=True, name=f"chainrule-explorer-{k}"
            )
            for k in range(workers)
        ]
        self._threads += [
            threading.Thread(
                target=self._work, args=(self._refusals, _Refusal), daemon=True, name=f"chainrule-explorer-busy-{k}"
            )
            for k in range(2)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host  # typeshed allows bytes; AF_INET gives str
        return f"http://{name}:{port}/"

    def process_request(self, request: Any, client_address: Any) -> None:
        """Queue the connection for a worker; when the queue is full, for a 503 (never block accepting)."""
        try:
            self._pending.put_nowait((request, client_address))
            return
        except queue.Full:
            pass
        try:
            self._refusals.put_nowait((request, client_address))
        except queue.Full:  # far past any page's traffic: nothing left but to close it
            self.close_request(request)

    def _work(self, source: queue.Queue[_Connection | None], handler: type[BaseHTTPRequestHandler]) -> None:
        while True:
            item = source.get()
            if item is None:
                return
            request, client_address = item
            try:
                handler(request, client_address, self)
            except (ConnectionError, TimeoutError):
                pass  # the client went away or stalled: nothing to answer
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        """Close after a lingering read: unread bytes at close() would make the kernel reset the
        connection, and the client could lose the answer it was sent."""
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(LINGER_TIMEOUT)
            drained = 0
            while drained <= 2 * MAX_BODY:
                chunk = request.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        for source, count in ((self._pending, len(self._threads) - 2), (self._refusals, 2)):
            for _ in range(count):
                source.put(None)

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread (tests, notebooks); stop with :meth:`shutdown`."""
        thread = threading.Thread(target=self.serve_forever, daemon=True, name="chainrule-explorer")
        thread.start()
        return thread


def _checked_language(lang: Any) -> str:
    from .api import page_languages

    if not isinstance(lang, str) or lang not in page_languages():
        raise ValidationError("lang", f"one of {page_languages()}", lang)
    return lang


def query_request(query: str) -> dict[str, str]:
    """A GET request's query (``lang=zh``) as the request object of a :data:`~chainrule.visual.api.QUERIES`
    handler: each parameter once, its value text."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=16)
    except ValueError:  # more fields than that
        raise ValidationError("query", "at most 16 parameters", Described(excerpt(query))) from None
    request: dict[str, str] = {}
    for key, value in pairs:
        if key in request:
            raise ValidationError(key, "one value", Described(f"{key} given twice"))
        request[key] = value
    return request


def make_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    initial: ExplorerState | None = None,
    verbose: bool = False,
    lang: str = DEFAULT_LANGUAGE,
) -> ExplorerServer:
    """An :class:`ExplorerServer`; port 0 picks a free port (see ``server.url``).

    ``lang`` is the page's first language (the page remembers a reader's own choice).
    """
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValidationError("port", "an integer from 0 to 65535", port)
    if not isinstance(host, str) or not host:
        raise ValidationError("host", "an address to listen on, such as 127.0.0.1", host)
    return ExplorerServer(host, port, initial, verbose, lang=_checked_language(lang))

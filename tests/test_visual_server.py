"""The explorer's HTTP server and ``chainrule serve``: pages, JSON API, refusals."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.visual.server import MAX_BODY
from chainrule.visual.state import ExplorerState
from test_worked_example import SPEC

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def request(server, method, path, body=None, headers=None, raw=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    kind = response.getheader("Content-Type", "")
    return response.status, (json.loads(payload) if kind.startswith("application/json") else payload.decode()), kind


def test_binds_to_loopback_by_default(server):
    assert server.server_address[0] == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    "path, kind, needle",
    [
        ("/", "text/html", "/static/explorer.js"),
        ("/static/explorer.js", "text/javascript", "/api/step"),
        ("/static/explorer.css", "text/css", "#diagram"),
    ],
)
def test_static_files(server, path, kind, needle):
    status, body, content_type = request(server, "GET", path)
    assert status == 200 and content_type.startswith(kind) and needle in body
    assert not re.search(r"(src|href)=\"(https?:)?//", body)  # nothing from another host


def test_initial_state_and_step_over_http(server):
    status, initial, _ = request(server, "GET", "/api/initial")
    assert status == 200 and initial["state"] == ExplorerState.tutorial().to_json()
    assert "softmax" in initial["activations"] and "squared_error" in initial["losses"]
    status, step, _ = request(server, "POST", "/api/step", {"state": initial["state"]})
    assert status == 200
    assert step["values"]["w5+"] == pytest.approx(SPEC["w5+"], abs=6e-13)


@pytest.mark.parametrize(
    "raw, field, match",
    [
        (b'{"state": ', "request", r"invalid JSON \(Expecting value"),
        (b'{"state": {"learning_rate": NaN}}', "request", "no NaN or Infinity"),
        (
            json.dumps({"state": {**ExplorerState.tutorial().to_json(), "learning_rate": "fast"}}).encode(),
            "learning_rate",
            "learning_rate: expected a number > 0",
        ),
    ],
)
def test_bad_requests_get_a_json_error_naming_the_field(server, raw, field, match):
    status, body, kind = request(server, "POST", "/api/step", raw=raw)
    assert status == 400 and kind == "application/json"
    assert body["field"] == field and re.search(match, body["error"])


def test_refusals(server):
    assert request(server, "GET", "/nowhere")[0] == 404
    assert request(server, "POST", "/api/nowhere", {})[0] == 404
    status, body, _ = request(server, "GET", "/", headers={"Host": "attacker.example:80"})
    assert status == 403 and "loopback" in body["error"]
    # An oversized body is refused from its Content-Length, before any of it is read.
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    try:
        conn.putrequest("POST", "/api/step")
        conn.putheader("Content-Length", str(MAX_BODY + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413 and "at most" in json.loads(response.read())["error"]
    finally:
        conn.close()


def test_serve_command_starts_and_prints_its_url(tmp_path):
    command = [sys.executable, "-m", "chainrule", "serve", "--port", "0", str(EXAMPLES / "tutorial.json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=30)
        conn.request("GET", "/api/initial")
        assert json.loads(conn.getresponse().read())["state"] == ExplorerState.tutorial().to_json()
        conn.close()
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.parametrize(
    "args, match",
    [
        (["serve", "missing.json"], "config file: expected a readable file"),
        (["serve", "--port", "70000"], "port: expected an integer from 0 to 65535"),
    ],
)
def test_serve_bad_arguments(args, match, capsys):
    assert main(args) == 2
    assert re.search(match, capsys.readouterr().err)


def test_explain_html_format(capsys):
    assert main(["explain", "--format", "html", "--precision", "6"]) == 0
    html = capsys.readouterr().out
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 3
    assert "transposition typo" in html  # the tutorial's annotations reach the report
    assert main(["explain", "--format", "html", "--summary"]) == 2


# -- hostile requests (issue 11): cross-origin refusals, load, malformed HTTP and JSON -----------
import socket
import threading
import time

from chainrule.visual.server import MAX_DEPTH, MAX_INT_DIGITS, ExplorerServer

TUTORIAL_STEP = json.dumps({"state": ExplorerState.tutorial().to_json()}).encode()


def exchange(server, data: bytes, timeout=30):
    """Send raw bytes, read until the server closes; ``(status, headers, JSON body)``."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, json.loads(body)


def post(path, body, headers=()):
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize(
    "headers, status",
    [
        # The campaign's attack: another site's page POSTs text/plain (no preflight needed) to /api/train.
        (["Content-Type: text/plain", "Origin: http://attacker.example"], 403),
        (["Content-Type: text/plain"], 415),
        (["Content-Type: application/x-www-form-urlencoded"], 415),
        (["Content-Type: application/json", "Origin: http://attacker.example"], 403),
        (["Content-Type: application/json", "Origin: null"], 403),
        (["Content-Type: application/json", "Sec-Fetch-Site: cross-site"], 403),
        (["Content-Type: application/json", "Sec-Fetch-Site: same-site"], 403),  # another port of localhost
        (["Content-Type: application/json", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate"], 403),
        # The page's own request, as a browser sends it.
        (
            [
                "Content-Type: application/json; charset=utf-8",
                "Origin: http://127.0.0.1",
                "Sec-Fetch-Site: same-origin",
            ],
            200,
        ),
    ],
)
def test_cross_origin_requests_are_refused(server, headers, status):
    body = json.dumps({"state": ExplorerState.tutorial().to_json(), "updates": 1}).encode()
    got, response_headers, answer = exchange(server, post("/api/train", body, headers))
    assert got == status and response_headers["content-type"] == "application/json"
    if status != 200:
        assert "error" in answer and "E_after" not in answer


def test_cross_site_navigation_opens_the_page_but_not_the_api(server):
    nav = ["Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate"]
    assert request(server, "GET", "/", headers=dict(h.split(": ") for h in nav))[0] == 200
    assert request(server, "GET", "/api/initial", headers=dict(h.split(": ") for h in nav))[0] == 403
    assert request(server, "GET", "/api/initial", headers={"Sec-Fetch-Site": "same-origin"})[0] == 200
    status, body, _ = request(server, "OPTIONS", "/api/train")  # a CORS preflight is never granted
    assert status == 403 and "cross-origin" in body["error"]


def malformed_requests():
    deep = b"[" * 100_000 + b"]" * 100_000
    tutorial = ExplorerState.tutorial().to_json()
    return [
        ("garbage request line", b"\x00\x01garbage\r\n\r\n", 400),
        ("unknown method", b"BREW /api/step HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
        ("PUT", b"PUT /api/step HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 405),
        ("bad version", b"GET / HTTP/9.x\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ("header too long", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        ("too many headers", b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 150 + b"\r\n", 431),
        (
            "bad content length",
            post("/api/step", b"{}", ["Content-Type: application/json"]).replace(
                b"Content-Length: 2", b"Content-Length: two"
            ),
            400,
        ),
        (
            "negative content length",
            post("/api/step", b"", ["Content-Type: application/json"]).replace(
                b"Content-Length: 0", b"Content-Length: -5"
            ),
            400,
        ),
        (
            "short body",
            post("/api/step", b"{}", ["Content-Type: application/json"]).replace(
                b"Content-Length: 2", b"Content-Length: 90"
            ),
            400,
        ),
        ("GET on a POST endpoint", b"GET /api/step HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
        ("not UTF-8", post("/api/step", b'{"state": "\xff\xfe"}', ["Content-Type: application/json"]), 400),
        ("deep JSON", post("/api/step", deep, ["Content-Type: application/json"]), 400),
        (
            "deep but parseable JSON",
            post(
                "/api/step",
                b'{"state": ' + b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5) + b"}",
                ["Content-Type: application/json"],
            ),
            400,
        ),
        (
            "5000-digit integer",
            post(
                "/api/train",
                json.dumps({"state": tutorial}).encode()[:-1] + b', "updates": ' + b"9" * 5000 + b"}",
                ["Content-Type: application/json"],
            ),
            400,
        ),
        (
            "400-digit weight",
            post(
                "/api/step",
                json.dumps({"state": {**tutorial, "params": {**tutorial["params"], "w5": 0}}})
                .encode()
                .replace(b'"w5": 0', b'"w5": ' + b"7" * 400),
                ["Content-Type: application/json"],
            ),
            400,
        ),
        (
            "1e400",
            post(
                "/api/step",
                json.dumps({"state": {**tutorial, "learning_rate": 0.5}})
                .encode()
                .replace(b'"learning_rate": 0.5', b'"learning_rate": 1e400'),
                ["Content-Type: application/json"],
            ),
            400,
        ),
        (
            "huge network",
            post(
                "/api/build",
                json.dumps({"state": {**tutorial, "sizes": [1_000_000, 1_000_000]}}).encode(),
                ["Content-Type: application/json"],
            ),
            400,
        ),
        (
            "huge network file",
            post(
                "/api/load",
                json.dumps({"text": json.dumps({"sizes": [1_000_000, 1_000_000]})}).encode(),
                ["Content-Type: application/json"],
            ),
            400,
        ),
        ("state of the wrong type", post("/api/step", b'{"state": [1, 2]}', ["Content-Type: application/json"]), 400),
        ("request of the wrong type", post("/api/train", b'"hello"', ["Content-Type: application/json"]), 400),
    ]


@pytest.mark.parametrize("name, data, status", malformed_requests(), ids=[m[0] for m in malformed_requests()])
def test_malformed_requests_get_a_json_error(server, name, data, status):
    got, headers, body = exchange(server, data)
    assert (got, headers["content-type"]) == (status, "application/json")
    assert isinstance(body["error"], str) and 0 < len(body["error"]) < 2000


def test_numbers_are_bounded_before_they_are_converted(server):
    _, _, body = exchange(server, malformed_requests()[13][1])
    assert f"at most {MAX_INT_DIGITS} digits" in body["error"] and "5000 digits" in body["error"]


def test_200_concurrent_requests_are_answered_or_refused_never_reset():
    srv = ExplorerServer(port=0)
    srv.start_background()
    statuses, failures = [], []
    barrier = threading.Barrier(200)

    def client():
        barrier.wait()
        try:
            statuses.append(
                exchange(srv, post("/api/step", TUTORIAL_STEP, ["Content-Type: application/json"]), timeout=60)[0]
            )
        except Exception as err:
            failures.append(repr(err))

    threads = [threading.Thread(target=client) for _ in range(200)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        srv.shutdown()
        srv.server_close()
    assert failures == [] and len(statuses) == 200
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 1


def test_a_full_queue_answers_503_with_retry_after():
    srv = ExplorerServer(port=0, workers=1, max_pending=1)
    srv.start_background()
    held = []
    try:
        # The one worker waits on a silent connection; one more fills the queue.
        for _ in range(2):
            held.append(socket.create_connection(srv.server_address[:2], timeout=30))
            time.sleep(0.3)  # let the worker take the first before the second arrives
        answers = [
            exchange(srv, post("/api/step", TUTORIAL_STEP, ["Content-Type: application/json"])) for _ in range(3)
        ]
    finally:
        for sock in held:
            sock.close()
        srv.shutdown()
        srv.server_close()
    assert all(status == 503 for status, _, _ in answers)
    assert all(headers.get("retry-after") == "1" and "busy" in body["error"] for _, headers, body in answers)


# -- languages -------------------------------------------------------------------------------------------
def test_the_pages_messages_over_http_and_answers_in_the_requests_language(server):
    status, answer, kind = request(server, "GET", "/api/messages?lang=zh")
    assert status == 200 and kind == "application/json" and answer["lang"] == "zh"
    assert answer["messages"]["Layer sizes"] == "各层大小" and answer["messages"]["step {n}"] == "第 {n} 步"
    assert request(server, "GET", "/api/messages?lang=en")[1]["messages"] == {}
    for query, field in [("lang=fr", "lang"), ("lang=zh&lang=en", "lang"), ("", None)]:
        status, answer, _ = request(server, "GET", f"/api/messages?{query}")
        assert (status, answer.get("field")) == ((400, field) if field else (200, None)), query
    status, answer, _ = request(server, "GET", "/api/messages?" + "&".join(f"k{n}=1" for n in range(40)))
    assert status == 400 and answer["field"] == "query"
    # The same rules as every API request: another site's page cannot read it.
    assert request(server, "GET", "/api/messages?lang=zh", headers={"Origin": "http://attacker.example"})[0] == 403
    assert request(server, "POST", "/api/messages", {"lang": "zh"})[0] == 404
    assert request(server, "GET", "/api/initial")[1]["lang"] == "en"
    # A refusal in the request's language (the explorer's own), or as the engine wrote it (never half).
    state = ExplorerState.tutorial().to_json()
    status, answer, _ = request(server, "POST", "/api/train", {"state": state, "updates": 0, "lang": "zh"})
    assert status == 400 and answer == {"error": "updates：应为 1 到 100000 之间的整数，收到：0", "field": "updates"}
    status, answer, _ = request(server, "POST", "/api/train", {"state": state, "updates": 0})
    assert answer["error"] == "updates: expected an integer from 1 to 100000, received: 0"
    status, answer, _ = request(server, "POST", "/api/step", {"state": {**state, "learning_rate": "x"}, "lang": "zh"})
    assert status == 400 and answer["error"].startswith("learning_rate: expected")  # the engine's: English
    assert request(server, "POST", "/api/step", {"state": state, "lang": "klingon"})[1]["field"] == "lang"


def test_serve_lang_chooses_the_first_language():
    from chainrule.visual.server import make_server

    with pytest.raises(ValueError, match=r"lang: expected one of \['en', 'zh'\]"):
        make_server(port=0, lang="fr")
    with pytest.raises(SystemExit):
        main(["serve", "--lang", "fr"])
    chinese = make_server(port=0, lang="zh")
    chinese.start_background()
    try:
        assert request(chinese, "GET", "/api/initial")[1]["lang"] == "zh"
    finally:
        chinese.shutdown()
        chinese.server_close()

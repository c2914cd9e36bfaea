"""The explorer's HTTP server and ``chainrule serve``: pages, JSON API, refusals."""

from __future__ import annotations

from pathlib import Path
import http.client
import json
import re
import subprocess
import sys

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


@pytest.mark.parametrize("path, kind, needle", [
    ("/", "text/html", "/static/explorer.js"),
    ("/static/explorer.js", "text/javascript", "/api/step"),
    ("/static/explorer.css", "text/css", "#diagram"),
])
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


@pytest.mark.parametrize("raw, field, match", [
    (b'{"state": ', None, "Expecting value"),
    (b'{"state": {"learning_rate": NaN}}', "request", "no NaN or Infinity"),
    (json.dumps({"state": {**ExplorerState.tutorial().to_json(), "learning_rate": "fast"}}).encode(),
     "learning_rate", "learning_rate: expected a number > 0"),
])
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


@pytest.mark.parametrize("args, match", [
    (["serve", "missing.json"], "config file: expected a readable file"),
    (["serve", "--port", "70000"], "port: expected an integer from 0 to 65535"),
])
def test_serve_bad_arguments(args, match, capsys):
    assert main(args) == 2
    assert re.search(match, capsys.readouterr().err)


def test_explain_html_format(capsys):
    assert main(["explain", "--format", "html", "--precision", "6"]) == 0
    html = capsys.readouterr().out
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 3
    assert "transposition typo" in html  # the tutorial's annotations reach the report
    assert main(["explain", "--format", "html", "--summary"]) == 2

"""The explorer as a notebook widget: the same page, the same JSON API, in the kernel's own process.

Built on anywidget: one ES module for the front end and traitlets for the
state, with no JavaScript build step and no notebook extension to install,
and it runs wherever Jupyter widgets do (JupyterLab, Notebook 7, VS Code,
Colab). ipywidgets alone would need a compiled front-end package for a
custom view.

The widget shows the explorer page (:mod:`chainrule.visual.static`) in an
``iframe``, so the page's styles and ids never meet the notebook's. A few
lines run in the page before its own script and answer its ``fetch`` of
``/api/...`` by a message to the kernel instead of HTTP; the kernel calls
the same functions as ``chainrule serve`` (:data:`chainrule.visual.api.ENDPOINTS`)
and sends the JSON back. No server, no port: every number still comes from
the engine, through :func:`chainrule.explain.build_trace`.

The page's files are read as they are: each ``<link href="/static/X">`` and
``<script src="/static/X">`` of ``explorer.html`` is inlined, so the page may
change freely as long as it loads its files that way and talks to ``/api/``.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import anywidget
import traitlets

from ..core.errors import ValidationError
from ..i18n import DEFAULT_LANGUAGE
from ..visual.api import ENDPOINTS, QUERIES, error_text, initial, page_languages, request_language
from ..visual.server import query_request
from ..visual.state import ExplorerState

__all__ = ["ExplorerWidget", "page_html"]

# Runs in the page before its own script: /api/ requests go to the widget, everything else is refused.
_SHIM = """<script>(function () {
  var pending = {}, next = 1;
  window.addEventListener("message", function (event) {
    var m = event.data;
    if (!m || m.chainrule !== "reply" || !pending[m.id]) return;
    var resolve = pending[m.id]; delete pending[m.id];
    resolve(new Response(m.body, {status: m.status, headers: {"Content-Type": "application/json"}}));
  });
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : input.url;
    var parsed = new URL(url, "http://explorer.invalid/"), path = parsed.pathname;
    if (path.indexOf("/api/") !== 0) return Promise.reject(new Error("the notebook explorer serves only /api/"));
    var id = next++;
    return new Promise(function (resolve) {
      pending[id] = resolve;
      parent.postMessage({chainrule: "request", id: id, method: (init && init.method) || "GET", path: path,
                          query: parsed.search.slice(1),
                          body: (init && typeof init.body === "string") ? init.body : null}, "*");
    });
  };
})();</script>"""

_ESM = """
function render({ model, el }) {
  const frame = document.createElement("iframe");
  frame.title = "chainrule explorer";
  frame.style.width = "100%";
  frame.style.border = "1px solid #cdd6df";
  frame.style.borderRadius = "6px";
  const size = () => { frame.style.height = model.get("height") + "px"; };
  size();
  frame.srcdoc = model.get("_page");
  const asked = new Map();
  let next = 1;
  function onRequest(event) {
    if (event.source !== frame.contentWindow) return;
    const m = event.data;
    if (!m || m.chainrule !== "request") return;
    const id = next++;
    asked.set(id, m.id);
    model.send({ id, method: m.method, path: m.path, query: m.query || "", body: m.body });
  }
  function onReply(msg) {
    if (!msg || msg.chainrule !== "reply" || !asked.has(msg.id)) return;
    const inner = asked.get(msg.id);
    asked.delete(msg.id);
    frame.contentWindow.postMessage({ chainrule: "reply", id: inner, status: msg.status, body: msg.body }, "*");
  }
  window.addEventListener("message", onRequest);
  model.on("msg:custom", onReply);
  model.on("change:height", size);
  el.appendChild(frame);
  return () => {
    window.removeEventListener("message", onRequest);
    model.off("msg:custom", onReply);
    model.off("change:height", size);
  };
}
export default { render };
"""


def _static(name: str) -> str:
    return (resources.files("chainrule.visual") / "static" / name).read_text(encoding="utf-8")


def page_html() -> str:
    """The explorer page as one document: its CSS and JavaScript inlined, the request shim first."""
    html = _static("explorer.html")
    html = re.sub(
        r'<link[^>]*href="/static/([^"]+\.css)"[^>]*>', lambda m: f"<style>{_static(m.group(1))}</style>", html
    )
    html = re.sub(
        r'<script([^>]*?)\s+src="/static/([^"]+\.js)"([^>]*)>\s*</script>',
        lambda m: (
            f"<script{m.group(1)}{m.group(3)}>" + _static(m.group(2)).replace("</script", "<\\/script") + "</script>"
        ),
        html,
    )
    return re.sub(r"<head>", lambda m: "<head>\n" + _SHIM, html, count=1)


def _reject_constant(name: str) -> Any:
    raise ValidationError("request", "JSON numbers (no NaN or Infinity)", name)


class ExplorerWidget(anywidget.AnyWidget):
    """The explorer in a notebook cell.

    Parameters
    ----------
    state : ExplorerState, optional
        What the page opens with; default the tutorial's network, or
        ``network`` with ``x``, ``y``, ``learning_rate`` (and ``hidden_deltas``).
    height : int
        The cell's height in pixels.
    lang : str
        The page's first language (``"en"``, ``"zh"``: :func:`chainrule.i18n.complete_languages`);
        the page's own switch changes it, and remembers a reader's choice where the notebook's
        browser lets it store one.

    Attributes
    ----------
    state : ExplorerState
        The state of the last step the page showed (read it back with
        ``widget.state.network()``).
    """

    _esm = _ESM
    _page = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(960).tag(sync=True)

    def __init__(
        self,
        network: Any = None,
        x: Any = None,
        y: Any = None,
        learning_rate: float = 0.5,
        *,
        hidden_deltas: str = "original",
        state: ExplorerState | None = None,
        height: int = 960,
        lang: str = DEFAULT_LANGUAGE,
    ) -> None:
        if not isinstance(lang, str) or lang not in page_languages():
            raise ValidationError("lang", f"one of {page_languages()}", lang)
        if state is None:
            state = (
                ExplorerState.tutorial()
                if network is None
                else ExplorerState.from_network(network, x, y, learning_rate, hidden_deltas=hidden_deltas)
            )
        super().__init__(_page=page_html(), height=height)
        self.initial = state
        self.state = state
        self.lang = lang
        self.on_msg(self._on_message)

    def request(self, method: str, path: str, body: str | None = None, query: str = "") -> tuple[int, dict[str, Any]]:
        """``(status, JSON)`` for one request of the page, as ``chainrule serve`` would answer it."""
        if method == "GET" and path == "/api/initial":
            return 200, initial(self.initial, self.lang)
        if method == "GET" and path in QUERIES:
            try:
                return 200, QUERIES[path](query_request(query))
            except ValidationError as err:
                return 400, {"error": str(err), "field": err.field}
        handler = ENDPOINTS.get(path)
        if method != "POST" or handler is None:
            return 404, {"error": f"no such endpoint: {method} {path}"}
        request: Any = None
        try:
            request = json.loads(body or "{}", parse_constant=_reject_constant)
            response = handler(request)
        except ValidationError as err:
            return 400, {"error": error_text(err, request_language(request)), "field": err.field}
        except (ValueError, TypeError) as err:
            return 400, {"error": str(err), "field": None}
        if path == "/api/step":
            self.state = ExplorerState.from_json(response["state"])
        return 200, response

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or "id" not in content:
            return
        status, data = self.request(
            str(content.get("method")), str(content.get("path")), content.get("body"), str(content.get("query") or "")
        )
        self.send(
            {"chainrule": "reply", "id": content["id"], "status": status, "body": json.dumps(data, allow_nan=False)}
        )

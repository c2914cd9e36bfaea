"""The message catalogues, as a development step (Babel; the library itself reads them with gettext).

    python tools/i18n.py extract     # the code's messages -> locale/<domain>.pot, merged into every .po (and compiled)
    python tools/i18n.py init fr     # a new language: locale/fr/LC_MESSAGES/<domain>.po from each template
    python tools/i18n.py compile     # every .po -> its .mo (commit both)
    python tools/i18n.py check       # exit 1 if a message lacks a translation or a .mo is stale

Two domains (see :mod:`chainrule.i18n`), each found by its own extractors:

* ``chainrule``: the Python code in ``src/chainrule``, messages being the
  first argument of ``Prose(...)``, of a translator call ``tr(...)`` /
  ``tr.gettext(...)`` and of the marker ``N_(...)`` (``pgettext(context,
  message)`` with a context); a comment ``# NOTE: ...`` just above a message
  reaches the translators. Messages that only the core's activations and
  losses write (their ``description()`` and ``computation_note()``, shown in
  the trace) are added from :func:`core_messages`, so that they are translated too.
* ``explorer``: the explorer page. Its script (``visual/static/explorer.js``)
  through Babel's JavaScript extractor, messages being the first argument of
  ``tr("...", {params})`` (``// NOTE: ...`` comments reach the translators); its
  HTML (``visual/static/explorer.html``) through :func:`extract_html`: every
  text node and every ``title``, ``aria-label``, ``placeholder`` and ``alt``
  attribute that holds a letter, with its white space collapsed, which is
  exactly what the page looks up (``translateStatic`` in the script).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract as babel_extract
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "chainrule"
STATIC = SOURCE / "visual" / "static"
LOCALE = SOURCE / "i18n" / "locale"
DOMAINS = ("chainrule", "explorer")
#: The translation functions of the Python code: the first argument is the message.
KEYWORDS = {"Prose": (1,), "tr": (1,), "gettext": (1,), "N_": (1,), "pgettext": ((1, "c"), 2)}
#: The page's translation function, ``tr(message, params)``.
JS_KEYWORDS = {"tr": (1,)}
#: The HTML attributes the page translates.
HTML_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
_LETTER = re.compile(r"[^\W\d_]")


def template_path(domain: str) -> Path:
    return LOCALE / f"{domain}.pot"


def core_messages() -> Iterator[tuple[str, str]]:
    """``(message, where)`` for each sentence a built-in loss or activation writes into a trace."""
    sys.path.insert(0, str(ROOT / "src"))
    from chainrule.core.losses import LOSSES
    from chainrule.explain.facts import described

    for name, cls in sorted(LOSSES.items()):
        configs = [{"output_reduction": r} for r in ("half_sum", "mean")] if name == "squared_error" else [{}]
        for config in configs:
            loss = cls(**config)
            for m in (1, 2, 3):
                said = described(loss, m)
                if said is not None:
                    yield said.message, "src/chainrule/core/losses.py"
            if loss.computation_note():
                yield loss.computation_note(), "src/chainrule/core/losses.py"


class _HtmlTexts(HTMLParser):
    """The translatable texts of an HTML file, as ``(line, text)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def _put(self, text: str | None) -> None:
        text = " ".join((text or "").split())
        if text and _LETTER.search(text):
            self.found.append((self.getpos()[0], text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in HTML_ATTRIBUTES:
                self._put(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._put(data)


def extract_html(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """A Babel extraction method for the explorer's HTML (see the module docstring)."""
    parser = _HtmlTexts()
    parser.feed(fileobj.read().decode(options.get("encoding", "utf-8")))
    parser.close()
    for line, text in parser.found:
        yield line, None, text, []


def _found(domain: str) -> Iterator[tuple[str, int, Any, list[str], str | None]]:
    """``(file, line, message, comments, context)`` of every message of ``domain``."""
    if domain == "chainrule":
        # Babel says so on stderr for every f-string passed as a placeholder's value: those are no messages.
        with contextlib.redirect_stderr(io.StringIO()):
            found = list(
                extract_from_dir(
                    str(SOURCE),
                    method_map=[("**.py", "python")],
                    keywords=KEYWORDS,
                    comment_tags=("NOTE:",),
                    strip_comment_tags=True,
                )
            )
        for filename, lineno, message, comments, context in found:
            yield f"src/chainrule/{filename}", lineno, message, comments, context
        return
    for name, method in (("explorer.js", "javascript"), ("explorer.html", extract_html)):
        with (STATIC / name).open("rb") as f:
            for lineno, message, comments, context in babel_extract(
                method, f, keywords=JS_KEYWORDS, comment_tags=("NOTE:",), strip_comment_tags=True
            ):
                yield f"src/chainrule/visual/static/{name}", lineno, message, comments, context


def code_messages(domain: str = "chainrule") -> Catalog:
    """Every message of the code in ``domain``, as a template catalogue."""
    catalog = Catalog(project="chainrule", domain=domain, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in _found(domain):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            flags = ["python-brace-format"] if domain == "explorer" and "{" in message else []
            catalog.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context, flags=flags)
    if domain == "chainrule":
        for message, where in core_messages():
            if message not in catalog:
                catalog.add(
                    message,
                    locations=[(where, None)],
                    auto_comments=["a built-in loss's own sentence"],
                    flags=["python-brace-format"] if "{" in message else [],
                )
    return catalog


def catalogues(domain: str = "chainrule") -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{domain}.po"))


def _write_po(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, domain=path.stem)


def untranslated(template: Catalog, catalog: Catalog) -> list[str]:
    """The messages of ``template`` that ``catalog`` lacks, leaves empty or marks fuzzy."""
    missing = []
    for m in template:
        if not m.id:
            continue
        found = catalog.get(m.id, context=m.context)
        if found is None or not found.string or found.fuzzy:
            missing.append(m.id if isinstance(m.id, str) else m.id[0])
    return missing


def extract() -> None:
    for domain in DOMAINS:
        template = code_messages(domain)
        _write_po(template, template_path(domain))
        for po in catalogues(domain):
            catalog = _read_po(po)
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            _write_po(catalog, po)
            print(f"{po.relative_to(ROOT)}: {len(untranslated(template, catalog))} untranslated")
    compile_all()  # the header's date changed: keep every .mo matching its .po


def init(lang: str) -> None:
    """A new language: one catalogue per domain, copied from its template."""
    targets = [LOCALE / lang / "LC_MESSAGES" / f"{domain}.po" for domain in DOMAINS]
    for target in targets:
        if target.exists():
            raise SystemExit(f"{target} exists already")
    for domain, target in zip(DOMAINS, targets):
        catalog = _read_po(template_path(domain))
        catalog.locale = lang  # type: ignore[assignment]
        _write_po(catalog, target)
        print(f"wrote {target.relative_to(ROOT)}")
    print("translate their msgstr lines, then run `compile`")


def compiled(po: Path) -> bytes:
    """The .mo bytes of a .po file (fuzzy and untranslated entries left out, as msgfmt does)."""
    buffer = io.BytesIO()
    write_mo(buffer, _read_po(po), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for domain in DOMAINS:
        for po in catalogues(domain):
            po.with_suffix(".mo").write_bytes(compiled(po))
            print(f"compiled {po.with_suffix('.mo').relative_to(ROOT)}")


def check() -> int:
    bad = 0
    for domain in DOMAINS:
        template = code_messages(domain)
        languages = {p.parent.parent.name for d in DOMAINS for p in catalogues(d)}
        have = {p.parent.parent.name for p in catalogues(domain)}
        for lang in sorted(languages - have):
            print(f"{lang}: no {domain}.po (run init, or copy locale/{domain}.pot)")
            bad += 1
        for po in catalogues(domain):
            missing = untranslated(template, _read_po(po))
            for message in missing:
                print(f"{po.relative_to(ROOT)}: no translation of {message!r}")
            stale = not po.with_suffix(".mo").exists() or po.with_suffix(".mo").read_bytes() != compiled(po)
            if stale:
                print(f"{po.with_suffix('.mo').relative_to(ROOT)}: does not match its .po (run compile)")
            bad += len(missing) + stale
    return 1 if bad else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "init" and len(sys.argv) == 3:
        init(sys.argv[2])
    elif command == "compile":
        compile_all()
    elif command == "check":
        sys.exit(check())
    else:
        sys.exit(__doc__)

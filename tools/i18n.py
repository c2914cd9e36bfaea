"""The message catalogues, as a development step (Babel; the library itself reads them with gettext).

    python tools/i18n.py extract     # the code's messages -> locale/chainrule.pot, merged into every .po (and compiled)
    python tools/i18n.py init fr     # a new language: locale/fr/LC_MESSAGES/chainrule.po from the template
    python tools/i18n.py compile     # every .po -> its .mo (commit both)
    python tools/i18n.py check       # exit 1 if a message lacks a translation or a .mo is stale

Messages are found in ``src/chainrule`` as the first argument of ``Prose(...)``,
of a translator call ``tr(...)`` / ``tr.gettext(...)`` and of the marker
``N_(...)``; a comment ``# NOTE: ...`` just above a message reaches the
translators. Messages that only the core's activations and losses write (their
``description()`` and ``computation_note()``, shown in the trace) are added from
:func:`core_messages`, so that they are translated too.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Iterator

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "chainrule"
LOCALE = SOURCE / "i18n" / "locale"
DOMAIN = "chainrule"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
#: The translation functions: the first argument is the message.
KEYWORDS = {"Prose": (1,), "tr": (1,), "gettext": (1,), "N_": (1,)}


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


def code_messages() -> Catalog:
    """Every message of the code, as a template catalogue."""
    catalog = Catalog(project="chainrule", domain=DOMAIN, charset="utf-8", fuzzy=False)
    # Babel says so on stderr for every f-string passed as a placeholder's value: those are no messages.
    with contextlib.redirect_stderr(io.StringIO()):
        found = list(extract_from_dir(str(SOURCE), method_map=[("**.py", "python")], keywords=KEYWORDS,
                                      comment_tags=("NOTE:",), strip_comment_tags=True))
    for filename, lineno, message, comments, _context in found:
        if isinstance(message, tuple):
            message = message[0]
        if message:
            catalog.add(message, locations=[(f"src/chainrule/{filename}", lineno)], auto_comments=comments)
    for message, where in core_messages():
        if message not in catalog:
            catalog.add(message, locations=[(where, None)], auto_comments=["a built-in loss's own sentence"],
                        flags=["python-brace-format"] if "{" in message else [])
    return catalog


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _write_po(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, domain=DOMAIN)


def extract() -> None:
    template = code_messages()
    _write_po(template, TEMPLATE)
    for po in catalogues():
        catalog = _read_po(po)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        _write_po(catalog, po)
        print(f"{po.relative_to(ROOT)}: {sum(1 for m in catalog if m.id and not m.string)} untranslated")
    compile_all()  # the header's date changed: keep every .mo matching its .po


def init(lang: str) -> None:
    target = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if target.exists():
        raise SystemExit(f"{target} exists already")
    catalog = _read_po(TEMPLATE)
    catalog.locale = lang  # type: ignore[assignment]
    _write_po(catalog, target)
    print(f"wrote {target.relative_to(ROOT)}: translate its msgstr lines, then run `compile`")


def compiled(po: Path) -> bytes:
    """The .mo bytes of a .po file (fuzzy and untranslated entries left out, as msgfmt does)."""
    buffer = io.BytesIO()
    write_mo(buffer, _read_po(po), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for po in catalogues():
        po.with_suffix(".mo").write_bytes(compiled(po))
        print(f"compiled {po.with_suffix('.mo').relative_to(ROOT)}")


def check() -> int:
    template, bad = code_messages(), 0
    for po in catalogues():
        catalog = _read_po(po)
        missing = [m.id for m in template if m.id and (catalog.get(m.id) is None or not catalog.get(m.id).string)]
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

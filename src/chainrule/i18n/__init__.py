"""The languages chainrule speaks: GNU gettext catalogues read by Python's own :mod:`gettext`.

Every sentence chainrule shows a learner (the trace's stage titles,
descriptions and notes, the renderers' headings, the HTML report, the
exercise sheets, ``chainrule explain`` and ``example``) is written in English
in the code, marked for translation, and looked up at render time in the
catalogue of the language asked for. English is the source language: it needs
no catalogue. Quantity names (``net_h1``, ``dE_total/dw5``) are symbols and are
never translated; the prose around them is.

==============================================  ==========================================
file                                            what it is
==============================================  ==========================================
``locale/<domain>.pot``                         the template: every message of the code
``locale/<lang>/LC_MESSAGES/<domain>.po``       one language's translations (edit these)
``locale/<lang>/LC_MESSAGES/<domain>.mo``       the same, compiled (what Python reads)
==============================================  ==========================================

Adding a language is adding its catalogues: ``python tools/i18n.py init fr``
copies each template to ``locale/fr/LC_MESSAGES/<domain>.po``; translate their
``msgstr`` lines, run ``python tools/i18n.py compile``, and ``--lang fr``
works (:func:`languages` lists every language with a compiled catalogue, and
:func:`complete_languages` those with one in every domain, which the explorer offers).
``tools/i18n.py extract`` refreshes the template and the catalogues after the
code's messages change; the test suite checks that every message of the code
is translated in every catalogue and that each ``.mo`` matches its ``.po``.

Messages use named ``{placeholders}`` (Python's ``str.format``); a placeholder
stands for a symbol, a formula, a number or another translated phrase, and a
translation keeps the same placeholders in the order its grammar wants.

There are two domains, one per reader of a catalogue:

* ``chainrule``: every message the Python code writes (the trace, the
  renderers, the command line, and the explorer server's own sentences: its
  panels, diagrams, hints, notes and messages);
* ``explorer``: every text of the explorer page itself (its HTML and the
  strings its script writes), which the browser translates. The page gets it
  as JSON: :func:`messages` returns ``{msgid: translation}`` of one catalogue,
  which the server sends as is (``GET /api/messages?lang=zh``).

A language is one catalogue per domain (``init`` writes both), and
:func:`language_name` is each language's own name for itself, from its
catalogue (the page's language switch shows it).
"""

from __future__ import annotations

import functools
import gettext
import struct
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.validation import fail

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAINS",
    "LOCALE_DIR",
    "Translator",
    "N_",
    "check_language",
    "complete_languages",
    "language_name",
    "languages",
    "messages",
    "read_mo",
    "translator",
]

#: The language of the code's own messages (no catalogue needed).
DEFAULT_LANGUAGE = "en"
#: The catalogue domains: ``chainrule`` holds the Python code's messages, ``explorer`` the
#: explorer page's own texts (its HTML and script), which the browser translates.
DOMAINS = ("chainrule", "explorer")

#: Where the catalogues live (inside the installed package).
LOCALE_DIR = Path(str(resources.files(__name__).joinpath("locale")))


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translated where it is shown)."""
    return message


def _check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise fail("domain", f"one of {list(DOMAINS)}", domain)
    return domain


def languages(domain: str = "chainrule") -> tuple[str, ...]:
    """Every language ``domain`` is available in: English, then each compiled catalogue, sorted."""
    _check_domain(domain)
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{domain}.mo"))
    return (DEFAULT_LANGUAGE, *[lang for lang in found if lang != DEFAULT_LANGUAGE])


def complete_languages() -> tuple[str, ...]:
    """The languages with a catalogue in every domain (English first): what the explorer page can speak."""
    return tuple(lang for lang in languages(DOMAINS[0]) if all(lang in languages(d) for d in DOMAINS[1:]))


def check_language(lang: Any, domain: str = "chainrule") -> str:
    """``lang`` as a catalogue's name: ``"zh"`` for ``"zh"``, ``"zh-CN"``, ``"zh_Hans"``; refused if unknown."""
    available = languages(domain)
    if isinstance(lang, str):
        code = lang.strip().replace("-", "_")
        for candidate in (code, code.split("_")[0].lower()):
            if candidate in available:
                return candidate
    raise fail("lang", f"one of {list(available)}", lang)


class Translator:
    """One language's messages: ``tr("neuron {name}", name="o1")`` is ``"神经元 o1"`` in Chinese.

    A message without a translation (for example the description of a user's
    own loss) is shown as written, in English.
    """

    def __init__(self, lang: str, catalogue: gettext.NullTranslations) -> None:
        self.lang = lang
        self._catalogue = catalogue

    def gettext(self, message: str) -> str:
        """The translation of ``message`` (``message`` itself where there is none)."""
        return self._catalogue.gettext(message) if message else message

    def pgettext(self, context: str, message: str) -> str:
        """The translation of ``message`` in ``context`` (``message`` itself where there is none)."""
        return self._catalogue.pgettext(context, message)

    def __call__(self, message: str, **params: Any) -> str:
        """The translation of ``message`` with ``params`` filled in (``str.format``)."""
        text = self.gettext(message)
        return text.format(**params) if params else text

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"


@functools.cache
def _translator(lang: str, domain: str) -> Translator:
    if lang == DEFAULT_LANGUAGE:
        return Translator(lang, gettext.NullTranslations())
    return Translator(lang, gettext.translation(domain, str(LOCALE_DIR), languages=[lang]))


def translator(lang: str = DEFAULT_LANGUAGE, domain: str = "chainrule") -> Translator:
    """The :class:`Translator` of ``lang`` (checked with :func:`check_language`); cached."""
    domain = _check_domain(domain)
    return _translator(check_language(lang, domain), domain)


def language_name(lang: str) -> str:
    """``lang``'s own name for itself (``"中文"`` for ``"zh"``), as its catalogue translates "English"."""
    # NOTE: the name of this catalogue's language, written in it (中文, Français): the explorer's switch shows it.
    return translator(lang).pgettext("language name", "English")


def read_mo(path: str | Path) -> dict[str, str]:
    """Every ``msgid -> msgstr`` of a compiled catalogue (GNU ``.mo`` format), without its header.

    :mod:`gettext` looks messages up but does not list them; the explorer's
    page needs the list (:func:`messages`), and the tests compare it with the
    ``.po`` source. Plural entries are listed under their singular msgid.
    """
    data = Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if order is None:
        raise fail("catalogue", "a GNU .mo file", str(path))
    _, count, ids_at, strs_at = struct.unpack(order + "4I", data[4:20])
    found: dict[str, str] = {}
    for k in range(count):
        id_len, id_off = struct.unpack(order + "2I", data[ids_at + 8 * k : ids_at + 8 * k + 8])
        str_len, str_off = struct.unpack(order + "2I", data[strs_at + 8 * k : strs_at + 8 * k + 8])
        msgid = data[id_off : id_off + id_len].decode("utf-8").split("\x00")[0]
        msgstr = data[str_off : str_off + str_len].decode("utf-8").split("\x00")[0]
        if msgid:
            found[msgid.split("\x04")[-1]] = msgstr  # a context (msgctxt) precedes \x04
    return found


def messages(lang: str, domain: str = "chainrule") -> dict[str, str]:
    """``{English message: translation}`` of ``lang``'s catalogue, JSON-ready (empty for English).

    A page translates a string ``s`` as ``messages[s] || s``, filling its
    ``{placeholders}`` itself; a server can send this dict as the response
    of, say, ``GET /api/messages?lang=zh``.
    """
    domain = _check_domain(domain)
    lang = check_language(lang, domain)
    if lang == DEFAULT_LANGUAGE:
        return {}
    return read_mo(LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo")

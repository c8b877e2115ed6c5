"""The visitor's language: one message catalog per language, the language of the event being served, and numbers
written the way that language writes them.

A class in Madrid, Berlin, Lyon or Istanbul reads the app in its own language. Two kinds of text reach a page:

- **Fixed text** (tab names, labels, help, the lesson's explanations) is translated *in the browser*: :func:`T`
  gives Gradio's ``I18nData`` key, and :func:`gradio_translations` hands Gradio the catalogs for every key used. So
  switching language turns every label at once, without a request.
- **Text the server builds** (the answer line, status lines, captions with numbers, errors) is translated when it
  is built: :func:`_` looks the message up in the language of the event being served (:func:`speaking`, set for each
  event from the visitor's choice or their browser's ``Accept-Language``), and fills its ``{placeholders}``.

One catalog per language, gettext's ``.po`` format, in ``demo/locales/<lang>/LC_MESSAGES/messages.po``; its message
ids are the English text, so a message missing from a catalog still reads in English, never as a key. The catalogs
are plain text (a Space refuses binary files pushed without LFS), read with Babel; ``docs/development.md`` says how
to add a language, and ``tests/test_translations.py`` fails on a message left untranslated or a placeholder broken.

Numbers, percentages and durations go through Babel too: "99.2%", "99,2 %", "%99,2".
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import c2py
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_timedelta
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_decimal, parse_pattern
from gradio.i18n import I18n, I18nData

from mnist_core.text import N_  # noqa: F401  (demo/ marks texts built before a visitor's language is known with it too)

#: The languages the app speaks, English first (the language of the message ids and the fallback).
LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr", "tr")
#: Each language by its own name, for the picker: a visitor finds theirs whatever the page's language.
NATIVE_NAMES: Mapping[str, str] = {"en": "English", "es": "Español", "de": "Deutsch", "fr": "Français",
                                   "tr": "Türkçe"}
DEFAULT = "en"
LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "messages"

_SPEAKING: ContextVar[str] = ContextVar("visitor_language", default=DEFAULT)


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _load(language: str) -> tuple[Mapping[str, str | tuple[str, ...]], Callable[[int], int]]:
    """``language``'s translations, message id -> text (a tuple of plural forms for a plural message), and which
    plural form a count takes (the catalog's own ``Plural-Forms`` rule: Spanish and French have three). English has
    none: its ids are its text. Fuzzy and empty entries are left out, so they read in English, not blank."""
    path = po_path(language)
    if language == DEFAULT or not path.is_file():
        return {}, lambda count: int(count != 1)
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    found: dict[str, str | tuple[str, ...]] = {}
    for message in messages:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if isinstance(message.string, tuple):
            if all(message.string):
                found[key] = tuple(message.string)
        elif message.string:
            found[key] = message.string
    return found, c2py(messages.plural_expr)


def catalog(language: str) -> Mapping[str, str | tuple[str, ...]]:
    """``language``'s translations (see :func:`_load`)."""
    return _load(language)[0]


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def current() -> str:
    """The language of the event being served (English outside one)."""
    return _SPEAKING.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Serve what runs inside in ``language``: every :func:`_` and number format reads it."""
    token = _SPEAKING.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def _(message: str, **values: Any) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled from ``values``.

    Format numbers first (:func:`percent`, :func:`number`), so they read the language's way too."""
    text = _first(catalog(current()).get(message, message))
    return text.format(**values) if values else text


def n_(singular: str, plural: str, count: int, **values: Any) -> str:
    """The singular or plural message for ``count`` in the current language (``{count}`` is filled in, written
    the language's way), as the language's catalog says which form a count takes."""
    table, form_of = _load(current())
    forms = table.get(singular)
    if isinstance(forms, tuple):
        text = forms[min(form_of(count), len(forms) - 1)]
    else:
        text = singular if count == 1 else plural
    return text.format(count=number(count), **values)


def say(text: str) -> str:
    """A text from ``mnist_core`` in the current language. A :class:`mnist_core.text.Text` is translated from its
    template, its numbers written the language's way and its ``Text`` values translated too; any other text is
    looked up as it is (English if the catalog does not have it: a file name, an OS error)."""
    template = getattr(text, "template", None)
    if template is None:
        return _(text)
    values = {key: say(value) if hasattr(value, "template") else _same_number(value)
              for key, value in getattr(text, "values", {}).items()}
    return _(template, **values)


def _same_number(value: Any) -> Any:
    """A number as the English text wrote it, in the language's way: 12,345 -> "12.345"; 36.0 keeps its one
    decimal ("36,0"). A float English writes with an exponent ("1e-05", "1e+300") or not as a number ("inf") is
    left as it is: written positionally it would round to "-0" or overflow. Anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int):
        return number(value)
    written = repr(value)
    if not written.replace("-", "").replace(".", "").isdigit():
        return value
    return number(value, len(written.partition(".")[2]))


#: Every message given to the browser to translate (:func:`T`): the keys :func:`gradio_translations` sends.
_BROWSER_KEYS: set[str] = set()


def T(message: str) -> I18nData:
    """``message`` as Gradio's translation key: the browser shows it in the page's language, and turns it when
    the visitor picks another. For fixed text only: a key has no placeholders (Gradio reads ``{`` itself)."""
    if "{" in message:
        raise ValueError(f"a browser-translated text cannot have placeholders: {message[:60]!r}")
    _BROWSER_KEYS.add(message)
    return I18nData(message)


def translations(messages: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{language: {message: its text}}`` for every language (English where a catalog lacks one): the tables the
    browser translates from itself (Gradio's ``gr.I18n``, the drawing pad, the page's head script)."""
    messages = list(messages)
    return {language: {message: _first(catalog(language).get(message, message)) for message in messages}
            for language in LANGUAGES}


#: Gradio's own words that its page shows a class and that Gradio's catalogs (6.31) lack in Spanish, German, French
#: and Turkish, under Gradio's own keys: given to ``gr.I18n`` with the app's (:func:`gradio_translations`).
GRADIO_KEYS = {
    # TRANSLATORS: on a part of the page while its request waits in the server's queue (a class of thirty at once);
    # {position} and {size} are numbers.
    "status.queue_position": N_("In queue: {position} of {size}"),
}


def gradio_translations() -> I18n:
    """A ``gr.I18n`` with every language's text for each key used so far (so: build the app first), and for the
    words of Gradio's own that its catalogs leave English (:data:`GRADIO_KEYS`)."""
    tables = translations(sorted(_BROWSER_KEYS))
    own = translations(GRADIO_KEYS.values())
    for language, table in tables.items():
        table.update({key: own[language][english] for key, english in GRADIO_KEYS.items()})
    return I18n(**tables)


def _first(text: str | tuple[str, ...]) -> str:
    return text[0] if isinstance(text, tuple) else text


# ---------------------------------------------------------------------------------------------- numbers and times
def percent(fraction: float, digits: int = 1) -> str:
    """``fraction`` (0.992) as a percentage the language's way: "99.2%", "99,2 %", "%99,2"."""
    locale = _locale(current())
    return _percent_pattern(current(), digits).apply(fraction, locale)


@cache
def _percent_pattern(language: str, digits: int) -> NumberPattern:
    """The language's percent pattern with ``digits`` decimals (parsed once: a stroke writes a dozen percentages)."""
    pattern = parse_pattern(_locale(language).percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern


def number(value: float, digits: int | None = None) -> str:
    """``value`` with the language's separators ("12,345.6", "12.345,6"); ``digits`` fixes the decimals."""
    if digits is None:
        return format_decimal(value, locale=_locale(current()))
    return format_decimal(round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                          locale=_locale(current()))


def plotly_separators() -> str:
    """The decimal and thousands marks for a plotly figure's ``layout.separators`` (".," in English, ",." in
    German), so a chart's axis reads the way the captions do."""
    symbols = _locale(current()).number_symbols["latn"]
    return symbols["decimal"] + symbols["group"]


def duration(seconds: float) -> str:
    """About how long, in the language's short words ("2 min", "2 Min.", "2 dk."): for waits and times left,
    where a student wants the order of magnitude, not the second."""
    return format_timedelta(max(1.0, seconds), format="short", threshold=1.1, locale=_locale(current()))


# ------------------------------------------------------------------------------------------ which language to speak
def best_match(accept_language: str | None) -> str:
    """The first language the browser asks for that the app speaks (``Accept-Language`` order and weights), or
    English."""
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag:
            wanted.append((-weight, index, tag.strip().lower()))
    for _weight, _index, tag in sorted(wanted):
        base = tag.replace("_", "-").split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT


class LanguageChoices:
    """The language each open page picked (session -> language), so every event of that page is served in it.

    Bounded: the oldest choices are dropped past ``capacity`` (a page whose choice was dropped falls back to its
    browser's language, no worse than a new visitor)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._chosen: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity

    def choose(self, session: str | None, language: str) -> str:
        """Remember ``language`` for ``session``; gives back the language kept (English for one not spoken)."""
        language = language if language in LANGUAGES else best_match(language)
        if session:
            with self._lock:
                self._chosen[session] = language
                self._chosen.move_to_end(session)
                while len(self._chosen) > self._capacity:
                    self._chosen.popitem(last=False)
        return language

    def forget(self, session: str | None) -> None:
        with self._lock:
            self._chosen.pop(session or "", None)

    def of(self, session: str | None, accept_language: str | None = None) -> str:
        """The language to serve ``session`` in: its choice, else its browser's."""
        with self._lock:
            chosen = self._chosen.get(session or "")
        return chosen or best_match(accept_language)

    def __len__(self) -> int:
        return len(self._chosen)


"""The message catalogs: every text the app marks for translation is translated in every language, with the same
placeholders, and each translation can be filled in. So a new English text, a placeholder a translator dropped or
mistyped, or a catalog left behind the code fails here, not in front of a class."""

from __future__ import annotations

import string

import pytest

from demo.server import catalog as catalogs
from demo.server.language import DEFAULT, LANGUAGES, catalog

TRANSLATED = [language for language in LANGUAGES if language != DEFAULT]


@pytest.fixture(scope="module")
def wanted() -> list:
    return [message for message in catalogs.extracted() if message.id]


def test_the_code_marks_messages_for_translation(wanted: list) -> None:
    # A floor, so that an extraction that silently finds nothing (a renamed marker) cannot pass the tests below.
    assert len(wanted) > 200


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str, wanted: list) -> None:
    gaps = catalogs.missing(catalogs.read(language), wanted)
    assert not gaps, (f"{len(gaps)} messages have no {language} translation (run python -m demo.server.catalog, "
                      f"then fill the empty msgstr in {catalogs.po_path(language)}), e.g.: {gaps[:5]}")


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_the_english(language: str, wanted: list) -> None:
    read = catalogs.read(language)
    wrong = []
    for message in wanted:
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        have = read.get(message.id)
        if have is None:
            continue
        names = catalogs.placeholders(english[-1]) | catalogs.placeholders(english[0])
        for text in have.string if isinstance(have.string, tuple) else (have.string,):
            if text and catalogs.placeholders(text) - names or (text and not isinstance(message.id, tuple)
                                                                 and catalogs.placeholders(text) != names):
                wrong.append(f"{english[0]!r} -> {text!r}")
    assert not wrong, f"{language}: placeholders differ from the English:\n" + "\n".join(wrong[:10])


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_can_be_filled_in(language: str) -> None:
    # A lone brace, or "{percent" left open, passes a set comparison but breaks str.format in front of the class.
    broken = []
    for english, text in catalog(language).items():
        for form in text if isinstance(text, tuple) else (text,):
            try:
                names = {field for _, field, _, _ in string.Formatter().parse(form) if field}
                form.format(**{name: "1" for name in names})
            except (ValueError, IndexError, KeyError) as exc:
                broken.append(f"{english[:50]!r}: {exc}")
    assert not broken, f"{language}: " + "\n".join(broken[:10])


def test_browser_translated_texts_have_no_braces(wanted: list) -> None:
    # Gradio's browser side reads "{...}" in a label as a placeholder of its own, and a quote before a brace as an
    # escape: a T() text has neither (T raises at build time; a translation could still bring one in).
    for language in TRANSLATED:
        for english, text in catalog(language).items():
            if "{" not in english:
                assert "{" not in str(text) and "}" not in str(text), f"{language}: {text!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_holds_nothing_the_code_no_longer_says(language: str, wanted: list) -> None:
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in wanted}
    stale = sorted(set(catalog(language)) - ids)
    assert not stale, f"{language}: run python -m demo.server.catalog to drop {stale[:5]}"

"""The visitor's language: which one a page is served in, and numbers and plurals the language's way."""

from __future__ import annotations

import threading

import pytest

from demo.server import language
from demo.server.language import LanguageChoices, best_match, current, duration, n_, number, percent, speaking


@pytest.mark.parametrize(("header", "expected"), [
    ("de-DE,de;q=0.9,en;q=0.8", "de"),
    ("pt-BR,pt;q=0.9,tr;q=0.5,en;q=0.3", "tr"),  # the first it speaks, by weight
    ("en;q=0.2,fr-CH;q=0.9", "fr"),
    ("es_ES", "es"),
    ("ja", "en"),
    ("", "en"),
    (None, "en"),
    ("de;q=oops,tr", "tr"),
])
def test_the_browser_language_is_matched(header: str | None, expected: str) -> None:
    assert best_match(header) == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("en", "99.2%"), ("de", "99,2\xa0%"), ("fr", "99,2\xa0%"), ("es", "99,2\xa0%"), ("tr", "%99,2")])
def test_percentages_are_written_the_languages_way(code: str, expected: str) -> None:
    with speaking(code):
        assert percent(0.992) == expected


def test_numbers_and_durations_follow_the_language() -> None:
    with speaking("de"):
        assert number(12345.678, 1) == "12.345,7"
        assert "Min" in duration(95)
    with speaking("en"):
        assert number(12345) == "12,345"
        assert duration(95) == "2 min"


def test_plurals_pick_the_languages_form(monkeypatch: pytest.MonkeyPatch) -> None:
    german = {"{count} image": ("{count} Bild", "{count} Bilder")}
    # Spanish, as its catalog's Plural-Forms says: one, "many" (exact millions), other.
    spanish = {"{count} image": ("{count} imagen", "{count} de imágenes", "{count} imágenes")}
    rules = {"de": lambda n: int(n != 1), "es": lambda n: 0 if n == 1 else 1 if n and n % 1_000_000 == 0 else 2}
    tables = {"de": german, "es": spanish}
    monkeypatch.setattr(language, "_load", lambda code: (tables.get(code, {}), rules.get(code, lambda n: int(n != 1))))
    with speaking("de"):
        assert n_("{count} image", "{count} images", 1) == "1 Bild"
        assert n_("{count} image", "{count} images", 1200) == "1.200 Bilder"
    with speaking("es"):
        assert n_("{count} image", "{count} images", 1) == "1 imagen"
        assert n_("{count} image", "{count} images", 7) == "7 imágenes"
        assert n_("{count} image", "{count} images", 2_000_000) == "2.000.000 de imágenes"
    with speaking("en"):
        assert n_("{count} image", "{count} images", 1) == "1 image"
        assert n_("{count} image", "{count} images", 2) == "2 images"


def test_a_missing_translation_reads_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_load", lambda code: ({}, lambda n: int(n != 1)))
    with speaking("tr"):
        assert language._("{name} reads {digit}", name="it", digit=7) == "it reads 7"


def test_speaking_is_per_thread_of_work_and_ends_with_the_block() -> None:
    seen = {}
    with speaking("fr"):
        worker = threading.Thread(target=lambda: seen.setdefault("other", current()))
        worker.start()
        worker.join()
        assert current() == "fr"
    assert current() == "en"
    assert seen["other"] == "en"  # a thread started outside an event's context is not served in its language
    with speaking("xx"):
        assert current() == "en"


def test_a_pages_choice_wins_over_its_browser_and_is_forgotten_when_it_leaves() -> None:
    choices = LanguageChoices(capacity=2)
    assert choices.of("a", "de-DE") == "de"
    assert choices.choose("a", "tr") == "tr"
    assert choices.of("a", "de-DE") == "tr"
    choices.forget("a")
    assert choices.of("a", "de-DE") == "de"
    assert choices.choose("b", "klingon") == "en"


def test_choices_are_bounded() -> None:
    choices = LanguageChoices(capacity=2)
    for session in ("a", "b", "c"):
        choices.choose(session, "es")
    assert len(choices) == 2
    assert choices.of("a") == "en"  # the oldest went first
    assert choices.of("c") == "es"


def test_the_plural_rule_is_each_catalogs_own() -> None:
    # Spanish and French catalogs have three forms (CLDR's "many" for exact millions): form 2 is the common plural.
    with speaking("es"):
        assert language._load("es")[1](5) == 2
        assert language._load("es")[1](1) == 0
    with speaking("fr"):
        assert language._load("fr")[1](0) == 0  # "0 image": French counts zero as singular


def test_a_refused_train_setting_reads_in_the_language_with_its_numbers() -> None:
    """The Train form's refusals come from ``mnist_core`` (English for the CLI) and are said in the page's language,
    numbers included: "60.000" in German, never the bare "60000"."""
    from demo.tabs.train import refusal_text
    from mnist_core.recipes import InvalidRecipeError, get_recipe

    with pytest.raises(InvalidRecipeError) as refused:
        get_recipe("fast").with_overrides(batch_size=70_000)
    assert "from 1 to 60,000" in str(refused.value)  # the CLI's English
    with speaking("de"):
        german = refusal_text(refused.value)
    assert "Batchgröße" in german and "60.000" in german and "70.000" in german


@pytest.mark.parametrize(("value", "german"), [
    (12345, "12.345"), (36.0, "36,0"), (0.25, "0,25"), (-1.5, "-1,5"),
    (-1e-05, "-1e-05"), (1e300, "1e+300"), (float("inf"), "inf")])  # as English writes them: never "-0", no crash
def test_a_core_texts_numbers_read_the_languages_way_or_as_english_wrote_them(value: float, german: str) -> None:
    from mnist_core.text import Text

    with speaking("de"):
        assert language.say(Text("got {value}", value=value)) == f"got {german}"


def test_a_refused_learning_rate_far_out_of_range_is_said_not_crashed_on() -> None:
    from demo.tabs.train import refusal_text
    from mnist_core.recipes import InvalidRecipeError, get_recipe

    with pytest.raises(InvalidRecipeError) as refused:
        get_recipe("fast").with_overrides(lr=1e300)
    with speaking("de"):
        assert refusal_text(refused.value).endswith("1e+300")

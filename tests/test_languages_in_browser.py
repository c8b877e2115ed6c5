"""A class in Madrid, Berlin, Lyon or Istanbul sees the whole app in its own language: a browser set to each
language opens every tab, draws a digit, and finds no English outside the names that stay English (model names,
"loss", "epoch", layer names), numbers written its language's way, and a page that still fits a phone and a laptop
(German words are long). The picker turns a page to another language and keeps it for the visit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from demo.server.language import LANGUAGES, NATIVE_NAMES, _, speaking
from demo.server.models_state import load_catalog
from demo.ui import TAB_NAMES
from demo.views.accessibility import TITLE
from mnist_core.models import MODELS
from mnist_core.paths import ASSETS_DIR
from tests.pages import SCREENS, SEVEN, TABS, open_tab, settle, shot, stroke, wait_for_answer

pytestmark = pytest.mark.browser


#: Common English words that are not words of Spanish, German, French or Turkish (so "model", "test", "start",
#: "image", "page", "train", "correct" and "training", which are, are not here). A text a visitor sees that holds
#: one of them was left in English.
ENGLISH = {
    "the", "and", "of", "to", "is", "are", "this", "that", "with", "your", "you", "it", "its", "for", "from", "what",
    "which", "when", "how", "why", "each", "every", "read", "reads", "draw", "drawn", "wrong", "right", "than",
    "here", "there", "they", "them", "their", "about", "after", "before", "while", "would", "could", "should",
    "have", "has", "been", "were", "can", "cannot", "upload", "download", "teach", "taught", "learn", "learns",
    "network", "accuracy", "students", "phone", "join", "examples", "example", "drawing", "trained", "waiting",
    "seconds", "left", "runs", "run", "digit", "digits", "pick", "shows", "more", "less", "only", "one", "all",
    "none", "first", "then", "over", "under", "into", "out", "any", "other", "new", "see", "look", "inside",
    "empty", "value", "thumbnail", "loading", "settings", "built",
}
#: What stays English on purpose: the names models are known by, and the words the lesson keeps and glosses.
KEPT = [r"\bloss(es)?\b", r"\bepochs?\b", r"\b(Conv2d|ReLU|MaxPool2d|Dropout2?d?|Linear|Flatten|LogSoftmax)\b",
        r"\bMNIST\b", r"\bPyTorch\b", r"\bGradio\b", r"\bAdadelta\b", r"\bAdam\b", r"\bStepLR\b"]

#: Every visible text of the page: text nodes, and the names and hints a screen reader or an input shows.
VISIBLE_TEXT = """() => {
  const seen = (el) => el && el.checkVisibility({visibilityProperty: true}) &&
    !el.closest('script, style, noscript, .plotly .modebar, [aria-hidden=true]:not(.visually-hidden)');
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (text && (seen(el) || (el && el.closest('.visually-hidden')))) texts.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    if (!seen(el)) continue;
    for (const name of ['aria-label', 'placeholder', 'title']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) texts.push(value.trim());
    }
  }
  return texts;
}"""

#: How far the page scrolls sideways (0: it fits).
SIDEWAYS = "() => document.scrollingElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def model_names() -> list[str]:
    """The names models are known by: each checkpoint's, and each network's (``drawing-cnn``)."""
    names = [entry.name for entry in load_catalog(str(ASSETS_DIR)).entries.values()] + list(MODELS)
    return sorted(names, key=len, reverse=True)


def english_left(texts: list[str], model_names: list[str]) -> list[str]:
    """The texts that still hold an English word, once model names and the words kept in English are taken out."""
    found = []
    for text in texts:
        rest = text
        for name in model_names:
            rest = rest.replace(name, " ")
        for kept in KEPT:
            rest = re.sub(kept, " ", rest, flags=re.IGNORECASE)
        words = {word.lower() for word in re.findall(r"[^\W\d_]+", rest)}  # whole words: "Eğit" is not "it"
        if words & ENGLISH:
            found.append(text)
    return sorted(set(found))


def read_every_tab(page: Any) -> dict[str, list[str]]:
    texts = {}
    for tab in TABS:
        open_tab(page, tab)
        settle(page)
        texts[tab] = page.evaluate(VISIBLE_TEXT)
    return texts


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_a_browser_in_each_language_sees_the_whole_app_in_it(open_page, app_server, model_names,
                                                            language: str) -> None:
    page = open_page(app_server.url, *SCREENS["laptop"], locale=f"{language}-{language.upper()}")
    page.wait_for_function(f"document.documentElement.lang === {language!r}")
    page.wait_for_function("(name) => document.querySelector('#language-picker input').value === name",
                           arg=NATIVE_NAMES[language])
    stroke(page, SEVEN)
    wait_for_answer(page)
    texts = read_every_tab(page)
    open_tab(page, "draw")
    shot(page, f"language-{language}-draw")
    left = {tab: english_left(found, model_names) for tab, found in texts.items()}
    assert not any(left.values()), f"English left on a {language} page: " + "; ".join(
        f"{tab}: {found[:6]}" for tab, found in left.items() if found)
    # Numbers the language's way: the Draw tab's percentages ("99,2 %" in German and French, "%99,2" in Turkish).
    draw_text = " ".join(texts["draw"])
    pattern = {"tr": r"%\d+(,\d+)?", "de": r"\d+(,\d+)?\s%", "fr": r"\d+(,\d+)?\s%", "es": r"\d+(,\d+)?\s%"}
    assert re.search(pattern[language], draw_text.replace("\xa0", " ").replace("\u202f", " ")), draw_text[:400]
    assert not re.search(r"\d\.\d+%", draw_text), "an English-style percentage is left on the Draw tab"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_tab_fits_a_phone_and_a_laptop_in_each_language(open_page, app_server, language: str) -> None:
    page = open_page(app_server.url, *SCREENS["phone"], phone=True, locale=language)
    page.wait_for_function(f"document.documentElement.lang === {language!r}")
    for name in ("phone", "laptop"):
        page.set_viewport_size(dict(zip(("width", "height"), SCREENS[name], strict=True)))
        for tab in TABS:
            open_tab(page, tab)
            settle(page)
            assert page.evaluate(SIDEWAYS) <= 0, f"{language}, {name}: the {tab} tab scrolls sideways"
            tabs = page.locator("button[role=tab]")
            assert all(tabs.nth(i).is_visible() for i in range(tabs.count())), f"{language}, {name}: a tab is hidden"


def test_the_picker_turns_the_page_and_keeps_the_language_for_the_visit(open_page, app_server) -> None:
    page = open_page(app_server.url, *SCREENS["laptop"], locale="en-US")
    picker = page.locator("#language-picker input")
    picker.click()
    page.get_by_role("option", name=NATIVE_NAMES["tr"]).click()
    page.wait_for_function("document.documentElement.lang === 'tr'")
    with speaking("tr"):
        names = [_(name) for name in TAB_NAMES]
    # Every tab's name, not only the selected one's (Gradio turns a tab's button only when it is drawn again).
    page.wait_for_function("(names) => JSON.stringify([...document.querySelectorAll('button[role=tab]')]"
                           ".map((b) => b.innerText.trim())) === JSON.stringify(names)", arg=names)
    with speaking("tr"):
        title = _(TITLE)
    page.wait_for_function("(title) => document.title === title", arg=title)  # the browser tab's title too
    stroke(page, SEVEN)
    wait_for_answer(page)
    assert re.search(r"%\d", " ".join(page.evaluate(VISIBLE_TEXT)).replace("\xa0", " ")), \
        "the next answer is not written the Turkish way"
    page.reload()
    page.wait_for_function("document.documentElement.lang === 'tr'")
    page.wait_for_function("(name) => document.querySelector('#language-picker input').value === name",
                           arg=NATIVE_NAMES["tr"])
    page.wait_for_function("(names) => JSON.stringify([...document.querySelectorAll('button[role=tab]')]"
                           ".map((b) => b.innerText.trim())) === JSON.stringify(names)", arg=names)


def test_a_refusal_reads_in_the_pages_language_its_box_too(open_page, app_server) -> None:
    """A setting the Train tab refuses: the message, and the box's title and close button (Gradio writes both in
    English whatever the page's language), in German."""
    page = open_page(app_server.url, *SCREENS["laptop"], locale="de-DE")
    page.wait_for_function("document.documentElement.lang === 'de'")
    open_tab(page, "train")
    page.locator("#batch-size input").fill("70000")
    page.locator("#start-button").click()
    box = page.locator("[data-testid=toast-body]").first
    box.wait_for()
    assert "60.000" in box.locator("[data-testid=toast-text]").inner_text()
    page.wait_for_function("() => document.querySelector('.toast-title')?.textContent.trim() === 'Fehler'")
    assert box.locator("[data-testid=toast-close]").get_attribute("aria-label") == "Schließen"


def test_gradios_queue_status_reads_in_the_pages_language(open_page, app_server) -> None:
    """Thirty phones at once wait in the queue: Gradio writes its status over a waiting output in English only
    ("queue: 2/5 |", "processing |": no translation key), and the page turns it. Laid out as Gradio's status tracker
    lays it (``.progress-text``, its text, then the timer); ``tests/test_browser_queue.py`` sees Gradio's own."""
    page = open_page(app_server.url, *SCREENS["laptop"], locale="de-DE")
    page.wait_for_function("document.documentElement.lang === 'de'")
    page.evaluate("""() => { for (const text of ['queue: 2/5 |', 'processing |']) {
        const status = document.createElement('div');
        status.className = 'progress-text queue-probe';
        status.append(text, '0.4/3.1s');
        document.querySelector('.gradio-container').append(status); } }""")
    shown = ["Warteschlange: 2/5 |0.4/3.1s", "in Arbeit |0.4/3.1s"]
    page.wait_for_function("""(shown) => JSON.stringify([...document.querySelectorAll('.queue-probe')]
        .map((status) => status.textContent)) === JSON.stringify(shown)""", arg=shown)


def test_gradios_own_queue_announcement_is_given_in_every_language() -> None:
    """Gradio's catalogs lack "In queue: {position} of {size}" (what its page announces while a request waits) in
    Spanish, German, French and Turkish: the app's gr.I18n gives it under Gradio's own key."""
    from demo.server.language import gradio_translations

    tables = gradio_translations().translations
    assert tables["de"]["status.queue_position"] == "In der Warteschlange: {position} von {size}"
    assert all("{position}" in tables[code]["status.queue_position"] for code in LANGUAGES)

"""The language picker: a visible list of the five languages, each by its own name, in the page's header.

A page starts in its browser's language (Gradio picks it from ``navigator.language``, the server from the same
browser's ``Accept-Language``). Picking another turns the page at once: the browser re-translates every fixed label
(:func:`demo.server.language.T`), and the server serves this page's next events in it
(:class:`~demo.server.language.LanguageChoices`). The choice is kept for the visit (``sessionStorage``): a page
reloaded in the same tab comes back in it, and a new visit starts from the browser's language again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from demo.server.language import LANGUAGES, NATIVE_NAMES, LanguageChoices, T, speaking
from demo.server.sessions import session_id_of
from demo.views.assets import asset

#: Where the page keeps its choice for the visit.
STORAGE_KEY = "mnist-live-language"
#: Small, each language by its own name (its label, "Language", is for screen readers): beside the title on a laptop,
#: under the "Join this class" bar in the title's top right corner on a phone, where it costs no height.
CSS = asset("language_picker.css")
SWITCH_JS = asset("language_picker.js")

#: On load: the language kept for this visit, or the one Gradio chose from the browser (``<html lang>``); the page
#: is turned to it, and the server told.
ON_LOAD_JS = f"""
async () => {{
  const switchLanguage = {SWITCH_JS};
  const kept = sessionStorage.getItem({STORAGE_KEY!r});
  const shown = (document.documentElement.lang || 'en').slice(0, 2);
  const language = {list(LANGUAGES)!r}.includes(kept) ? kept : shown;
  if (language !== shown) await switchLanguage(language);
  return language;
}}"""

#: On a pick: keep it for the visit and turn the page.
ON_PICK_JS = f"""
async (language) => {{
  const switchLanguage = {SWITCH_JS};
  sessionStorage.setItem({STORAGE_KEY!r}, language);
  await switchLanguage(language);
  return language;
}}"""


@dataclass(frozen=True)
class LanguagePicker:
    """The picker, and what it needs to remember each page's language."""

    picker: gr.Dropdown
    choices: LanguageChoices

    def chosen(self, language: str, request: gr.Request) -> str:
        """The page's language, remembered for every event it sends from now on."""
        return self.choices.choose(session_id_of(request), language)

    def wire_load(self, demo: gr.Blocks, texts: Callable[[], dict[Any, Any]], outputs: Sequence[Any]) -> None:
        """One event as each page loads (Call once the app is built): the server learns the page's language, and
        ``texts()`` writes in it what was built once for everyone, in English (into ``outputs``). One event, not a
        chain of two: thirty phones load at once."""

        def loaded(language: str, request: gr.Request) -> dict[Any, Any]:
            kept = self.chosen(language, request)
            with speaking(kept):  # the event was begun in the browser's language; a choice kept for the visit wins
                return {self.picker: kept, **texts()}

        demo.load(loaded, self.picker, [self.picker, *outputs], js=ON_LOAD_JS, api_visibility="private",
                  show_progress="hidden")


def build(choices: LanguageChoices) -> LanguagePicker:
    """The picker, and a visitor's pick (its load event: :meth:`LanguagePicker.wire_load`).

    What the server wrote before it knew the page's language (built for every visitor, in English) is written
    again on the picker's ``change``: it fires once the page's language is known and other than English, and at
    every switch (``demo/ui.py`` wires each view's refresh to it)."""
    picker = gr.Dropdown(choices=[(NATIVE_NAMES[code], code) for code in LANGUAGES], value=LANGUAGES[0],
                         label=T("Language"), show_label=False, container=False, elem_id="language-picker",
                         scale=0, min_width=0, interactive=True, filterable=False)
    language = LanguagePicker(picker, choices)
    picker.input(language.chosen, picker, picker, js=ON_PICK_JS, api_visibility="private", show_progress="hidden")
    return language

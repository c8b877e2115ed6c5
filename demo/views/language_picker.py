"""The language picker: a visible list of the five languages, each by its own name, in the page's header.

A page starts in its browser's language (Gradio picks it from ``navigator.language``, the server from the same
browser's ``Accept-Language``). Picking another turns the page at once: the browser re-translates every fixed label
(:func:`demo.server.language.T`), and the server serves this page's next events in it
(:class:`~demo.server.language.LanguageChoices`). The choice is kept for the visit (``sessionStorage``): a page
reloaded in the same tab comes back in it, and a new visit starts from the browser's language again.
"""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from demo.server.language import LANGUAGES, NATIVE_NAMES, LanguageChoices, T
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


class LanguagePicker(NamedTuple):
    """The picker, and its load event (``loaded.then(...)``: what runs once per page, after the server knows the
    page's language)."""

    picker: gr.Dropdown
    loaded: gr.events.Dependency


def build(demo: gr.Blocks, choices: LanguageChoices) -> LanguagePicker:
    """The picker, and its two events: the page's language told to the server on load, and a visitor's pick.

    What the server wrote before it knew the page's language (built for every visitor, in English) is written
    again on the picker's ``change``: it fires once the page's language is known and other than English, and at
    every switch (``demo/ui.py`` wires each view's refresh to it)."""
    picker = gr.Dropdown(choices=[(NATIVE_NAMES[code], code) for code in LANGUAGES], value=LANGUAGES[0],
                         label=T("Language"), show_label=False, container=False, elem_id="language-picker",
                         scale=0, min_width=0, interactive=True, filterable=False)

    def chosen(language: str, request: gr.Request) -> str:
        """The page's language, remembered for every event it sends from now on."""
        return choices.choose(session_id_of(request), language)

    loaded = demo.load(chosen, picker, picker, js=ON_LOAD_JS, api_visibility="private")
    picker.input(chosen, picker, picker, js=ON_PICK_JS, api_visibility="private")
    return LanguagePicker(picker, loaded)

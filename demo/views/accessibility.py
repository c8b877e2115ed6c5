"""What every page gets for students who use a screen reader or a keyboard: a visible focus ring, a class for text
only a screen reader reads, names for Gradio's empty-picture placeholders, and gallery thumbnails named in the
page's language (``static/accessibility.*``). ``tests/test_accessibility.py`` audits every tab with axe-core."""

from __future__ import annotations

import json

from demo.server.language import N_, translations
from demo.views.assets import asset

#: The page's title (the browser tab's, and the first thing a screen reader says), in the page's language.
TITLE = N_("MNIST live: watch a neural network learn to read digits")
# TRANSLATORS: a screen reader's name for a picture in a gallery, e.g. "Picture 3 of 30".
THUMBNAIL = N_("Picture {number} of {count}")
# TRANSLATORS: a screen reader's name for a picture, chart or gallery with nothing in it yet.
EMPTY = N_("Nothing to show yet")

CSS = asset("accessibility.css")


def head(tab_names: list[str]) -> str:
    """For ``launch(head=...)``: the script that runs once as the page loads, before Gradio draws anything, with every
    text it writes in every language (``tab_names``: the tabs' English names, in their order on the page)."""
    english = {"title": TITLE, "thumbnail": THUMBNAIL, "empty": EMPTY, "tabs": tab_names}
    words = translations([TITLE, THUMBNAIL, EMPTY, *tab_names])
    return "<script>" + asset("accessibility.js", ENGLISH=json.dumps(english), WORDS=json.dumps(words)) + "</script>"

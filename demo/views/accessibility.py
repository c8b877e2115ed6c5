"""What every page gets for students who use a screen reader or a keyboard: a visible focus ring, a class for text
only a screen reader reads, names for Gradio's empty-picture placeholders, gallery thumbnails named in the page's
language, and Gradio's message box titles and queue status written in it (``static/accessibility.*``).
``tests/test_accessibility.py`` audits every tab with axe-core."""

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
#: The titles Gradio gives its message boxes (toasts), by their kind: its page writes the kind's English name,
#: whatever title the server sends (Gradio 6.31's Toast), so the page turns it here.
TOAST_TITLES = (
    # TRANSLATORS: the title of a message box that says something went wrong.
    N_("Error"),
    # TRANSLATORS: the title of a message box that warns (training cannot start, a run failed).
    N_("Warning"),
    # TRANSLATORS: the title of a short message box that says what was done.
    N_("Info"),
)
# TRANSLATORS: a screen reader's name for the button that closes a message box.
CLOSE = N_("Close")
#: Gradio's status over a part of the page whose request waits or runs ("queue: 2/5 |", "processing |"): written in
#: English by its page, with no translation key.
# TRANSLATORS: very short, over a part of the page waiting in the server's queue: its place, of how many ("2/5").
QUEUE = N_("queue: {position}/{size}")
# TRANSLATORS: very short, over a part of the page whose request the server is working on.
PROCESSING = N_("processing")

CSS = asset("accessibility.css")


def head(tab_names: list[str]) -> str:
    """For ``launch(head=...)``: the script that runs once as the page loads, before Gradio draws anything, with every
    text it writes in every language (``tab_names``: the tabs' English names, in their order on the page)."""
    english = {"title": TITLE, "thumbnail": THUMBNAIL, "empty": EMPTY, "tabs": tab_names, "toasts": TOAST_TITLES,
               "close": CLOSE, "queue": QUEUE, "processing": PROCESSING}
    words = translations([TITLE, THUMBNAIL, EMPTY, *tab_names, *TOAST_TITLES, CLOSE, QUEUE, PROCESSING])
    return "<script>" + asset("accessibility.js", ENGLISH=json.dumps(english), WORDS=json.dumps(words)) + "</script>"

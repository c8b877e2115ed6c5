"""Marks the few texts of ``mnist_core`` that the app shows a visitor (a recipe's note, a setting it refuses).

``python -m demo.server.catalog`` finds every ``N_("...")`` here and puts it in the app's message catalogs; the app
translates the text where it shows it. ``mnist_core`` itself (its CLI) prints it as it is: in English.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` as a text the app translates (with ``demo.server.language._``); the CLI prints it as is."""
    return message

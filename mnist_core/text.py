"""Marks the few texts of ``mnist_core`` that the app shows a visitor (a recipe's note, a setting it refuses).

``python -m demo.server.catalog`` finds every ``N_("...")`` here and puts it in the app's message catalogs; the app
translates the text where it shows it. ``mnist_core`` itself (its CLI) prints it as it is: in English.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` as a text the app translates (with ``demo.server.language._``); the CLI prints it as is."""
    return message


class Text(str):
    """A message that reads in English as it is (the CLI prints it) and keeps its template and values, so the app
    can say it in a visitor's language: ``Text(N_("Painted {done} of {total} pen drawings"), done=3, total=9)``.

    Whole numbers read with thousands commas ("12,345") here; the app writes them its language's way. A value
    that is itself a :class:`Text` is translated with the rest.
    """

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Text:
        english = {key: f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
                   for key, value in values.items()}
        text = super().__new__(cls, template.format(**english) if values else template)
        text.template = template
        text.values = values
        return text

    def __reduce__(self) -> tuple[Any, ...]:  # a run's events cross processes (ZeroGPU): keep the template
        return (_rebuild, (self.template, self.values))


def _rebuild(template: str, values: dict[str, Any]) -> Text:
    return Text(template, **values)

"""The page's CSS, JavaScript and HTML templates: real files in ``static/`` beside this module, read once.

A file may hold a few placeholders, ``__NAME__``, for values the Python side owns (the canvas's size,
a colour shared with a legend): :func:`asset` replaces each with the value given for it, and refuses
a placeholder left without a value or a value without its placeholder, so a file and its caller
cannot drift apart unnoticed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

STATIC = Path(__file__).with_name("static")
PLACEHOLDER = re.compile(r"__[A-Z][A-Z0-9_]*__")


@cache
def _text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def asset(name: str, **values: object) -> str:
    """The text of ``static/<name>`` with each ``__KEY__`` replaced by ``str(values[KEY])``."""
    text = _text(name)
    wanted = {match[2:-2] for match in PLACEHOLDER.findall(text)}
    if wanted != set(values):
        raise ValueError(f"{name} takes {sorted(wanted)}, was given {sorted(values)}")
    for key, value in values.items():
        text = text.replace(f"__{key}__", str(value))
    return text

"""The Draw tab's canvas: a plain 2D ``<canvas>`` that sends the whole drawing once per stroke.

Why not ``gr.Sketchpad``: in headless Chromium on a 2-core machine, Gradio 6's image editor
takes 2.2-2.95 s from pen-up to the answer on screen, 2.0 s of it before the browser has
even sent the drawing: it renders with WebGL, exports background, layers and
composite as three PNGs after every change, and uploads them 24-36 times per stroke. A
teaching canvas needs none of that. This one paints with the 2D canvas API, and at pen-up
sets its value to ``{"seq": n, "png": <data URL of the canvas>}``, which Gradio sends with
the event itself: one request per stroke, no uploads (``python -m bench.browser`` and
``python -m bench.classroom`` measure it).

It paints what :mod:`mnist_core.strokes` models (the models are trained on that): an opaque
white ``SKETCHPAD_CANVAS`` square, a round brush ``2 * SKETCHPAD_BRUSH_RADIUS`` wide in one of
``SKETCHPAD_COLOURS``. Pointer events cover mouse, pen and finger; ``touch-action: none``
keeps a phone's page from scrolling while a finger draws. Undo and Clear are part of it.
Its words are written in English in the template, one for every visitor; the page turns them into its own
language (:data:`TEXTS`), and the canvas is an image named for screen readers ("Drawing canvas: draw one digit").

``seq`` counts the strokes: the page marks the answer as stale (``#prediction.stale``) from
pen-down until the answer for the newest ``seq`` arrives (:data:`ANSWER_STAMP_JS`), so an
answer for a half-drawn digit is never shown as the final one.

What a request sends is checked before it is used (:meth:`DrawingPad.preprocess`): a PNG
data URL of bounded length, whose header is checked for its size before it is decoded.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import gradio as gr
from PIL import Image

from demo.server.inputs import DRAWING, refuse
from demo.server.language import N_, translations
from demo.server.log import expected_error
from demo.views.assets import asset
from mnist_core.preprocess import ImageInputError, open_image, unreadable_image
from mnist_core.strokes import SKETCHPAD_BRUSH_RADIUS, SKETCHPAD_CANVAS, SKETCHPAD_COLOURS

PNG_DATA_URL = "data:image/png;base64,"
#: What the colour swatches are called (for screen readers and tooltips), in ``SKETCHPAD_COLOURS`` order.
COLOUR_NAMES = (N_("Black pen"), N_("Blue pen"), N_("Red pen"), N_("Green pen"))
#: Every word the pad shows or says, in English (each also written in ``static/drawing_pad.html`` or the swatches):
#: the page turns them into its own language itself (see :data:`TEXTS`).
PAD_TEXTS = (N_("Drawing canvas: draw one digit"), N_("Draw one digit, big, in the middle"), N_("Undo"), N_("Clear"),
             N_("Pen colour"), *COLOUR_NAMES)
#: Longest data URL accepted. A digit drawn on the canvas is 10-40 KB; a canvas filled with
#: scribbles in every colour stays under 300 KB. (The event's whole body is capped at 1 MB.)
MAX_DATA_URL_CHARS = 900_000

#: The colour swatches of the toolbar, one button per pen colour (``data-label``: the English name the page
#: translates).
SWATCHES = "".join(f'<button type="button" class="pad-colour" data-colour="{c}" style="background:{c}" '
                   f'aria-label="{html.escape(name)}" title="{html.escape(name)}" data-label="{html.escape(name)}">'
                   "</button>" for c, name in zip(SKETCHPAD_COLOURS, COLOUR_NAMES, strict=True))


#: ``{language: {English: translated}}`` for every text of the pad, as a JavaScript object literal, built once at
#: import (the catalogs do not change while the app runs). The pad's template is one string for every visitor, so its
#: words cannot be translated on the server; the page picks them from this table by ``<html lang>``, and again when
#: the visitor changes language.
TEXTS = json.dumps(translations(PAD_TEXTS), ensure_ascii=True, sort_keys=True)
#: The page's canvas, its toolbar and colour swatches. A JS template for ``gr.HTML``: no backticks, no ``${``.
TEMPLATE = asset("drawing_pad.html", CANVAS=SKETCHPAD_CANVAS, SWATCHES=SWATCHES)
#: Scoped to the component by Gradio. ``--pad-size`` is set by the app's CSS per screen size.
CSS_TEMPLATE = asset("drawing_pad.css")
#: Runs once in the browser when the component is shown (``element``, ``props`` and ``watch`` come from Gradio).
JS_ON_LOAD = asset("drawing_pad.js", CANVAS=SKETCHPAD_CANVAS, RADIUS=SKETCHPAD_BRUSH_RADIUS,
                   FIRST_COLOUR=SKETCHPAD_COLOURS[0], TEXTS=TEXTS)
#: Runs in the hidden stamp component the Draw tab's answer comes with: when the answer is for the
#: newest drawing, the answer is no longer stale.
ANSWER_STAMP_JS = asset("answer_stamp.js")
#: The page's style for an answer that is not for the newest drawing yet.
CSS = asset("answer_stamp.css")


@dataclass(frozen=True)
class Drawing:
    """What the pad sends: the ``seq``-th drawing of this page, ``None`` when the canvas is blank.

    ``png`` is the drawing exactly as it arrived (5-40 KB): what the session keeps, should the visitor
    make it one of their examples, rather than the decoded 560x560 RGBA ``image`` (1.25 MB).
    """

    seq: int
    image: Image.Image | None
    png: bytes | None = None


class DrawingPad(gr.HTML):
    """The canvas above, as a Gradio input whose value is a :class:`Drawing`.

    Its events carry the drawing inline (a PNG data URL): anything else a request might
    send in its place is refused with a short message, and the PNG's declared size is
    checked before it is decoded (a 37 KB PNG can declare 2 GB of pixels).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(value=None, html_template=TEMPLATE, css_template=CSS_TEMPLATE, js_on_load=JS_ON_LOAD,
                         apply_default_css=False, **kwargs)

    def preprocess(self, payload: Any) -> Drawing:
        if payload is None:
            return Drawing(0, None)
        if not isinstance(payload, dict):
            raise refuse(self, "expected a drawing from the page's canvas")
        seq, png = payload.get("seq"), payload.get("png")
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise refuse(self, "expected a drawing from the page's canvas")
        if png is None:
            return Drawing(seq, None)
        if not isinstance(png, str) or not png.startswith(PNG_DATA_URL):
            raise refuse(self, "expected a PNG image from the page's canvas")
        if len(png) > MAX_DATA_URL_CHARS:
            raise refuse(self, f"the drawing is too large ({len(png) // 1000:,} KB; at most "
                               f"{MAX_DATA_URL_CHARS // 1000:,} KB)")
        try:
            data = base64.b64decode(png[len(PNG_DATA_URL):], validate=True)
        except (binascii.Error, ValueError):
            raise refuse(self, "the drawing's data is damaged") from None
        try:
            image = open_image(BytesIO(data), DRAWING)
            image.load()
        except ImageInputError as exc:
            raise expected_error(str(exc)) from None
        except Exception as exc:  # a truncated or corrupt PNG fails only when decoded
            raise expected_error(str(unreadable_image(DRAWING, exc))) from None
        return Drawing(seq, image, data)

    def postprocess(self, value: Any) -> None:
        return None  # the page owns the drawing: the server never sends one back

    def example_payload(self) -> Any:
        return {"seq": 1, "png": None}

    def example_value(self) -> Any:
        return {"seq": 1, "png": None}

    def api_info(self) -> dict[str, Any]:
        return {"type": "object", "properties": {"seq": {"type": "integer"},
                                                 "png": {"type": ["string", "null"]}}}


def answer_stamp() -> gr.HTML:
    """A hidden component the Draw tab's answer updates with the ``seq`` it answers (see module docstring)."""
    return gr.HTML(value="0", html_template="", js_on_load=ANSWER_STAMP_JS, visible="hidden",
                   elem_id="answer-for", apply_default_css=False)

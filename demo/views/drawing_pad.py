"""The Draw tab's canvas: a plain 2D ``<canvas>`` that sends the whole drawing once per stroke.

Why not ``gr.Sketchpad``: measured in headless chromium on this 2-core machine, Gradio 6's
image editor took 2.2-2.95 s from pen-up to the answer on screen, 2.0 s of it before the
browser had even sent the drawing: it renders with WebGL, exports background, layers and
composite as three PNGs after every change, and uploads them 24-36 times per stroke. A
teaching canvas needs none of that. This one paints with the 2D canvas API, and at pen-up
sets its value to ``{"seq": n, "png": <data URL of the canvas>}``, which Gradio sends with
the event itself: one request per stroke, no uploads (``python -m bench.browser`` and
``python -m bench.classroom`` measure it).

It paints what :mod:`mnist_core.strokes` models (the models are trained on that): an opaque
white ``SKETCHPAD_CANVAS`` square, a round brush ``2 * SKETCHPAD_BRUSH_RADIUS`` wide in one of
``SKETCHPAD_COLOURS``. Pointer events cover mouse, pen and finger; ``touch-action: none``
keeps a phone's page from scrolling while a finger draws. Undo and Clear are part of it.

``seq`` counts the strokes: the page marks the answer as stale (``#prediction.stale``) from
pen-down until the answer for the newest ``seq`` arrives (:data:`ANSWER_STAMP_JS`), so an
answer for a half-drawn digit is never shown as the final one.

What a request sends is checked before it is used (:meth:`DrawingPad.preprocess`): a PNG
data URL of bounded length, whose header is checked for its size before it is decoded.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import gradio as gr
from PIL import Image

from demo.server.inputs import DRAWING, refuse
from demo.server.log import expected_error
from mnist_core.preprocess import ImageInputError, open_image, unreadable_image
from mnist_core.strokes import SKETCHPAD_BRUSH_RADIUS, SKETCHPAD_CANVAS, SKETCHPAD_COLOURS

PNG_DATA_URL = "data:image/png;base64,"
#: What the colour swatches are called (for screen readers and tooltips), in ``SKETCHPAD_COLOURS`` order.
COLOUR_NAMES = ("Black", "Blue", "Red", "Green")
#: Longest data URL accepted. A digit drawn on the canvas is 10-40 KB; a canvas filled with
#: scribbles in every colour stays under 300 KB. (The event's whole body is capped at 1 MB.)
MAX_DATA_URL_CHARS = 900_000

#: The page's canvas, its toolbar and colour swatches. A JS template for ``gr.HTML``: no backticks, no ``${``.
TEMPLATE = f"""
<div class="pad-frame">
  <canvas width="{SKETCHPAD_CANVAS}" height="{SKETCHPAD_CANVAS}" aria-label="Drawing canvas: draw one digit"></canvas>
  <div class="pad-hint">Draw one digit, big, in the middle</div>
</div>
<div class="pad-tools">
  <button type="button" class="pad-button" data-action="undo" id="undo-button">Undo</button>
  <button type="button" class="pad-button pad-primary" data-action="clear" id="clear-button">Clear</button>
  <span class="pad-colours" role="group" aria-label="Pen colour">
    {"".join(f'<button type="button" class="pad-colour" data-colour="{c}" style="background:{c}" '
             f'aria-label="{name} pen" title="{name} pen"></button>'
             for c, name in zip(SKETCHPAD_COLOURS, COLOUR_NAMES, strict=True))}
  </span>
</div>
"""

#: Scoped to the component by Gradio. ``--pad-size`` is set by the app's CSS per screen size.
CSS_TEMPLATE = """
.pad-frame { position: relative; width: 100%; max-width: var(--pad-size, 560px); margin: 0 auto; }
canvas { display: block; width: 100%; aspect-ratio: 1 / 1; background: #fff; touch-action: none;
         border: 2px solid var(--border-color-primary, #d0d7e2); border-radius: 12px; cursor: crosshair; }
.pad-hint { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
            pointer-events: none; color: #9aa5b5; font-size: 1.3rem; }
.pad-frame.inked .pad-hint { display: none; }
.pad-tools { display: flex; gap: 0.6rem; align-items: center; justify-content: center; margin: 0.6rem auto 0;
             max-width: var(--pad-size, 560px); flex-wrap: wrap; }
.pad-button { font-size: 1.15rem; font-weight: 600; padding: 0.55rem 1.4rem; border-radius: 10px; cursor: pointer;
              border: 1px solid var(--border-color-primary, #d0d7e2);
              background: var(--button-secondary-background-fill, #f3f4f6);
              color: var(--button-secondary-text-color, #111); }
.pad-primary { background: var(--button-primary-background-fill, #2563eb);
               color: var(--button-primary-text-color, #fff); border-color: transparent; }
.pad-colours { display: inline-flex; gap: 0.45rem; margin-left: 0.4rem; }
.pad-colour { width: 2.1rem; height: 2.1rem; border-radius: 50%; border: 3px solid #fff; cursor: pointer;
              box-shadow: 0 0 0 1px #9aa5b5; padding: 0; }
.pad-colour.chosen { box-shadow: 0 0 0 3px var(--color-accent, #2563eb); }
"""

#: Runs once in the browser when the component is shown (``element``, ``props`` and ``watch`` come from Gradio).
JS_ON_LOAD = f"""
const canvas = element.querySelector('canvas');
const frame = element.querySelector('.pad-frame');
const ctx = canvas.getContext('2d');
const SIZE = {SKETCHPAD_CANVAS};
const RADIUS = {SKETCHPAD_BRUSH_RADIUS};
const root = element.closest('#sketchpad') || element;
const strokes = [];      // every stroke so far: {{colour, points: [[x, y], ...]}}, for Undo
let current = null;      // the stroke being drawn, with the pointer that draws it
let colour = '{SKETCHPAD_COLOURS[0]}';
let seq = 0;

const swatches = Array.from(element.querySelectorAll('.pad-colour'));
const choose = (c) => {{ colour = c; swatches.forEach((s) => s.classList.toggle('chosen', s.dataset.colour === c)); }};
swatches.forEach((s) => s.addEventListener('click', () => choose(s.dataset.colour)));
choose(colour);

const at = (e) => {{
  const box = canvas.getBoundingClientRect();
  return [(e.clientX - box.left) * SIZE / box.width, (e.clientY - box.top) * SIZE / box.height];
}};
const dot = (c, p) => {{
  ctx.fillStyle = c; ctx.beginPath(); ctx.arc(p[0], p[1], RADIUS, 0, 2 * Math.PI); ctx.fill();
}};
const line = (c, a, b) => {{
  ctx.strokeStyle = c; ctx.lineWidth = 2 * RADIUS; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
}};
const blank = () => {{ ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, SIZE, SIZE); }};
const repaint = () => {{
  blank();
  for (const s of strokes) {{
    dot(s.colour, s.points[0]);
    for (let i = 1; i < s.points.length; i++) line(s.colour, s.points[i - 1], s.points[i]);
  }}
  frame.classList.toggle('inked', strokes.length > 0);
}};
const stale = () => document.querySelector('#prediction')?.classList.add('stale');
// The whole drawing goes to the server once per stroke; seq lets the page tell the newest answer.
const send = () => {{
  seq += 1;
  root.dataset.seq = String(seq);
  stale();
  props.value = {{seq: seq, png: strokes.length ? canvas.toDataURL('image/png') : null}};
}};

canvas.addEventListener('pointerdown', (e) => {{
  if (current || (e.pointerType === 'mouse' && e.button !== 0)) return;
  e.preventDefault();
  canvas.setPointerCapture(e.pointerId);
  current = {{id: e.pointerId, stroke: {{colour: colour, points: [at(e)]}}}};
  strokes.push(current.stroke);
  frame.classList.add('inked');
  dot(colour, current.stroke.points[0]);
  stale();
}});
canvas.addEventListener('pointermove', (e) => {{
  if (!current || e.pointerId !== current.id) return;
  const events = (e.getCoalescedEvents && e.getCoalescedEvents().length) ? e.getCoalescedEvents() : [e];
  const points = current.stroke.points;
  for (const ev of events) {{
    const p = at(ev);
    line(current.stroke.colour, points[points.length - 1], p);
    points.push(p);
  }}
}});
const end = (e) => {{
  if (!current || e.pointerId !== current.id) return;
  current = null;
  send();
}};
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);

element.querySelector('[data-action="undo"]').addEventListener('click', () => {{
  if (!strokes.length) return;
  strokes.pop();
  repaint();
  send();
}});
element.querySelector('[data-action="clear"]').addEventListener('click', () => {{
  const had = strokes.length > 0;
  strokes.length = 0;
  repaint();
  if (had) send();
}});
repaint();
root.dataset.ready = '1';  // a signal for tests and scripts: the canvas takes strokes now
"""

#: Runs in the hidden stamp component the Draw tab's answer comes with: when the answer is for the
#: newest drawing, the answer is no longer stale.
ANSWER_STAMP_JS = """
watch('value', () => {
  const pad = document.querySelector('#sketchpad');
  if (pad && String(props.value) === pad.dataset.seq) {
    document.querySelector('#prediction')?.classList.remove('stale');
    pad.dataset.answered = String(props.value);
  }
});
"""

#: The page's style for an answer that is not for the newest drawing yet.
CSS = """
#prediction { transition: opacity 0.12s; }
#prediction.stale { opacity: 0.4; }
"""


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

"""Each simulated phone's own drawings, painted as the Draw tab's canvas paints them.

The digits are :data:`tests.support.sketches.DIGITS` (the strokes the browser bench and tests draw),
moved, turned and scaled a little and drawn with a slightly shaky hand, differently for every
``seed``, on the canvas the page uses (:mod:`mnist_core.strokes`: an opaque white square of
``SKETCHPAD_CANVAS`` px, a round black brush of radius ``SKETCHPAD_BRUSH_RADIUS``). The page sends
the whole canvas at every pen-up, so a digit of two strokes is two pictures: after the first
stroke, and after both. Painted at twice the size and reduced, so the edges are smoothed as a
browser's canvas smooths them (a PNG of about 11 KB; chromium's is 10-20 KB).
"""

from __future__ import annotations

import base64
import math
from io import BytesIO

import numpy as np
from PIL import Image

from mnist_core.strokes import SKETCHPAD_BRUSH_RADIUS, SKETCHPAD_CANVAS, paint, resample, wobble
from tests.support.sketches import DIGITS

#: Painted this many times larger, then reduced (smooth edges).
SUPERSAMPLE = 2
#: How far a phone's digit differs from the plain one: turn (degrees), scale, shift and pen tremor
#: (fractions of the canvas).
TURN_DEG, SCALE, SHIFT, TREMOR = 8.0, (0.85, 1.1), 0.06, 0.008


def png_data_url(image: Image.Image) -> str:
    """The canvas as ``canvas.toDataURL('image/png')`` gives it (zlib level 1: a browser compresses fast)."""
    buffer = BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def phone_digit(rng: np.random.Generator) -> list[str]:
    """One digit drawn by one hand: the canvas after each of its strokes, as PNG data URLs."""
    shapes = list(DIGITS.values())
    strokes = shapes[int(rng.integers(len(shapes)))]
    angle = math.radians(rng.uniform(-TURN_DEG, TURN_DEG))
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) * rng.uniform(*SCALE)
    shift = rng.uniform(-SHIFT, SHIFT, 2)
    side = SKETCHPAD_CANVAS * SUPERSAMPLE
    image = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    pictures = []
    for points in strokes:
        fractions = (np.asarray(points) - 0.5) @ turn.T + 0.5 + shift
        path = wobble(resample(fractions, 0.01), TREMOR, rng)
        paint(image, [path * side], (0, 0, 0, 255), SKETCHPAD_BRUSH_RADIUS * SUPERSAMPLE)
        pictures.append(png_data_url(image.resize((SKETCHPAD_CANVAS, SKETCHPAD_CANVAS), Image.Resampling.BOX)))
    return pictures


def phone_drawings(seed: int, digits: int) -> list[list[str]]:
    """``digits`` digits as the phone ``seed`` draws them (the same seed, the same bytes)."""
    rng = np.random.default_rng(seed)
    return [phone_digit(rng) for _ in range(digits)]

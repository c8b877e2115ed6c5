"""Pen strokes painted the way the Draw tab's sketchpad paints them.

Digits recorded as pen trajectories (lists of strokes, each a list of points) become the
same picture a visitor's drawing becomes, so they can be read, trained on and measured
exactly like drawings: through :func:`mnist_core.preprocess.sketch_to_mnist`.

The Draw tab's pad (``demo/views/drawing_pad.py``) paints an opaque white canvas of
``SKETCHPAD_CANVAS`` pixels a side with a hard-edged round brush ``2 * SKETCHPAD_BRUSH_RADIUS``
pixels wide, in one of the palette colours. It is built from the constants here, so the
two cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

#: Side of the Draw tab's square canvas, in pixels.
SKETCHPAD_CANVAS = 560
#: The radius of the Draw tab's pen, in canvas pixels (a 44-px-wide line).
SKETCHPAD_BRUSH_RADIUS = 22
#: The Draw tab's brush colours (RGB hex); the first is the default.
SKETCHPAD_COLOURS = ("#000000", "#1f4fd8", "#d62728", "#2b8a3e")

Points = np.ndarray  # (n, 2) float: x, y in any units, y pointing down


@dataclass(frozen=True)
class SketchStyle:
    """How a stroke sample is drawn on the canvas: its size, place, brush and hand.

    The ranges cover what visitors do: a digit from a third of the canvas to nearly all of
    it, anywhere it fits, with the Draw tab's pen or a thinner or thicker one (a drawing sent
    through the API), and the slant, tilt and proportions varying from one hand to another.
    """

    height: tuple[float, float] = (0.3, 0.9)  # longer side of the digit, as a fraction of the canvas
    radius: tuple[float, float] = (10.0, 34.0)  # brush radius in canvas pixels (the Draw tab's pen: 22)
    rotation_deg: float = 0.0
    shear: float = 0.0  # slant: x += shear * y
    aspect: float = 0.0  # log-ratio of width to height
    wobble: float = 0.0  # smooth pen tremor, as a fraction of the digit's size


#: Drawn as a visitor would, with no change to the writer's own shape (for evaluation).
AS_WRITTEN = SketchStyle()
#: The writer's shape varied the ways hands vary (for training variants).
VARIED = SketchStyle(rotation_deg=10.0, shear=0.25, aspect=0.2, wobble=0.012)


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """'#1f4fd8' -> (31, 79, 216)."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def jitter_matrix(rng: np.random.Generator, rotation_deg: float, shear: float, aspect: float) -> np.ndarray:
    """A random (2, 2) linear map: rotation, then slant, then a change of proportions."""
    angle = math.radians(rng.uniform(-rotation_deg, rotation_deg)) if rotation_deg else 0.0
    sh = rng.uniform(-shear, shear) if shear else 0.0
    asp = math.exp(rng.uniform(-aspect, aspect)) if aspect else 1.0
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return rot @ np.array([[1.0, sh], [0.0, 1.0]]) @ np.diag([asp, 1.0])


def resample(points: Points, spacing: float) -> Points:
    """Points (n, 2) along a polyline every ``spacing`` units (corners kept), so a wobble bends it smoothly."""
    pts = np.asarray(points, np.float64)
    out = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / spacing)))
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(out)


def wobble(points: Points, amplitude: float, rng: np.random.Generator) -> Points:
    """Add a smooth random displacement (a low-pass random walk) of about ``amplitude`` to points (n, 2)."""
    n = len(points)
    noise = rng.normal(size=(n + 16, 2))
    kernel = np.hanning(15)
    smooth = np.stack([np.convolve(noise[:, i], kernel / kernel.sum(), mode="same") for i in range(2)], 1)[8:8 + n]
    scale = np.abs(smooth).max() or 1.0
    return points + smooth / scale * amplitude


def paint(img: Image.Image, strokes: Sequence[Points], colour: tuple[int, ...], radius: float) -> None:
    """Paint each stroke (n, 2) in canvas pixels with a hard round brush of ``radius`` px, as the sketchpad does.

    A line ``2 * radius`` wide plus a disc at every point gives round caps and joins.
    """
    draw = ImageDraw.Draw(img)
    width = max(1, round(2 * radius))
    for pts in strokes:
        xy = [(float(x), float(y)) for x, y in pts]
        if len(xy) > 1:
            draw.line(xy, fill=colour, width=width)
        for x, y in xy:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


def place(strokes: Sequence[Points], rng: np.random.Generator, *, canvas: int, longer_side: float,
          margin: float) -> list[Points]:
    """Scale strokes so their longer side is ``longer_side`` px and put them at a random place that fits."""
    allpts = np.concatenate(strokes)
    lo, hi = allpts.min(0), allpts.max(0)
    scale = longer_side / max(float((hi - lo).max()), 1e-6)
    extent = (hi - lo) * scale
    offset = np.array([rng.uniform(margin, max(margin, canvas - margin - extent[i])) for i in range(2)])
    return [(s - lo) * scale + offset for s in strokes]


def draw_on_sketchpad(strokes: Sequence[Points], rng: np.random.Generator, style: SketchStyle = AS_WRITTEN, *,
                      canvas: int = SKETCHPAD_CANVAS, colours: Sequence[str] = SKETCHPAD_COLOURS) -> np.ndarray:
    """Strokes (any units, y down) -> the (canvas, canvas, 4) uint8 RGBA image the sketchpad would send.

    Size, place, brush radius and colour are drawn from ``style`` and ``colours``; the
    writer's shape is varied only as far as ``style`` says (not at all by default).
    """
    pts = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes if len(s)]
    if not pts:
        raise ValueError("a drawing needs at least one point")
    allpts = np.concatenate(pts)
    size = max(float(np.ptp(allpts, axis=0).max()), 1e-6)
    centre = allpts.mean(0)
    m = jitter_matrix(rng, style.rotation_deg, style.shear, style.aspect)
    pts = [(p - centre) @ m.T for p in pts]
    if style.wobble:
        pts = [wobble(resample(p, size / 50), style.wobble * size, rng) for p in pts]
    radius = rng.uniform(*style.radius)
    longer = rng.uniform(*style.height) * canvas
    colour = (*hex_to_rgb(colours[int(rng.integers(len(colours)))]), 255)
    img = Image.new("RGBA", (canvas, canvas), (255, 255, 255, 255))
    paint(img, place(pts, rng, canvas=canvas, longer_side=min(longer, canvas - 2 * radius - 4), margin=radius + 2),
          colour, radius)
    return np.asarray(img)

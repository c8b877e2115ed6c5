"""Synthetic sketchpad drawings, for measuring how well a model reads what people draw.

None of these come from MNIST's training images, so a model trained on MNIST has not seen
them. Every drawing is rendered as the app's sketchpad shows it: an 800x800 RGBA canvas,
one round brush of constant width (20-40 px), a palette colour, on a transparent or white
background, at a random size and place. Two sources of digits:

- ``glyph``: single-stroke (Hershey-style) digit shapes written out below as polylines in a
  unit box, several variants per digit (a 7 with and without its bar, an open and a closed
  4, ...), with a random affine jitter (rotation, shear, aspect) and a smooth pen wobble;
- ``mnist-test``: MNIST *test* digits thinned to their skeleton (Zhang-Suen) and redrawn
  along it with the round brush, as if traced with a pen: the writers' shapes, the
  sketchpad's stroke.

And drawings that are not one digit, which should get a "not sure": scribbles, letters
that look like no digit, and two digits side by side.

For a check that needs one known drawing rather than a sample (the tests' and benches' "a 7"),
:func:`plain_digit` draws a digit plainly, without jitter, the same way every time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from mnist_core.strokes import jitter_matrix, paint, place, resample, wobble

CANVAS = 800
BRUSH = (20, 40)
#: Brush colours as RGB (a sketchpad palette), drawn at full opacity.
PALETTE = ((0, 0, 0), (40, 40, 40), (220, 38, 38), (37, 99, 235), (22, 163, 74), (147, 51, 234), (234, 88, 12),
           (8, 145, 178))
SOURCES = ("glyph", "mnist-test")

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points of an elliptic arc from angle ``start`` to ``end`` (degrees, 90 = top, y grows downwards)."""
    return [(cx + rx * math.cos(math.radians(t)), cy - ry * math.sin(math.radians(t)))
            for t in np.linspace(start, end, n)]


# Each digit: variants, each a list of strokes, in a box x in [0, 0.6], y in [0, 1] (y down).
GLYPHS: dict[int, list[list[Stroke]]] = {
    0: [[_arc(0.3, 0.5, 0.3, 0.5, 95, 455, 40)],
        [_arc(0.3, 0.5, 0.26, 0.5, 80, -290, 40)]],
    1: [[[(0.3, 0.0), (0.3, 1.0)]],
        [[(0.1, 0.2), (0.32, 0.0), (0.32, 1.0)]],
        [[(0.1, 0.2), (0.32, 0.0), (0.32, 1.0)], [(0.1, 1.0), (0.55, 1.0)]]],
    2: [[_arc(0.3, 0.28, 0.29, 0.28, 165, -35) + [(0.02, 1.0), (0.62, 1.0)]],
        [_arc(0.3, 0.3, 0.28, 0.3, 150, -20) + [(0.05, 0.95), (0.1, 0.9), (0.3, 1.0), (0.62, 0.98)]]],
    3: [[_arc(0.3, 0.25, 0.27, 0.25, 150, -90) + _arc(0.3, 0.74, 0.3, 0.26, 90, -150)[1:]],
        [[(0.02, 0.0), (0.58, 0.0), (0.25, 0.42)] + _arc(0.3, 0.7, 0.3, 0.3, 100, -150)]],
    4: [[[(0.42, 0.0), (0.0, 0.68), (0.62, 0.68)], [(0.45, 0.32), (0.45, 1.0)]],
        [[(0.08, 0.0), (0.03, 0.58), (0.6, 0.58)], [(0.46, 0.15), (0.46, 1.0)]],
        [[(0.45, 1.0), (0.45, 0.0), (0.0, 0.7), (0.62, 0.7)]]],
    5: [[[(0.55, 0.0), (0.08, 0.0), (0.04, 0.45)] + _arc(0.3, 0.7, 0.3, 0.3, 125, -150)],
        [[(0.06, 0.02), (0.03, 0.45)] + _arc(0.3, 0.7, 0.3, 0.3, 125, -150), [(0.06, 0.02), (0.58, 0.02)]]],
    6: [[[(0.5, 0.0), (0.25, 0.2), (0.08, 0.5)] + _arc(0.3, 0.72, 0.26, 0.28, 170, 540, 36)],
        [_arc(0.55, 0.55, 0.5, 0.55, 100, 180, 10) + _arc(0.31, 0.74, 0.26, 0.26, 180, 530, 36)]],
    7: [[[(0.0, 0.0), (0.6, 0.0), (0.2, 1.0)]],
        [[(0.0, 0.05), (0.6, 0.0), (0.22, 1.0)], [(0.15, 0.5), (0.52, 0.5)]],
        [[(0.02, 0.15), (0.05, 0.0), (0.6, 0.02), (0.4, 0.45), (0.3, 1.0)]]],
    8: [[_arc(0.3, 0.25, 0.23, 0.25, 90, 450, 32), _arc(0.3, 0.75, 0.29, 0.25, 90, 450, 32)],
        [_arc(0.3, 0.25, 0.25, 0.25, 0, 270, 24) + _arc(0.3, 0.75, 0.3, 0.25, 90, -270, 36)
         + _arc(0.3, 0.25, 0.25, 0.25, -90, -360, 24)[1:]]],
    9: [[_arc(0.3, 0.28, 0.29, 0.28, 0, 370, 32) + [(0.58, 0.3), (0.55, 1.0)]],
        [_arc(0.3, 0.28, 0.29, 0.28, 10, 370, 32) + _arc(0.0, 0.3, 0.58, 0.7, 0, -80, 12)]],
}

#: Letters that look like no digit (an O, l, S, Z, B or g would rightly be read as one).
LETTERS: dict[str, list[Stroke]] = {
    "A": [[(0.0, 1.0), (0.3, 0.0), (0.6, 1.0)], [(0.12, 0.6), (0.48, 0.6)]],
    "X": [[(0.0, 0.0), (0.6, 1.0)], [(0.6, 0.0), (0.0, 1.0)]],
    "K": [[(0.05, 0.0), (0.05, 1.0)], [(0.6, 0.0), (0.05, 0.55), (0.6, 1.0)]],
    "M": [[(0.0, 1.0), (0.0, 0.0), (0.3, 0.6), (0.6, 0.0), (0.6, 1.0)]],
    "W": [[(0.0, 0.0), (0.15, 1.0), (0.3, 0.4), (0.45, 1.0), (0.6, 0.0)]],
    "H": [[(0.0, 0.0), (0.0, 1.0)], [(0.6, 0.0), (0.6, 1.0)], [(0.0, 0.5), (0.6, 0.5)]],
    "E": [[(0.6, 0.0), (0.0, 0.0), (0.0, 1.0), (0.6, 1.0)], [(0.0, 0.5), (0.45, 0.5)]],
    "R": [[(0.0, 1.0), (0.0, 0.0)] + _arc(0.2, 0.25, 0.3, 0.25, 90, -90) + [(0.0, 0.5), (0.6, 1.0)]],
    "N": [[(0.0, 1.0), (0.0, 0.0), (0.6, 1.0), (0.6, 0.0)]],
    "Y": [[(0.0, 0.0), (0.3, 0.5), (0.6, 0.0)], [(0.3, 0.5), (0.3, 1.0)]],
}


#: Digits drawn plainly, as a person draws them on the pad: strokes in canvas fractions (x right, y down).
PLAIN_DIGITS: dict[int, list[Stroke]] = {
    0: [[(0.5, 0.15), (0.3, 0.3), (0.27, 0.55), (0.35, 0.8), (0.5, 0.87), (0.65, 0.8), (0.73, 0.55),
         (0.7, 0.3), (0.5, 0.15)]],
    1: [[(0.42, 0.27), (0.52, 0.15), (0.52, 0.85)]],  # a short flag, as MNIST's writers drew it
    4: [[(0.55, 0.15), (0.25, 0.6), (0.75, 0.6)], [(0.6, 0.35), (0.6, 0.88)]],
    7: [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
}


#: Digits as a browser draws them on the page's canvas, by name: one- and two-stroke digits, strokes in canvas
#: fractions (the browser benches and tests draw these with the mouse or a finger).
DIGITS: dict[str, list[Stroke]] = {
    "1 (European)": [[(0.30, 0.45), (0.55, 0.15), (0.55, 0.85)]],
    "7": [[(0.28, 0.22), (0.72, 0.22), (0.45, 0.82)]],
    "4": [[(0.30, 0.15), (0.22, 0.55), (0.72, 0.55)], [(0.60, 0.25), (0.60, 0.90)]],
    "7 (crossed)": [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.85)], [(0.42, 0.52), (0.68, 0.52)]],
}


#: Two crossing strokes: no digit, so no model has learnt what it is. The teach-the-model tests say what it is.
CROSS = [[(0.25, 0.2), (0.75, 0.8)], [(0.75, 0.2), (0.25, 0.8)]]


def plain_strokes(strokes: list[list[tuple[float, float]]] | None, *, size: int = CANVAS,
                  ink: tuple[int, ...] | str = (0, 0, 0, 255),
                  background: tuple[int, ...] | str = (255, 255, 255, 255), width: float | None = None,
                  shift: tuple[float, float] = (0.0, 0.0)) -> Image.Image:
    """``strokes`` (fractions of the canvas) drawn with a round brush on a ``size`` square RGBA canvas, as the
    sketchpad sends it; blank for ``None``. ``width`` is the brush's (default a 18th of the canvas), ``shift``
    moves the strokes by a fraction of the canvas (a new drawing of the same thing)."""
    img = Image.new("RGBA", (size, size), background)
    if strokes is not None:
        paint(img, [(np.array(s) + shift) * size for s in strokes], ink, (width or size / 18) / 2)
    return img


def plain_digit(digit: int | None = 7, **style: Any) -> Image.Image:
    """``digit`` (one of :data:`PLAIN_DIGITS`, or ``None``: blank) drawn as :func:`plain_strokes` draws."""
    return plain_strokes(None if digit is None else PLAIN_DIGITS[digit], **style)


@dataclass(frozen=True)
class Drawing:
    """One rendered drawing: the canvas as the app receives it, and what is on it."""

    canvas: np.ndarray  # (800, 800, 4) uint8 RGBA
    label: int  # the digit, or -1 for a drawing that is not one digit
    source: str  # "glyph", "mnist-test", "scribble", "letter" or "two-digits"


def _canvas(rng: np.random.Generator) -> tuple[Image.Image, tuple[int, int, int, int], int]:
    """A blank canvas (transparent or white), a palette colour and a brush width."""
    transparent = rng.random() < 0.5
    background = (0, 0, 0, 0) if transparent else (255, 255, 255, 255)
    colour = PALETTE[rng.integers(len(PALETTE))]
    return Image.new("RGBA", (CANVAS, CANVAS), background), (*colour, 255), int(rng.integers(*BRUSH, endpoint=True))


def _place(strokes: list[np.ndarray], rng: np.random.Generator, height: tuple[float, float] = (150, 650),
           ) -> list[np.ndarray]:
    """Scale strokes (unit-box coordinates) to a random height and position that fits the canvas."""
    return place(strokes, rng, canvas=CANVAS, longer_side=rng.uniform(*height), margin=30)


def render_strokes(strokes: list[Stroke], rng: np.random.Generator, *, wobbly: bool = True,
                   height: tuple[float, float] = (150, 650)) -> np.ndarray:
    """Strokes in a unit box -> an (800, 800, 4) uint8 canvas, jittered, wobbled, placed and painted."""
    m = jitter_matrix(rng, rotation_deg=12, shear=0.25, aspect=0.25)
    amp = rng.uniform(0.008, 0.03) if wobbly else 0.0
    pts = [wobble(resample(s, 0.02), amp, rng) @ m.T for s in strokes]
    img, colour, width = _canvas(rng)
    paint(img, _place(pts, rng, height), colour, width / 2)
    return np.asarray(img)


def glyph_drawing(digit: int, rng: np.random.Generator) -> np.ndarray:
    """A single-stroke digit shape (a random variant), jittered, wobbled and painted on a canvas."""
    variants = GLYPHS[digit]
    return render_strokes(variants[rng.integers(len(variants))], rng)


def zhang_suen_thin(mask: np.ndarray) -> np.ndarray:
    """The one-pixel-wide skeleton of a boolean image (H, W) by Zhang-Suen thinning, vectorised in numpy."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for first in (True, False):
            p = img
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            # P2..P9 clockwise from north; B = number of neighbours, A = 0->1 transitions around the ring
            b = sum(x.astype(np.int32) for x in n)
            a = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if first:
                c = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                c = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (p[1:-1, 1:-1] == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if remove.any():
                img = img.copy()
                img[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def skeleton_strokes(digit: np.ndarray) -> list[np.ndarray]:
    """Segments (2, 2) joining 8-connected skeleton pixels of a uint8/float (28, 28) digit, (x, y) in pixels."""
    skel = zhang_suen_thin(digit > (0.5 * digit.max()))
    ys, xs = np.nonzero(skel)
    on = set(zip(ys.tolist(), xs.tolist(), strict=True))
    segments = []
    for y, x in on:
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):  # each neighbour pair once
            if (y + dy, x + dx) in on:
                segments.append(np.array([[x, y], [x + dx, y + dy]], np.float64))
        segments.append(np.array([[x, y]], np.float64))  # isolated pixels are dots
    return segments


def mnist_test_drawing(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST test digit (28, 28) redrawn along its skeleton with a round brush on a canvas."""
    segments = skeleton_strokes(digit)
    m = jitter_matrix(rng, rotation_deg=6, shear=0.12, aspect=0.12)
    pts = [s @ m.T for s in segments]
    img, colour, width = _canvas(rng)
    paint(img, _place(pts, rng), colour, width / 2)
    return np.asarray(img)


def drawn_digits(n: int, *, seed: int = 0, test_images: torch.Tensor | None = None,
                 test_labels: torch.Tensor | None = None) -> Iterator[Drawing]:
    """``n`` drawn digits, labels cycling 0..9, alternating the glyph and (if given) MNIST-test sources.

    MNIST test digits are taken from a seeded permutation of the test set, so a given seed
    always draws the same digits.
    """
    rng = np.random.default_rng(seed)
    order = None
    if test_images is not None:
        order = torch.randperm(len(test_images), generator=torch.Generator().manual_seed(seed)).tolist()
    for i in range(n):
        if order is not None and i % 2 == 1:
            j = order[(i // 2) % len(order)]
            yield Drawing(mnist_test_drawing(test_images[j].numpy(), rng), int(test_labels[j]), "mnist-test")
        else:
            digit = (i // (2 if order is not None else 1)) % 10
            yield Drawing(glyph_drawing(digit, rng), digit, "glyph")


def scribble(rng: np.random.Generator) -> np.ndarray:
    """A random tangle: a smooth random walk of a few loops."""
    n = int(rng.integers(6, 14))
    pts = np.cumsum(rng.normal(size=(n, 2)), axis=0)
    dense = resample(pts, 0.05)
    return render_strokes([[tuple(p) for p in wobble(dense, 0.3, rng)]], rng, wobbly=False)


def non_digits(n: int, *, seed: int = 0) -> Iterator[Drawing]:
    """``n`` drawings that are not one digit: scribbles, letters, and two digits side by side, in turn."""
    rng = np.random.default_rng(seed + 1_000_003)
    letters = list(LETTERS)
    for i in range(n):
        kind = ("scribble", "letter", "two-digits")[i % 3]
        if kind == "scribble":
            yield Drawing(scribble(rng), -1, kind)
        elif kind == "letter":
            yield Drawing(render_strokes(LETTERS[letters[(i // 3) % len(letters)]], rng), -1, kind)
        else:
            a, b = rng.integers(10, size=2)
            left = GLYPHS[int(a)][rng.integers(len(GLYPHS[int(a)]))]
            right = GLYPHS[int(b)][rng.integers(len(GLYPHS[int(b)]))]
            strokes = [s for s in left] + [[(x + 0.85, y) for x, y in s] for s in right]
            yield Drawing(render_strokes(strokes, rng, height=(250, 700)), -1, kind)

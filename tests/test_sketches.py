"""Synthetic drawings: sketchpad-shaped canvases, reproducible, and a thinning that really thins."""

from __future__ import annotations

import numpy as np
import torch

from tests.support.sketches import GLYPHS, drawn_digits, non_digits, skeleton_strokes, zhang_suen_thin


def test_drawings_look_like_what_the_sketchpad_sends() -> None:
    images = torch.zeros(4, 28, 28, dtype=torch.uint8)
    images[:, 5:23, 12:16] = 255
    drawings = list(drawn_digits(6, seed=1, test_images=images, test_labels=torch.tensor([1, 1, 1, 1])))
    assert [d.source for d in drawings] == ["glyph", "mnist-test"] * 3
    assert [d.label for d in drawings[::2]] == [0, 1, 2]
    for d in drawings:
        assert d.canvas.shape == (800, 800, 4) and d.canvas.dtype == np.uint8
        inked = (d.canvas[:, :, 3] > 0) if d.canvas[0, 0, 3] == 0 else (d.canvas[:, :, :3].min(2) < 250)
        assert 0.002 < inked.mean() < 0.3  # some ink, mostly background
    again = list(drawn_digits(6, seed=1, test_images=images, test_labels=torch.tensor([1, 1, 1, 1])))
    assert all(np.array_equal(a.canvas, b.canvas) for a, b in zip(drawings, again, strict=True))


def test_every_digit_has_glyphs_and_non_digits_come_in_three_kinds() -> None:
    assert sorted(GLYPHS) == list(range(10)) and all(GLYPHS[d] for d in GLYPHS)
    junk = list(non_digits(6))
    assert [d.source for d in junk] == ["scribble", "letter", "two-digits"] * 2 and {d.label for d in junk} == {-1}


def test_thinning_leaves_a_one_pixel_line() -> None:
    bar = np.zeros((28, 28), bool)
    bar[4:24, 10:16] = True
    skeleton = zhang_suen_thin(bar)
    assert skeleton.sum() >= 12 and skeleton[:, :].sum(1).max() <= 2  # one (or two) pixels across
    assert skeleton[10:18].any(1).all()  # still connected top to bottom
    assert len(skeleton_strokes(bar.astype(np.uint8) * 255)) > 10

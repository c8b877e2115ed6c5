"""Sketch preprocessing: what a drawing becomes does not depend on where, how big or in which colours it is drawn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from mnist_core.preprocess import (
    BOX,
    MNIST_STROKE,
    STROKE_SCALE,
    ImageInputError,
    _crop_to_ink,
    _InkSource,
    ink_bbox,
    sketch_to_mnist,
    stroke_width_estimate,
)

SEVEN = [(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]  # a 7 as a polyline in a unit box


def draw(points=SEVEN, *, size: int = 800, box: tuple[int, int, int] = (200, 150, 400), width: int = 28,
         ink=(0, 0, 0, 255), background=(255, 255, 255, 255), mode: str = "RGBA") -> Image.Image:
    """Render a polyline digit as a sketchpad would: round brush, ``box`` = (left, top, height)."""
    left, top, height = box
    img = Image.new("RGBA", (size, size), background)
    xy = [(left + x * height * 0.7, top + y * height) for x, y in points]
    d = ImageDraw.Draw(img)
    d.line(xy, fill=ink, width=width, joint="curve")
    for x, y in xy:
        d.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return img if mode == "RGBA" else img.convert(mode)


def test_blank_canvases_give_none() -> None:
    assert sketch_to_mnist(Image.new("RGBA", (800, 800), (255, 255, 255, 255))) is None
    assert sketch_to_mnist(Image.new("RGBA", (800, 800), (0, 0, 0, 0))) is None
    assert sketch_to_mnist(np.zeros((64, 64), np.uint8)) is None


def test_output_is_mnist_like() -> None:
    digit = sketch_to_mnist(draw())
    assert digit.shape == (28, 28) and digit.min() >= 0 and 0.8 <= digit.max() <= 1.0
    rows, cols = torch.nonzero(digit > 0.05, as_tuple=True)
    assert rows.max() - rows.min() + 1 in (20, 21)  # the longer side fits the 20-pixel box (+1 sub-pixel)
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    com = ((digit * ys).sum() / digit.sum(), (digit * xs).sum() / digit.sum())
    assert abs(com[0] - 13.5) <= 1 and abs(com[1] - 13.5) <= 1  # centred by centre of mass


def test_translation_and_scale_barely_change_the_result() -> None:
    reference = sketch_to_mnist(draw())
    moved = sketch_to_mnist(draw(box=(20, 300, 400)))
    smaller = sketch_to_mnist(draw(box=(500, 500, 200), width=14))
    assert (moved - reference).abs().mean() < 0.01
    assert (smaller - reference).abs().mean() < 0.02


@pytest.mark.parametrize("ink,background", [
    ((220, 30, 30, 255), (255, 255, 255, 255)),  # red on white
    ((30, 60, 230, 255), (0, 0, 0, 0)),  # blue on transparent
    ((255, 255, 255, 255), (0, 0, 0, 255)),  # white on black, like MNIST itself
    ((255, 230, 0, 255), (255, 255, 255, 255)),  # yellow on white: little contrast in two channels
])
def test_any_colour_on_any_background_gives_the_same_digit(ink, background) -> None:
    reference = sketch_to_mnist(draw())
    assert (sketch_to_mnist(draw(ink=ink, background=background)) - reference).abs().mean() < 0.01


def test_a_thin_one_stays_thin() -> None:
    one = sketch_to_mnist(draw([(0.5, 0.0), (0.5, 1.0)], width=20))
    cols = torch.nonzero(one.amax(0) > 0.3).squeeze(1)
    assert len(cols) <= 4  # not stretched into a blob


@pytest.mark.parametrize("mode", ["L", "LA", "P", "CMYK", "RGB", "I;16", "1"])
def test_image_modes_are_accepted(mode: str) -> None:
    if mode == "I;16":
        img = Image.fromarray(np.asarray(draw().convert("L"), dtype=np.uint16) * 257)
    else:
        img = draw(mode=mode)
    digit = sketch_to_mnist(img)
    assert digit is not None and (digit - sketch_to_mnist(draw())).abs().mean() < 0.03


def test_numpy_arrays_of_any_layout() -> None:
    rgba = np.asarray(draw())
    reference = sketch_to_mnist(draw())
    for arr in (rgba, rgba[:, :, :3], rgba[:, :, 0], rgba.astype(np.float32) / 255, rgba[:, :, :1]):
        assert (sketch_to_mnist(arr) - reference).abs().mean() < 0.02


def test_extreme_sizes_are_handled() -> None:
    assert sketch_to_mnist(np.ones((1, 1), np.uint8) * 255) is None
    huge = Image.new("L", (10000, 10000), 255)
    ImageDraw.Draw(huge).line([(3000, 2000), (3000, 8000)], fill=0, width=300)
    digit = sketch_to_mnist(huge)
    assert digit is not None and digit.shape == (28, 28)


@pytest.mark.parametrize("bad", ["not an image", np.zeros((0, 5)), np.zeros((4, 4, 7)), None])
def test_non_images_are_refused_with_a_message(bad) -> None:
    with pytest.raises(ImageInputError):
        sketch_to_mnist(bad)


def test_a_thin_brush_is_thickened_toward_mnist_and_a_thick_one_kept() -> None:
    thin, thick = sketch_to_mnist(draw(width=8)), sketch_to_mnist(draw(width=60))
    reference = sketch_to_mnist(draw(width=28))
    ink = [float(d.sum()) for d in (thin, reference, thick)]
    assert ink[0] > 0.6 * ink[1]  # a hairline no longer reaches the model as a faint 1-px trace
    assert ink[2] > ink[1]  # thick strokes are not eroded
    unnormalised = sketch_to_mnist(draw(width=8), stroke=False)
    assert float(unnormalised.sum()) < ink[0]


def test_stroke_width_estimate_measures_a_bar() -> None:
    bar = np.zeros((80, 80), np.float32)
    bar[10:70, 30:40] = 1.0  # 10 px wide, 60 long
    assert 9.0 < stroke_width_estimate(bar) * np.pi / 4 * (60 + 10) / 60 < 11.0
    assert stroke_width_estimate(np.zeros((5, 5), np.float32)) == 0.0


def mnist_stroke_width(images: torch.Tensor) -> float:
    """Median stroke width of uint8 MNIST-style digits (N, 28, 28), each enlarged to the 80-px box first."""
    widths = []
    for img in images.numpy().astype(np.float32) / 255.0:
        crop = _crop_to_ink(np.where(img > 0.05, img, 0.0))
        h, w = crop.shape
        s = BOX * STROKE_SCALE / max(h, w)
        big = Image.fromarray(crop, mode="F").resize((max(1, round(w * s)), max(1, round(h * s))),
                                                     Image.Resampling.BILINEAR)
        widths.append(stroke_width_estimate(np.asarray(big)))
    return float(np.median(widths))


def test_mnist_stroke_constant_matches_real_mnist(mnist) -> None:
    measured = mnist_stroke_width(mnist.train_images[::60])
    assert abs(measured - MNIST_STROKE) < 0.5, measured


def test_a_hairline_on_a_big_canvas_is_found_despite_decimation() -> None:
    img = Image.new("L", (800, 800), 255)
    ImageDraw.Draw(img).line([(401, 100), (401, 700)], fill=0, width=1)  # between the decimated columns
    digit = sketch_to_mnist(img)
    assert digit is not None and digit.sum() > 5


def test_the_bounding_box_is_exact_at_full_resolution() -> None:
    canvas = np.zeros((800, 800, 4), np.uint8)
    canvas[203:598, 301:342, :] = 255  # edges off the decimation grid
    assert ink_bbox(_InkSource(canvas)) == (203, 598, 301, 342)
    canvas[:, :, :3] = 255
    canvas[:, :, 3] = 255
    canvas[203:598, 301:342, :3] = (200, 30, 30)  # opaque white background, red ink
    assert ink_bbox(_InkSource(canvas)) == (203, 598, 301, 342)


def test_image_files_are_checked_before_they_are_decoded(tmp_path) -> None:
    """The size an image declares is checked unread; a named pipe is refused unopened."""
    import os

    from mnist_core.preprocess import MAX_IMAGE_PIXELS, load_image_file

    bomb = tmp_path / "bomb.png"
    Image.new("1", (5000, 5000), 1).save(bomb, optimize=True)  # 10 KB on disk, 100 MB as RGBA
    with pytest.raises(ImageInputError, match=r"bomb\.png: 25\.0 megapixels is too large .* limit is 16\.8"):
        load_image_file(bomb)
    assert MAX_IMAGE_PIXELS < 25_000_000 < 2 * MAX_IMAGE_PIXELS  # refused by our check, not PIL's own
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ImageInputError, match="pipe.png: is a named pipe"):
        load_image_file(tmp_path / "pipe.png")

"""Turn a drawing (any size, colour and background) into the 28x28 image MNIST models expect.

MNIST digits are white on black, scaled so the longer side of the digit fits a 20x20 box
(aspect ratio kept, anti-aliased) and placed so the centre of mass sits at the centre of
the 28x28 frame. A sketchpad drawing is none of that, so this module:

1. finds the ink: the alpha channel when the background (the border) is transparent,
   otherwise the contrast with the background colour (the median of the border), for any
   brush colour;
2. crops to the ink's bounding box;
3. scales the longer side to ``STROKE_SCALE`` x 20 px keeping the aspect ratio (a thin
   ``1`` stays thin) and, where the stroke is thinner than MNIST's pen, thickens it to
   MNIST's typical width (a 25 px brush on a 500 px digit is a 1 px hairline at 20 px);
4. averages that down to fit the 20x20 box (anti-aliased, like MNIST);
5. places the result by its centre of mass in a 28x28 frame, to a sub-pixel.

Speed: the Draw tab sends its 560x560 RGBA canvas after every stroke, and converting all of
it to float costs milliseconds. Everything here works on uint8: the ink's bounding box is
found on a decimated view, refined at full resolution only around it, and only the
cropped region is resampled (by PIL, in C). Colour distance is computed after the area
resampling, which is exact for one brush colour (a mixed pixel's distance from the
background is proportional to its ink coverage).

A blank drawing gives ``None``: there is nothing to predict.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any, BinaryIO

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from mnist_core.data import IMAGE_SIZE
from mnist_core.files import FileProblem, open_regular_file, short_reason
from mnist_core.text import N_, Text

BOX = 20
#: Pixels whose ink is below this fraction of the strongest ink count as background.
INK_THRESHOLD = 0.15
#: Largest side accepted before downscaling; keeps huge uploads cheap and bounded.
MAX_SIDE = 1024
#: Most pixels an image file may declare (4096 x 4096, more than a 16-megapixel photo). A sketchpad sends
#: 560 x 560; decoding is what costs memory (4 bytes a pixel in RGBA), so larger files are refused unread.
MAX_IMAGE_PIXELS = 4096 * 4096
#: The stroke is measured and thickened at this multiple of the 20-px box (80 px).
STROKE_SCALE = 4
#: MNIST's median stroke width, in pixels of the 80-px box, by :func:`stroke_width_estimate`
#: on the training digits (``tests/test_core_preprocess.py`` measures it again on real MNIST).
MNIST_STROKE = 9.7
#: The bounding box is first looked for on every ``DECIMATE``-th pixel of canvases this large or larger.
DECIMATE = 4


class ImageInputError(ValueError):
    """An input that is not a usable image; the message says why."""


def to_uint8_array(image: Any) -> np.ndarray:
    """Any PIL image or numpy array (H, W), (H, W, 1/2/3/4), any dtype -> uint8 (H, W) or (H, W, 2/3/4).

    uint8 arrays pass through without a copy; other dtypes are scaled to 0..255 (integers by
    their type's maximum, floats from [0, 1]). Images larger than ``MAX_SIDE`` are reduced.
    """
    if isinstance(image, Image.Image):
        if image.width < 1 or image.height < 1:
            raise ImageInputError("the image is empty")
        if max(image.size) > MAX_SIDE:
            image = image.copy()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            arr = np.asarray(image, dtype=np.float32)
            return (arr * (255.0 / max(float(arr.max()), 1.0))).round().clip(0, 255).astype(np.uint8)
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGBA")
        return np.asarray(image)
    if not isinstance(image, np.ndarray):
        raise ImageInputError(f"expected an image, got {type(image).__name__}")
    arr = image
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)) or arr.size == 0:
        raise ImageInputError(f"expected an image array (H, W) or (H, W, channels), got shape {arr.shape}")
    if max(arr.shape[:2]) > MAX_SIDE:
        step = int(np.ceil(max(arr.shape[:2]) / MAX_SIDE))
        arr = arr[::step, ::step]
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.integer):
        return (arr.astype(np.float32) * (255.0 / float(np.iinfo(arr.dtype).max))).round().astype(np.uint8)
    arr = np.nan_to_num(arr.astype(np.float32), nan=0.0).clip(0.0, 1.0)
    return (arr * 255.0).round().astype(np.uint8)


class _InkSource:
    """How to read ink from one uint8 image: opacity, or per-channel distance from the background colour."""

    def __init__(self, arr: np.ndarray) -> None:
        if arr.ndim == 2:
            arr = arr[:, :, None]
        self.arr = arr
        channels = arr.shape[2]
        has_alpha = channels in (2, 4)
        border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])  # (2H+2W, C)
        self.transparent = has_alpha and float(np.median(border[:, -1])) < 128
        colour = arr[:, :, : channels - 1] if has_alpha else arr  # (H, W, c) colour channels
        self.colour = colour
        self.background = np.median(border[:, : colour.shape[2]], axis=0).round().astype(np.int16)  # (c,)

    def plane(self, rows: slice = slice(None), cols: slice = slice(None), step: int = 1) -> np.ndarray:
        """uint8 ink (h, w) of a window: opacity, or the largest channel distance from the background."""
        if self.transparent:
            return self.arr[rows, cols, -1][::step, ::step]
        window = self.colour[rows, cols][::step, ::step]  # (h, w, c) uint8
        return ink_from_color(window, self.background)


def ink_from_color(colour: np.ndarray, background: np.ndarray) -> np.ndarray:
    """uint8 (h, w): the largest per-channel distance of ``colour`` (h, w, c) from ``background`` (c,)."""
    out = None
    for c in range(colour.shape[2]):
        lut = np.abs(np.arange(256, dtype=np.int16) - background[c]).astype(np.uint8)  # |v - bg| for every v
        d = lut[colour[:, :, c]]
        out = d if out is None else np.maximum(out, d, out=out)
    return out


def _bounds(profile: np.ndarray, threshold: float) -> tuple[int, int] | None:
    hits = np.flatnonzero(profile > threshold)
    return (int(hits[0]), int(hits[-1]) + 1) if len(hits) else None


def ink_bbox(source: _InkSource) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the ink, ends exclusive; ``None`` if there is none.

    Looked for first on a decimated view (16x fewer pixels on a sketchpad canvas); each edge
    is then refined at full resolution in a strip one decimation step wide on either side of
    it, so the full-resolution work is four thin strips, not the whole drawing. A drawing
    too thin to survive decimation is looked for again at full resolution.
    """
    h, w = source.arr.shape[:2]
    step = DECIMATE if min(h, w) >= 200 else 1
    while True:
        coarse = source.plane(step=step)  # (h/step, w/step)
        peak = int(coarse.max())
        if peak >= 26:  # at least 10% contrast
            break
        if step == 1:
            return None
        step = 1
    threshold = INK_THRESHOLD * peak
    r, c = _bounds(coarse.max(axis=1), threshold), _bounds(coarse.max(axis=0), threshold)
    if step == 1:
        return r[0], r[1], c[0], c[1]
    # the ink's true edge lies within one step of the coarse one (outside or inside it)
    top, bottom = r[0] * step, (r[1] - 1) * step + 1  # full-resolution rows with ink for sure
    left, right = c[0] * step, (c[1] - 1) * step + 1
    outer_l, outer_r = max(left - step, 0), min(right + step, w)
    outer_t, outer_b = max(top - step, 0), min(bottom + step, h)

    def first(profile: np.ndarray) -> int:
        hits = np.flatnonzero(profile > threshold)
        return int(hits[0]) if len(hits) else len(profile)

    strip = source.plane(slice(outer_t, top + 1), slice(outer_l, outer_r)).max(axis=1)
    new_top = outer_t + min(first(strip), top - outer_t)
    strip = source.plane(slice(bottom - 1, outer_b), slice(outer_l, outer_r)).max(axis=1)[::-1]
    new_bottom = outer_b - min(first(strip), outer_b - bottom)
    strip = source.plane(slice(outer_t, outer_b), slice(outer_l, left + 1)).max(axis=0)
    new_left = outer_l + min(first(strip), left - outer_l)
    strip = source.plane(slice(outer_t, outer_b), slice(right - 1, outer_r)).max(axis=0)[::-1]
    new_right = outer_r - min(first(strip), outer_r - right)
    return new_top, new_bottom, new_left, new_right


def _resize(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample (h, w) or (h, w, c) uint8/float32 to ``size`` = (new_h, new_w): area average when shrinking."""
    new_h, new_w = size
    shrink = new_h <= arr.shape[0] and new_w <= arr.shape[1]
    resample = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    if arr.ndim == 2 or arr.shape[2] == 3:  # one PIL image ("L", "F" or "RGB"): one C call
        return np.asarray(Image.fromarray(np.ascontiguousarray(arr)).resize((new_w, new_h), resample))
    return np.stack([_resize(arr[:, :, i], size) for i in range(arr.shape[2])], axis=2)


def _resize_color(crop: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-resample the colour channels of an opaque crop (h, w, 1..4) to ``size``; (new_h, new_w, colours).

    An RGBA crop goes to PIL as "RGBX" (the opaque alpha ignored): a row-wise copy, where
    slicing off the alpha first would be a slow strided gather.
    """
    if crop.ndim == 3 and crop.shape[2] == 4:
        new_h, new_w = size
        h, w = crop.shape[:2]
        shrink = new_h <= h and new_w <= w
        img = Image.frombuffer("RGBX", (w, h), np.ascontiguousarray(crop), "raw", "RGBX", 0, 1)
        out = img.resize((new_w, new_h), Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR)
        return np.asarray(out)[:, :, :3]
    if crop.ndim == 3 and crop.shape[2] == 2:
        crop = crop[:, :, 0]
    out = _resize(crop, size)
    return out[:, :, None] if out.ndim == 2 else out


def stroke_width_estimate(ink: np.ndarray) -> float:
    """Mean stroke width in pixels of an ink image (h, w) in [0, 1]: 2 x area / perimeter x 4/pi.

    For a long stroke of width ``w`` the inked area is ``w`` x length and the boundary pixel
    edges number about 2 x length x (|cos| + |sin|), whose mean over directions is 4/pi.
    """
    mask = np.pad(ink > 0.5 * float(ink.max()), 1)
    area = int(mask.sum())
    edges = int((mask[1:] != mask[:-1]).sum() + (mask[:, 1:] != mask[:, :-1]).sum())
    return 0.0 if edges == 0 else 2.0 * area / edges * 4 / np.pi


def _dilate(ink: np.ndarray, radius: int) -> np.ndarray:
    """Grow strokes by ``radius`` px: 3x3 square and plus-shaped max filters in turn (an octagon, nearly round).

    Our own: PIL's ``MaxFilter`` (square only) and ``max_pool2d`` took 3-7x and 3-4x as long on an 80x80 drawing.
    """
    out = np.pad(ink, radius)
    for i in range(radius):
        p = np.pad(out, 1)
        grown = np.maximum(np.maximum(p[1:-1, :-2], p[1:-1, 2:]), np.maximum(p[:-2, 1:-1], p[2:, 1:-1]))
        if i % 2 == 0:  # square step: the diagonals too
            corners = np.maximum(np.maximum(p[:-2, :-2], p[:-2, 2:]), np.maximum(p[2:, :-2], p[2:, 2:]))
            grown = np.maximum(grown, corners)
        out = np.maximum(out, grown)
    return out


def normalize_stroke(ink: np.ndarray, target: float = MNIST_STROKE) -> np.ndarray:
    """Thicken the strokes of ``ink`` (h, w) float32 toward ``target`` px; strokes already as thick are kept.

    Thick strokes are not thinned: erosion can break a digit apart, and MNIST has thick pens too.
    """
    width = stroke_width_estimate(ink)
    radius = int(round((target - width) / 2)) if width > 0 else 0
    return _dilate(ink, radius) if radius > 0 else ink


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0), np.flatnonzero(ink.max(axis=0) > 0)
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def sketch_to_mnist(image: Any, *, stroke: bool = True) -> torch.Tensor | None:
    """A drawing -> float32 (28, 28) in [0, 1], white digit on black, MNIST-style; ``None`` if blank.

    ``stroke=False`` skips the stroke-width normalisation (for comparison).
    """
    source = _InkSource(to_uint8_array(image))
    found = ink_bbox(source)
    if found is None:
        return None
    top, bottom, left, right = found
    h, w = bottom - top, right - left
    if h * w < 2:
        return None
    big = BOX * STROKE_SCALE
    scale = big / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    if source.transparent:
        crop = source.arr[top:bottom, left:right, -1]  # (h, w) uint8 opacity
        ink = _resize(crop, size).astype(np.float32)
    else:
        small = _resize_color(source.arr[top:bottom, left:right], size)  # (80, <=80, c) uint8
        ink = ink_from_color(small, source.background).astype(np.float32)  # exact for one colour
    ink /= max(float(ink.max()), 1.0)  # (80, <=80) or (<=80, 80), peak 1
    ink[ink < INK_THRESHOLD * 0.5] = 0.0  # faint noise away from the strokes would shift the box
    if not ink.any():
        return None
    if stroke:
        ink = _crop_to_ink(normalize_stroke(ink))
    hh, ww = ink.shape
    fit = BOX / max(hh, ww)
    small = np.asarray(Image.fromarray(ink, mode="F").resize(
        (max(1, round(ww * fit)), max(1, round(hh * fit))), Image.Resampling.BOX))  # (<=20, <=20)
    small = small / max(float(small.max()), 1e-6)
    return torch.from_numpy(place_by_center_of_mass(small))


def place_by_center_of_mass(small: np.ndarray) -> np.ndarray:
    """Put ``small`` (h, w <= 20) into a 28x28 frame with its centre of mass at the centre, to a sub-pixel.

    Whole-pixel placement would move a thin stroke by up to half a pixel depending on where it
    was drawn; the fractional remainder is applied with bilinear resampling instead.
    """
    small = small.astype(np.float32)
    h, w = small.shape
    total = float(small.sum())
    cy = float(small.sum(1) @ np.arange(h, dtype=np.float32)) / total
    cx = float(small.sum(0) @ np.arange(w, dtype=np.float32)) / total
    dy, dx = IMAGE_SIZE / 2 - 0.5 - cy, IMAGE_SIZE / 2 - 0.5 - cx  # where the top-left corner goes
    top = min(max(int(np.floor(dy)), 0), IMAGE_SIZE - h)
    left = min(max(int(np.floor(dx)), 0), IMAGE_SIZE - w)
    out = np.zeros((IMAGE_SIZE + 1, IMAGE_SIZE + 1), np.float32)
    fy, fx = min(max(dy - top, 0.0), 1.0), min(max(dx - left, 0.0), 1.0)  # remaining shift, 0..1 px
    out[top:top + h, left:left + w] += (1 - fy) * (1 - fx) * small
    out[top + 1:top + 1 + h, left:left + w] += fy * (1 - fx) * small
    out[top:top + h, left + 1:left + 1 + w] += (1 - fy) * fx * small
    out[top + 1:top + 1 + h, left + 1:left + 1 + w] += fy * fx * small
    return np.ascontiguousarray(out[:IMAGE_SIZE, :IMAGE_SIZE].clip(0.0, 1.0))


def limit_decoded_pixels() -> None:
    """Make PIL itself refuse, for the whole process, images that declare more than twice ``MAX_IMAGE_PIXELS``.

    A backstop for code that decodes images without :func:`open_image` (Gradio's own input
    handling): PIL refuses such a file when it reads the header, before allocating anything.
    :func:`open_image` holds the exact limit, ``MAX_IMAGE_PIXELS``.
    """
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def too_many_pixels(name: str, pixels: int) -> ImageInputError:
    """The message for an image over ``MAX_IMAGE_PIXELS``, the same whichever check refused it."""
    return ImageInputError(Text(N_("{name}: {pixels} megapixels is too large for this app (the limit is {limit}); "
                                   "scale the image down first"), name=name, pixels=round(pixels / 1e6, 1),
                                limit=round(MAX_IMAGE_PIXELS / 1e6, 1)))


def unreadable_image(name: str, exc: BaseException) -> ImageInputError:
    """The message for an image that cannot be opened or decoded, the same wherever the decoding failed.

    PIL's "cannot identify image file" names the file it was given, which may be a server's
    temporary path: it is replaced by words that name nothing.
    """
    if isinstance(exc, Image.DecompressionBombError):  # PIL's own limit (twice ours) spoke first
        found = re.search(r"\((\d+) pixels\)", str(exc))
        return too_many_pixels(name, int(found.group(1)) if found else 2 * MAX_IMAGE_PIXELS + 1)
    reason = (Text(N_("not PNG, JPEG, WebP or another format this app reads"))
              if isinstance(exc, UnidentifiedImageError) else short_reason(exc))
    return ImageInputError(Text(N_("{name}: not a readable image ({reason})"), name=name, reason=reason))


def open_image(source: str | os.PathLike[str] | BinaryIO, name: str) -> Image.Image:
    """Open an image and check the size its header declares; nothing is decoded yet.

    An image costs memory by its pixels, not its file size: a 37 KB PNG of 13000 x 13000
    pixels decodes to 2 GB. So the declared size is checked before any decoding.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the exact limit is checked below
            image = Image.open(source)
    except Exception as exc:  # PIL fails in many ways on a file that is not an image, or a broken one
        raise unreadable_image(name, exc) from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise too_many_pixels(name, width * height)
    return image


def load_image_file(path: str | os.PathLike[str], name: str | None = None) -> Image.Image:
    """Open and decode an image file for prediction, with a clear error for anything that is not one.

    Only a regular file is opened (a named pipe would block forever, a device never ends),
    and only after its declared size has passed :func:`open_image`. ``name`` is what the
    messages call it (default: the path).
    """
    name = str(path) if name is None else name
    try:
        fh = open_regular_file(path)
    except FileProblem as exc:
        raise ImageInputError(f"{name}: {exc}") from None
    with fh, open_image(fh, name) as img:
        try:
            img.load()
            return img.copy()
        except Exception as exc:  # truncated or corrupt data, found while decoding
            raise unreadable_image(name, exc) from None

"""Turn a drawing (any size, colour and background) into the 28x28 image MNIST models expect.

MNIST digits are white on black, scaled so the longer side of the digit fits a 20x20 box
(aspect ratio kept, anti-aliased) and placed so the centre of mass sits at the centre of
the 28x28 frame. A sketchpad drawing is none of that, so this module:

1. finds the ink: the alpha channel when the background is transparent, otherwise the
   contrast with the background colour (estimated from the border), for any brush colour;
2. crops to the ink's bounding box;
3. scales the longer side to 20 px keeping the aspect ratio (a thin ``1`` stays thin), with
   area averaging (anti-aliasing);
4. places the result by its centre of mass in a 28x28 frame.

A blank drawing gives ``None``: there is nothing to predict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mnist_core.data import IMAGE_SIZE, normalize

BOX = 20
#: Pixels whose ink is below this (0..1) count as background.
INK_THRESHOLD = 0.15
#: Largest side accepted before downscaling; keeps huge uploads cheap and bounded.
MAX_SIDE = 1024


class ImageInputError(ValueError):
    """An input that is not a usable image; the message says why."""


def to_rgba_array(image: Any) -> np.ndarray:
    """Any PIL image or numpy array (H, W), (H, W, 1/2/3/4), any dtype -> float32 (H, W, 4) in [0, 1]."""
    if isinstance(image, Image.Image):
        if image.width < 1 or image.height < 1:
            raise ImageInputError("the image is empty")
        if max(image.size) > MAX_SIDE:
            image = image.copy()
            image.thumbnail((MAX_SIDE, MAX_SIDE))
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(image, dtype=np.float32)
            arr = arr / max(float(arr.max()), 1.0)
            return np.dstack([arr, arr, arr, np.ones_like(arr)])
        return np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
    if not isinstance(image, np.ndarray):
        raise ImageInputError(f"expected an image, got {type(image).__name__}")
    arr = image
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)) or arr.size == 0:
        raise ImageInputError(f"expected an image array (H, W) or (H, W, channels), got shape {arr.shape}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.float32)
    elif np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.float32) / float(np.iinfo(arr.dtype).max)
    else:
        arr = np.nan_to_num(arr.astype(np.float32), nan=0.0).clip(0.0, 1.0)
    if max(arr.shape[:2]) > MAX_SIDE:
        step = int(np.ceil(max(arr.shape[:2]) / MAX_SIDE))
        arr = arr[::step, ::step]
    if arr.ndim == 2:
        return np.dstack([arr, arr, arr, np.ones_like(arr)])
    if arr.shape[2] == 2:  # grey + alpha
        return np.dstack([arr[:, :, 0]] * 3 + [arr[:, :, 1]])
    if arr.shape[2] == 3:
        return np.dstack([arr, np.ones(arr.shape[:2], np.float32)])
    return arr


def ink_map(image: Any) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how much ink each pixel holds, whatever the colours.

    Transparent background: ink is opacity. Opaque image: ink is the distance from the
    background colour (the median of the border), scaled so the strongest stroke is 1.
    """
    rgba = to_rgba_array(image)
    alpha = rgba[:, :, 3]
    if alpha.min() < 0.5:  # there is transparency: whatever is opaque was drawn
        return alpha
    rgb = rgba[:, :, :3]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    distance = np.abs(rgb - background).max(axis=2)
    peak = distance.max()
    if peak < 0.1:  # a single colour: nothing drawn
        return np.zeros_like(distance)
    return (distance / peak).astype(np.float32)


def _center_of_mass(img: torch.Tensor) -> tuple[float, float]:
    total = img.sum()
    ys = torch.arange(img.shape[0], dtype=img.dtype)
    xs = torch.arange(img.shape[1], dtype=img.dtype)
    return float((img.sum(1) * ys).sum() / total), float((img.sum(0) * xs).sum() / total)


def sketch_to_mnist(image: Any) -> torch.Tensor | None:
    """A drawing -> float32 (28, 28) in [0, 1], white digit on black, MNIST-style; ``None`` if blank."""
    ink = ink_map(image)
    mask = ink > INK_THRESHOLD
    if mask.sum() < 2:
        return None
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    crop = torch.from_numpy(np.ascontiguousarray(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]))
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    # Area averaging anti-aliases like MNIST's own resampling; it needs shrinking, so tiny drawings
    # (e.g. a 1x1 upload) are enlarged with bilinear interpolation instead.
    mode = "area" if scale <= 1 else "bilinear"
    small = F.interpolate(crop[None, None], size=(new_h, new_w), mode=mode,
                          **({} if mode == "area" else {"align_corners": False}))[0, 0]
    small = small / small.max().clamp(min=1e-6)
    return _place_by_center_of_mass(small)


def _place_by_center_of_mass(small: torch.Tensor) -> torch.Tensor:
    """Put ``small`` (h, w <= 20) into a 28x28 frame with its centre of mass at the centre, to a sub-pixel.

    Whole-pixel placement would move a thin stroke by up to half a pixel depending on where it
    was drawn; the fractional remainder is applied with bilinear resampling instead.
    """
    h, w = small.shape
    cy, cx = _center_of_mass(small)
    dy, dx = IMAGE_SIZE / 2 - 0.5 - cy, IMAGE_SIZE / 2 - 0.5 - cx  # where the top-left corner goes
    top = min(max(int(np.floor(dy)), 0), IMAGE_SIZE - h)
    left = min(max(int(np.floor(dx)), 0), IMAGE_SIZE - w)
    out = torch.zeros(IMAGE_SIZE, IMAGE_SIZE)
    out[top:top + h, left:left + w] = small
    fy, fx = min(max(dy - top, 0.0), 1.0), min(max(dx - left, 0.0), 1.0)  # remaining shift, 0..1 px
    if fy or fx:
        shifted = torch.zeros(IMAGE_SIZE + 1, IMAGE_SIZE + 1)
        shifted[:-1, :-1] += (1 - fy) * (1 - fx) * out
        shifted[1:, :-1] += fy * (1 - fx) * out
        shifted[:-1, 1:] += (1 - fy) * fx * out
        shifted[1:, 1:] += fy * fx * out
        out = shifted[:IMAGE_SIZE, :IMAGE_SIZE]
    return out.clamp(0.0, 1.0)


def sketch_to_input(image: Any) -> torch.Tensor | None:
    """A drawing -> normalised model input (1, 1, 28, 28), or ``None`` if blank."""
    digit = sketch_to_mnist(image)
    return None if digit is None else normalize(digit[None])


def load_image_file(path: str) -> Image.Image:
    """Open an image file for prediction, with a clear error for anything that is not one."""
    try:
        with Image.open(path) as img:
            img.load()
            return img.copy()
    except FileNotFoundError:
        raise ImageInputError(f"{path}: no such file") from None
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise ImageInputError(f"{path}: not a readable image ({exc})") from None

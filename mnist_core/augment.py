"""Batched training augmentation that makes MNIST digits look like sketchpad drawings.

A drawing, after :mod:`mnist_core.preprocess`, differs from an MNIST digit in ways a model
trained on MNIST alone has never seen: the stroke is as wide as the brush (often much
thinner or thicker than MNIST's pen), the digit is slanted, rotated, squashed or wobbly in
ways one writer's hand never is, and the centre of mass of a sparse drawing lands a little
off. :func:`drawing_augment` applies all of that to a whole batch at once on the batch's
device, with one ``grid_sample`` and two pooling operations, so it costs a few
milliseconds per batch instead of a per-image PIL pipeline:

1. a random affine map per image (scale, aspect, rotation, shear, translation);
2. a smooth random elastic displacement (low-resolution noise, upsampled);
3. both sampled at twice the resolution (56x56), where a 3x3 or 5x5 max/min filter changes
   the stroke width by a sub-pixel amount of the final image (dilation and erosion);
4. averaged back down to 28x28 (anti-aliased, like MNIST) and scaled to peak at full ink.

``drawing+european+junk`` first writes some MNIST 1s the way most of Europe writes them
(:func:`european_conventions`): with a long upstroke. MNIST's American 7s otherwise teach a
model that a stem under a stroke to its upper left is a 7, and a German 1 is read as one;
real European handwriting is too scarce to outvote them.

``drawing+junk`` also turns a share of each batch into things that are not one digit (two
digits side by side, two digits shredded by a violent elastic field and drawn over each other) whose
target is the uniform distribution ("outlier exposure", Hendrycks et al., 2019): the model
learns to say it is not sure, which temperature scaling alone cannot teach it.

All random numbers come from the trainer's CPU generator, so a seeded run is reproducible
on any device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from mnist_core.data import IMAGE_SIZE, MEAN, STD

AUGMENTATIONS = ("none", "drawing", "drawing+junk", "drawing+european+junk")


@dataclass(frozen=True)
class DrawingAugment:
    """Ranges of the random distortions (uniform in ``[-x, x]`` unless a pair is given)."""

    scale: tuple[float, float] = (0.8, 1.12)  # overall size factor
    aspect: float = 0.15  # log-ratio of width to height
    rotation_deg: float = 15.0
    shear: float = 0.3
    translate_px: float = 2.0
    elastic_px: float = 1.6  # largest displacement of the smooth field, in 28x28 pixels
    elastic_grid: int = 4  # the noise is drawn on this many points per side, then upsampled
    #: Probabilities of (erode, keep, dilate by 3x3, dilate by 5x5) at 56x56: about -1, 0, +1, +2 px of width at 28x28.
    stroke: tuple[float, float, float, float] = (0.2, 0.35, 0.3, 0.15)


DEFAULT = DrawingAugment()


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def random_affine(n: int, params: DrawingAugment, generator: torch.Generator) -> torch.Tensor:
    """(n, 2, 3) affine matrices for ``F.affine_grid``: output coordinates -> input coordinates."""
    scale = _uniform(n, *params.scale, generator)
    aspect = torch.exp(_uniform(n, -params.aspect, params.aspect, generator))
    sx, sy = scale * aspect.sqrt(), scale / aspect.sqrt()
    angle = _uniform(n, -1, 1, generator) * math.radians(params.rotation_deg)
    shear = _uniform(n, -params.shear, params.shear, generator)
    shift = _uniform(2 * n, -1, 1, generator).view(2, n) * params.translate_px * 2 / IMAGE_SIZE
    cos, sin = angle.cos(), angle.sin()
    # forward map A = R(angle) @ Shear @ diag(sx, sy); affine_grid wants its inverse (where to sample from).
    a = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    shear_m = torch.zeros(n, 2, 2)
    shear_m[:, 0, 0] = 1
    shear_m[:, 1, 1] = 1
    shear_m[:, 0, 1] = shear
    forward = a @ shear_m @ torch.diag_embed(torch.stack([sx, sy], -1))
    inverse = torch.linalg.inv(forward)  # (n, 2, 2)
    offset = -(inverse @ shift.T[:, :, None])  # (n, 2, 1)
    return torch.cat([inverse, offset], dim=2)  # (n, 2, 3)


def elastic_field(n: int, size: int, params: DrawingAugment, generator: torch.Generator) -> torch.Tensor:
    """(n, size, size, 2) smooth displacement in ``grid_sample`` units, at most ``elastic_px`` pixels."""
    noise = torch.randn(n, 2, params.elastic_grid, params.elastic_grid, generator=generator)  # (n, 2, g, g)
    amplitude = _uniform(n, 0, 1, generator)[:, None, None, None] * params.elastic_px * 2 / IMAGE_SIZE
    noise = noise / noise.abs().amax((1, 2, 3), keepdim=True).clamp_min(1e-6) * amplitude
    field = F.interpolate(noise, size=(size, size), mode="bilinear", align_corners=True)  # (n, 2, size, size)
    return field.permute(0, 2, 3, 1)  # (n, size, size, 2)


def _filter3(x: torch.Tensor, op) -> torch.Tensor:
    """A 3x3 max (``op=torch.maximum``) or min filter of (B, 1, H, W), done separably with shifted views.

    ``F.max_pool2d`` with stride 1 takes a slow path on the CPU; four elementwise ops do not.
    Borders are padded by replication, which neither grows nor shrinks the ink.
    """
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")  # (B, 1, H+2, W+2)
    rows = op(op(p[:, :, :, :-2], p[:, :, :, 1:-1]), p[:, :, :, 2:])  # (B, 1, H+2, W)
    return op(op(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])  # (B, 1, H, W)


def stroke_width(x: torch.Tensor, choice: torch.Tensor) -> torch.Tensor:
    """Per image: erode (choice 0), keep (1), dilate 3x3 (2) or 5x5 (3). x: (B, 1, H, W) in [0, 1]."""
    eroded = _filter3(x, torch.minimum)  # (B, 1, H, W)
    dilated3 = _filter3(x, torch.maximum)
    dilated5 = _filter3(dilated3, torch.maximum)  # two 3x3 dilations = one 5x5
    c = choice.view(-1, 1, 1, 1)
    return torch.where(c == 0, eroded, torch.where(c == 1, x, torch.where(c == 2, dilated3, dilated5)))


def drawing_augment(x: torch.Tensor, generator: torch.Generator,
                    params: DrawingAugment = DEFAULT) -> torch.Tensor:
    """Distort a normalised batch (B, 1, 28, 28) the ways drawings differ from MNIST; same shape and normalisation."""
    b, device = x.shape[0], x.device
    big = 2 * IMAGE_SIZE
    images = x.float() * STD + MEAN  # (B, 1, 28, 28) back to [0, 1]: zero padding is the black background
    theta = random_affine(b, params, generator).to(device)  # (B, 2, 3)
    grid = F.affine_grid(theta, [b, 1, big, big], align_corners=False)  # (B, 56, 56, 2)
    grid = grid + elastic_field(b, big, params, generator).to(device)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)  # (B, 1, 56, 56)
    choice = torch.multinomial(torch.tensor(params.stroke), b, replacement=True, generator=generator).to(device)
    out = stroke_width(out, choice)  # (B, 1, 56, 56)
    out = F.avg_pool2d(out, 2)  # (B, 1, 28, 28)
    # Preprocessed drawings peak at 1 (full ink); so do the augmented digits, however thin erosion left them.
    out = out / out.amax((1, 2, 3), keepdim=True).clamp_min(1e-3)
    # one channel: the contiguous layout is also channels-last, so models of either format take it as is
    return ((out.clamp(0, 1) - MEAN) / STD).to(x.dtype)


#: Share of each batch made into non-digits by ``drawing+junk`` (half pairs, half scribbles).
JUNK_FRACTION = 0.125
SCRIBBLE = DrawingAugment(scale=(0.9, 1.1), rotation_deg=180.0, elastic_px=7.0, elastic_grid=6,
                          stroke=(0.0, 0.4, 0.4, 0.2))


def pair_of_digits(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Two [0, 1] batches (B, 1, 28, 28) side by side, shrunk as preprocessing would (width 56 -> 28), centred."""
    pair = torch.cat([a[..., 4:24], b[..., 4:24]], dim=3)  # (B, 1, 28, 40): the digits' 20-px columns
    small = F.interpolate(pair, size=(14, 20), mode="area")  # (B, 1, 14, 20): longer side to 20, as for a drawing
    return F.pad(small, (4, 4, 7, 7))  # (B, 1, 28, 28)


def with_junk(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator,
              fraction: float = JUNK_FRACTION) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace the first ``fraction`` of a drawing-augmented batch by non-digits; targets become (B, 10) probabilities.

    The batch is already a random draw, so its first rows are as good as any.
    """
    b = x.shape[0]
    k = int(round(b * fraction))
    target = F.one_hot(y, 10).float()  # (B, 10)
    if k < 2:
        return x, target
    images = x * STD + MEAN  # (B, 1, 28, 28) in [0, 1]
    half = k // 2
    partner = torch.randperm(b, generator=generator)[:half].to(x.device)
    pairs = pair_of_digits(images[:half], images[partner])  # (half, 1, 28, 28)
    # a scribble: two digits shredded by a violent elastic field, drawn over each other (one alone can look like a 1)
    other = torch.randperm(b, generator=generator)[:k - half].to(x.device)
    scribbles = torch.maximum(drawing_augment(x[half:k], generator, SCRIBBLE),
                              drawing_augment(x[other], generator, SCRIBBLE)) * STD + MEAN  # (k - half, 1, 28, 28)
    junk = torch.cat([pairs, scribbles])
    junk = junk / junk.amax((1, 2, 3), keepdim=True).clamp_min(1e-3)
    x = torch.cat([(junk - MEAN) / STD, x[k:]])
    target[:k] = 1.0 / 10
    return x, target


#: Share of the batch's 1s given a flag by ``drawing+european+junk`` (only upright ones get it).
EUROPEAN_SHARE = 0.5


def _segments(points: torch.Tensor, ends: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Anti-aliased ink (n, 1, 28, 28) of one straight pen stroke per image, from points (n, 2) to ends (n, 2) (x, y).

    Each pixel's ink falls from 1 to 0 over the last pixel of the stroke's half-width, as a
    resampled pen line's does.
    """
    ys, xs = torch.meshgrid(torch.arange(IMAGE_SIZE, dtype=torch.float32, device=points.device),
                            torch.arange(IMAGE_SIZE, dtype=torch.float32, device=points.device), indexing="ij")
    pixel = torch.stack([xs, ys], -1).view(1, -1, 2)  # (1, 784, 2) pixel centres
    a, b = points[:, None, :], ends[:, None, :]  # (n, 1, 2)
    ab = b - a
    t = (((pixel - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-6)).clamp(0, 1)  # (n, 784) nearest point
    distance = (pixel - (a + t[..., None] * ab)).norm(dim=-1)  # (n, 784)
    return (width[:, None] / 2 + 0.5 - distance).clamp(0, 1).view(-1, 1, IMAGE_SIZE, IMAGE_SIZE)


def european_conventions(images: torch.Tensor, labels: torch.Tensor, generator: torch.Generator,
                         share: float = EUROPEAN_SHARE) -> torch.Tensor:
    """Give some upright 1s the long upstroke most of Europe writes; images (B, 1, 28, 28) in [0, 1], same shape back.

    The flag runs from the top of an upright 1 down to the left, 35-65 degrees below
    horizontal and 30-55% of the digit's height long: steeper and longer than a 7's bar, at
    the 1's own stroke width (its ink area over its length). A slanted 1 is left alone: with
    a flag it would be an American 7 (a short bar on a slanted stem); flagging those too cost
    American 7s (synthetic short-barred 7s fell from 100% to 83% read as 7). Crossed 7s are
    not made: every model here already reads them, the handwriting sources hold real ones,
    and making them cost 4s (a crossed stem is a closed 4's shape: MNIST test 4s read wrong
    rose from 3 to 13).
    """
    b = images.shape[0]
    pick = torch.nonzero((torch.rand(b, generator=generator).to(images.device) < share) & (labels == 1)).flatten()
    n = len(pick)
    if n == 0:
        return images
    ink = images[pick, 0] > 0.5  # (n, 28, 28)
    rows, columns = ink.any(2), ink.any(1)  # (n, 28) each
    top = rows.float().argmax(1)  # first inked row
    height = (IMAGE_SIZE - rows.flip(1).float().argmax(1) - top).float().clamp_min(4)
    span = (IMAGE_SIZE - columns.flip(1).float().argmax(1) - columns.float().argmax(1)).float()
    width = (ink.sum((1, 2)).float() / (height ** 2 + span ** 2).sqrt()).clamp(1.5, 3.5)
    cols = torch.arange(IMAGE_SIZE, dtype=torch.float32, device=images.device)
    row = ink[torch.arange(n), top].float()  # (n, 28) the top row's ink
    start = torch.stack([(row * cols).sum(1) / row.sum(1).clamp_min(1), top.float()], 1)  # (n, 2) x, y
    u = torch.rand(n, 2, generator=generator).to(images.device)
    angle = torch.deg2rad(35 + 30 * u[:, 0])
    length = height * (0.3 + 0.25 * u[:, 1])
    end = start + torch.stack([-length * angle.cos(), length * angle.sin()], 1)
    upright = (span - width) < 0.25 * height  # the stem leans by less than a quarter of its height
    out = images.clone()
    if upright.any():
        chosen = pick[upright]
        out[chosen] = torch.maximum(out[chosen], _segments(start[upright], end[upright], width[upright]))
    return out


def apply_augmentation(name: str, x: torch.Tensor, y: torch.Tensor,
                       generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The recipe's named augmentation of a normalised batch (B, 1, 28, 28) and its labels (B,).

    Returns the batch and its targets: the labels as they were, or (B, 10) probabilities where
    some rows became non-digits (cross-entropy takes either).
    """
    if name == "none":
        return x, y
    if name == "drawing":
        return drawing_augment(x, generator), y
    if name == "drawing+junk":
        return with_junk(drawing_augment(x, generator), y, generator)
    if name == "drawing+european+junk":
        european = (european_conventions(x * STD + MEAN, y, generator) - MEAN) / STD
        return with_junk(drawing_augment(european.to(x.dtype), generator), y, generator)
    raise ValueError(f"unknown augmentation {name!r}; choose one of: {', '.join(AUGMENTATIONS)}")

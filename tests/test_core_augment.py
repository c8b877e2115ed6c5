"""Drawing augmentation: batched, reproducible, and each distortion does what it says."""

from __future__ import annotations

import pytest
import torch

from mnist_core.augment import (
    DrawingAugment,
    apply_augmentation,
    drawing_augment,
    pair_of_digits,
    stroke_width,
    with_junk,
)
from mnist_core.data import MEAN, STD
from mnist_core.recipes import InvalidRecipeError, get_recipe
from mnist_core.train import FinishedEvent, init_model, train

IDENTITY = DrawingAugment(scale=(1.0, 1.0), aspect=0.0, rotation_deg=0.0, shear=0.0, translate_px=0.0,
                          elastic_px=0.0, stroke=(0.0, 1.0, 0.0, 0.0))


def _bars(b: int = 8) -> torch.Tensor:
    """Normalised batch (b, 1, 28, 28) of a vertical bar, 2 px wide, 16 long."""
    x = torch.zeros(b, 1, 28, 28)
    x[:, :, 6:22, 13:15] = 1.0
    return (x - MEAN) / STD


def test_output_keeps_shape_range_and_is_reproducible() -> None:
    x = _bars()
    a = drawing_augment(x, torch.Generator().manual_seed(3))
    b = drawing_augment(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape and torch.equal(a, b)
    images = a * STD + MEAN
    assert images.min() >= -1e-5 and images.amax((1, 2, 3)).allclose(torch.ones(8))
    assert not torch.equal(a, drawing_augment(x, torch.Generator().manual_seed(4)))


def test_with_no_distortion_the_digit_stays_put() -> None:
    x = _bars()
    out = drawing_augment(x, torch.Generator().manual_seed(0), IDENTITY)
    assert ((out - x) * STD).abs().mean() < 0.02


def test_dilation_widens_and_erosion_narrows_the_stroke() -> None:
    img = torch.zeros(3, 1, 20, 20)
    img[:, :, 4:16, 8:12] = 1.0
    out = stroke_width(img, torch.tensor([0, 2, 3]))
    widths = (out[:, 0, 10] > 0.5).sum(1).tolist()
    assert widths == [2, 6, 8]


def test_junk_rows_get_uniform_targets_and_pairs_hold_two_digits() -> None:
    x, y = _bars(16), torch.arange(16) % 10
    out, target = with_junk(x, y, torch.Generator().manual_seed(0), fraction=0.25)
    assert out.shape == x.shape and target.shape == (16, 10)
    assert torch.allclose(target[:4], torch.full((4, 10), 0.1)) and torch.equal(target[4:].argmax(1), y[4:])
    pair = pair_of_digits(x[:1] * STD + MEAN, x[:1] * STD + MEAN)[0, 0]
    columns = (pair.amax(0) > 0.3).nonzero().squeeze(1)
    assert len(columns) >= 2 and (columns.diff() > 1).any()  # two separate strokes side by side


def test_recipe_field_is_validated_and_the_trainer_applies_it(tiny_data) -> None:
    with pytest.raises(InvalidRecipeError, match="augment"):
        get_recipe("fast", augment="mirror")
    with pytest.raises(InvalidRecipeError, match="holdout"):
        get_recipe("fast", holdout=-1)
    with pytest.raises(ValueError):
        apply_augmentation("mirror", _bars(), torch.arange(8), torch.Generator())
    recipe = get_recipe("drawing", epochs=1, batch_size=64, holdout=64, handwriting=())  # MNIST alone here
    events = list(train(init_model(recipe.model, recipe.seed), tiny_data, recipe, device="cpu"))
    assert isinstance(events[-1], FinishedEvent) and events[-1].status == "completed"
    assert events[0].train_size == len(tiny_data.train_images) - 64  # the held-out tail is never trained on

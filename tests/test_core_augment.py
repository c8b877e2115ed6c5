"""Drawing augmentation: batched, reproducible, and each distortion does what it says."""

from __future__ import annotations

import pytest
import torch

from mnist_core.augment import (
    DrawingAugment,
    apply_augmentation,
    drawing_augment,
    european_conventions,
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


def test_european_conventions_flag_upright_ones_and_nothing_else() -> None:
    """An upright 1 gets a stroke down-left from its top; a slanted 1, a 7 and other digits are left alone."""
    x = torch.zeros(6, 1, 28, 28)
    x[:5, :, 4:24, 14:16] = 1.0  # a vertical stem, 2 px wide, rows 4-23
    x[3:5, :, 4:6, 8:16] = 1.0  # images 3-4 also have a 7's top bar to the stem's left
    for row in range(4, 24):  # image 5: a 1 leaning like a "/" (with a flag it would be an American 7)
        x[5, :, row, 20 - (row - 4) // 2: 22 - (row - 4) // 2] = 1.0
    labels = torch.tensor([1, 1, 4, 7, 2, 1])
    out = european_conventions(x, labels, torch.Generator().manual_seed(0), share=1.0)
    new = (out - x) > 0.5  # (6, 1, 28, 28) ink that was not there
    assert torch.equal(out[2:], x[2:])  # a 4, a 7, a 2 and a slanted 1 stay as they were
    for i in (0, 1):  # the flag: below the top, left of the stem, steeper than 30 degrees
        ys, xs = torch.nonzero(new[i, 0], as_tuple=True)
        assert len(ys) >= 6 and xs.max() < 14 and ys.min() >= 4
        assert (ys.max() - 4) >= 0.5 * (14 - xs.min())  # falls at least half as far as it runs left
    assert torch.equal(out, european_conventions(x, labels, torch.Generator().manual_seed(0), share=1.0))
    assert torch.equal(european_conventions(x, labels, torch.Generator(), share=0.0), x)

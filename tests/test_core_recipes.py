"""Recipes: the seed presets as published, overrides, and refusal of unusable settings."""

from __future__ import annotations

import math

import pytest
import torch

from mnist_core.models import build_model
from mnist_core.recipes import InvalidRecipeError, get_recipe, make_optimizer, make_scheduler


def test_seed000_is_the_pytorch_example_recipe() -> None:
    r = get_recipe("seed000")
    assert (r.model, r.batch_size, r.optimizer, r.lr, r.scheduler, r.gamma, r.epochs, r.test_batch_size, r.seed) == (
        "pytorch-example", 64, "adadelta", 1.0, "step", 0.7, 14, 1000, 1)
    opt = make_optimizer(r, build_model(r.model))
    assert isinstance(opt, torch.optim.Adadelta)
    sched, per_step = make_scheduler(r, opt, 938)
    assert isinstance(sched, torch.optim.lr_scheduler.StepLR) and not per_step and sched.step_size == 1


def test_seed004_is_the_tiny_vgg_recipe() -> None:
    r = get_recipe("seed004")
    assert (r.model, r.batch_size, r.optimizer, r.lr, r.epochs, r.label_smoothing) == ("tiny-vgg", 32, "adam", 1e-3,
                                                                                       3, 0.0)


def test_overrides_apply_and_none_is_ignored() -> None:
    r = get_recipe("seed004", epochs=1, lr=None, batch_size=256, model="pytorch-example")
    assert (r.epochs, r.lr, r.batch_size, r.model) == (1, 1e-3, 256, "pytorch-example")


@pytest.mark.parametrize("overrides", [
    {"epochs": 0}, {"epochs": -3}, {"epochs": 10**6}, {"batch_size": 0}, {"batch_size": 60_001},
    {"lr": 0.0}, {"lr": -1.0}, {"lr": math.nan}, {"lr": math.inf}, {"model": "nope"}, {"optimizer": "lion"},
])
def test_unusable_settings_are_refused_with_a_message(overrides: dict) -> None:
    with pytest.raises(ValueError) as err:
        get_recipe("fast", **overrides)
    assert str(err.value)


def test_unknown_recipe_lists_the_choices() -> None:
    with pytest.raises(InvalidRecipeError, match="seed000"):
        get_recipe("slow")

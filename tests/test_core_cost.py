"""The arithmetic a run costs and the CPU time estimated from it (the status line of a run ZeroGPU refused)."""

from __future__ import annotations

import torch

from mnist_core.cost import cpu_seconds
from mnist_core.models import flops_per_image
from mnist_core.recipes import RECIPES, get_recipe


def test_flops_per_image_are_counted_per_model_and_leave_the_random_state_alone() -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    forward, backward = flops_per_image("fast-cnn")
    assert torch.equal(torch.get_rng_state(), before)
    # bench/results/flops.json: 11.19 MFLOP per training image (forward 3.78, backward 7.41)
    assert round(forward / 1e6, 2) == 3.78 and round(backward / 1e6, 2) == 7.41
    assert sum(flops_per_image("drawing-cnn")) > 5 * sum(flops_per_image("fast-cnn"))


def test_the_cpu_estimate_follows_the_recipe_and_the_threads() -> None:
    seconds = {name: cpu_seconds(recipe, 60_000, threads=2) for name, recipe in RECIPES.items()}
    # The fit it comes from (mnist_core/cost.py): one epoch's steps, measured 8.2, 14.6 and 51.1 s on two threads.
    assert 7 < seconds["fast"] < 12
    assert 12 < seconds["seed004"] / 3 < 20 and 45 < seconds["seed000"] / 14 < 65  # per epoch, evaluation included
    assert seconds["drawing"] > 10 * seconds["fast"]  # 16 epochs of a bigger network, distorted like drawings
    fast = get_recipe("fast")
    assert cpu_seconds(fast, 60_000, threads=1) > 1.8 * cpu_seconds(fast, 60_000, threads=2)
    assert cpu_seconds(get_recipe("fast", epochs=3), 60_000, 2) > 2.9 * cpu_seconds(fast, 60_000, 2)
    assert cpu_seconds(fast, 6_000, 2) < cpu_seconds(fast, 60_000, 2) / 5

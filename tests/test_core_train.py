"""The training loop: its events, stop flag, reproducibility, divergence, and real accuracy."""

from __future__ import annotations

import threading

import pytest
import torch

from mnist_core.recipes import get_recipe
from mnist_core.train import EpochEvent, FinishedEvent, StartEvent, StepEvent, init_model, train


def _run(data, recipe, **kwargs) -> list:
    return list(train(init_model(recipe.model, recipe.seed), data, recipe, device="cpu", **kwargs))


def test_events_arrive_in_order_with_progress_figures(tiny_data) -> None:
    recipe = get_recipe("seed004", epochs=2, batch_size=64)
    events = _run(tiny_data, recipe)
    assert isinstance(events[0], StartEvent) and events[0].total_steps == 8
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [e.global_step for e in steps] == list(range(1, 9))
    assert all(e.loss > 0 and e.images_per_sec > 0 and e.lr == 1e-3 for e in steps)
    assert [e.epoch for e in events if isinstance(e, EpochEvent)] == [1, 2]
    assert isinstance(events[-1], FinishedEvent) and events[-1].status == "completed"
    assert events[-1].epochs_completed == 2 and events[-1].test_accuracy is not None


def test_stop_flag_ends_the_run_between_steps_and_keeps_the_weights(tiny_data) -> None:
    recipe = get_recipe("seed004", epochs=5, batch_size=16)
    model = init_model(recipe.model, recipe.seed)
    before = [p.detach().clone() for p in model.parameters()]
    stop = threading.Event()
    events = []
    for event in train(model, tiny_data, recipe, device="cpu", stop=stop):
        events.append(event)
        if isinstance(event, StepEvent) and event.global_step == 3:
            stop.set()
    assert events[-1].status == "stopped" and events[-1].global_step == 3
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_same_seed_gives_the_same_run(tiny_data) -> None:
    recipe = get_recipe("fast", epochs=1, batch_size=32)
    losses = [[e.loss for e in _run(tiny_data, recipe) if isinstance(e, StepEvent)] for _ in range(2)]
    assert losses[0] == losses[1]
    other = [e.loss for e in _run(tiny_data, recipe.with_overrides(seed=2)) if isinstance(e, StepEvent)]
    assert other != losses[0]


def test_a_diverging_run_stops_itself_and_says_so(tiny_data) -> None:
    recipe = get_recipe("seed004", epochs=3, batch_size=32)
    model = init_model(recipe.model, recipe.seed)
    with torch.no_grad():
        model.fc.weight[0, 0] = float("nan")  # the loss is NaN from the first step
    events = list(train(model, tiny_data, recipe, device="cpu"))
    assert events[-1].status == "diverged" and "learning rate" in events[-1].message
    assert sum(isinstance(e, StepEvent) for e in events) == 0


@pytest.mark.train
def test_fast_recipe_reaches_98_percent_on_real_mnist(mnist) -> None:
    recipe = get_recipe("fast")
    events = _run(mnist, recipe)
    final = events[-1]
    assert final.status == "completed"
    assert final.test_accuracy >= 0.98, final

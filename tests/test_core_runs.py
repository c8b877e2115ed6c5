"""Training on handwriting beyond MNIST, finishing a run the same way everywhere, and which model is the default."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from mnist_core.checkpoint import Checkpoint
from mnist_core.data import normalize
from mnist_core.handwriting import SOURCES, HandwrittenDigits
from mnist_core.models import build_model
from mnist_core.pretrained import choose_default, choose_mnist_only
from mnist_core.recipes import InvalidRecipeError, get_recipe
from mnist_core.runs import TrainingData, finish_run
from mnist_core.train import FinishedEvent, StepEvent, init_model, train


def _constant_set(name: str, value: int, n: int = 40) -> HandwrittenDigits:
    """A stand-in source whose every image is one grey level, so its rows can be told apart in a batch."""
    return HandwrittenDigits(name, "train", torch.full((n, 28, 28), value, dtype=torch.uint8),
                             torch.arange(n) % 10, torch.zeros(n, dtype=torch.int64), ("w",))


def test_every_batch_holds_each_sources_share(tiny_data) -> None:
    recipe = get_recipe("seed004", epochs=1, batch_size=32).with_overrides(
        handwriting=(("ujipenchars2", 0.25), ("numbers", 0.125)))
    sets = {"ujipenchars2": _constant_set("ujipenchars2", 255), "numbers": _constant_set("numbers", 1)}
    model = init_model(recipe.model, recipe.seed)
    batches: list[torch.Tensor] = []
    model.register_forward_pre_hook(lambda module, args: batches.append(args[0].detach().clone()) if module.training
                                    else None)
    events = list(train(model, tiny_data, recipe, device="cpu", handwriting=sets))
    steps = [e for e in events if isinstance(e, StepEvent)]
    # an epoch is one pass over MNIST, 20 of its images a step
    assert steps[0].steps_per_epoch == math.ceil(len(tiny_data.train_images) / (32 - 8 - 4))
    assert len(batches) == len(steps)

    def rows_equal_to(batch: torch.Tensor, value: int) -> int:
        target = normalize(torch.tensor([[value]], dtype=torch.uint8))
        return int((batch.flatten(1) == target.flatten()).all(1).sum())

    for batch in batches[:-1]:  # every full batch: 8 + 4 handwriting images, 20 from MNIST
        assert batch.shape[0] == 32
        assert (rows_equal_to(batch, 255), rows_equal_to(batch, 1)) == (8, 4)


def test_a_recipe_that_learns_from_handwriting_needs_it(tiny_data) -> None:
    recipe = get_recipe("seed004", epochs=1).with_overrides(handwriting=(("numbers", 0.2),))
    with pytest.raises(ValueError, match="handwriting sources numbers"):
        list(train(init_model(recipe.model, 1), tiny_data, recipe, device="cpu"))


def test_the_drawing_recipe_learns_from_every_source() -> None:
    recipe = get_recipe("drawing")
    assert sorted(name for name, _ in recipe.handwriting) == sorted(SOURCES)
    assert recipe.holdout > 0 and recipe.augment.startswith("drawing")


@pytest.mark.parametrize("shares,message", [
    ((("mnist2", 0.1),), "distinct names"),
    ((("numbers", 0.1), ("numbers", 0.2)), "distinct names"),
    ((("numbers", 0.5), ("ujipenchars2", 0.45)), "at least a tenth"),
    ((("numbers", 0.0),), "between 0 and 1"),
])
def test_unusable_handwriting_shares_are_refused(shares, message: str) -> None:
    with pytest.raises(InvalidRecipeError, match=message):
        get_recipe("drawing").with_overrides(handwriting=shares)


def _finished(status: str, accuracy: float | None, steps: int = 6) -> FinishedEvent:
    return FinishedEvent(status, 0 if accuracy is None else 1, steps, accuracy, None if accuracy is None else 0.1,
                         1.0, 0.5, status, steps_per_epoch=12)


def test_a_run_stopped_early_is_measured_and_a_drawing_run_is_calibrated(tiny_data, data_dir: Path) -> None:
    recipe = get_recipe("drawing", epochs=1, batch_size=32).with_overrides(holdout=64)
    sets = {name: _constant_set(name, 200) for name, _ in recipe.handwriting}
    model = init_model(recipe.model, recipe.seed)
    events = list(train(model, tiny_data, recipe, device="cpu", handwriting=sets))
    assert events[-1].status == "completed"
    result = finish_run(model, recipe, _finished("stopped", None), TrainingData(tiny_data, sets), device="cpu",
                        data_dir=data_dir)
    meta = result.metadata
    assert result.evaluation is not None and meta["test_accuracy"] == result.evaluation.accuracy
    assert meta["epochs_trained"] == 0.5 and meta["recipe"]["name"] == "drawing" and meta["status"] == "stopped"
    assert meta["drawing"] is True and meta["trained_on"] == ["mnist", *(name for name, _ in recipe.handwriting)]
    # calibrated on held-out MNIST and on each source's validation writers, and the model carries it
    assert meta["temperature"] != 1.0 and float(model.calibration.temperature) == pytest.approx(meta["temperature"])
    assert all(f"ece_after_{name}" in meta for name, _ in recipe.handwriting)


def test_a_diverged_run_is_neither_measured_nor_calibrated(tiny_data) -> None:
    recipe = get_recipe("drawing", epochs=1).with_overrides(holdout=64, handwriting=())
    model = build_model(recipe.model)
    result = finish_run(model, recipe, _finished("diverged", None), TrainingData(tiny_data, {}), device="cpu")
    assert result.evaluation is None and "temperature" not in result.metadata
    assert float(model.calibration.temperature) == 1.0


def _checkpoint(name: str, accuracy: float, **metadata) -> Checkpoint:
    return Checkpoint("drawing-cnn", build_model("drawing-cnn"), {"test_accuracy": accuracy, **metadata},
                      Path(f"assets/{name}"))


def test_the_default_is_the_drawing_model_that_learnt_from_the_most_handwriting() -> None:
    mnist_only = _checkpoint("mnist-only.pt", 0.996, drawing=True)
    european = _checkpoint("european.pt", 0.994, drawing=True, trained_on=["mnist", "ujipenchars2", "numbers"])
    plain = _checkpoint("plain.pt", 0.999)
    assert choose_default([plain, mnist_only, european]) is european
    assert choose_mnist_only([plain, mnist_only, european]) is mnist_only
    assert choose_default([plain, mnist_only]) is mnist_only
    assert choose_mnist_only([plain, european]) is None

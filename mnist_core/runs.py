"""Around the training loop: the data a recipe trains on, and what is done when a run ends.

The CLI and the app's Train tab both start a run with :func:`load_training_data` and end it
with :func:`finish_run`, so a model trained in either place is measured, marked and
calibrated the same way and carries the same metadata.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from torch import nn

from mnist_core.calibration import calibrate
from mnist_core.data import MNISTData, ProgressCallback, load_mnist
from mnist_core.evaluate import Evaluation, evaluate
from mnist_core.handwriting import HandwrittenDigits, load_handwriting
from mnist_core.recipes import Recipe
from mnist_core.text import N_, Text
from mnist_core.train import FinishedEvent


@dataclass(frozen=True)
class TrainingData:
    """MNIST, and the training writers of every handwriting source the recipe mixes in."""

    mnist: MNISTData
    handwriting: dict[str, HandwrittenDigits]


def load_training_data(recipe: Recipe, data_dir: str | os.PathLike[str] | None = None, *, download: bool = True,
                       progress: ProgressCallback | None = None) -> TrainingData:
    """Everything ``recipe`` trains on; raises the loaders' own errors, which say which folder to fix."""
    mnist = load_mnist(data_dir, download=download, progress=progress)
    handwriting = {name: load_handwriting(name, "train", data_dir, download=download, progress=progress)
                   for name, _ in recipe.handwriting}
    return TrainingData(mnist, handwriting)


@dataclass(frozen=True)
class FinishedRun:
    """A run's outcome: the checkpoint metadata, and the test-set evaluation if one had to be made."""

    metadata: dict[str, Any]
    evaluation: Evaluation | None


def finish_run(model: nn.Module, recipe: Recipe, finished: FinishedEvent, data: TrainingData, *,
               device: str, data_dir: str | os.PathLike[str] | None = None,
               progress: ProgressCallback | None = None) -> FinishedRun:
    """Measure, mark and calibrate a model whose run has ended; returns what its checkpoint should record.

    - A run stopped before its first epoch ended has no test accuracy yet: it is measured now.
    - A recipe trained for drawings marks the model ``"drawing": true`` (the app's default
      is such a model) and records the handwriting it learnt from.
    - A model with a temperature step is calibrated on the recipe's held-out MNIST images
      (distorted like drawings, for a drawing recipe) and on the validation writers of each
      handwriting source it trained on; a diverged run is not.
    """
    model.eval()
    metadata: dict[str, Any] = {
        "recipe": recipe.as_dict(),
        "epochs": finished.epochs_completed,
        "status": finished.status,
        "steps": finished.global_step,
        "epochs_trained": round(finished.global_step / max(finished.steps_per_epoch, 1), 2),
        "test_accuracy": finished.test_accuracy,
        "test_loss": finished.test_loss,
        "train_seconds": round(finished.train_seconds, 2),
        "device": device,
    }
    evaluation = None
    mnist = data.mnist
    if finished.test_accuracy is None and finished.status != "diverged":
        if progress:
            progress(Text(N_("Measuring the test accuracy of the model so far")))
        evaluation = evaluate(model, mnist.test_images, mnist.test_labels, batch_size=recipe.test_batch_size)
        metadata.update(test_accuracy=evaluation.accuracy, test_loss=evaluation.loss)
    drawing = recipe.augment.startswith("drawing")
    if drawing:
        metadata["drawing"] = True
    if recipe.handwriting:
        metadata["trained_on"] = ["mnist", *(name for name, _ in recipe.handwriting)]
    if recipe.holdout and hasattr(model, "calibration") and finished.status != "diverged":
        if progress:
            progress(Text(N_("Calibrating the confidence on held-out images")))
        validation = []
        for name, _ in recipe.handwriting:
            writers = load_handwriting(name, "val", data_dir, progress=progress)
            validation.append((name, writers.images, writers.labels))
        metadata.update(calibrate(model, mnist.train_images[-recipe.holdout:], mnist.train_labels[-recipe.holdout:],
                                  drawings=drawing, handwriting=validation))
    return FinishedRun(metadata, evaluation)


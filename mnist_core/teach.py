"""Teach a model someone's handwriting: fine-tune a copy on their own examples without forgetting MNIST.

A visitor whose ``1`` with a long flag is read as ``7`` says which digit each wrong reading
was; :func:`teach` then trains a *copy* of the model (the original is shared by every visitor
and never changes) with the one training loop, :func:`mnist_core.train.train`:

- every batch mixes the visitor's examples (:data:`EXAMPLES_SHARE` of it, drawn again and again)
  with MNIST images replayed from a fixed random sample of the training set, so the model
  learns the new handwriting while still seeing the old; without the replay a few dozen steps
  on five drawings would teach it that every digit is one of those five;
- every batch goes through the drawing augmentation (scale, rotation, shear, shift, elastic,
  stroke width), so the model learns each example's *shape*, not its exact pixels, and reads
  the next one the visitor draws the same way;
- one pass over the replay sample, Adam at a small learning rate: seconds of training on a laptop's
  CPU for the default model. What it costs on MNIST is measured after every teaching run and shown
  beside what it learned (``bench.teach`` keeps the figures: docs/handwriting.md).

It yields the training loop's events (the app streams them like a Train-tab run; the test-set
measurement that follows the last step, seconds on a CPU, sends an :class:`~mnist_core.train.EvaluatingEvent`
per batch, so a status line keeps moving through it), then one :class:`Taught`: the new model with
what each example read before and after, and the MNIST test accuracy it ended with, so a class
sees both what it learned and what it cost. An example counts as read right only when the model
was sure of it (:func:`mnist_core.predict.sure`): a "not sure: 4?" was not read right.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mnist_core.augment import AUGMENTATIONS
from mnist_core.data import MNISTData
from mnist_core.evaluate import evaluating, predict_proba
from mnist_core.handwriting import HandwrittenDigits
from mnist_core.predict import sure
from mnist_core.recipes import YOUR_EXAMPLES, Recipe
from mnist_core.runs import TrainingData, finish_run
from mnist_core.train import FinishedEvent, StopSignal, TrainEvent, measuring, train

#: MNIST training images replayed while teaching: one pass over them is the whole run.
REPLAY_SIZE = 4096
#: The share of every batch drawn from the visitor's examples.
EXAMPLES_SHARE = 0.25
#: Test images measured per batch: a status line moves after each (40 batches for MNIST's 10,000), and batches
#: of 250 are also the quickest on a CPU (:func:`mnist_core.evaluate.output_batches`).
TEST_BATCH_SIZE = 250
#: The MNIST images the replay sample is drawn from: the first 55,000, never the last 5,000 that the
#: drawing model holds out to calibrate its confidence.
REPLAY_POOL = 55_000


def teach_recipe(model_name: str, seed: int = 0, *, augment: str = "drawing") -> Recipe:
    """The recipe of a teaching run: one pass over the replay sample, a quarter of each batch the examples.

    ``augment`` is the base model's own drawing augmentation where it had one (:func:`augment_for`).
    """
    return Recipe(
        name="teach", model=model_name,
        description="fine-tune on your own examples: a quarter of each batch your examples, the rest MNIST "
                    f"replayed ({REPLAY_SIZE:,} images), drawing-like distortions, Adam lr 3e-4, one pass",
        epochs=1, batch_size=64, lr=3e-4, optimizer="adam", scheduler="none", test_batch_size=TEST_BATCH_SIZE,
        seed=seed, augment=augment, handwriting=((YOUR_EXAMPLES, EXAMPLES_SHARE),),
    ).validated()


def replay_sample(mnist: MNISTData, size: int = REPLAY_SIZE, seed: int = 0) -> MNISTData:
    """MNIST with its training set cut to ``size`` images drawn at random (seeded) from :data:`REPLAY_POOL`."""
    pool = min(REPLAY_POOL, len(mnist.train_images))
    pick = torch.randperm(pool, generator=torch.Generator().manual_seed(seed))[:size]
    return MNISTData(mnist.train_images[pick], mnist.train_labels[pick], mnist.test_images, mnist.test_labels,
                     mnist.source)


def read_right_each(probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(N,) bool: whether each of the (N, 10) ``probabilities`` puts its top digit on its label *and* is sure of it
    (:func:`mnist_core.predict.sure`, the Draw tab's "not sure"): an answer shown as "not sure: 4?" is not read
    right, even when 4 is what it is."""
    return (probabilities.argmax(1) == labels) & sure(probabilities)


def read_right(probabilities: torch.Tensor, labels: torch.Tensor) -> int:
    """How many of the (N, 10) ``probabilities`` read their (N,) ``labels`` right (:func:`read_right_each`)."""
    return int(read_right_each(probabilities, labels).sum())


@dataclass(frozen=True)
class Taught:
    """A teaching run's outcome: the new model (CPU, eval mode) and how it reads before and after."""

    model: nn.Module
    metadata: dict[str, Any]  # the checkpoint metadata: the base model's, with the teaching recorded
    before: torch.Tensor  # (N, 10) probabilities of the examples by the original model
    after: torch.Tensor  # (N, 10) the same by the taught model
    labels: torch.Tensor  # (N,) what the examples really are
    test_accuracy: float | None  # the taught model's MNIST test accuracy
    status: str  # "completed" or "stopped"

    @property
    def right_before(self) -> int:
        return read_right(self.before, self.labels)

    @property
    def right_after(self) -> int:
        return read_right(self.after, self.labels)


def augment_for(metadata: dict[str, Any]) -> str:
    """The augmentation a teaching run uses: the base model's own drawing augmentation, else ``"drawing"``.

    The same distortions it was trained with keep what it learnt from them: taught a visitor's
    digits with plain ``"drawing"``, the default model forgot half its confidence in European 1s
    (0.98 -> 0.68 on a drawn one); with its own ``"drawing+european+junk"`` it kept 0.99.
    """
    recipe = metadata.get("recipe")
    augment = str(recipe.get("augment", "")) if isinstance(recipe, dict) else ""
    return augment if augment.startswith("drawing") and augment in AUGMENTATIONS else "drawing"


def teach(model: nn.Module, model_name: str, examples: HandwrittenDigits, mnist: MNISTData, *,
          base_metadata: dict[str, Any] | None = None, stop: StopSignal | None = None,
          device: torch.device | str | None = None, seed: int = 0,
          data_dir: str | os.PathLike[str] | None = None) -> Iterator[TrainEvent | Taught]:
    """Fine-tune a copy of ``model`` on ``examples``, yielding the training loop's events, then a :class:`Taught`.

    A run stopped before its epoch ended is measured on the test set here, with the same
    :class:`~mnist_core.train.EvaluatingEvent` per batch as the loop's own measurement.

    ``model`` itself is not changed. A run that diverges yields no :class:`Taught` (its
    :class:`~mnist_core.train.FinishedEvent` says why); a stopped one yields the model as far as it got.
    """
    if len(examples) == 0:
        raise ValueError("there are no examples to learn from")
    base_metadata = dict(base_metadata or {})
    pupil = copy.deepcopy(model).to("cpu")
    recipe = teach_recipe(model_name, seed, augment=augment_for(base_metadata))
    data = TrainingData(replay_sample(mnist, seed=seed), {YOUR_EXAMPLES: examples})
    finished: FinishedEvent | None = None
    for event in train(pupil, data.mnist, recipe, device=device, stop=stop, handwriting=data.handwriting):
        if isinstance(event, FinishedEvent):
            finished = event
        yield event
    if finished is None or finished.status == "diverged":
        return
    if finished.test_accuracy is None:  # stopped before its epoch ended: measured here, a batch at a time
        batches = evaluating(pupil, mnist.test_images, mnist.test_labels, batch_size=recipe.test_batch_size)
        evaluation = yield from measuring(finished.epochs_completed + 1, len(mnist.test_labels), batches)
        finished = dataclasses.replace(finished, test_accuracy=evaluation.accuracy, test_loss=evaluation.loss)
    result = finish_run(pupil, recipe, finished, data, device=str(next(pupil.parameters()).device),
                        data_dir=data_dir)
    pupil.to("cpu").eval()
    before = predict_proba(model, examples.images)
    after = predict_proba(pupil, examples.images)
    taught = {key: result.metadata[key] for key in ("recipe", "steps", "train_seconds", "device", "status")}
    taught.update(examples=len(examples), right_before=read_right(before, examples.labels),
                  right_after=read_right(after, examples.labels), base_test_accuracy=base_metadata.get("test_accuracy"))
    metadata = {**base_metadata, "test_accuracy": result.metadata["test_accuracy"],
                "test_loss": result.metadata["test_loss"], "taught": taught}
    yield Taught(pupil, metadata, before, after, examples.labels, result.metadata["test_accuracy"], finished.status)

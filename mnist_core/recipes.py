"""Named training presets. Every hyper-parameter can be overridden.

- ``seed000``: the pytorch/examples recipe (Adadelta lr 1.0, StepLR gamma 0.7, batch 64, 14 epochs).
- ``seed004``: the tiny-VGG recipe (Adam lr 1e-3, batch 32, 3 epochs, cross-entropy).
- ``fast``: the shortest wall time to 99% test accuracy on a 2-core CPU.
- ``drawing``: the default drawing model: MNIST plus European handwriting beyond it (see
  :mod:`mnist_core.handwriting`), the distortions that drawings have and the European 1
  (see :mod:`mnist_core.augment`), and 5,000 training images held out to calibrate its confidence.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mnist_core.augment import AUGMENTATIONS
from mnist_core.data import TRAIN_SIZE
from mnist_core.handwriting import SOURCES as HANDWRITING_SOURCES
from mnist_core.models import get_model_spec
from mnist_core.text import N_, Text

OPTIMIZERS = ("adadelta", "adam", "adamw", "sgd")
#: The source name of a visitor's own examples in a teaching recipe's batches (mnist_core.teach): not a
#: dataset on disk, so ``load_training_data`` never loads it; the caller passes the examples to ``train``.
YOUR_EXAMPLES = "yours"
BATCH_SOURCES = (*HANDWRITING_SOURCES, YOUR_EXAMPLES)
SCHEDULERS = ("none", "step", "onecycle")

MAX_EPOCHS = 100
MAX_BATCH_SIZE = TRAIN_SIZE
MAX_TEST_BATCH_SIZE = 100_000
MAX_HOLDOUT = 20_000


class InvalidRecipeError(ValueError):
    """A recipe name or hyper-parameter that cannot be used; the message says which and why.

    Its message is kept as a :class:`~mnist_core.text.Text` (``text``): the refusals a visitor can meet in the app's
    Train form (its recipe, epochs, batch size, learning rate, seed) are marked ``N_`` so the app says them in the
    visitor's language, numbers written its way ("60.000"); the others come only from code or the CLI, in English.
    """

    def __init__(self, template: str, **values: Any) -> None:
        self.text = Text(template, **values)
        super().__init__(self.text)


@dataclass(frozen=True)
class Recipe:
    """Everything that decides how a model is trained (the model itself is chosen separately)."""

    name: str
    model: str
    description: str
    epochs: int
    batch_size: int
    lr: float
    optimizer: str
    scheduler: str = "none"
    gamma: float = 0.7  # StepLR: learning-rate factor per epoch
    warmup_fraction: float = 0.3  # one-cycle: share of the steps spent rising to ``lr``
    momentum: float = 0.9
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    test_batch_size: int = 1000
    seed: int = 1
    channels_last: bool = False
    #: Batched augmentation applied to every training batch on the training device (see mnist_core.augment).
    augment: str = "none"
    #: The last ``holdout`` training images are not trained on; they are kept to calibrate the confidence.
    holdout: int = 0
    #: Handwriting beyond MNIST mixed into every batch: (source, share of each batch) pairs, drawn from the
    #: source's training writers (see mnist_core.handwriting); its validation writers join the calibration.
    handwriting: tuple[tuple[str, float], ...] = ()

    def with_overrides(self, **overrides: Any) -> Recipe:
        """A copy with the given fields replaced; ``None`` values are ignored. Validates the result."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise InvalidRecipeError("unknown recipe setting(s): {names}", names=", ".join(sorted(unknown)))
        changes = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> Recipe:
        """Return self if every setting is usable, else raise :class:`InvalidRecipeError` naming it."""
        get_model_spec(self.model)
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise InvalidRecipeError(N_("epochs must be a whole number from 1 to {maximum}, got {value}"),
                                     maximum=MAX_EPOCHS, value=self.epochs)
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise InvalidRecipeError(
                N_("batch size must be a whole number from 1 to {maximum} (the training set size), got {value}"),
                maximum=MAX_BATCH_SIZE, value=self.batch_size)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise InvalidRecipeError(N_("learning rate must be a finite number above 0 (and at most 100), got {value}"),
                                     value=self.lr)
        if self.optimizer not in OPTIMIZERS:
            raise InvalidRecipeError("optimizer must be one of {names}, got {value}", names=", ".join(OPTIMIZERS),
                                     value=repr(self.optimizer))
        if self.scheduler not in SCHEDULERS:
            raise InvalidRecipeError("scheduler must be one of {names}, got {value}", names=", ".join(SCHEDULERS),
                                     value=repr(self.scheduler))
        if not 0 < self.warmup_fraction < 1:
            raise InvalidRecipeError("warm-up fraction must be between 0 and 1, got {value}",
                                     value=self.warmup_fraction)
        if not 0 <= self.label_smoothing < 1:
            raise InvalidRecipeError("label smoothing must be in [0, 1), got {value}", value=self.label_smoothing)
        if not 1 <= self.test_batch_size <= MAX_TEST_BATCH_SIZE:
            raise InvalidRecipeError("test batch size must be from 1 to {maximum}, got {value}",
                                     maximum=MAX_TEST_BATCH_SIZE, value=self.test_batch_size)
        if self.augment not in AUGMENTATIONS:
            raise InvalidRecipeError("augment must be one of {names}, got {value}", names=", ".join(AUGMENTATIONS),
                                     value=repr(self.augment))
        if not isinstance(self.holdout, int) or not 0 <= self.holdout <= MAX_HOLDOUT:
            raise InvalidRecipeError("holdout must be a whole number from 0 to {maximum}, got {value}",
                                     maximum=MAX_HOLDOUT, value=self.holdout)
        shares = dict(self.handwriting)
        unknown = [name for name in shares if name not in BATCH_SOURCES]
        if unknown or len(shares) != len(self.handwriting):
            raise InvalidRecipeError("handwriting sources must be distinct names from {names}, got {value}",
                                     names=", ".join(BATCH_SOURCES), value=", ".join(map(str, shares)))
        if not all(0 < share < 1 for share in shares.values()) or sum(shares.values()) >= 0.9:
            raise InvalidRecipeError("each handwriting share must be between 0 and 1, and MNIST must keep at "
                                     "least a tenth of every batch; got {value}", value=self.handwriting)
        if not 0 <= self.seed < 2**63:
            raise InvalidRecipeError(N_("seed must be a non-negative integer, got {value}"), value=self.seed)
        return self

    def as_dict(self) -> dict[str, Any]:
        """Plain-Python settings, for checkpoint metadata and JSON."""
        return dataclasses.asdict(self)


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="seed000", model="pytorch-example",
            description=N_("The network from PyTorch's own MNIST example, trained slowly and steadily: 14 passes "
                        "over the 60,000 training digits. Settings, as pytorch/examples has them: Adadelta lr 1.0, "
                        "StepLR(1, 0.7), batch 64, 14 epochs"),
            epochs=14, batch_size=64, lr=1.0, optimizer="adadelta", scheduler="step", gamma=0.7,
            test_batch_size=1000, seed=1,
        ),
        Recipe(
            name="seed004", model="tiny-vgg",
            description=N_("A small network built like the famous VGG, three passes over the 60,000 training "
                        "digits. Settings: cross-entropy, Adam lr 1e-3, batch 32, 3 epochs"),
            epochs=3, batch_size=32, lr=1e-3, optimizer="adam", scheduler="none", seed=1,
            channels_last=True,  # measured 3.80 -> 3.34 ms per step (pytorch-example is slower with it)
        ),
        Recipe(
            name="fast", model="fast-cnn",
            description=N_("The quickest way to a model that reads 99 digits in 100 right: one pass over the "
                        "60,000 training digits, short enough to watch in class on a laptop. Settings: one epoch, "
                        "SGD with a one-cycle schedule, label smoothing, channels-last"),
            epochs=1, batch_size=96, lr=0.1, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
            scheduler="onecycle", warmup_fraction=0.25, label_smoothing=0.1, test_batch_size=1000, seed=1,
            channels_last=True,
        ),
        Recipe(
            name="drawing", model="drawing-cnn",
            description=N_("How the app's own drawing model was made: it learns from American and European "
                        "handwriting, from digits bent and stretched the way drawings are, and to say 'not sure' "
                        "of scribbles. Settings: MNIST plus European handwriting (15% of each batch from "
                        "UJI pen strokes, 15% from the numbers scans, training writers only), some 1s "
                        "written the European way, drawing-like distortions (scale, rotation, shear, shift, "
                        "elastic, stroke width) and non-digits taught as 'not sure'; SGD one-cycle, 16 epochs; "
                        "calibrated on 5,000 held-out MNIST images and the sources' validation writers"),
            epochs=16, batch_size=128, lr=0.2, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
            scheduler="onecycle", warmup_fraction=0.2, label_smoothing=0.0, test_batch_size=2000, seed=1,
            channels_last=True, augment="drawing+european+junk", holdout=5000,
            handwriting=(("ujipenchars2", 0.15), ("numbers", 0.15)),
        ),
    )
}


def get_recipe(name: str, **overrides: Any) -> Recipe:
    """The named recipe with ``overrides`` applied (``None`` values ignored), validated."""
    try:
        recipe = RECIPES[name]
    except KeyError:
        raise InvalidRecipeError(N_("unknown recipe {name}; choose one of: {names}"), name=repr(name),
                                 names=", ".join(RECIPES)) from None
    return recipe.with_overrides(**overrides)


def make_optimizer(recipe: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    """The optimiser the recipe names, over the model's parameters."""
    params = model.parameters()
    if recipe.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adam":
        # fused: one kernel per step for all parameters; measured 3.34 -> 3.13 ms per tiny-vgg step on 2 cores
        return torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay, fused=True)
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.momentum > 0,
                           weight_decay=recipe.weight_decay)


def make_scheduler(recipe: Recipe, optimizer: torch.optim.Optimizer,
                   steps_per_epoch: int) -> tuple[torch.optim.lr_scheduler.LRScheduler | None, bool]:
    """The recipe's learning-rate schedule and whether it steps per batch (True) or per epoch (False)."""
    if recipe.scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=recipe.gamma), False
    if recipe.scheduler == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=recipe.lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch,
            pct_start=recipe.warmup_fraction), True
    return None, False

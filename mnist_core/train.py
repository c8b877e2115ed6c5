"""The one training loop, written as an iterator of events.

The CLI renders the events with a tqdm bar; the app streams the same events to its chart.
The loop keeps the whole training set as one normalised tensor on the training device and
makes each batch by indexing it with a seeded permutation: no DataLoader, no per-sample
transforms. Setting the ``stop`` event ends the run before the next step; the model keeps
the weights it has reached.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from mnist_core.augment import apply_augmentation
from mnist_core.data import MNISTData, normalize
from mnist_core.device import pick_device, synchronize
from mnist_core.evaluate import Evaluation, evaluating
from mnist_core.handwriting import HandwrittenDigits
from mnist_core.models import build_model
from mnist_core.recipes import Recipe, make_optimizer, make_scheduler
from mnist_core.text import N_, Text


@dataclass(frozen=True)
class StartEvent:
    """Sent once, before the first step."""

    device: str
    epochs: int
    steps_per_epoch: int
    total_steps: int
    train_size: int


@dataclass(frozen=True)
class StepEvent:
    """Sent after a training step (every ``log_every`` steps). ``loss`` is the mean since the last one."""

    epoch: int  # 1-based
    step: int  # 1-based, within the epoch
    steps_per_epoch: int
    global_step: int
    total_steps: int
    loss: float
    lr: float
    images_per_sec: float
    elapsed: float  # wall seconds since the run started, evaluation included


@dataclass(frozen=True)
class EpochEvent:
    """Sent after each epoch, with the test-set result."""

    epoch: int
    epochs: int
    test_loss: float
    test_accuracy: float
    elapsed: float


@dataclass(frozen=True)
class EvaluatingEvent:
    """Sent after each batch of an epoch's test-set measurement: ``done`` of ``total`` images measured so far,
    in ``seconds`` since it began (so a consumer can say how long the rest will take, from this run's speed)."""

    epoch: int
    done: int
    total: int
    seconds: float


@dataclass(frozen=True)
class FinishedEvent:
    """The last event. ``status`` is ``"completed"``, ``"stopped"`` or ``"diverged"``."""

    status: str
    epochs_completed: int
    global_step: int
    test_accuracy: float | None  # from the last completed epoch, if any
    test_loss: float | None
    elapsed: float
    train_seconds: float  # time spent in training steps alone
    message: str
    steps_per_epoch: int = 0


TrainEvent = StartEvent | StepEvent | EvaluatingEvent | EpochEvent | FinishedEvent


class StopSignal(Protocol):
    """What ``train(stop=...)`` checks before every step: a ``threading.Event``, or any flag with ``is_set``
    (the app's crosses into a ZeroGPU worker process, where an Event cannot)."""

    def is_set(self) -> bool: ...


def measuring(epoch: int, total: int,
              steps: Generator[int, None, Evaluation]) -> Generator[EvaluatingEvent, None, Evaluation]:
    """An :class:`EvaluatingEvent` for each batch that :func:`mnist_core.evaluate.evaluating` measures of ``total``
    images; returns its :class:`~mnist_core.evaluate.Evaluation`."""
    began = time.perf_counter()
    try:
        while True:
            done = next(steps)
            yield EvaluatingEvent(epoch, done, total, time.perf_counter() - began)
    except StopIteration as end:
        return end.value


def init_model(name: str, seed: int) -> nn.Module:
    """Build the registered model ``name`` with weights drawn reproducibly from ``seed``."""
    torch.manual_seed(seed)
    return build_model(name)


def batch_shares(recipe: Recipe) -> tuple[int, dict[str, int]]:
    """Images per batch from MNIST and from each handwriting source the recipe mixes in.

    Each source gets ``round(batch_size * share)`` images of every batch (at least one), so a
    set a few hundred times smaller than MNIST is still seen in every step.
    """
    extra = {name: max(1, round(recipe.batch_size * share)) for name, share in recipe.handwriting}
    return recipe.batch_size - sum(extra.values()), extra


def epoch_steps(recipe: Recipe, images: int) -> int:
    """Steps of one epoch of ``recipe`` over ``images`` MNIST images (those it trains on: the training set less
    ``recipe.holdout``), ``batch_shares(recipe)[0]`` of them a step: what :func:`train` runs."""
    n_mnist, _ = batch_shares(recipe)
    return math.ceil(images / n_mnist)


def planned_steps(recipe: Recipe, train_size: int) -> int:
    """Steps of a whole run of ``recipe`` on a training set of ``train_size`` MNIST images (:func:`epoch_steps`, at
    least one, per epoch): what the time estimates count."""
    return recipe.epochs * max(epoch_steps(recipe, train_size - recipe.holdout), 1)


def train(model: nn.Module, data: MNISTData, recipe: Recipe, *, device: torch.device | str | None = None,
          stop: StopSignal | None = None, log_every: int | None = None,
          handwriting: Mapping[str, HandwrittenDigits] | None = None) -> Iterator[TrainEvent]:
    """Train ``model`` in place by ``recipe``, yielding events; the model stays on ``device``.

    After each epoch the test set is measured, one :class:`EvaluatingEvent` per batch of
    ``recipe.test_batch_size`` images, then an :class:`EpochEvent` gives its result.

    ``log_every`` sets how often a :class:`StepEvent` is sent (default: every step on the CPU,
    every 50 on an accelerator, where reading the loss forces a host synchronisation).
    A loss that becomes NaN or infinite ends the run with status ``"diverged"``.
    ``handwriting`` holds the training writers of each source the recipe mixes into its
    batches (:func:`mnist_core.handwriting.load_handwriting`); an epoch is one pass over MNIST.
    """
    recipe = recipe.validated()
    n_mnist, n_extra = batch_shares(recipe)
    missing = [name for name in n_extra if not handwriting or name not in handwriting]
    if missing:
        raise ValueError(f"recipe {recipe.name!r} trains on handwriting sources {', '.join(missing)}: "
                         "load them with mnist_core.handwriting.load_handwriting and pass them as handwriting=")
    device = pick_device(device)
    log_every = log_every or (1 if device.type == "cpu" else 50)
    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format
    start = time.perf_counter()

    torch.manual_seed(recipe.seed)
    generator = torch.Generator().manual_seed(recipe.seed)
    n_fit = len(data.train_images) - recipe.holdout  # the held-out tail is for calibration, never trained on
    # uint8 on the device; each batch is normalised as it is drawn. A float copy of the training set
    # would cost 188 MB per run for ~20 microseconds saved per step.
    x_train = data.train_images[:n_fit].to(device)  # (N, 28, 28) uint8
    y_train = data.train_labels[:n_fit].to(device)
    x_test = data.test_images.to(device)  # evaluate() normalises it batch by batch
    extra = {name: (handwriting[name].images.to(device), handwriting[name].labels.to(device)) for name in n_extra}
    y_test = data.test_labels

    model.to(device, memory_format=memory_format)
    model.train()
    optimizer = make_optimizer(recipe, model)
    n = len(x_train)
    steps_per_epoch = epoch_steps(recipe, n)
    total_steps = steps_per_epoch * recipe.epochs
    scheduler, per_step = make_scheduler(recipe, optimizer, steps_per_epoch)
    yield StartEvent(str(device), recipe.epochs, steps_per_epoch, total_steps, n)

    global_step = 0
    epochs_done = 0
    images_seen = 0
    loop_start = time.perf_counter()
    excluded_seconds = 0.0  # evaluation, and time the consumer holds the loop paused at a yield,
    # are excluded from the training time and images/s
    last = {"loss": None, "accuracy": None}
    status, message = "completed", ""

    def train_seconds() -> float:
        return time.perf_counter() - loop_start - excluded_seconds

    def finished() -> FinishedEvent:
        return FinishedEvent(status, epochs_done, global_step, last["accuracy"], last["loss"],
                             time.perf_counter() - start, train_seconds(), message, steps_per_epoch)

    try:
        for epoch in range(1, recipe.epochs + 1):
            perm = torch.randperm(n, generator=generator).to(device)
            loss_sum = torch.zeros((), device=device)
            window = 0
            for step in range(1, steps_per_epoch + 1):
                if stop is not None and stop.is_set():
                    status, message = "stopped", f"stopped at epoch {epoch}, step {step - 1} of {steps_per_epoch}"
                    yield finished()
                    return
                idx = perm[(step - 1) * n_mnist: step * n_mnist]
                x, y = x_train[idx], y_train[idx]  # (b, 28, 28) uint8, (b,)
                if extra:  # each source's share of the batch, drawn at random from its training writers
                    picks = {name: torch.randint(len(extra[name][1]), (k,), generator=generator).to(device)
                             for name, k in n_extra.items()}
                    x = torch.cat([x, *(extra[name][0][i] for name, i in picks.items())])  # (B, 28, 28)
                    y = torch.cat([y, *(extra[name][1][i] for name, i in picks.items())])
                x = normalize(x).contiguous(memory_format=memory_format)  # (B, 1, 28, 28)
                if recipe.augment != "none":
                    x, y = apply_augmentation(recipe.augment, x, y, generator)
                loss = F.cross_entropy(model(x), y, label_smoothing=recipe.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if per_step:
                    scheduler.step()
                loss_sum += loss.detach()
                window += 1
                global_step += 1
                images_seen += len(y)
                if window == log_every or step == steps_per_epoch:
                    mean_loss = (loss_sum / window).item()  # the only host sync in the loop
                    if not math.isfinite(mean_loss):
                        status = "diverged"
                        message = Text(N_("training diverged at epoch {epoch}, step {step} (loss is {loss}); try a "
                                          "smaller learning rate"), epoch=epoch, step=step, loss=str(mean_loss))
                        yield finished()
                        return
                    paused_at = time.perf_counter()
                    yield StepEvent(epoch, step, steps_per_epoch, global_step, total_steps, mean_loss,
                                    optimizer.param_groups[0]["lr"], images_seen / max(train_seconds(), 1e-9),
                                    paused_at - start)
                    excluded_seconds += time.perf_counter() - paused_at
                    loss_sum.zero_()
                    window = 0
            if scheduler is not None and not per_step:
                scheduler.step()
            synchronize(device)
            eval_start = time.perf_counter()
            batches = evaluating(model, x_test, y_test, batch_size=recipe.test_batch_size, device=device)
            result = yield from measuring(epoch, len(y_test), batches)  # an EvaluatingEvent per batch
            excluded_seconds += time.perf_counter() - eval_start
            model.train()
            epochs_done = epoch
            last.update(loss=result.loss, accuracy=result.accuracy)
            paused_at = time.perf_counter()
            yield EpochEvent(epoch, recipe.epochs, result.loss, result.accuracy, paused_at - start)
            excluded_seconds += time.perf_counter() - paused_at
        message = f"finished {epochs_done} epochs: test accuracy {last['accuracy']:.2%}"
        yield finished()
    finally:
        model.eval()

"""How long a visitor who presses Start waits for the runs ahead of theirs: the estimate the Train tab shows.

Runs go through Gradio's queue one at a time (``--train-concurrency``). Gradio shows a waiting
page its place in the queue; this module turns the runs ahead into a time, in plain arithmetic
(no Gradio events here, so it is tested on its own), and says it in the visitor's language
(:mod:`demo.server.language`):

- a run takes its training images (epochs x steps x batch) at its speed, plus its passes over
  the test set (one per epoch) and its calibration images at :data:`EVAL_SPEEDUP` times that speed;
- a run already training has its own progress and its own measured images/s (what its status
  line shows); what it has left is counted, not the whole run;
- a run not started yet goes at the speed this app last measured for the same model and
  augmentation, else at any speed this app measured, scaled by the two models' FLOPs per image
  (:func:`mnist_core.models.flops_per_image`: a 6x larger network is about 6x slower), else at
  :data:`DEFAULT_FLOPS_PER_S`, which is only a start until the first run of the app has measured one;
- the runs then go through the queue's slots first come, first served (:func:`wait_seconds`).

The figure is an estimate ("about"): Stop ends a run early, a visitor who closes the page
leaves the queue, and the visitors who draw meanwhile take CPU from the run.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from demo.server.language import _, duration, n_
from mnist_core.data import TEST_SIZE, TRAIN_SIZE
from mnist_core.recipes import Recipe
from mnist_core.train import planned_steps

#: A test image costs a forward pass; a training image a forward pass, a backward pass (twice the
#: arithmetic) and an update: about three times as much (``tiny-vgg``: forward 2.8 ms of an 8.8 ms step,
#: bench/results/profile_steps.json).
EVAL_SPEEDUP = 3.0
#: FP32 FLOP/s of a training run before this app has measured one: between the app's lone ``pytorch-example``
#: run in ``bench.load`` (638 images/s x 71.6 MFLOP, 46 GFLOP/s) and the ``fast`` recipe's steps in
#: ``bench.flops`` (82 GFLOP/s), on the project's 2-core Xeon. Any measured run replaces it.
DEFAULT_FLOPS_PER_S = 50e9
#: Seconds a run costs besides its images: its model built, the probe digits and filters drawn, the model kept.
RUN_OVERHEAD_S = 2.0

#: What a measured speed belongs to: the model and the recipe's augmentation (which costs CPU of its own).
SpeedKey = tuple[str, str]


def speed_key(recipe: Recipe) -> SpeedKey:
    return recipe.model, recipe.augment


@dataclass(frozen=True)
class DataSize:
    """MNIST images a run trains on and is tested on (a test may give the app a smaller set)."""

    train: int = TRAIN_SIZE
    test: int = TEST_SIZE


@dataclass(frozen=True)
class RunProgress:
    """How far one run has got, as its handler reports it (replaced whole at each report: read from other threads).

    Before its first step ``total_steps`` and ``images_per_sec`` are ``None``; ``finishing`` is
    set once training has ended and the model is being measured and kept.
    """

    recipe: Recipe
    data: DataSize | None = None
    total_steps: int | None = None
    steps_done: int = 0
    epochs_done: int = 0
    images_per_sec: float | None = None
    finishing: bool = False


def images_per_sec(recipe: Recipe, measured: Mapping[SpeedKey, float], flops: Callable[[str], float]) -> float:
    """Training images/s of a run of ``recipe`` on this machine, from what the app has measured.

    ``measured`` holds the latest images/s of each (model, augmentation) this app trained, the
    most recent last; ``flops(model)`` is the training FLOPs of one image of ``model``.
    """
    own = measured.get(speed_key(recipe))
    if own:
        return own
    if measured:
        (model, _), speed = list(measured.items())[-1]
        return speed * flops(model) / flops(recipe.model)
    return DEFAULT_FLOPS_PER_S / flops(recipe.model)


def seconds_left(run: RunProgress, speed: float, data: DataSize) -> float:
    """Seconds until ``run`` ends, at ``speed`` training images/s unless it has measured its own.

    ``data`` is the size of the data it trains on if the run has not said yet.
    """
    recipe = run.recipe
    speed = run.images_per_sec or speed
    data = run.data or data
    calibration = recipe.holdout  # held-out images, measured once the run has ended
    if run.finishing:
        train_images, test_images = 0, (data.test if run.epochs_done == 0 else 0) + calibration
        overhead = 0.0
    else:
        total = run.total_steps if run.total_steps is not None else planned_steps(recipe, data.train)
        train_images = max(total - run.steps_done, 0) * recipe.batch_size
        test_images = max(recipe.epochs - run.epochs_done, 0) * data.test + calibration
        overhead = RUN_OVERHEAD_S if run.total_steps is None else 0.0
    return overhead + (train_images + test_images / EVAL_SPEEDUP) / max(speed, 1e-9)


def wait_seconds(running: Sequence[float], queued: Sequence[float], slots: int) -> float:
    """Seconds until a run that joins the queue now starts.

    ``running``: seconds left of each run going on; ``queued``: seconds of each run waiting ahead,
    in queue order; at most ``slots`` runs at once, each queued run taking the first slot to free up.
    """
    slots = max(slots, 1)
    ends = list(running)  # when each busy slot frees up, from now
    heapq.heapify(ends)
    now = 0.0
    for seconds in queued:
        while len(ends) >= slots:
            now = heapq.heappop(ends)
        heapq.heappush(ends, now + seconds)
    while len(ends) >= slots:
        now = heapq.heappop(ends)
    return now


def about(seconds: float) -> str:
    """A wait rounded to what matters, in the visitor's language's short words, for an "about …" sentence: "40 sec",
    "1 min", "12 min" (:func:`demo.server.language.duration`, of the wait to the nearest 5 seconds)."""
    rounded = max(5, 5 * round(seconds / 5))
    # Babel says "60 sec" up to 1.1 minutes (66 s): a wait of a minute or more is said in minutes.
    return duration(rounded if rounded < 60 else max(rounded, 66))


def wait_message(ahead: int, seconds: float) -> str:
    """The Train status while a run waits: e.g. "2 runs ahead of yours: about 2 min"."""
    # TRANSLATORS: the heading shown while a visitor's training run waits in the queue; {wait} is a time, e.g. "2 min".
    runs = n_("{count} run ahead of yours: about {wait}", "{count} runs ahead of yours: about {wait}", ahead,
              wait=about(seconds))
    return f"### {runs}\n" + _("Your run starts by itself when they are done: keep this page open.")


def estimate(running: Sequence[RunProgress], queued: Sequence[Recipe], slots: int,
             measured: Mapping[SpeedKey, float], data: DataSize, flops: Callable[[str], float]) -> str | None:
    """The Train status for a visitor whose run joins the queue now, or ``None`` if it can start at once.

    ``running``: the runs under way; ``queued``: the recipes waiting ahead, in queue order; ``slots``:
    runs allowed at once; ``measured``, ``data``: the speeds and data size this app measured
    (:meth:`demo.server.sessions.Sessions.measured`); ``flops(model)``: training FLOPs of one image.
    """
    if len(running) + len(queued) < max(slots, 1):
        return None
    left = [seconds_left(run, images_per_sec(run.recipe, measured, flops), data) for run in running]
    whole = [seconds_left(RunProgress(recipe), images_per_sec(recipe, measured, flops), data) for recipe in queued]
    return wait_message(len(running) + len(queued), wait_seconds(left, whole, slots))

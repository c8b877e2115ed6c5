"""ZeroGPU: borrow one of Hugging Face's shared GPUs for exactly one training run, for as long as it needs.

On a ZeroGPU Space (the free way to host a Gradio app on Hugging Face since July 2026) no GPU
is attached to the app's process. A function decorated with ``spaces.GPU`` is instead run in a
worker process forked for it, with a GPU attached for at most ``duration`` seconds. Whatever
``duration`` asks for is what the scheduler checks against the visitor's daily quota (a few
minutes a day), and shorter requests are served first. So the Train tab asks for a duration
computed from the recipe (:func:`run_duration`), not a fixed worst case.

Everywhere else (a laptop, ``python app.py``, a CPU Space, a dedicated GPU, CI) ``spaces.GPU``
returns the function unchanged: the same code trains on whatever :func:`mnist_core.device.pick_device`
finds. ``spaces`` is in requirements.txt; if it is missing the app still runs, only without
ZeroGPU, which needs it anyway.

The worker is a separate process: the decorated function's arguments and everything it yields
are pickled across (see :mod:`demo.train_run`). Nothing here may touch CUDA: the app's own
process must never initialise it on ZeroGPU.
"""

from __future__ import annotations

# Before torch (imported by mnist_core below): on ZeroGPU, spaces patches torch as it is imported, and
# Hugging Face advises importing it first. app.py imports this module before anything else.
try:
    import spaces
except ImportError:  # pragma: no cover - spaces is in requirements.txt; without it there is no ZeroGPU either
    spaces = None

import math  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

from mnist_core.recipes import Recipe  # noqa: E402
from mnist_core.runs import TrainingData  # noqa: E402
from mnist_core.train import batch_shares  # noqa: E402

F = TypeVar("F", bound=Callable[..., Any])

#: The most a run asks for: two minutes is a visitor's whole daily quota when they are not logged in
#: (3.5 min with a free account, 25 with PRO, per Hugging Face's ZeroGPU page); a longer request
#: could never be granted to them. A run that would take longer stops itself in time (:func:`training_budget`).
MAX_DURATION_S = 120

# The time model below is an assumption, not a measurement: no ZeroGPU Space was available to this
# work. Re-measure on a real Space (the chart's images/s and the run's "of which training" time).
#: Seconds before the first step: the worker process forks, CUDA starts, the data is pickled across and copied in.
STARTUP_S = 10.0
#: Seconds per training step for these small networks on a ZeroGPU slice (half an H200): eager PyTorch
#: issues about a hundred small kernels per step, so launching them, not the arithmetic, sets the pace.
STEP_S = 0.003
#: Seconds per training image (the arithmetic, which grows with the batch).
IMAGE_S = 20e-6
#: Extra seconds per step for the drawing distortions (grid sampling, pooling, random draws made on the CPU).
AUGMENT_STEP_S = 0.005
#: Seconds per test-set evaluation (one after every epoch) and for the Train tab's probe strip and filters.
EPOCH_EXTRA_S = 1.0
#: Seconds to finish a run (measure it if stopped early, move it back to the CPU), plus calibration if it has one.
FINISH_S = 5.0
CALIBRATE_S = 10.0
#: The estimate is multiplied by this: running over ``duration`` may abort the run and lose the model.
SAFETY = 1.5


def on_zerogpu() -> bool:
    """True inside a ZeroGPU Space (``spaces`` reads ``SPACES_ZERO_GPU``, which only ZeroGPU sets)."""
    return spaces is not None and bool(spaces.config.Config.zero_gpu)


def gpu(duration: Callable[..., int]) -> Callable[[F], F]:
    """Decorate a (generator) function with ``spaces.GPU(duration=duration)``, the documented form for
    a duration that depends on the call: ``duration`` is called with the same arguments.

    Outside ZeroGPU the function is returned unchanged. The duration function is also kept as the
    function's ``gpu_duration`` attribute, so the app and its tests can see what a call would ask for.
    """
    def decorate(fn: F) -> F:
        wrapped = spaces.GPU(duration=duration)(fn) if spaces is not None else fn
        wrapped.gpu_duration = duration  # type: ignore[attr-defined]
        return wrapped
    return decorate


def finish_seconds(recipe: Recipe) -> float:
    """Seconds kept back after training to finish the run (calibration for a recipe that holds images out)."""
    return FINISH_S + (CALIBRATE_S if recipe.holdout else 0.0)


def estimated_seconds(recipe: Recipe, train_size: int) -> float:
    """Seconds a ZeroGPU worker needs for ``recipe`` on ``train_size`` MNIST images, without the safety factor."""
    n_mnist, _ = batch_shares(recipe)
    steps = recipe.epochs * math.ceil(max(train_size - recipe.holdout, 1) / n_mnist)
    per_step = STEP_S + recipe.batch_size * IMAGE_S + (AUGMENT_STEP_S if recipe.augment != "none" else 0.0)
    return STARTUP_S + steps * per_step + recipe.epochs * EPOCH_EXTRA_S + finish_seconds(recipe)


def run_duration(recipe: Recipe, data: TrainingData, *_: Any, **__: Any) -> int:
    """The ``duration`` (whole seconds) a Train-tab run asks ZeroGPU for: the estimate with a margin, at most
    :data:`MAX_DURATION_S`. Takes the arguments of the decorated function (recipe, data, then any others)."""
    return min(MAX_DURATION_S, math.ceil(SAFETY * estimated_seconds(recipe, len(data.mnist.train_images))))


def training_budget(recipe: Recipe, data: TrainingData) -> float | None:
    """Seconds a run may train on ZeroGPU before it must stop to finish within its duration; None elsewhere.

    Counted from the start of the decorated function, after the worker started. A run cut short
    this way ends as if Stop had been pressed: it keeps its model instead of being aborted with it.
    """
    if not on_zerogpu():
        return None
    return max(1.0, run_duration(recipe, data) - STARTUP_S - finish_seconds(recipe))

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
are pickled across (see :mod:`demo.tabs.train_run`). Nothing here may touch CUDA: the app's own
process must never initialise it on ZeroGPU.

ZeroGPU may also refuse a run: a class shares one IP address, and visitors who are not logged in
get 2 minutes of GPU a day per IP. :func:`refusal` tells such a refusal from an error, and the
run then trains on the Space's CPU instead (:func:`demo.tabs.train_run.train_anywhere`).
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
from dataclasses import dataclass  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import gradio as gr  # noqa: E402

from demo.server.language import N_, _, current, duration  # noqa: E402
from mnist_core.recipes import Recipe  # noqa: E402
from mnist_core.runs import TrainingData  # noqa: E402
from mnist_core.train import planned_steps  # noqa: E402

F = TypeVar("F", bound=Callable[..., Any])

#: The most a run asks for: two minutes is a visitor's whole daily quota when they are not logged in,
#: counted per IP address, so shared by a whole school class (5 min with a free account, 40 with PRO,
#: per Hugging Face's ZeroGPU page); a longer request could never be granted to them. A run that would
#: take longer stops itself in time (:func:`training_budget`).
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
    steps = planned_steps(recipe, train_size)
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


# --- when ZeroGPU says no ---------------------------------------------------------------------------------
#
# What ``spaces`` raises, read from spaces 0.51.3. The decorated generator function
# (spaces/zero/wrappers.py:315, ``gradio_handler``) calls ``client.schedule`` (wrappers.py:324) when the
# caller first asks it for an item, before any worker process exists; every refusal below is raised
# there, as a ``gradio.Error`` built by ``spaces.zero.gradio.error(title, message)`` (gradio.py:171-179:
# ``gr.Error(message, title=title, print_exception=False)``, or its subclass ``HTMLError`` when
# ``html=True``), and so reaches the caller from that first ``next()``. An error inside the run comes
# later and otherwise: ``gr.Error`` titled "ZeroGPU worker error" (wrappers.py:391, 400) or the run's own
# exception, and is never taken for a refusal.

#: Titles of ``spaces.zero.client.schedule``'s refusals, each with what the class is told (in English: the reason
#: is translated where it is shown, ``_(reason)``, and reads on after "because").
REFUSAL_TITLES = {
    # client.py:179 (no IP token: "Space app has reached its GPU limit"), client.py:207 (the visitor's quota:
    # "You have exceeded your ZeroGPU quota (…s requested vs. …s left). Try again in …", or its runs limit),
    # and client.py:237 (no IP token, nothing free after a minute in the queue: NO_GPU_IN_QUEUE below).
    # TRANSLATORS: why a training run is on the CPU, not a GPU; reads on after "because" and also starts a line.
    "ZeroGPU quota exceeded": N_("GPU time for today is used up"),
    # TRANSLATORS: why a training run is on the CPU, not a GPU; reads on after "because" and also starts a line.
    "ZeroGPU queue timeout": N_("no GPU came free within a minute"),  # client.py:249 (HTMLError), NO_GPU_IN_QUEUE
    # client.py:173: "The requested GPU duration (…s) is larger than the maximum allowed".
    # TRANSLATORS: why a training run is on the CPU, not a GPU; reads on after "because" and also starts a line.
    "ZeroGPU illegal duration": N_("this run needs more GPU time than ZeroGPU grants at once"),
    # client.py:159: "You have too many ZeroGPU credits allocated to running tasks. …".
    # TRANSLATORS: why a training run is on the CPU, not a GPU; reads on after "because" and also starts a line.
    "ZeroGPU pending credits exceeded": N_("the GPU time left is held by runs still going"),
}
#: spaces' NO_GPU_MESSAGE_INQUEUE (client.py:35): a queue timeout, also under the "quota exceeded" title (:237).
NO_GPU_IN_QUEUE = "No GPU was available after 60s"
#: Messages under the title "ZeroGPU client error" that are refusals: spaces' NO_GPU_MESSAGE_REGULAR
#: (client.py:34, raised at :259 when the scheduler answers 503) and an expired token (:262). The same
#: title with "Internal Gradio error" (:313) is a fault, not a refusal.
CLIENT_REFUSALS = {
    # TRANSLATORS: why a training run is on the CPU, not a GPU; reads on after "because" and also starts a line.
    "No GPU was available": N_("no GPU is free right now"),
    # TRANSLATORS: why a training run is on the CPU, not a GPU; reads on after "because" and also starts a line.
    "Expired ZeroGPU proxy token": N_("ZeroGPU's token for this page has expired"),
}


@dataclass(frozen=True)
class Refusal:
    """ZeroGPU would not run a training run: why, in words a class reads, and ``spaces``' own title and message."""

    reason: str  # reads on after "because": "no GPU is free right now" (English: translate it where it is shown)
    title: str
    message: str

    def said(self) -> str:
        """The reason in the visitor's language, to read on after "because"."""
        return _(self.reason)

    def line(self, seconds: float) -> str:
        """The one status line, in the visitor's language: e.g. "GPU time for today is used up: training on the
        CPU, about 42 sec" (the time in the language's short words, :func:`demo.server.language.duration`)."""
        # TRANSLATORS: a status line; {reason} is why there is no GPU (e.g. "no GPU is free right now"), {duration}
        # how long training takes on the CPU, e.g. "2 min".
        return _("{reason}: training on the CPU, about {duration}", reason=capitalised(self.said()),
                 duration=duration(seconds))


def capitalised(text: str) -> str:
    """``text`` with a capital first letter, as a line starts (Turkish capitalises "i" as "İ")."""
    first = "İ" if text[:1] == "i" and current() == "tr" else text[:1].upper()
    return first + text[1:]


def refusal(exc: BaseException) -> Refusal | None:
    """The refusal ``exc`` is, if ``spaces`` raised it to say no GPU will be given (see above); else None.

    Only meaningful for an exception raised before the decorated call yielded anything.
    """
    if not isinstance(exc, gr.Error):
        return None
    title, message = str(exc.title), str(exc.message)
    if title == "ZeroGPU quota exceeded" and message.startswith(NO_GPU_IN_QUEUE):
        return Refusal(REFUSAL_TITLES["ZeroGPU queue timeout"], title, message)
    if title in REFUSAL_TITLES:
        return Refusal(REFUSAL_TITLES[title], title, message)
    if title == "ZeroGPU client error" and message in CLIENT_REFUSALS:
        return Refusal(CLIENT_REFUSALS[message], title, message)
    return None

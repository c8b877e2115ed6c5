"""The part of a Train-tab run that needs the accelerator: train, finish, hand back a CPU model.

:func:`train_on_device` is the one function of the app decorated for ZeroGPU
(:mod:`demo.server.zerogpu`). On a ZeroGPU Space it runs in a worker process with a GPU attached, so:

- it takes and yields only picklable values (the recipe, the data, a :class:`RunStop`; events,
  HTML strings, and at the end a model on the CPU). A CUDA tensor unpickled in the app's
  process would initialise CUDA there, which ZeroGPU forbids; the session's ``gr.State`` and
  the visitor's request stay with the caller (:mod:`demo.tabs.train`), which runs in the app's process;
- the probe strip and the filters are drawn here, from the live model, and sent as HTML;
- the run is finished (measured, calibrated) on the training device, which is faster there,
  and only then moved to the CPU, where the Draw tab reads drawings one at a time.

Anywhere else the decorator does nothing and this is an ordinary generator in the same process.

When ZeroGPU refuses the run (a class has used up its GPU time for the day, no GPU is free),
:func:`train_anywhere` trains the same run on the CPU in the app's own process instead
(:func:`train_on_cpu`, which never asks CUDA anything), after saying why in one line.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from demo.server.cores import available_cores
from demo.server.language import DEFAULT, N_, current, say, speaking
from demo.server.log import log
from demo.server.zerogpu import gpu, refusal, run_duration, training_budget
from demo.views.pictures import filters_html, probe_strip_html
from mnist_core.cost import cpu_seconds
from mnist_core.data import MNISTData
from mnist_core.evaluate import predict_proba
from mnist_core.introspect import first_conv, first_conv_filters, one_per_class
from mnist_core.recipes import Recipe
from mnist_core.runs import FinishedRun, TrainingData, finish_run
from mnist_core.text import Text
from mnist_core.train import EpochEvent, FinishedEvent, StartEvent, StepEvent, TrainEvent, init_model, train

#: Seconds between two probe-strip redraws (and so chart updates). Each update redraws a plotly chart and ten
#: pictures in the browser: at 0.3 s a software-rendered page was busy nearly all the time and took 15-23 s to
#: register a click on Stop. Once a second still reads as live (``python -m bench.browser`` measures it).
UPDATE_INTERVAL = 1.0

#: Where a stop flag that crossed into a ZeroGPU worker is signalled (the worker is forked on the same machine).
STOP_DIR = Path(tempfile.gettempdir()) / "mnist-demo-stops"


class RunStop:
    """Stops one training run, also from another process; the trainer checks :meth:`is_set` before every step.

    Stop, the page's unload event and the end of the run's handler all happen in the app's
    process, while on ZeroGPU the loop runs in a forked worker holding a pickled copy of this
    flag. A ``threading.Event`` cannot cross that boundary, so once the flag has been pickled,
    :meth:`set` also creates a small file that the copies look for. A flag that never left
    its process (every run off ZeroGPU) never touches the file system.

    ``deadline`` (``time.monotonic()`` of the process holding the flag) also stops the run: a
    ZeroGPU worker sets it so the run ends before the GPU time it asked for runs out.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(folder) if folder is not None else STOP_DIR
        self.path = self.path / f"{uuid.uuid4().hex}.stop"
        self.deadline: float | None = None
        self._event = threading.Event()
        self._pickled = False  # a copy exists elsewhere: set() must leave a file for it
        self._copy = False  # this object is such a copy: is_set() must look for the file

    def set(self) -> None:
        self._event.set()
        if self._pickled:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.touch()
            except OSError:  # the copy then stops at its next yield, when ZeroGPU closes it
                pass

    def is_set(self) -> bool:
        if self._event.is_set():
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return True
        return self._copy and self.path.exists()

    def timed_out(self) -> bool:
        """True if the deadline ended the run and nobody asked it to stop."""
        if self._event.is_set() or (self._copy and self.path.exists()):
            return False
        return self.deadline is not None and time.monotonic() >= self.deadline

    def discard(self) -> None:
        """Remove the signal file, if any (the run is over)."""
        self.path.unlink(missing_ok=True)

    def __getstate__(self) -> dict[str, Any]:
        self._pickled = True
        return {"path": self.path, "deadline": self.deadline}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self.deadline = state["path"], state["deadline"]
        self._event = threading.Event()
        self._pickled, self._copy = False, True


@dataclass(frozen=True)
class Progress:
    """One training event, with the probe strip and the filters redrawn when it is time (None: unchanged)."""

    event: TrainEvent
    probes: str | None = None
    filters: str | None = None


@dataclass(frozen=True)
class Trained:
    """The end of a run that did not diverge: the model (on the CPU, in eval mode) and what finishing it found."""

    model: nn.Module
    run: FinishedRun
    device: str  # where it trained, e.g. "cuda:0"
    out_of_time: bool  # stopped by the ZeroGPU deadline rather than by the visitor
    probes: str
    filters: str


@dataclass(frozen=True)
class OnCpuInstead:
    """ZeroGPU refused the run, which trains on the CPU instead: the one status line that says so, and why."""

    line: str  # in the visitor's language: "GPU time for today is used up: training on the CPU, about 42 sec"
    reason: str  # English, translated where shown; reads on after "because": "GPU time for today is used up"


@gpu(duration=run_duration)
def train_on_device(recipe: Recipe, data: TrainingData, stop: RunStop,
                    data_dir: str | None = None, language: str = DEFAULT) -> Iterator[Progress | Trained]:
    """Train a new ``recipe.model`` on the best device there is, yielding every event, then finish it.

    Yields a :class:`Progress` for each event of :func:`mnist_core.train.train` (its ``probes``
    set at most every :data:`UPDATE_INTERVAL` seconds during an epoch, and at the start and
    after every epoch, where ``filters`` is set too), then, unless the run diverged, one
    :class:`Trained`. Closing the generator stops training before the next step.

    ``language`` is the visitor's, which the pictures' captions are written in: passed, not read from the
    event's context, which a ZeroGPU worker process does not have.
    """
    yield from _run(recipe, data, stop, data_dir, device=None, budget=training_budget(recipe, data),
                    language=language)


def train_on_cpu(recipe: Recipe, data: TrainingData, stop: RunStop,
                 data_dir: str | None = None, language: str = DEFAULT) -> Iterator[Progress | Trained]:
    """The same run as :func:`train_on_device`, on the CPU of this process and with no deadline.

    Names the CPU rather than letting :func:`mnist_core.device.pick_device` choose: on ZeroGPU
    ``spaces`` makes ``torch.cuda.is_available()`` say True in the app's process
    (spaces/zero/torch/patching.py:316), where no GPU is attached and CUDA must never start.
    """
    yield from _run(recipe, data, stop, data_dir, device="cpu", budget=None, language=language)


def train_anywhere(recipe: Recipe, data: TrainingData, stop: RunStop,
                   data_dir: str | None = None) -> Iterator[OnCpuInstead | Progress | Trained]:
    """:func:`train_on_device`; if ZeroGPU refuses it (:func:`demo.server.zerogpu.refusal`), one :class:`OnCpuInstead`
    then :func:`train_on_cpu`.

    ``spaces`` refuses as the decorated call is first asked for an item, so only an exception
    raised before the first item can be a refusal; any other, and any raised later, is the
    run's own and goes up unchanged. Closing this generator closes whichever run it is in.

    Its lines and pictures are in the language of the event it is called in (:func:`demo.server.language.current`).
    """
    language = current()
    runner = train_on_device(recipe, data, stop, data_dir, language)
    try:
        try:
            first = next(runner)
        except StopIteration:
            return
        except Exception as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            runner = train_on_cpu(recipe, data, stop, data_dir, language)
            line = refused.line(cpu_seconds(recipe, len(data.mnist.train_images), available_cores()))
            log.info("ZeroGPU refused a run (%s: %s); training it on the CPU", refused.title, refused.message)
            yield OnCpuInstead(line, refused.reason)
            first = next(runner, None)
            if first is None:
                return
        yield first
        yield from runner
    finally:
        runner.close()


class _LivePictures:
    """The model being trained, drawn for the page: the probe digits with what it reads now, and its first
    convolution's filters, captioned in ``language``.

    Each drawing sets the language for itself alone (it yields nothing meanwhile): a generator that set it across
    its yields would change its caller's context, and could not reset it from the next step's.
    """

    def __init__(self, model: nn.Module, mnist: MNISTData, language: str = DEFAULT) -> None:
        self.model = model
        self.language = language
        probe_index = one_per_class(mnist.test_labels)
        self.probe_images = mnist.test_images[probe_index]  # (10, 28, 28) uint8
        self.probe_labels = mnist.test_labels[probe_index].tolist()
        self.conv = first_conv(model)

    def strip(self) -> str:
        """The probe digits with what the model reads now (10 images: about a millisecond)."""
        probabilities = predict_proba(self.model, self.probe_images).numpy()
        with speaking(self.language):
            return probe_strip_html(self.probe_images.numpy(), self.probe_labels, probabilities)

    def weights(self, when: str, **values: Any) -> str:
        """The filters now, captioned with ``when`` (an English message, translated and filled with ``values``,
        numbers written in ``language`` too: a ZeroGPU worker's own context is English)."""
        filters_now = first_conv_filters(self.model)
        with speaking(self.language):
            return filters_html(None if filters_now is None else filters_now.numpy(),
                                self.conv[0] if self.conv else "", say(Text(when, **values)))


def _run(recipe: Recipe, data: TrainingData, stop: RunStop, data_dir: str | None, *, device: str | None,
         budget: float | None, language: str = DEFAULT) -> Iterator[Progress | Trained]:
    """The run itself (see :func:`train_on_device`): on ``device`` (None: the best there is), stopping once
    ``budget`` seconds have gone by (None: no deadline), its pictures captioned in ``language``."""
    if budget is not None:
        stop.deadline = time.monotonic() + budget
    model = init_model(recipe.model, recipe.seed)
    pictures = _LivePictures(model, data.mnist, language)
    strip, weights = pictures.strip, pictures.weights
    finished: FinishedEvent | None = None
    events = train(model, data.mnist, recipe, device=device, stop=stop, handwriting=data.handwriting)
    last_update = 0.0
    try:
        for event in events:
            if isinstance(event, StartEvent):
                # TRANSLATORS: ends the filters' caption, "32 filters of 3 × 3, at initialisation" (before training).
                yield Progress(event, strip(), weights(N_("at initialisation")))
                last_update = time.monotonic()
            elif isinstance(event, StepEvent):
                if time.monotonic() - last_update >= UPDATE_INTERVAL:
                    yield Progress(event, strip())
                    last_update = time.monotonic()
                else:
                    yield Progress(event)
            elif isinstance(event, EpochEvent):
                # TRANSLATORS: ends the filters' caption, "32 filters of 3 × 3, after epoch 2"; keep "epoch" English.
                yield Progress(event, strip(), weights(N_("after epoch {epoch}"), epoch=event.epoch))
                last_update = time.monotonic()
            elif isinstance(event, FinishedEvent):
                finished = event
                yield Progress(event)
    finally:
        events.close()  # also when this generator is closed: no step runs after that
    if finished is None or finished.status == "diverged":
        return
    out_of_time = finished.status == "stopped" and stop.timed_out()
    device = str(next(model.parameters()).device)
    result = finish_run(model, recipe, finished, data, device=device, data_dir=data_dir)
    model.to("cpu").eval()  # nothing that leaves this function may live on the GPU
    done = result.metadata["epochs_trained"]
    # TRANSLATORS: ends the filters' caption, "32 filters of 3 × 3, at the end (1.0 epochs)"; keep "epochs" English.
    at_end = weights(N_("at the end ({epochs} epochs)"), epochs=round(done, 1))
    yield Trained(model, result, device, out_of_time, strip(), at_end)

"""The ZeroGPU path, checked on a CPU: the duration a run asks for, the decorated training run, the
process boundary it must cross on a ZeroGPU Space (simulated by pickling), and that the app's own
process never touches CUDA. The same run on a real GPU is in ``test_gpu.py``.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import demo.train_run as train_run
import demo.zerogpu as zerogpu
from demo.train_run import Progress, RunStop, Trained, train_on_device
from mnist_core.data import MNISTData
from mnist_core.recipes import RECIPES, get_recipe
from mnist_core.runs import TrainingData
from mnist_core.train import FinishedEvent, StartEvent, StepEvent

REPO = Path(__file__).resolve().parent.parent


def small(mnist: MNISTData, n_train: int = 1920, n_test: int = 500) -> TrainingData:
    """The first ``n_train`` training and ``n_test`` test images of real MNIST, as a run takes them."""
    return TrainingData(dataclasses.replace(mnist, train_images=mnist.train_images[:n_train],
                                            train_labels=mnist.train_labels[:n_train],
                                            test_images=mnist.test_images[:n_test],
                                            test_labels=mnist.test_labels[:n_test]), {})


def across_the_boundary(value: Any) -> Any:
    """What a ZeroGPU worker or the app's process receives: a pickled copy (raises if it cannot cross)."""
    return pickle.loads(pickle.dumps(value))


# --- the duration asked for -------------------------------------------------------------------------

def test_the_duration_follows_the_recipe_and_stays_within_what_zerogpu_grants(mnist: MNISTData) -> None:
    data = TrainingData(mnist, {})
    seconds = {name: zerogpu.estimated_seconds(recipe, len(mnist.train_images)) for name, recipe in RECIPES.items()}
    assert seconds["fast"] < seconds["seed004"] < seconds["seed000"]  # 625 < 5,625 < 13,132 steps
    assert seconds["drawing"] > seconds["fast"]  # augmentation and calibration cost time too
    for name, recipe in RECIPES.items():
        duration = zerogpu.run_duration(recipe, data)
        assert isinstance(duration, int) and 0 < duration <= zerogpu.MAX_DURATION_S, (name, duration)
        assert duration >= min(zerogpu.MAX_DURATION_S, seconds[name]), name  # never less than the estimate
    # The fast recipe asks for less than ZeroGPU's default 60 s, so a visitor's quota lasts several runs.
    assert zerogpu.run_duration(RECIPES["fast"], data) < 60
    assert zerogpu.run_duration(get_recipe("fast", epochs=3), data) > zerogpu.run_duration(RECIPES["fast"], data)
    assert zerogpu.run_duration(get_recipe("fast", epochs=100), data) == zerogpu.MAX_DURATION_S


def test_a_run_has_a_training_budget_on_zerogpu_only(mnist: MNISTData, monkeypatch: pytest.MonkeyPatch) -> None:
    data, recipe = TrainingData(mnist, {}), get_recipe("drawing")
    assert not zerogpu.on_zerogpu()
    assert zerogpu.training_budget(recipe, data) is None
    monkeypatch.setattr(zerogpu, "on_zerogpu", lambda: True)
    budget = zerogpu.training_budget(recipe, data)
    assert budget is not None
    # room is left to start the worker and to finish (calibrate) within the duration asked for
    assert budget + zerogpu.STARTUP_S + zerogpu.finish_seconds(recipe) <= zerogpu.run_duration(recipe, data)


# --- the decorator ---------------------------------------------------------------------------------------

def test_the_training_run_is_decorated_with_the_recipe_duration() -> None:
    assert train_on_device.gpu_duration is zerogpu.run_duration
    # Outside ZeroGPU spaces.GPU hands the function back unchanged: still a plain generator function.
    assert not zerogpu.on_zerogpu() and inspect.isgeneratorfunction(train_on_device)


def test_gpu_hands_the_duration_function_to_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: dict[str, Any] = {}

    def wrapper() -> None:
        pass

    class FakeSpaces:
        @staticmethod
        def GPU(*, duration):  # noqa: N802 (spaces' own name)
            asked["duration"] = duration
            return lambda fn: asked.setdefault("fn", fn) and wrapper

    def estimate(*args: Any) -> int:
        return 7

    def work() -> None:
        pass

    monkeypatch.setattr(zerogpu, "spaces", FakeSpaces)
    wrapped = zerogpu.gpu(duration=estimate)(work)
    assert asked == {"duration": estimate, "fn": work}
    assert wrapped is wrapper and wrapped.gpu_duration is estimate


# --- the run, as a ZeroGPU worker would run it -----------------------------------------------------------

def test_the_decorated_run_trains_on_the_cpu_and_all_it_takes_and_yields_can_cross(mnist: MNISTData,
                                                                                  tmp_path: Path) -> None:
    recipe = get_recipe("fast")
    args = across_the_boundary((recipe, small(mnist), RunStop(tmp_path), None))
    items = [across_the_boundary(item) for item in train_on_device(*args)]

    progress, trained = items[:-1], items[-1]
    assert all(isinstance(p, Progress) for p in progress) and isinstance(trained, Trained)
    start = progress[0]
    assert isinstance(start.event, StartEvent) and start.event.device == "cpu"
    assert start.probes and start.filters  # drawn at the start, from the live model
    steps = [p for p in progress if isinstance(p.event, StepEvent)]
    assert len(steps) == 20  # every step's loss reaches the chart
    assert isinstance(progress[-1].event, FinishedEvent) and progress[-1].event.status == "completed"
    assert trained.device == "cpu" and trained.run.metadata["device"] == "cpu"
    assert not trained.model.training
    assert all(t.device.type == "cpu" for t in [*trained.model.parameters(), *trained.model.buffers()])
    assert not trained.out_of_time and trained.probes and trained.filters


def test_stop_in_the_apps_process_stops_a_run_holding_a_pickled_copy(mnist: MNISTData, tmp_path: Path) -> None:
    stop = RunStop(tmp_path)
    never_sent = RunStop(tmp_path)
    never_sent.set()
    assert never_sent.is_set() and not list(tmp_path.iterdir())  # no file unless a copy exists elsewhere

    recipe, data, copy = across_the_boundary((get_recipe("fast"), small(mnist, n_train=9600), stop))
    assert not copy.is_set()
    run = train_on_device(recipe, data, copy)
    items = []
    for item in run:
        items.append(item)
        if isinstance(item, Progress) and isinstance(item.event, StepEvent) and item.event.global_step == 3:
            stop.set()  # the Stop button, in the app's process
    finished = next(i.event for i in items if isinstance(i, Progress) and isinstance(i.event, FinishedEvent))
    assert finished.status == "stopped" and finished.global_step == 3
    assert isinstance(items[-1], Trained) and not items[-1].out_of_time  # the model is kept
    stop.discard()
    assert not list(tmp_path.iterdir())


def test_a_run_out_of_zerogpu_time_stops_and_keeps_its_model(mnist: MNISTData, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_run, "training_budget", lambda recipe, data: 0.0)  # already used up
    items = list(train_on_device(get_recipe("fast"), small(mnist), RunStop(tmp_path)))
    finished = next(i.event for i in items if isinstance(i, Progress) and isinstance(i.event, FinishedEvent))
    assert finished.status == "stopped" and finished.global_step == 0
    assert isinstance(items[-1], Trained) and items[-1].out_of_time
    assert items[-1].run.metadata["test_accuracy"] is not None  # measured, so the model can be used


# --- through the app -------------------------------------------------------------------------------------

def test_the_apps_train_handler_goes_through_the_decorated_run(app_server,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from gradio_client import Client

    import demo.train_tab as train_tab
    from tests.runs import train_then_stop

    calls: list[tuple[Any, ...]] = []

    def spy(*args: Any):
        calls.append(args)
        across_the_boundary(args)  # what ZeroGPU would send to its worker: no session state, no request
        for item in train_on_device(*args):
            yield across_the_boundary(item)

    monkeypatch.setattr(train_tab, "train_on_device", spy)
    client = Client(app_server.url, verbose=False)
    final = train_then_stop(client, "fast-cnn", "fast", 1, 96, 0.1, 1)
    assert len(calls) == 1 and final[1].startswith("### Stopped"), final[1]
    new_model = final[2]["value"]  # the model came back and is selectable: this session's own, and selected
    assert list(app_server.sessions.models_of(client.session_hash).entries) == [new_model]


# --- the app's own process -------------------------------------------------------------------------------

NO_CUDA_AT_IMPORT = """
import torch
touched = []
def trap(name, real):
    def call(*args, **kwargs):
        touched.append(name)
        return real(*args, **kwargs)
    return call
for owner, names in ((torch.cuda, ("is_available", "device_count", "init", "_lazy_init", "current_device")),
                     (torch.accelerator, ("is_available", "current_accelerator", "device_count")),
                     (torch._C, ("_cuda_init", "_cuda_getDeviceCount"))):
    for name in names:
        if hasattr(owner, name):
            setattr(owner, name, trap(f"{owner.__name__}.{name}", getattr(owner, name)))
import app
assert app.demo is not None
print("TOUCHED:", touched)
"""


def test_building_the_app_asks_nothing_of_cuda(data_dir: Path) -> None:
    """On ZeroGPU the app's process has no GPU, and CUDA started there would break every GPU worker forked
    from it; pretrained models load and stay on the CPU (the Draw tab reads one drawing at a time there)."""
    env = {**os.environ, "MNIST_DATA_DIR": str(data_dir), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", NO_CUDA_AT_IMPORT], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "TOUCHED: []" in proc.stdout, proc.stdout[-2000:]


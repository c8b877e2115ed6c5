"""The ZeroGPU path, checked on a CPU: the duration a run asks for, the decorated training run, the
process boundary it must cross on a ZeroGPU Space (simulated by pickling), and that the app's own
process never touches CUDA. The same run on a real GPU is in ``test_gpu.py``.
"""

from __future__ import annotations

import base64
import dataclasses
import inspect
import itertools
import json
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest

import demo.server.zerogpu as zerogpu
import demo.tabs.train_run as train_run
from demo.server.language import speaking
from demo.tabs.train_run import OnCpuInstead, Progress, RunStop, Trained, train_on_device
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


def test_a_run_captions_its_pictures_in_the_language_it_is_handed(mnist: MNISTData, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A ZeroGPU worker has no event context (English): the run is handed the visitor's language, and writes its
    captions' numbers in it too ("0,0 Epochs", not "0.0")."""
    monkeypatch.setattr(train_run, "training_budget", lambda recipe, data: 0.0)  # ends at once, after 0.0 epochs
    items = list(train_on_device(get_recipe("fast"), small(mnist), RunStop(tmp_path), None, "de"))
    assert isinstance(items[-1], Trained) and "am Ende (0,0 Epochs)" in items[-1].filters


# --- when ZeroGPU refuses a run --------------------------------------------------------------------------
#
# The refusals are made by spaces' own code: the run is decorated with spaces' own generator wrapper (what
# spaces.GPU returns on ZeroGPU, spaces/zero/decorator.py:113), and spaces' own client talks to a stand-in for
# the ZeroGPU scheduler that answers as the real one does when it says no (spaces/zero/api.py:117-145).
# So the exceptions are exactly the ones spaces raises, built and delivered the way it builds and delivers them.

class Headers(dict):
    """Request headers as spaces reads them (spaces/zero/client.py:306-319: it wants a ``get`` and a ``__dict__``)."""


class PageRequest:
    """The visitor's request as Gradio hands it to spaces, with the IP token Gradio's page sends (client.py:29)."""

    def __init__(self) -> None:
        payload = base64.urlsafe_b64encode(json.dumps({"ip": "class"}).encode()).decode().rstrip("=")
        self.headers = Headers({"x-ip-token": f"header.{payload}.signature", "x-gradio-user": "app"})


def quota_used_up(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, json={"left": 0, "wait": 3600})  # no seconds left; again in an hour


def no_gpu_free(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503)


def queue_failed(request: httpx.Request) -> httpx.Response:
    """Queued for a GPU, and none came free (the scheduler's event stream ends with "failed")."""
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"event: failed\n\n")


def too_long(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, json={"left": 0, "wait": -1})  # a negative wait: more than may ever be asked


def credits_held(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, json={"left": 0, "wait": 60}, headers={"X-Approve-Result": "pending-overquota-exceeded"})


def token_expired(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401)


@pytest.fixture
def zerogpu_answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[httpx.Request]]:
    """``zerogpu_answers(respond, logged_in=False)``: from now on the Train tab's run is decorated as on ZeroGPU and
    the scheduler answers ``respond``; returns the requests the scheduler got."""
    from gradio.context import LocalContext
    from spaces.zero import client as zero_client
    from spaces.zero import wrappers as zero_wrappers
    from spaces.zero.api import APIClient

    plain = train_run.train_on_device  # outside ZeroGPU, spaces.GPU handed it back undecorated
    resets = []

    def answer(respond: Callable[[httpx.Request], httpx.Response], logged_in: bool = False) -> list[httpx.Request]:
        asked: list[httpx.Request] = []

        def scheduler(request: httpx.Request) -> httpx.Response:
            asked.append(request)
            return respond(request)

        transport = httpx.MockTransport(scheduler)
        monkeypatch.setattr(zero_client, "api_client",
                            lambda: APIClient(httpx.Client(base_url="http://zerogpu.invalid", transport=transport)))
        decorated = zero_wrappers.generator_function_wrapper(plain, zerogpu.run_duration, None)
        monkeypatch.setattr(train_run, "train_on_device", decorated)
        if logged_in:
            resets.append(LocalContext.request.set(PageRequest()))
        return asked

    yield answer
    for token in reversed(resets):
        LocalContext.request.reset(token)


@pytest.mark.filterwarnings("ignore:.*Cannot get Gradio app Queue instance")  # no queue: not in an app
@pytest.mark.parametrize("respond,logged_in,title,said,reason", [
    (quota_used_up, False, "ZeroGPU quota exceeded", "Space app has reached its GPU limit",  # client.py:179
     "GPU time for today is used up"),
    (quota_used_up, True, "ZeroGPU quota exceeded", "You have exceeded your ZeroGPU quota (",
     "GPU time for today is used up"),  # client.py:207
    (no_gpu_free, False, "ZeroGPU client error", "No GPU was available", "no GPU is free right now"),  # :259
    (queue_failed, False, "ZeroGPU quota exceeded", "No GPU was available after 60s",  # client.py:237
     "no GPU came free within a minute"),
    (queue_failed, True, "ZeroGPU queue timeout", "No GPU was available after 60s",  # client.py:249
     "no GPU came free within a minute"),
    (too_long, False, "ZeroGPU illegal duration", "is larger than the maximum allowed",  # client.py:173
     "this run needs more GPU time than ZeroGPU grants at once"),
    (credits_held, True, "ZeroGPU pending credits exceeded", "too many ZeroGPU credits allocated",  # :159
     "the GPU time left is held by runs still going"),
    (token_expired, True, "ZeroGPU client error", "Expired ZeroGPU proxy token",  # client.py:262
     "ZeroGPU's token for this page has expired"),
])
def test_what_spaces_raises_when_zerogpu_says_no_is_a_refusal(zerogpu_answers, respond, logged_in: bool, title: str,
                                                              said: str, reason: str, mnist: MNISTData,
                                                              tmp_path: Path) -> None:
    asked = zerogpu_answers(respond, logged_in=logged_in)
    recipe, data = get_recipe("fast"), small(mnist)
    run = train_run.train_on_device(recipe, data, RunStop(tmp_path))
    with pytest.raises(gr.Error) as raised:  # on the first next(): nothing is yielded before
        next(run)
    assert raised.value.title == title and said in str(raised.value.message), str(raised.value.message)
    refused = zerogpu.refusal(raised.value)
    assert refused is not None and refused.reason == reason and refused.title == title
    # what the scheduler was asked: the duration computed from the recipe
    assert len(asked) == 1 and asked[0].url.params["durationSeconds"] == str(zerogpu.run_duration(recipe, data))


def test_errors_are_not_refusals(zerogpu_answers, mnist: MNISTData, tmp_path: Path) -> None:
    from spaces.zero.gradio import error

    # What spaces raises when the run itself failed in the GPU worker (wrappers.py:400) or was aborted (:391).
    assert zerogpu.refusal(error("ZeroGPU worker error", "RuntimeError")) is None
    assert zerogpu.refusal(error("ZeroGPU worker error", "GPU task aborted")) is None
    assert zerogpu.refusal(RuntimeError("Connection closed by visitor while queueing")) is None  # client.py:232
    assert zerogpu.refusal(ValueError("a bug")) is None
    # Request headers spaces cannot read: a fault (client.py:313), with the same title as "no GPU free".
    zerogpu_answers(quota_used_up)
    from gradio.context import LocalContext
    reset = LocalContext.request.set(type("Broken", (), {"headers": {}})())
    try:
        with pytest.raises(gr.Error) as raised:
            next(train_run.train_on_device(get_recipe("fast"), small(mnist), RunStop(tmp_path)))
    finally:
        LocalContext.request.reset(reset)
    assert raised.value.title == "ZeroGPU client error" and zerogpu.refusal(raised.value) is None


def test_a_refused_run_trains_on_the_cpu_to_the_end_and_says_so(zerogpu_answers, mnist: MNISTData, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    zerogpu_answers(quota_used_up)
    with caplog.at_level("INFO", logger="demo"):
        items = list(train_run.train_anywhere(get_recipe("fast"), small(mnist), RunStop(tmp_path)))

    said, progress, trained = items[0], items[1:-1], items[-1]
    assert isinstance(said, OnCpuInstead)
    line = r"GPU time for today is used up: training on the CPU, about \d+ (sec|min)"
    assert re.fullmatch(line, said.line), said.line
    assert said.reason == "GPU time for today is used up"
    assert all(isinstance(p, Progress) for p in progress)
    assert progress[0].event.device == "cpu"
    assert isinstance(progress[-1].event, FinishedEvent) and progress[-1].event.status == "completed"
    assert isinstance(trained, Trained) and trained.device == "cpu" and not trained.out_of_time
    assert trained.run.metadata["test_accuracy"] is not None
    # one line in the server log, with what spaces said
    lines = [r.getMessage() for r in caplog.records if "ZeroGPU refused" in r.getMessage()]
    assert len(lines) == 1 and "ZeroGPU quota exceeded" in lines[0] and "GPU limit" in lines[0], lines


def test_an_error_of_the_run_itself_is_not_hidden_by_the_cpu(mnist: MNISTData, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from spaces.zero.gradio import error

    def cpu_must_not_run(*args: Any) -> Iterator[Any]:
        raise AssertionError("an error of the run was taken for a refusal")
        yield

    def fails_in_the_worker(*args: Any) -> Iterator[Any]:
        raise error("ZeroGPU worker error", "RuntimeError")  # what spaces raises for it (wrappers.py:400)
        yield

    def aborted_midway(*args: Any) -> Iterator[Any]:
        yield from itertools.islice(plain(*args), 3)
        raise error("ZeroGPU worker error", "GPU task aborted")  # wrappers.py:391
        yield

    plain = train_run.train_on_device
    monkeypatch.setattr(train_run, "train_on_cpu", cpu_must_not_run)
    for failing, message in ((fails_in_the_worker, "RuntimeError"), (aborted_midway, "GPU task aborted")):
        monkeypatch.setattr(train_run, "train_on_device", failing)
        with pytest.raises(gr.Error, match=message):
            list(train_run.train_anywhere(get_recipe("fast"), small(mnist), RunStop(tmp_path)))


def test_the_status_line_estimates_the_cpu_time_from_the_recipe() -> None:
    refused = zerogpu.Refusal("GPU time for today is used up", "ZeroGPU quota exceeded", "…")
    assert refused.line(41.6) == "GPU time for today is used up: training on the CPU, about 42 sec"
    assert zerogpu.Refusal("no GPU is free right now", "", "").line(1500).startswith("No GPU is free right now:")
    assert refused.line(1500).endswith("about 25 min")
    with speaking("de"):  # the time in the visitor's language, whatever the catalog has translated so far
        assert refused.line(1500).endswith(" 25 Min.")
    with speaking("tr"):
        assert zerogpu.capitalised("iki") == "İki" and zerogpu.capitalised("ışık") == "Işık"


# --- through the app -------------------------------------------------------------------------------------

@pytest.mark.train
def test_the_apps_train_handler_goes_through_the_decorated_run(app_server, session_models,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from gradio_client import Client

    from tests.runs import train_then_stop

    calls: list[tuple[Any, ...]] = []

    def spy(*args: Any):
        calls.append(args)
        across_the_boundary(args)  # what ZeroGPU would send to its worker: no session state, no request
        for item in train_on_device(*args):
            yield across_the_boundary(item)

    monkeypatch.setattr(train_run, "train_on_device", spy)  # train_tab -> train_anywhere -> train_on_device
    client = Client(app_server.url, verbose=False)
    final = train_then_stop(client, "fast-cnn", "fast", 1, 96, 0.1, 1)
    assert len(calls) == 1 and final[1].startswith("### Stopped"), final[1]
    new_model = final[2]["value"]  # the model came back and is selectable: this session's own, and selected
    assert list(session_models[client.session_hash].entries) == [new_model]


@pytest.mark.slow
def test_the_app_trains_a_refused_run_on_the_cpu_and_keeps_its_model(app_server, session_models, zerogpu_answers,
                                                                    mnist: MNISTData,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole way: spaces' wrapper in Gradio's handler (so it reads Gradio's real request), the refusal, the
    status line while the run trains on the CPU, and the model in the visitor's session at the end."""
    from gradio_client import Client

    import demo.server.context

    asked = zerogpu_answers(quota_used_up)
    monkeypatch.setattr(demo.server.context, "load_training_data", lambda recipe, data_dir, progress=None: small(mnist))
    client = Client(app_server.url, verbose=False)
    job = client.submit("fast-cnn", "fast", 1, 96, 0.1, 1, api_name="/train")
    final = job.result(timeout=300)
    assert len(asked) == 1  # the decorated call asked ZeroGPU, and was refused
    statuses = [str(out[1]) for out in job.outputs() if out and out[1]]
    said = [s for s in statuses if "training on the CPU" in s]
    line = r"\*\*GPU time for today is used up: training on the CPU, about \d+ (sec|min)\.\*\*"
    assert said and re.fullmatch(line, said[0]), said  # said before the run starts
    assert any(re.match(line + r"\n\n### Training fast-cnn .* on cpu\n", s) for s in statuses), statuses
    assert re.match(line + r"\n\n### Epoch 1 of 1 done", said[-1]), said  # still the first line as it trains
    assert final[1].startswith("### Finished"), final[1]
    assert "Trained on the CPU because GPU time for today is used up." in final[1]
    new_model = final[2]["value"]
    assert list(session_models[client.session_hash].entries) == [new_model]


# --- the app's own process -------------------------------------------------------------------------------

CUDA_TRAPS = """
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
"""

NO_CUDA_AT_IMPORT = CUDA_TRAPS + """
import app
assert app.demo is not None
print("TOUCHED:", touched)
"""

NO_CUDA_WHEN_REFUSED = CUDA_TRAPS + """
from pathlib import Path
from spaces.zero.gradio import error
import demo.tabs.train_run as train_run
from mnist_core.data import MNISTData
from mnist_core.recipes import get_recipe
from mnist_core.runs import TrainingData

def refused(*args):
    raise error("ZeroGPU quota exceeded", "Space app has reached its GPU limit.")  # as spaces/zero/client.py:179
    yield

train_run.train_on_device = refused
g = torch.Generator().manual_seed(0)
data = TrainingData(MNISTData(torch.randint(0, 256, (960, 28, 28), generator=g, dtype=torch.uint8),
                              torch.arange(960) % 10, torch.randint(0, 256, (100, 28, 28), generator=g,
                              dtype=torch.uint8), torch.arange(100) % 10, Path("generated")), {})
items = list(train_run.train_anywhere(get_recipe("fast"), data, train_run.RunStop()))
assert isinstance(items[0], train_run.OnCpuInstead) and items[-1].device == "cpu", items[-1]
print("TOUCHED:", touched)
"""


def run_python(script: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MNIST_DATA_DIR": str(data_dir), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_building_the_app_asks_nothing_of_cuda_and_logs_the_machine_once(data_dir: Path) -> None:
    """On ZeroGPU the app's process has no GPU, and CUDA started there would break every GPU worker forked
    from it; pretrained models load and stay on the CPU (the Draw tab reads one drawing at a time there).
    What the machine gives the app (its CPU side on ZeroGPU is not documented) is in the log, once."""
    proc = run_python(NO_CUDA_AT_IMPORT, data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "TOUCHED: []" in proc.stdout, proc.stdout[-2000:]
    assert len(re.findall(r"INFO: +Machine: \d+.* CPUs?, .*; memory ", proc.stderr)) == 1, proc.stderr[-3000:]


@pytest.mark.slow
def test_a_run_refused_by_zerogpu_asks_nothing_of_cuda_in_the_apps_process(data_dir: Path) -> None:
    """The CPU fallback runs in the app's own process, where on ZeroGPU ``spaces`` makes
    ``torch.cuda.is_available()`` say True (spaces/zero/torch/patching.py:316): it must not even ask."""
    proc = run_python(NO_CUDA_WHEN_REFUSED, data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "TOUCHED: []" in proc.stdout, proc.stdout[-2000:]

"""The queue estimate the Train tab shows when Start is pressed while others train (demo.server.queue_wait), and the
record of runs under way it reads (demo.server.sessions.Sessions.progress)."""

from __future__ import annotations

import pytest

from demo.server.language import speaking
from demo.server.queue_wait import (
    DEFAULT_FLOPS_PER_S,
    EVAL_SPEEDUP,
    RUN_OVERHEAD_S,
    DataSize,
    RunProgress,
    about,
    estimate,
    images_per_sec,
    seconds_left,
    wait_message,
    wait_seconds,
)
from demo.server.sessions import Sessions
from mnist_core.recipes import get_recipe
from mnist_core.train import planned_steps

FAST = get_recipe("fast")  # fast-cnn, 1 epoch, batch 96, nothing held out
DRAWING = get_recipe("drawing")  # drawing-cnn, 16 epochs, batch 128 (38 of handwriting), 5,000 held out
FLOPS = {"fast-cnn": 10e6, "drawing-cnn": 60e6, "tiny-vgg": 15e6}.__getitem__


@pytest.mark.parametrize("running,queued,slots,wait", [
    ([], [], 1, 0.0),  # nobody ahead
    ([30.0], [], 1, 30.0),
    ([30.0], [10.0, 20.0], 1, 60.0),  # one at a time: everything ahead, in turn
    ([30.0, 5.0], [10.0], 2, 15.0),  # two slots: the queued run takes the one that frees up at 5 s
    ([10.0, 20.0], [], 1, 20.0),  # more running than slots (the limit was lowered): both must end
    ([], [8.0], 1, 8.0),  # the run ahead is still loading its data
    ([4.0], [], 2, 0.0),  # a slot is free
])
def test_wait_is_the_first_slot_free_after_the_runs_ahead(running, queued, slots, wait) -> None:
    assert wait_seconds(running, queued, slots) == pytest.approx(wait)


@pytest.mark.parametrize("seconds,said", [
    (0.4, "5 sec"), (42, "40 sec"), (56, "55 sec"), (58, "1 min"), (100, "2 min"),
    (134, "2 min"), (599, "10 min"), (720, "12 min"), (3725, "62 min"),
])
def test_a_wait_is_said_the_way_people_say_it(seconds: float, said: str) -> None:
    """Rounded to what matters (5 s, else whole minutes), in the language's short words (Babel's)."""
    assert about(seconds) == said


def test_a_wait_is_said_in_the_visitors_language() -> None:
    with speaking("de"):
        assert about(100) == "2 Min." and about(42) == "40 Sek."
    with speaking("tr"):
        assert about(720) == "12 dk."
        said = wait_message(3, 720)
        assert said.startswith("### ") and " 3 " in said and "12 dk." in said and "ahead" not in said


def test_a_run_under_way_counts_what_it_has_left_at_its_own_speed() -> None:
    half_way = RunProgress(FAST, DataSize(60_000, 10_000), total_steps=625, steps_done=300, images_per_sec=1000)
    expected = (325 * 96 + 10_000 / EVAL_SPEEDUP) / 1000  # the images left, then the epoch's test pass
    assert seconds_left(half_way, speed=1.0, data=DataSize()) == pytest.approx(expected)
    tested = RunProgress(FAST, DataSize(60_000, 10_000), total_steps=625, steps_done=625, epochs_done=1,
                         images_per_sec=1000, finishing=True)
    assert seconds_left(tested, speed=1.0, data=DataSize()) == 0  # measured after its epoch: nothing left


def test_a_run_not_started_costs_its_whole_recipe_and_its_overhead() -> None:
    assert planned_steps(FAST, DataSize().train) == 625
    whole = (625 * 96 + 10_000 / EVAL_SPEEDUP) / 4000 + RUN_OVERHEAD_S
    assert seconds_left(RunProgress(FAST), speed=4000, data=DataSize()) == pytest.approx(whole)
    # A smaller data set (as the app reports it): fewer steps.
    small = seconds_left(RunProgress(FAST), speed=4000, data=DataSize(4800, 1000))
    assert small == pytest.approx((50 * 96 + 1000 / EVAL_SPEEDUP) / 4000 + RUN_OVERHEAD_S)
    # The drawing recipe: 16 epochs over the images not held out, in batches of 90 MNIST images (and 19 from each
    # handwriting source), then its 16 test passes and its calibration on the held-out images.
    steps = 16 * -(-55_000 // 90)
    drawing = (steps * 128 + (16 * 10_000 + 5000) / EVAL_SPEEDUP) / 1000 + RUN_OVERHEAD_S
    assert seconds_left(RunProgress(DRAWING), speed=1000, data=DataSize()) == pytest.approx(drawing)


def test_a_stopped_run_is_measured_on_the_test_set_if_no_epoch_ended() -> None:
    stopped = RunProgress(DRAWING, DataSize(), total_steps=10_000, steps_done=200, images_per_sec=300,
                          finishing=True)
    assert seconds_left(stopped, speed=1.0, data=DataSize()) == pytest.approx((10_000 + 5000) / EVAL_SPEEDUP / 300)


def test_speed_prefers_what_this_app_measured() -> None:
    # The same model and augmentation measured: its speed.
    assert images_per_sec(FAST, {("fast-cnn", "none"): 5000, ("tiny-vgg", "none"): 900}, FLOPS) == 5000
    # Another model measured (the newest counts): scaled by FLOPs per image.
    assert images_per_sec(DRAWING, {("tiny-vgg", "none"): 900, ("fast-cnn", "none"): 3000}, FLOPS) == \
        pytest.approx(3000 * 10 / 60)
    # Nothing measured yet: the default machine speed.
    assert images_per_sec(FAST, {}, FLOPS) == pytest.approx(DEFAULT_FLOPS_PER_S / 10e6)


def test_estimate_counts_the_runs_under_way_and_the_queue() -> None:
    data = DataSize(9600, 0)  # fast: 100 steps of 96 images, no test pass: round numbers
    running = RunProgress(FAST, data, total_steps=100, steps_done=40, images_per_sec=96)  # 60 s left
    measured = {("fast-cnn", "none"): 9600 / 38}  # a whole queued run: 38 s of images + the overhead: 40 s
    said = estimate([running], [FAST], 1, measured, data, FLOPS)
    assert said is not None and said.startswith("### 2 runs ahead of yours: about 2 min\n")
    assert estimate([running], [], 1, measured, data, FLOPS).startswith("### 1 run ahead of yours: about 1 min\n")
    assert estimate([running], [], 2, measured, data, FLOPS) is None  # a slot is free: no wait to show
    assert estimate([], [], 1, measured, data, FLOPS) is None


def test_sessions_record_each_run_under_way_until_it_ends() -> None:
    sessions = Sessions(capacity=4)
    assert sessions.runs_in_progress() == [] and sessions.measured() == ({}, DataSize())
    with sessions.progress(FAST, "me") as report, sessions.progress(DRAWING, "other") as other:
        report(data=DataSize(4800, 1000), total_steps=50)
        report(steps_done=20, images_per_sec=2000.0)
        other(images_per_sec=300.0)
        first, second = sessions.runs_in_progress()
        assert (first.recipe, first.total_steps, first.steps_done, first.images_per_sec) == (FAST, 50, 20, 2000)
        assert second.recipe == DRAWING and sessions.snapshot()["in_progress"] == 2
        assert [run.recipe for run in sessions.runs_in_progress(but_not="me")] == [DRAWING]  # not ahead of itself
        report(images_per_sec=2100.0)  # measured again: the newest of all
        speeds, data = sessions.measured()
        assert list(speeds.items()) == [(("drawing-cnn", "drawing+european+junk"), 300.0),
                                        (("fast-cnn", "none"), 2100.0)]
        assert data == DataSize(4800, 1000)
    assert sessions.runs_in_progress() == [] and sessions.snapshot() == {"running": 0, "in_progress": 0,
                                                                         "sessions": 0}
    report(steps_done=30)  # a late report of an ended run changes nothing
    assert sessions.runs_in_progress() == [] and sessions.measured()[0][("fast-cnn", "none")] == 2100.0


def test_a_run_that_fails_leaves_no_progress_behind() -> None:
    sessions = Sessions(capacity=4)
    with pytest.raises(RuntimeError), sessions.progress(FAST):
        raise RuntimeError("the data could not be loaded")
    assert sessions.runs_in_progress() == []


def test_page_left_reads_whether_gradio_closed_the_event_being_handled() -> None:
    from contextvars import copy_context
    from types import SimpleNamespace

    from gradio.context import LocalContext

    from demo.server.gradio_internals import page_left

    events = {"open": SimpleNamespace(closed=False, alive=True),
              "heartbeat-gone": SimpleNamespace(closed=True, alive=True),
              "stream-gone": SimpleNamespace(closed=False, alive=False)}
    blocks = SimpleNamespace(_queue=SimpleNamespace(event_ids_to_events=events))

    def seen_from(event_id: str | None) -> bool:
        LocalContext.blocks.set(blocks)  # type: ignore[arg-type]
        LocalContext.event_id.set(event_id)
        return page_left()

    said = {event_id: copy_context().run(seen_from, event_id) for event_id in [*events, "unknown", None]}
    assert said == {"open": False, "heartbeat-gone": True, "stream-gone": True, "unknown": False, None: False}
    assert copy_context().run(page_left) is False  # outside an event handler

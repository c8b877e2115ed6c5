"""Start pressed by several simulated pages at once (``bench.crowd_start``'s crowd, smaller): every run finishes
or is stopped, in queue order, nobody is stuck and the app's record of sessions is empty afterwards; each waiting
page is told how many runs are ahead of it, counting those in Gradio's queue; and a waiting run whose page has
closed does not train."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.crowd_start import run_crowd
from tests.support.visitors import Page, Server, functions_of, press_start, served_small_app, settle

pytestmark = pytest.mark.train  # a child process serves the app, and each page trains (about a minute in all)


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[Server]:
    with served_small_app(data_dir) as served:
        yield served


def test_five_pages_press_start_and_leave_nothing_behind(server: Server) -> None:
    checks = run_crowd(server, 5)  # finish, stop, finish, close while training, close while queued
    assert not checks.failures(), checks.failures()
    outcomes = checks.numbers["outcomes"]
    assert outcomes.get("finished", 0) + outcomes.get("stopped", 0) >= 3, outcomes
    assert checks.numbers["start_order"] == sorted(checks.numbers["start_order"])


def test_a_waiting_page_is_told_the_runs_ahead_in_the_queue(server: Server) -> None:
    functions = functions_of(server.url)
    long_run = ["fast-cnn", "fast", 100, 96, 0.1, 1]  # 5,000 steps on the small MNIST: it outlasts this test
    pages = [Page(server.url, functions) for _ in range(4)]
    try:
        first, second, third, late = pages
        assert not isinstance(first.call("queue_wait", []), str)  # nobody ahead: the status is left alone
        first.join("train", [*long_run, None])
        assert first.wait(lambda p: p.started is not None, time.monotonic() + 120), "the first run did not start"
        assert not isinstance(first.call("queue_wait", []), str)  # a visitor's own run is not ahead of it
        for page in (second, third):
            press_start(page)
        # Until the first run has loaded its data and says how long it is, and both joins are in Gradio's
        # queue, fewer runs may be counted: ask until all three are (bounded), as a page would ask again.
        deadline, said = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            said = late.call("queue_wait", [])
            if isinstance(said, str) and said.startswith("### 3 runs ahead of yours: about "):
                break
            time.sleep(0.2)
        assert isinstance(said, str) and said.startswith("### 3 runs ahead of yours: about "), said
        # A page already in the queue counts only the runs ahead of its own (Start pressed again, say).
        said = second.call("queue_wait", [])
        assert isinstance(said, str) and said.startswith("### 1 run ahead of yours: about "), said
    finally:
        for page in pages:
            page.close()
    registry, _ = settle(server)
    assert (registry["running"], registry["in_progress"], registry["sessions"]) == (0, 0, 0), registry


def test_a_waiting_run_whose_page_closed_does_not_train(server: Server) -> None:
    # Gradio notices a closed page's heartbeat at once (and runs its unload event) but its queue stream only at the
    # next message, up to 10 s later: in between it starts the page's waiting run. It must end there, keeping nothing.
    functions = functions_of(server.url)
    first, gone = Page(server.url, functions), Page(server.url, functions)
    try:
        first.join("train", [*["fast-cnn", "fast", 100, 96, 0.1, 1], None])  # outlasts the test until stopped
        assert first.wait(lambda p: p.trained, time.monotonic() + 120), "the first run did not start training"
        gone.wait(lambda p: p._heartbeat is not None, time.monotonic() + 30)
        press_start(gone)  # waits behind the first run
        gone.drop_heartbeat()
        first.call("stop", [])
        assert gone.wait(lambda p: p.final is not None, time.monotonic() + 120), "the waiting run never ended"
        assert not gone.trained, "the run of a page that had closed started training"
    finally:
        first.close()
        gone.close()
    registry, _ = settle(server)
    assert (registry["running"], registry["in_progress"], registry["sessions"]) == (0, 0, 0), registry

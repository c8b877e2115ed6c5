"""The app's event queue sleeps while there is nothing to do, and still starts every event.

(:class:`demo.server.gradio_internals.WakingQueue`.) Gradio's own queue looks for work every
millisecond with no visitor at all. These tests read
what the queue's loops wait on, not how long anything takes: an idle queue may set no timer
sooner than its one-second safety net, and with that net set to an hour every event must still
start, so a wake-up that went missing hangs a test instead of passing it slowly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
from pathlib import Path

import gradio as gr
import pytest
from gradio import queueing

from demo.server import gradio_internals
from demo.server.gradio_internals import WakingQueue, install


def tiny_app(work=lambda text: text) -> gr.Blocks:
    """One queued function, ``/echo``, at most one call at a time."""
    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        box.submit(work, box, out, api_name="echo", concurrency_limit=1)
    return demo.queue()


def timers_of_an_idle_queue(queue: queueing.Queue) -> list[float]:
    """Seconds until each timer that is pending once the queue's loops have started and found nothing to do."""
    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        queue.start()
        for _ in range(10):  # let the loops run until each waits
            await asyncio.sleep(0)
        now = loop.time()
        pending = sorted(h.when() - now for h in loop._scheduled if not h.cancelled())  # type: ignore[attr-defined]
        queue.close()
        return pending

    # A loop of its own in a thread of its own: the browser tests' Playwright keeps one running in this thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_an_idle_queue_sets_no_timer_sooner_than_its_safety_net() -> None:
    gradios_own = tiny_app()._queue
    assert min(timers_of_an_idle_queue(gradios_own)) < 0.02  # the check sees Gradio's polling (1 ms and 10 ms)

    demo = tiny_app()
    assert install(demo) and type(demo._queue) is WakingQueue
    assert min(timers_of_an_idle_queue(demo._queue)) > gradio_internals.SAFETY_NET / 2


def test_every_event_starts_although_no_loop_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pushed event wakes the idle queue, and one held back by a busy slot starts when the slot frees."""
    monkeypatch.setattr(gradio_internals, "SAFETY_NET", 3600.0)
    started, release = threading.Event(), threading.Event()

    def work(text: str) -> str:
        started.set()
        release.wait(60)
        return text

    demo = tiny_app(work)
    assert install(demo)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        first = client.submit("first", api_name="/echo")
        assert started.wait(30), "the first event never started: the push did not wake the queue"
        second = client.submit("second", api_name="/echo")
        while len(demo._queue) == 0:  # queued behind the first (concurrency limit 1)
            assert not second.done(), second.status()
            threading.Event().wait(0.01)
        release.set()
        assert first.result(timeout=30) == "first"
        assert second.result(timeout=30) == "second", "the slot freed by the first event did not wake the queue"
    finally:
        release.set()
        demo.close()


def test_the_app_uses_it_and_another_gradio_keeps_its_own_queue(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.ui import build_demo

    assert type(build_demo(data_dir=tmp_path / "no-data")._queue) is WakingQueue
    monkeypatch.setattr(gr, "__version__", "7.0.0")  # the loops were copied from 6.31: not applied to another
    demo = tiny_app()
    assert not install(demo) and type(demo._queue) is queueing.Queue

"""Gradio's event queue, woken by what it waits for instead of looking every millisecond.

An idle ``python app.py`` spent 37-58 ms of CPU a second (issue 26), nearly all of it in the
server's event loop, which woke up to 1,100 times a second. Gradio 6.31's ``Queue``
(``gradio/queueing.py``) runs two loops for as long as the app is up, with or without visitors:

- ``start_processing`` looks for a queued event every ``sleep_when_free`` = 1 ms, also when
  nothing is queued, and also when events wait for a worker or a concurrency slot;
- ``start_progress_updates`` looks for ``gr.Progress`` updates every 10 ms, also when no job runs.

Gradio has no setting for either (both intervals are set in ``Queue.__init__``; its
``status_update_rate`` drives a third loop, which this app does not start). :func:`install`
turns the app's queue into a :class:`WakingQueue`, whose loops do the same work but sleep until
something that can change their answer happens: an event is pushed, a job ends, the queue
closes, or (for the progress loop) a job starts. While jobs run, progress is still gathered every
10 ms, as Gradio does. A one-second safety net (:data:`SAFETY_NET`) bounds the cost of any
change this module does not hear of (e.g. a concurrency limit raised by ``gr.render``).

The loops are copies of Gradio 6.31.0's, changed only where they slept; :func:`install`
applies them only to the Gradio version they were read from (:data:`GRADIO_READ`) and
otherwise leaves Gradio's queue alone and says so in the log. (The ``--monitoring`` dashboard
is a Blocks of Gradio's own with its own queue, left as it is.) What an idle app still does is
Gradio's and uvicorn's and fixed: ``Blocks.block_thread`` checks every 0.1 s whether the server
was closed, and uvicorn's ``Server.main_loop`` ticks every 0.1 s (about 20 wake-ups a second).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import gradio as gr
from gradio import queueing
from gradio.utils import run_coro_in_background, set_task_name

from demo.server.log import log

#: The Gradio version whose ``Queue.start_processing`` and ``start_progress_updates`` the loops below copy.
GRADIO_READ = "6.31."

#: Seconds a sleeping loop waits at most before it looks again on its own.
SAFETY_NET = 1.0


class WakingQueue(queueing.Queue):
    """Gradio's ``Queue`` whose loops wait on :class:`asyncio.Event` s instead of polling (see the module)."""

    _wake: asyncio.Event  # an event was pushed, a job ended, or the queue closed
    _job_started: asyncio.Event  # a job started, or the queue closed
    _loop: asyncio.AbstractEventLoop | None  # the server's event loop, once the queue runs

    def _new_events(self) -> None:
        self._wake, self._job_started, self._loop = asyncio.Event(), asyncio.Event(), None

    def start(self) -> None:
        self._new_events()  # a relaunch runs on a new event loop; an Event is bound to the loop it first waits in
        super().start()

    def close(self) -> None:
        """Stop, as Gradio's does, and wake the loops so they see it (``Blocks.close`` calls this from any thread)."""
        super().close()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake_all)
            except RuntimeError:  # the loop closed meanwhile: its tasks are gone with it
                pass

    def _wake_all(self) -> None:
        self._wake.set()
        self._job_started.set()

    async def push(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().push(*args, **kwargs)
        self._wake.set()
        return result

    async def process_events(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().process_events(*args, **kwargs)
        finally:  # a worker and a concurrency slot are free again
            self._wake.set()

    @staticmethod
    async def _sleep_until(event: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(event.wait(), SAFETY_NET)
        except asyncio.TimeoutError:
            pass

    async def start_processing(self) -> None:
        """Gradio 6.31.0's loop, which slept 1 ms wherever this one waits for :attr:`_wake`."""
        self._loop = asyncio.get_running_loop()
        try:
            while not self.stopped:
                self._wake.clear()  # before looking: whatever happens from here on wakes the wait below
                if len(self) == 0 or None not in self.active_jobs:
                    await self._sleep_until(self._wake)
                    continue

                async with self.delete_lock:  # Gradio's: get_events edits the lists remove_from_queue edits
                    event_batch = self.get_events()

                if not event_batch:
                    await self._sleep_until(self._wake)
                    continue
                # From here to the end of the loop: Gradio 6.31.0's own, and the progress loop woken.
                events, batch, concurrency_id = event_batch
                self.active_jobs[self.active_jobs.index(None)] = events
                event_queue = self.event_queue_per_concurrency_id[concurrency_id]
                event_queue.current_concurrency += 1
                start_time = time.time()
                fn = events[0].fn
                event_queue.start_times_per_fn[fn].add(start_time)
                for event in events:
                    if (a := self.event_analytics.get(event._id)) is not None:
                        a["status"] = "processing"
                process_event_task = run_coro_in_background(self.process_events, events, batch, start_time, fn)
                set_task_name(process_event_task, events[0].session_hash, fn._id, events[0]._id, batch)
                self._asyncio_tasks.add(process_event_task)
                process_event_task.add_done_callback(self._asyncio_tasks.discard)
                if self.live_updates:
                    self.broadcast_estimations(concurrency_id)
                self._job_started.set()
        finally:
            self.stopped = True
            self._cancel_asyncio_tasks()

    async def start_progress_updates(self) -> None:
        """Gradio 6.31.0's loop, which looked every 10 ms also while no job ran; this one waits for a job."""
        while not self.stopped:
            events = [evt for job in self.active_jobs if job is not None for evt in job]
            if not events:
                self._job_started.clear()  # no await since looking: a job that starts from now on wakes the wait
                await self._sleep_until(self._job_started)
                continue
            for event in events:
                if event.progress_pending and event.progress:
                    event.progress_pending = False
                    self.send_message(event, event.progress)
            await asyncio.sleep(self.progress_update_sleep_when_free)


def install(demo: gr.Blocks) -> bool:
    """Make ``demo``'s queue (made by ``demo.queue()``) a :class:`WakingQueue`; False, and a log line, where it
    cannot be: another Gradio version than :data:`GRADIO_READ`, or a queue that is not Gradio's own."""
    queue = getattr(demo, "_queue", None)
    if not gr.__version__.startswith(GRADIO_READ) or type(queue) is not queueing.Queue:
        log.warning("Gradio %s: its queue is left as it is (demo/server/waking_queue.py was read from Gradio %sx); "
                    "an idle app then wakes about 1,100 times a second", gr.__version__, GRADIO_READ)
        return False
    queue.__class__ = WakingQueue
    queue._new_events()
    return True

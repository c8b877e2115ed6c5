"""Who is connected, what they are running, what they trained: the app's one record of its visitors.

Gradio keeps each visitor's models in a ``gr.State`` (:class:`~demo.server.models_state.SessionModels`),
but some events get only the session's hash, not its state: Stop must find the session's
training run, and the page's unload event (the tab closed) must end that run and free the
models at once, where Gradio would keep a closed session's state for an hour. So each app
holds one :class:`Sessions` (``AppContext.sessions``), which maps a session hash to its run's
stop flag and to its models. Tests build their own app and so their own ``Sessions``.

The count of running runs also decides whether a lone run may borrow every CPU core
(:class:`demo.server.cores.CoreShare`), and the progress of every run under way, with the speeds the
runs measured, is what the Train tab's queue estimate counts (:mod:`demo.server.queue_wait`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from demo.server.limits import max_sessions
from demo.server.models_state import SessionModels
from demo.server.queue_wait import DataSize, RunProgress, SpeedKey, speed_key
from mnist_core.recipes import Recipe


class Stoppable(Protocol):
    """What Stop needs of a run: a flag to set (``demo.tabs.train_run.RunStop``)."""

    def set(self) -> None: ...


def session_id_of(request: Any) -> str | None:
    """The Gradio session hash of a ``gr.Request`` (``None`` for a call without one)."""
    return getattr(request, "session_hash", None) if request is not None else None


class Sessions:
    """The sessions of one app: their running training (at most one each) and the models they trained.

    ``capacity`` (default ``max_sessions()``, as Gradio's own session state) bounds the models
    remembered: a client that never closes a page (a script) sends no unload event, and must not
    hold models forever. Thread-safe: Gradio runs handlers in worker threads.
    """

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = capacity or max_sessions()
        self._models: OrderedDict[str, SessionModels] = OrderedDict()  # the most recent run last
        self._runs: dict[str, Stoppable] = {}
        self._progress: dict[object, tuple[str | None, RunProgress]] = {}  # every run under way, and its session
        self._speeds: dict[SpeedKey, float] = {}  # the latest images/s measured for each kind of run, newest last
        self._data = DataSize()  # the size of the data the latest run trained on
        self._changed = threading.Condition()

    # --- training runs ---------------------------------------------------------------------------

    @contextmanager
    def running(self, session_id: str | None, models: SessionModels, stop: Stoppable,
                left: Callable[[], bool] = lambda: False) -> Iterator[None]:
        """Register ``session_id``'s run (so Stop and the unload event find it) for as long as the block lasts.

        Starting a run also means the visitor is there: their models are tracked again, even if
        Gradio had reported the page closed (a dropped connection that came back). Unless
        ``left()`` says the page that asked for this run has closed (:func:`demo.server.gradio_internals.page_left`:
        Gradio can start a waiting run after its page's unload event): then the session ends at once,
        as if the unload came now, and the run stops before its first step. Asked after the run is
        registered, so an unload that comes later still finds it.
        """
        self.track(session_id, models)
        if session_id:
            with self._changed:
                self._runs[session_id] = stop
                self._changed.notify_all()
            if left():
                self.end(session_id)
        try:
            yield
        finally:
            if session_id:
                with self._changed:
                    if self._runs.get(session_id) is stop:
                        del self._runs[session_id]
                    self._changed.notify_all()

    @property
    def runs_active(self) -> int:
        """How many sessions are training right now."""
        with self._changed:
            return len(self._runs)

    def run_of(self, session_id: str | None) -> Stoppable | None:
        """The stop flag of ``session_id``'s running training, if any."""
        with self._changed:
            return self._runs.get(session_id) if session_id else None

    def stop(self, session_id: str | None) -> bool:
        """Stop this session's run, if it has one (it ends before its next step and keeps its model)."""
        flag = self.run_of(session_id)
        if flag is not None:
            flag.set()
        return flag is not None

    def running_sessions(self) -> list[str]:
        """The sessions training right now."""
        with self._changed:
            return list(self._runs)

    # --- how far the runs under way have got (the queue estimate) ----------------------------------

    @contextmanager
    def progress(self, recipe: Recipe, session_id: str | None = None) -> Iterator[Callable[..., None]]:
        """Count a run of ``session_id`` in the queue estimate for as long as the block lasts (from leaving the
        queue to its end).

        Yields ``report(**changes)``, which updates the run's :class:`~demo.server.queue_wait.RunProgress`
        field by field; the speed and data size it reports are also kept for the runs to come.
        Every run counts, with or without a session.
        """
        key = object()
        with self._changed:
            self._progress[key] = session_id, RunProgress(recipe)
            self._changed.notify_all()

        def report(**changes: Any) -> None:
            with self._changed:
                if key not in self._progress:
                    return
                now = dataclasses.replace(self._progress[key][1], **changes)
                self._progress[key] = session_id, now
                if now.images_per_sec:
                    self._speeds.pop(speed_key(recipe), None)  # re-inserted: the newest last
                    self._speeds[speed_key(recipe)] = now.images_per_sec
                if now.data is not None:
                    self._data = now.data

        try:
            yield report
        finally:
            with self._changed:
                del self._progress[key]
                self._changed.notify_all()

    def runs_in_progress(self, but_not: str | None = None) -> list[RunProgress]:
        """The runs under way, oldest first, except any of session ``but_not`` (a visitor is not ahead of itself)."""
        with self._changed:
            return [run for session, run in self._progress.values() if but_not is None or session != but_not]

    def measured(self) -> tuple[dict[SpeedKey, float], DataSize]:
        """The images/s this app measured for each (model, augmentation), newest last, and the latest data size."""
        with self._changed:
            return dict(self._speeds), self._data

    # --- what each session trained ---------------------------------------------------------------

    def track(self, session_id: str | None, models: SessionModels) -> None:
        """Remember that ``models`` belong to ``session_id`` (without an id, only reopen them).

        At most ``capacity`` are remembered; the oldest is forgotten, not closed: its models
        live on while Gradio still keeps its state.
        """
        models.closed = False
        if not session_id:
            return
        with self._changed:
            self._models.pop(session_id, None)
            self._models[session_id] = models
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
            self._changed.notify_all()

    def end(self, session_id: str | None) -> None:
        """The visitor left (the page's unload event): stop their run and free their models now."""
        self.stop(session_id)
        with self._changed:
            models = self._models.pop(session_id, None) if session_id else None
            self._changed.notify_all()
        if models is not None:
            models.close()

    def forget(self, value: Any) -> None:
        """``gr.State`` delete callback (Gradio's own expiry of a session): release its models."""
        if isinstance(value, SessionModels):
            value.close()
            with self._changed:
                for session_id in [k for k, v in self._models.items() if v is value]:
                    del self._models[session_id]
                self._changed.notify_all()

    def snapshot(self) -> dict[str, int]:
        """How much the registry holds now: a crowd that has left must leave it empty (``bench.crowd_start``)."""
        with self._changed:
            return {"running": len(self._runs), "in_progress": len(self._progress), "sessions": len(self._models)}

    def wait_for(self, condition: Callable[[Sessions], bool], timeout: float) -> bool:
        """Block until ``condition(self)`` holds (checked at every change) or ``timeout`` seconds pass."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self), timeout)

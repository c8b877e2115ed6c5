"""Everything the app relies on that Gradio does not document: each override and each read of its internals.

Each was read from Gradio's source at version :data:`CHECKED_WITH` (the version ``requirements.txt``
pins), and each is here for a measured reason. ``tests/test_gradio_internals.py`` fails once the
installed Gradio is another version: re-read each part below against the new Gradio's source, then
move :data:`CHECKED_WITH`.

1. **The event queue** (:class:`WakingQueue`, :func:`install`). Gradio's ``Queue``
   (``gradio/queueing.py``) runs two loops for as long as the app is up: ``start_processing``
   looks for a queued event every 1 ms, also when nothing is queued or every worker is busy, and
   ``start_progress_updates`` looks for ``gr.Progress`` updates every 10 ms, also when no job runs;
   an idle ``python app.py`` spends 37-58 ms of CPU a second on them, waking up to 1,100 times a
   second. Gradio has no setting for either. The copies below do the same work but sleep until
   something that can change their answer happens: an event is pushed, a job ends, the queue
   closes, or (for the progress loop) a job starts; while jobs run, progress is gathered every
   10 ms as Gradio does. A one-second :data:`SAFETY_NET` bounds the cost of a change they do not
   hear of (e.g. a concurrency limit raised by ``gr.render``). :func:`install` applies them only
   to the version they were copied from, and otherwise leaves Gradio's queue alone and says so in
   the log. (The ``--monitoring`` dashboard has a queue of its own, left as it is. What an idle app
   still does is Gradio's and uvicorn's and fixed: each checks every 0.1 s whether it should stop.)
2. **What waits in the queue** (:func:`waiting_inputs`, :func:`page_left`). Gradio tells a waiting
   page its own place but has no public way to list the events ahead of it, and the Train tab's
   estimate needs their settings (a ``drawing`` run ahead is a hundred times a ``fast`` one). The
   queue (``Blocks._queue``) keeps, for each concurrency id, an ``EventQueue`` whose ``queue``
   lists the waiting ``Event`` s oldest first, each with its ``session_hash`` and inputs
   (``event.data.data``); while an event is handled, ``gradio.context.LocalContext.blocks`` is the
   app. A page that closes drops two streams, which Gradio notices apart: the heartbeat at once (it
   runs the page's unload and marks the session's events ``closed``), the queue's stream only at its
   next message, up to ten seconds later (then it drops the session's waiting events and marks
   running ones not ``alive``). In between Gradio still starts a waiting event of a page that is
   gone: :func:`page_left` lets that run see it.
3. **The API's sketchpad** (:class:`Sketchpad`). The Draw and teach endpoints take a drawing as
   ``gr.Sketchpad`` sends it, for scripts (``gradio_client``); the page itself draws on
   :class:`demo.views.drawing_pad.DrawingPad`. Gradio decodes the images before the app's function
   runs (and would decode a 13000 x 13000 bomb, 2 GB), so the pixel check overrides its
   ``preprocess``; a subclass must say which frontend draws it (``get_block_name``), and
   ``accept_blobs``, the component function through which the image editor uploads ahead of its
   event and which keeps what it gets in memory, is no server function here.
4. **Temporary files** (:func:`temp_files_of`). Gradio lists every file it wrote for the app in
   ``Blocks.temp_file_sets`` and the ones a component must keep in its ``keep_in_cache``, inside the
   folder ``gradio.utils.get_upload_folder`` names; :mod:`demo.server.temp_files` deletes the old
   ones, as Gradio's own ``delete_cache`` means to but stops doing under load.
5. **Where the app is served** (:func:`served_address`): the address, port and share link that
   ``launch`` records on the ``Blocks`` (behind the Node proxy of SSR mode, ``node_port``).
6. **Gradio's request protocol** (:func:`limit_of`, :func:`unknown_function`, :func:`blocks_of`,
   :func:`knows_session`):
   the routes that carry an event or call a component function, how an event names its function
   (``fn_index`` or ``/run/NAME``), and where the ASGI scope keeps the app
   (``scope["app"].get_blocks()``), as :mod:`demo.server.http_guard` needs them to refuse a request
   before Gradio reads it.
7. **Inputs Gradio cannot take** (:class:`CheckedBlocks`). Before the app's function runs,
   ``Blocks.preprocess_data`` counts the values sent, moves any file they name into its cache and
   validates each against its component's data model; what fails there (too few values, a drawing
   sent as a string, a path outside the upload folder) is an ordinary exception, which Gradio
   answers with ``error: null`` and logs as a 1.4 KB traceback. Here it becomes the one-line
   message every other refusal gets.
8. **The language of each event** (:class:`CheckedBlocks`). Every event the page sends passes through
   ``Blocks.process_api(block_fn, inputs, state, request, ...)``, which preprocesses, runs the function (in a worker
   thread, which inherits the caller's context variables; a generator's every step is another ``process_api``
   call) and postprocesses. Setting :func:`demo.server.language.speaking` around it serves the whole event in
   the page's language: the language the page picked, else its browser's ``Accept-Language`` (the
   request's ``session_hash`` and ``headers``).
9. **Switching the page's language** (``demo/views/static/language_picker.js``, :func:`locale_switch_module`).
   Gradio's page translates its ``gr.I18n`` keys with the language it picked from ``navigator.language``; its own
   Settings panel switches it by calling ``changeLocale`` of the page's ``assets/core-*.js`` module, which exports
   it by that name. The picker imports the same module URL (a module loads once per page, so it is the same
   store) and calls it. Server-side rendering bundles the page otherwise, so the app launches without it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import queueing
from gradio.context import LocalContext
from gradio.data_classes import FileData
from gradio.utils import get_upload_folder, run_coro_in_background, set_task_name

from demo.server.inputs import DRAWING, checked_preprocess, shorten
from demo.server.language import LanguageChoices, _, speaking
from demo.server.log import expected_error, log
from mnist_core.preprocess import ImageInputError, open_image, unreadable_image

#: The Gradio version (a prefix of ``gradio.__version__``) every part of this module was read from.
CHECKED_WITH = "6.31."

#: Seconds a sleeping queue loop waits at most before it looks again on its own.
SAFETY_NET = 1.0


def version_checked(version: str | None = None) -> bool:
    """Whether ``version`` (the installed Gradio's by default) is the one this module was read from."""
    return (gr.__version__ if version is None else version).startswith(CHECKED_WITH)


# 1. The event queue ---------------------------------------------------------------------------------------------

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
        """Gradio's loop, waiting for :attr:`_wake` wherever Gradio's sleeps 1 ms and looks again."""
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
                # From here to the end of the loop: Gradio's own, and the progress loop woken.
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
        """Gradio's loop, waiting for a job where Gradio's looks every 10 ms also while none runs."""
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
    cannot be: a Gradio other than :data:`CHECKED_WITH`, or a queue that is not Gradio's own."""
    queue = getattr(demo, "_queue", None)
    if not version_checked() or type(queue) is not queueing.Queue:
        log.warning("Gradio %s: its queue is left as it is (demo/server/gradio_internals.py was read from Gradio "
                    "%sx); an idle app then wakes about 1,100 times a second", gr.__version__, CHECKED_WITH)
        return False
    queue.__class__ = WakingQueue
    queue._new_events()
    return True


# 2. What waits in the queue -------------------------------------------------------------------------------------

def page_left() -> bool:
    """Whether the page that sent the event being handled has closed (its heartbeat or its queue stream ended).

    ``False`` when it cannot tell (no event, or a Gradio that keeps its events elsewhere). Call it from an
    event handler. A page that comes back sends new events, and they are not closed.
    """
    try:
        event_id = LocalContext.event_id.get(None)
        event = LocalContext.blocks.get(None)._queue.event_ids_to_events.get(event_id)  # type: ignore[union-attr]
    except (AttributeError, TypeError):
        return False
    return event is not None and (getattr(event, "closed", False) is True or getattr(event, "alive", True) is False)


def waiting_inputs(concurrency_id: str, before_session: str | None) -> list[list[Any]] | None:
    """The inputs of the events waiting under ``concurrency_id``, oldest first, up to ``before_session``'s own
    (all of them if it has none waiting); ``None`` if Gradio's queue cannot be read. Call it from an event handler."""
    try:
        queues = LocalContext.blocks.get(None)._queue.event_queue_per_concurrency_id  # type: ignore[union-attr]
        waiting = list(queues[concurrency_id].queue) if concurrency_id in queues else []
    except (AttributeError, TypeError):
        return None
    ahead = []
    for event in waiting:
        if before_session is not None and getattr(event, "session_hash", None) == before_session:
            break
        inputs = getattr(getattr(event, "data", None), "data", None)
        if isinstance(inputs, list):
            ahead.append(inputs)
    return ahead


# 3. The API's sketchpad -----------------------------------------------------------------------------------------

class Sketchpad(gr.Sketchpad):
    """A ``gr.Sketchpad`` whose images are checked by their header before Gradio decodes them.

    Each image is opened with :func:`mnist_core.preprocess.open_image`, which refuses too many pixels
    from the header alone, and a decoding failure afterwards (a truncated file) gets the message
    ``mnist_core`` gives everywhere else.
    """

    def get_block_name(self) -> str:
        return "imageeditor"  # drawn like gr.Sketchpad itself, by the ImageEditor frontend

    def accept_blobs(self, data: Any) -> None:
        """Not a server function (no ``@server``): the component server answers 404, and nothing is kept.

        (English: no page calls it, and the component server runs outside any event's language.)"""
        raise expected_error("This sketchpad takes its drawing with the event.")

    def preprocess(self, payload: Any) -> Any:
        if payload is not None:
            for image in [payload.background, payload.composite, *(payload.layers or [])]:
                self._check(image)
        return checked_preprocess(self, super().preprocess, payload)

    def convert_and_format_image(self, file: FileData | None | bytes, flatten_on_white: bool = False) -> Any:
        """Gradio's decoding, with the same message as ``mnist_core`` when the data turns out to be broken."""
        try:
            return super().convert_and_format_image(file, flatten_on_white)
        except Exception as exc:
            raise expected_error(str(unreadable_image(DRAWING, exc))) from None

    @staticmethod
    def _check(image: FileData | bytes | None) -> None:
        if image is None:
            return
        source = image.path if isinstance(image, FileData) else BytesIO(image)
        try:
            open_image(source, DRAWING).close()
        except ImageInputError as exc:
            raise expected_error(shorten(str(exc))) from None


# 4. Temporary files ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TempFiles:
    """The files Gradio wrote for an app: the ``folder`` they are in, the live sets that list them (request
    threads add to these meanwhile), and the ones a component must keep."""

    folder: Path
    sets: list[set[str]]
    keep: set[str]


def temp_files_of(demo: gr.Blocks) -> TempFiles:
    """What Gradio records of ``demo``'s temporary files, read as it is now."""
    keep: set[str] = set()
    for block in list(demo.blocks.values()):
        keep |= getattr(block, "keep_in_cache", set())
    return TempFiles(Path(get_upload_folder()).resolve(), list(demo.temp_file_sets), keep)


# 5. Where the app is served -------------------------------------------------------------------------------------

def served_address(demo: gr.Blocks) -> tuple[str, int, str | None]:
    """``(host, port, share link or None)`` of ``demo`` as its ``launch`` recorded them: the port visitors use
    (the Node proxy's in SSR mode, where Python listens on an inner port); 127.0.0.1:7860 before a launch."""
    host = getattr(demo, "server_name", None) or "127.0.0.1"
    port = getattr(demo, "node_port", None) if getattr(demo, "_node_is_proxy", False) else None
    port = port or getattr(demo, "server_port", None) or 7860
    return host, int(port), getattr(demo, "share_url", None) or None


# 6. Gradio's request protocol -----------------------------------------------------------------------------------

#: The routes that carry an event (naming its function by ``fn_index`` in the body, or by name in the path).
EVENT_ROUTE = re.compile(r"/gradio_api/(?:queue/join|(?:run|api|call|call/v2)/(?P<name>[^/]+))/?$")
#: The route that calls a component's server function.
COMPONENT_ROUTE = re.compile(r"/gradio_api/component_server/?$")


#: The stream a page reads its events from (``GET``, with the page's ``session_hash`` in the query).
QUEUE_STREAM_ROUTE = re.compile(r"/gradio_api/queue/data/?$")
#: What Gradio's stream sends a session it does not know (its page then says the session was lost).
SESSION_NOT_FOUND = (b'data: {"msg":"unexpected_error","event_id":null,"message":"404: Not Found",'
                     b'"session_not_found":true,"success":false}\n\n')


def knows_session(blocks: Any, session_hash: str) -> bool:
    """Whether Gradio's queue has a stream of messages for ``session_hash`` (made when the page joins the queue).

    For one it lacks, Gradio's ``/queue/data`` route sends :data:`SESSION_NOT_FOUND`, then re-raises its
    404 inside the response, which uvicorn logs as a 5.8 KB traceback: one GET per traceback."""
    try:
        return session_hash in blocks._queue.pending_messages_per_session
    except (AttributeError, TypeError):
        return True  # cannot tell: let Gradio answer


def blocks_of(scope: Any) -> gr.Blocks | None:
    """The app an ASGI request goes to (Gradio's FastAPI app keeps it), or ``None``."""
    return getattr(scope.get("app"), "get_blocks", lambda: None)()


def unknown_function(blocks: Any, path: str, body: bytes) -> str | None:
    """Why an event request names no function of ``blocks`` (a reason to show), or ``None`` if it names one."""
    try:
        data = json.loads(body)
    except ValueError:  # not JSON: Gradio answers that itself (422)
        return None
    if not isinstance(data, dict):
        return None
    fn_index = data.get("fn_index")
    if fn_index is not None:
        if isinstance(fn_index, bool) or not isinstance(fn_index, int) or fn_index not in blocks.fns:
            return f"No such function: fn_index {str(fn_index)[:20]}."
        return None
    match = EVENT_ROUTE.search(path)
    name = match["name"] if match else None
    if name is not None and name not in {fn.api_name for fn in blocks.fns.values()}:
        return f"No such endpoint: /{name[:60]}."
    return None


# 7. Inputs Gradio cannot take -----------------------------------------------------------------------------------

class CheckedBlocks(gr.Blocks):
    """A ``gr.Blocks`` whose input processing refuses what it cannot take with a message, not ``error: null``, and
    that serves each event in the language of the page that sent it (:attr:`languages`)."""

    #: The language each page picked; ``build_demo`` gives the app's own.
    languages: LanguageChoices = LanguageChoices()

    async def process_api(self, block_fn: Any, inputs: list[Any], state: Any = None, request: Any = None,
                          *args: Any, **kwargs: Any) -> Any:
        first = request[0] if isinstance(request, list) and request else request
        session = getattr(first, "session_hash", None) or kwargs.get("session_hash")
        headers = getattr(first, "headers", None) or {}
        with speaking(self.languages.of(session, headers.get("accept-language"))):
            return await super().process_api(block_fn, inputs, state, request, *args, **kwargs)

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool = False) -> Any:
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except gr.Error:
            raise
        except Exception as exc:
            name = getattr(block_fn, "api_name", None) or getattr(block_fn, "name", None) or "this function"
            endpoint = "/" + str(name).lstrip("/")[:60]
            # TRANSLATORS: {endpoint} is the function's API name ("/predict"); {problem} is in English (Gradio's words).
            raise expected_error(_("{endpoint} cannot use these inputs: {problem}", endpoint=endpoint,
                                   problem=input_problem(exc))) from None


def input_problem(exc: Exception) -> str:
    """What was wrong with the inputs, in one short line: the first field a data model refused and why, or the
    first line of any other error."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()) if not isinstance(part, int)) or "the value"
            return shorten(f"{where}: {first.get('msg', 'not valid')}", 160)
        except (IndexError, TypeError, AttributeError):
            pass
    text = str(exc).strip()
    return shorten(text.splitlines()[0] if text else type(exc).__name__, 160)


# 9. Switching the page's language ----------------------------------------------------------------------------------

def locale_switch_module() -> Path | None:
    """The installed Gradio's page module that exports ``changeLocale`` (what the language picker imports), or
    ``None`` if this Gradio has none: the check that the picker can still turn the page."""
    assets = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
    for module in sorted(assets.glob("core-*.js")):
        if re.search(r"\bas changeLocale\b", module.read_text(errors="replace")):
            return module
    return None

"""Simulated phones: each one a page's session, replaying the requests a real page sends (:mod:`bench.page_recording`).

A phone opens what the page holds open on load (the heartbeat stream), sends the page's load
events, then follows a timeline of pad events (strokes, and Clear if asked), each sending the
recorded events with its own drawing in place of the recorded one (``{"seq": n, "png": ...}``,
``seq`` counting per phone as the page counts). It behaves as Gradio 6's page does:

- one event stream (``GET queue/data``) per session, opened when an event is joined and none is
  open, read until the server closes it (``close_stream``), reopened while events are pending;
- events chained after another (``trigger_after`` in ``/config``) are sent once it completed
  (only on success, or only on failure, where the app says so);
- a trigger while the same event is still pending follows the event's ``trigger_mode``:
  ``always_last`` waits and sends only the newest, ``once`` drops it;
- every file URL in an event's outputs (a ``FileData`` or a ``/gradio_api/file=`` link in HTML)
  is fetched, as the page's ``<img>`` would be, and checked whole (``Content-Length``).

What each pad event is timed by: its pen-up (when the page would send it) until the first
message carrying the answer (the ``#prediction`` output), until every inside view
(``#saliency-view``, ``#feature-maps-view``) has arrived, and until everything it triggered
is done (file GETs included). Errors are counted, never raised: a refused join, a failed
event, a lost connection or event stream, a cut-off file, an answer stamped for another drawing,
an event not completed in ``EVENT_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.page_recording import ANSWER_ID, INSIDE_IDS, STAMP_ID, Action, Page, Recording

#: The most an event may take from join to completion, and a file GET, before it counts as an error.
EVENT_TIMEOUT_S, FILE_TIMEOUT_S = 60.0, 30.0
#: Connections a browser opens to one host (chromium: 6); the heartbeat and the event stream take two.
CONNECTIONS = 6
FILE_URL = re.compile(r"""(?:https?://[^"'\s)]+)?/gradio_api/file=[^"'\s)]+""")
#: Session ids as the page makes them (11 characters, a-z0-9).
SESSION_CHARS = 11
#: What httpx says when a kept-alive connection was closed by the server just as a request went out on it
#: (or it fails with a ``WriteError``: the request never left).
STALE = "without sending a response"


@dataclass
class PadEvent:
    """One stroke (or Clear) of one phone, and what came of it. Times are ``time.perf_counter`` seconds."""

    phone: int
    kind: str  # "stroke" or "clear"
    seq: int
    pen_up: float
    late: float = 0.0  # how far behind its timeline the phone sent it (the simulating machine's own delay)
    answer: float | None = None
    inside: float | None = None
    done: float | None = None
    superseded: bool = False  # a newer stroke replaced it before it was sent (the page's "always_last")
    dropped: list[int] = field(default_factory=list)  # events the page would not send ("once" while pending)
    files: int = 0
    fetched: set[str] = field(default_factory=set)  # a picture shown again is not fetched again (same URL)
    errors: list[str] = field(default_factory=list)
    inside_wanted: set[int] = field(default_factory=set)  # the inside views' components this event's events fill
    inside_seen: set[int] = field(default_factory=set)


@dataclass
class Script:
    """What a phone replays: the app's page and the recorded actions."""

    page: Page
    recording: Recording

    def inside_expected(self, action: Action) -> set[int]:
        """Component ids of the inside views the action's events would fill."""
        return {cid for e in action.events for cid in self.page.output_ids(e["fn_index"], INSIDE_IDS).values()}


def drawing_value(template: dict[str, Any], seq: int, png: str | None) -> dict[str, Any]:
    return {**template, "seq": seq, "png": png}


def carries(value: Any) -> bool:
    """Whether an output value shows something (not absent, not a bare ``gr.skip()``/empty diff)."""
    if value is None:
        return False
    if isinstance(value, dict) and set(value) <= {"__type__"}:
        return False
    return not (isinstance(value, list) and not value)


def file_urls(value: Any) -> list[str]:
    """Every file the page would fetch for an output: ``FileData`` URLs, and ``/gradio_api/file=`` links in text."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("url"), str) and (value.get("meta") or {}).get("_type") == "gradio.FileData":
            found.append(value["url"])
        else:
            for v in value.values():
                found += file_urls(v)
    elif isinstance(value, list):
        for v in value:
            found += file_urls(v)
    elif isinstance(value, str) and "/gradio_api/file=" in value:
        found += FILE_URL.findall(value)
    return list(dict.fromkeys(found))


class Phone:
    """One simulated phone: its own session, connections, event stream and drawings."""

    def __init__(self, index: int, base: str, script: Script) -> None:
        self.index, self.base, self.script = index, base.rstrip("/") + "/", script
        self.session = uuid.uuid4().hex[:SESSION_CHARS]
        self.http = httpx.AsyncClient(limits=httpx.Limits(max_connections=CONNECTIONS,
                                                          max_keepalive_connections=CONNECTIONS),
                                      timeout=httpx.Timeout(30.0))
        self.queues: dict[str, asyncio.Queue] = defaultdict(asyncio.Queue)
        self.pending: set[str] = set()
        self.completed: set[str] = set()
        self.stream_task: asyncio.Task | None = None
        self.streams = 0
        self.busy: dict[int, int] = defaultdict(int)
        self.wanted: dict[int, int] = defaultdict(int)
        self.idle: dict[int, asyncio.Condition] = defaultdict(asyncio.Condition)
        self.seq = 0
        self.retries = 0
        self.errors: list[str] = []  # the phone's own, outside any pad event (heartbeat, load events)

    @asynccontextmanager
    async def open(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        """A request whose body is read by the caller. Sent again once, on a new connection, when the server had
        closed the kept-alive one just as it went out (the server's keep-alive timeout): a browser does the same."""
        request = self.http.build_request(method, url, **kwargs)
        try:
            response = await self.http.send(request, stream=True)
        except (httpx.RemoteProtocolError, httpx.WriteError) as exc:
            if isinstance(exc, httpx.RemoteProtocolError) and STALE not in str(exc):
                raise  # the server had begun answering: a lost connection, not a stale one
            self.retries += 1
            response = await self.http.send(self.http.build_request(method, url, **kwargs), stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    # --- the session's streams -------------------------------------------------------------------------
    async def hold(self, path: str) -> None:
        """A GET the page holds open (the heartbeat): read until the phone leaves; an early end is an error."""
        url = self.base.rstrip("/") + path.replace("{session}", self.session)
        try:
            async with self.open("GET", url, timeout=httpx.Timeout(10.0, read=None)) as response:
                if response.status_code != 200:
                    self.errors.append(f"held stream refused: {response.status_code} {path}")
                    return
                async for _ in response.aiter_lines():
                    pass
            self.errors.append(f"held stream ended by the server: {path}")
        except httpx.HTTPError as exc:
            self.errors.append(f"lost connection: held stream {path}: {type(exc).__name__}: {str(exc)[:80]}")

    def watch(self, event_id: str) -> asyncio.Queue:
        """The messages of a joined event; opens the session's event stream if none is open."""
        queue = self.queues[event_id]
        if event_id not in self.completed:
            self.pending.add(event_id)
        if self.pending and (self.stream_task is None or self.stream_task.done()):
            self.stream_task = asyncio.create_task(self.stream())
        return queue

    def fail_pending(self, why: str) -> None:
        for event_id in self.pending:
            self.queues[event_id].put_nowait((time.perf_counter(), {"msg": "lost", "detail": why}))
        self.pending.clear()

    async def stream(self) -> None:
        """The session's event stream, reopened while events are pending (the page does the same)."""
        while self.pending:
            self.streams += 1
            try:
                async with self.open("GET", self.base + "gradio_api/queue/data", params={"session_hash": self.session},
                                     timeout=httpx.Timeout(10.0, read=EVENT_TIMEOUT_S)) as response:
                    if response.status_code != 200:
                        self.fail_pending(f"event stream refused: {response.status_code}")
                        return
                    closed = False
                    async for line in response.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        message = json.loads(line[5:])
                        kind, event_id = message.get("msg"), message.get("event_id")
                        if kind == "close_stream":
                            closed = True
                            break
                        if kind == "unexpected_error":
                            self.fail_pending(f"unexpected error: {str(message.get('message'))[:120]}")
                        elif event_id:
                            self.queues[event_id].put_nowait((time.perf_counter(), message))
                            if kind == "process_completed":
                                self.completed.add(event_id)
                                self.pending.discard(event_id)
                    if not closed and self.pending:
                        self.fail_pending("lost connection: the event stream ended early")
            except httpx.HTTPError as exc:
                self.fail_pending(f"lost connection: event stream: {type(exc).__name__}: {str(exc)[:80]}")

    # --- events ------------------------------------------------------------------------------------------
    def body(self, recorded: dict[str, Any], drawing: dict[str, Any] | None) -> dict[str, Any]:
        body = copy.deepcopy(recorded)
        body["session_hash"] = self.session
        if drawing is not None:
            for i in self.script.page.pad_inputs(body["fn_index"]):
                body["data"][i] = drawing
        return body

    async def call(self, body: dict[str, Any], direct: str | None, event: PadEvent | None) -> bool:
        """Send one event and read it to its end, its outputs timed and their files fetched; whether it succeeded."""
        fn, errors = body["fn_index"], (event.errors if event else self.errors)
        files: list[asyncio.Task] = []
        try:
            if direct:  # an event the page calls without the queue: the answer is the response itself
                async with self.open("POST", self.base.rstrip("/") + direct, json=body) as response:
                    await response.aread()
                if response.status_code != 200:
                    errors.append(f"event {fn} failed: {response.status_code}")
                    return False
                self.outputs(fn, response.json().get("data") or [], event, files)
                return True
            async with self.open("POST", self.base + "gradio_api/queue/join", content=json.dumps(body),
                                 headers={"Content-Type": "application/json"}) as joined:
                await joined.aread()
            if joined.status_code != 200:
                errors.append(f"join refused: {joined.status_code} {joined.text[:120]}")
                return False
            queue = self.watch(joined.json()["event_id"])
            deadline = time.perf_counter() + EVENT_TIMEOUT_S
            while True:
                try:
                    _, message = await asyncio.wait_for(queue.get(), max(0.0, deadline - time.perf_counter()))
                except TimeoutError:
                    errors.append(f"event {fn} not completed in {EVENT_TIMEOUT_S:.0f} s")
                    return False
                kind = message.get("msg")
                if kind == "lost":
                    errors.append(message["detail"])
                    return False
                if kind in ("process_generating", "process_streaming", "process_completed"):
                    output = message.get("output") or {}
                    if kind == "process_completed" and not message.get("success"):
                        errors.append(f"event {fn} failed: {str(output.get('error') or message.get('title'))[:120]}")
                        return False
                    self.outputs(fn, output.get("data") or [], event, files)
                    if kind == "process_completed":
                        return True
        except httpx.HTTPError as exc:
            errors.append(f"lost connection: event {fn}: {type(exc).__name__}: {str(exc)[:80]}")
            return False
        finally:
            if files:
                await asyncio.gather(*files)

    def outputs(self, fn: int, data: list[Any], event: PadEvent | None, files: list[asyncio.Task]) -> None:
        """Note what a message of event ``fn`` brought: the answer, inside views, files to fetch."""
        now = time.perf_counter()
        page = self.script.page
        if event is not None:
            answer = page.output_ids(fn, (ANSWER_ID,))
            if event.answer is None and any(i < len(data) and carries(data[i]) for i in answer):
                event.answer = now
                for i in page.output_ids(fn, (STAMP_ID,)):
                    if i < len(data) and isinstance(data[i], str) and data[i] != str(event.seq) and carries(data[i]):
                        event.errors.append(f"answer stamped for drawing {data[i]}, sent {event.seq}")
            for i, cid in page.output_ids(fn, INSIDE_IDS).items():
                if i < len(data) and carries(data[i]):
                    event.inside_seen.add(cid)
            if event.inside is None and event.inside_wanted and event.inside_wanted <= event.inside_seen:
                event.inside = now
        for url in file_urls(data):
            if event is None or url not in event.fetched:
                if event is not None:
                    event.fetched.add(url)
                files.append(asyncio.create_task(self.fetch(url, event)))

    async def fetch(self, url: str, event: PadEvent | None) -> None:
        """GET a file as the page's ``<img>`` would, checking that all of it came."""
        errors = event.errors if event else self.errors
        if event is not None:
            event.files += 1
        if url.startswith("/"):
            url = self.base.rstrip("/") + url
        try:
            async with self.open("GET", url, timeout=FILE_TIMEOUT_S) as response:
                received = 0
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                expected = response.headers.get("content-length")
                if response.status_code != 200:
                    errors.append(f"file GET failed: {response.status_code}")
                elif received == 0 or (expected is not None and received != int(expected)):
                    errors.append(f"file cut off: {received} of {expected} bytes")
        except httpx.HTTPError as exc:
            errors.append(f"file GET failed: {type(exc).__name__}: {str(exc)[:80]}")

    async def fire(self, action: Action, index: int, drawing: dict[str, Any] | None, event: PadEvent | None) -> None:
        """Send the action's ``index``-th event as the page would (its trigger mode), then those that wait for it."""
        recorded, direct = action.events[index], action.direct[index]
        fn = recorded["fn_index"]
        dep = self.script.page.deps[fn]
        if self.busy[fn] and dep.trigger_mode == "once":
            if event is not None:
                event.dropped.append(fn)
            return
        if dep.trigger_mode == "always_last":  # the page defers it, then sends the pad's newest drawing
            self.wanted[fn] += 1
            mine = self.wanted[fn]
            async with self.idle[fn]:
                await self.idle[fn].wait_for(lambda: not self.busy[fn])
            if self.wanted[fn] != mine:
                if event is not None:
                    event.superseded = True
                return
        self.busy[fn] += 1
        try:
            ok = await self.call(self.body(recorded, drawing), direct, event)
        finally:
            self.busy[fn] -= 1
            async with self.idle[fn]:
                self.idle[fn].notify_all()
        page = self.script.page
        parents = page.parents([e["fn_index"] for e in action.events])
        followers = []
        for j, e in enumerate(action.events):
            after = page.deps[e["fn_index"]]
            chained = after.trigger_after == fn
            if parents[j] == fn and j != index and not (chained and after.only_on_success and not ok) and \
                    not (chained and after.only_on_failure and ok):
                followers.append(self.fire(action, j, drawing, event))
        await asyncio.gather(*followers)

    async def act(self, kind: str, png: str | None, due: float) -> PadEvent:
        """One pad event (a stroke's pen-up, or Clear) due at ``due``: the recorded events with this phone's drawing."""
        recording = self.script.recording
        action = recording.stroke if kind == "stroke" else recording.clear
        self.seq += 1
        event = PadEvent(self.index, kind, self.seq, time.perf_counter(),
                         inside_wanted=self.script.inside_expected(action))
        event.late = event.pen_up - due
        drawing = drawing_value(recording.pad_value, self.seq, png)
        parents = self.script.page.parents([e["fn_index"] for e in action.events])
        await asyncio.gather(*(self.fire(action, i, drawing, event) for i, p in enumerate(parents) if p is None))
        event.done = time.perf_counter()
        return event

    async def arrive(self) -> list[asyncio.Task]:
        """Load the page: hold its streams open and send its load events."""
        load = self.script.recording.load
        held = [asyncio.create_task(self.hold(path)) for path in load.held]
        parents = self.script.page.parents([e["fn_index"] for e in load.events])
        await asyncio.gather(*(self.fire(load, i, None, None) for i, p in enumerate(parents) if p is None))
        return held

    async def leave(self, held: list[asyncio.Task]) -> None:
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)
        if self.stream_task is not None:
            self.stream_task.cancel()
            await asyncio.gather(self.stream_task, return_exceptions=True)
        await self.http.aclose()

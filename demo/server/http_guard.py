"""Requests refused before Gradio reads them: oversized bodies, and functions that do not exist.

Gradio answers ``fn_index`` 999 or an unknown ``/run/NAME`` with an HTTP 500 and a
traceback in the log, parses a JSON body of any size (a 50 MB "model name" came back in the
error and went into the log), and reads every file of a component request into memory. This
ASGI middleware, installed through ``launch(app_kwargs=...)`` (:func:`middleware`), reads the
body of those POST requests first, refuses one over its route's limit with 413, and one
naming no function of the app with 404, each with a short JSON ``detail`` like FastAPI's.
Everything else passes through untouched, and the body it read is handed on unchanged.

A page's event stream asked for with a session Gradio does not know (``GET
/gradio_api/queue/data?session_hash=x``) gets Gradio's own "session not found" message, sent here,
and at most one log line a minute: Gradio logs a 5.8 KB traceback for each such request, so
anyone could flood the log with a loop of GETs.

A browser that goes away mid-request (a tab closed during an upload) makes Starlette raise
``ClientDisconnect`` from deep inside the route; uvicorn would print it as a 70-line ASGI
traceback. The guard logs it as one line instead (:func:`demo.server.log.client_disconnected`):
nobody is left to answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect

from demo.server.gradio_internals import (
    COMPONENT_ROUTE,
    EVENT_ROUTE,
    QUEUE_STREAM_ROUTE,
    SESSION_NOT_FOUND,
    blocks_of,
    knows_session,
    unknown_function,
)
from demo.server.log import EveryMinute, client_disconnected

unknown_session = EveryMinute("Refused: a queue stream for a session the app does not know")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: An event's JSON names its uploaded files and carries a few values: never anywhere near this.
MAX_EVENT_BODY = 1_000_000
#: A call of a component's server function: no component of this app takes files that way.
MAX_COMPONENT_BODY = 4_000_000


def _limit(path: str) -> int | None:
    if EVENT_ROUTE.search(path):
        return MAX_EVENT_BODY
    if COMPONENT_ROUTE.search(path):
        return MAX_COMPONENT_BODY
    return None


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _answer(send: Send, status: int, detail: str) -> None:
    """A short JSON refusal, as FastAPI words its own: ``{"detail": ...}``."""
    await _send(send, status, json.dumps({"detail": detail}).encode(), b"application/json")


def _known_stream(scope: Scope) -> bool:
    """Whether a queue stream request names a session Gradio's queue knows (or there is no app to ask)."""
    blocks = blocks_of(scope)
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    session = (query.get("session_hash") or [""])[0]
    return blocks is None or knows_session(blocks, session)


class RequestGuard:
    """The ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._guard(scope, receive, send)
        except ClientDisconnect:
            client_disconnected(scope.get("path", ""))

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method") if scope["type"] == "http" else None
        if method == "GET" and QUEUE_STREAM_ROUTE.search(scope["path"]) and not _known_stream(scope):
            unknown_session()
            await _send(send, 200, SESSION_NOT_FOUND, b"text/event-stream; charset=utf-8")
            return
        limit = _limit(scope["path"]) if method == "POST" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        too_large = f"Request too large: at most {limit // 1000:,} KB here."
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, too_large)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _answer(send, 413, too_large)
                return
            if not message.get("more_body"):
                break
        blocks = blocks_of(scope)
        problem = unknown_function(blocks, scope["path"], bytes(body)) if blocks and limit == MAX_EVENT_BODY else None
        if problem:
            await _answer(send, 404, problem)
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read once, then whatever comes next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def middleware() -> list[Middleware]:
    """What ``launch(app_kwargs={"middleware": ...})`` takes to install :class:`RequestGuard`."""
    return [Middleware(RequestGuard)]

"""What waits in Gradio's queue, and whether the page of the event being handled is still there: the one place
that reads Gradio's internals.

Gradio 6 tells a waiting page its own place, but has no public way to list the events waiting
ahead of it, and the estimate needs their settings (a ``drawing`` run ahead is a hundred times
a ``fast`` one). Its queue (``Blocks._queue``, a ``gradio.queueing.Queue``) keeps, for each
concurrency id, an ``EventQueue`` whose ``queue`` lists the waiting ``Event`` objects oldest
first, each with its ``session_hash`` and its inputs (``event.data.data``); Gradio's own routes
read it the same way. While an event is handled, ``gradio.context.LocalContext.blocks`` is the
app. If a later Gradio changes any of this, :func:`waiting_inputs` returns ``None`` and the
estimate counts only the runs under way (``tests/test_queue_wait.py`` then fails and says so).

A page that closes drops two streams, which Gradio notices apart: the heartbeat at once (it
runs the page's unload event and marks the session's events ``closed``), the queue's stream
only at its next message, up to ten seconds later (then it drops the session's waiting events,
and marks running ones not ``alive``). In between, Gradio still starts a waiting event of a page
that is gone, after its unload has run: :func:`page_left` lets that run see it.
"""

from __future__ import annotations

from typing import Any

from gradio.context import LocalContext


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

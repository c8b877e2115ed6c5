"""What waits in Gradio's queue: the one place that reads Gradio's internals, for the Train tab's queue estimate.

Gradio 6 tells a waiting page its own place, but has no public way to list the events waiting
ahead of it, and the estimate needs their settings (a ``drawing`` run ahead is a hundred times
a ``fast`` one). Its queue (``Blocks._queue``, a ``gradio.queueing.Queue``) keeps, for each
concurrency id, an ``EventQueue`` whose ``queue`` lists the waiting ``Event`` objects oldest
first, each with its ``session_hash`` and its inputs (``event.data.data``); Gradio's own routes
read it the same way. While an event is handled, ``gradio.context.LocalContext.blocks`` is the
app. If a later Gradio changes any of this, :func:`waiting_inputs` returns ``None`` and the
estimate counts only the runs under way (``tests/test_queue_wait.py`` then fails and says so).
"""

from __future__ import annotations

from typing import Any

from gradio.context import LocalContext


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

"""One line in the server log for what a class does every day: a refused input, a closed tab.

Gradio prints a full traceback for every ``gr.Error`` unless told not to, and uvicorn prints
a 70-line ASGI traceback when a browser goes away in the middle of an upload. Neither is a
fault of the app: a teacher watching the terminal should see one line saying what happened,
and keep tracebacks for real bugs. The lines go to the ``demo`` logger (INFO), printed on
stderr like uvicorn's own.
"""

from __future__ import annotations

import logging
import threading
import time

import gradio as gr

log = logging.getLogger("demo")


def _setup() -> None:
    """Print the ``demo`` logger's lines on stderr once (it keeps propagating, so tests can capture them)."""
    if not any(getattr(h, "_demo_server_log", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        handler._demo_server_log = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


_setup()


def expected_error(message: str) -> gr.Error:
    """A ``gr.Error`` for an input the app refuses on purpose: logged as one "Refused: ..." line, no traceback.

    Use as ``raise expected_error("...") from None``; the visitor sees ``message`` in a toast.
    """
    log.info("Refused: %s", message)
    return gr.Error(message, print_exception=False)


def client_disconnected(path: str) -> None:
    """Log that a browser went away before its request's body arrived (a tab closed during an upload)."""
    what = "upload" if path.rstrip("/").endswith("/upload") else f"request to {path[:80]}"
    log.info("Client disconnected during %s", what)


class EveryMinute:
    """A log line said at most once a minute, with how many times it happened since: what anyone can cause with a
    request (a stream asked for by a session that does not exist) must not let them flood the log."""

    def __init__(self, line: str, every: float = 60.0) -> None:
        self.line, self.every = line, every
        self._last, self._since = float("-inf"), 0
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        """Count one more; log the line if the last was said over ``every`` seconds ago. True if it was said now."""
        with self._lock:
            self._since += 1
            now = time.monotonic()
            if now - self._last < self.every:
                return False
            count, self._since, self._last = self._since, 0, now
        log.info("%s (%d since the last such line)", self.line, count)
        return True

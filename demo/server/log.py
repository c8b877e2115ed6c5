"""One line in the server log for what a class does every day: a refused input, a closed tab.

Gradio prints a full traceback for every ``gr.Error`` unless told not to, and uvicorn prints
a 70-line ASGI traceback when a browser goes away in the middle of an upload. Neither is a
fault of the app: a teacher watching the terminal should see one line saying what happened,
and keep tracebacks for real bugs. The lines go to the ``demo`` logger (INFO), printed on
stderr like uvicorn's own.
"""

from __future__ import annotations

import logging

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

"""The app's limits: events at once, sessions in memory, temporary files on disk; the last two settable from the
environment, like ``$MNIST_TRAIN_CONCURRENCY``.

These are the knobs of whoever runs the app (a Space's settings, a classroom server), not of
its visitors. :func:`env_int` reads every whole-number setting the app takes from the environment.
"""

from __future__ import annotations

import os

TEMP_MAX_AGE_ENV = "MNIST_TEMP_MAX_AGE"
MAX_SESSIONS_ENV = "MNIST_MAX_SESSIONS"
#: Seconds Gradio's temporary files (uploads, gallery images) are kept: long after the page has shown them.
DEFAULT_TEMP_MAX_AGE = 600
#: Browser sessions whose state Gradio keeps (about 200 KB each for this app), the least recently used dropped first.
DEFAULT_MAX_SESSIONS = 100
#: Events of one kind that run at once: predictions, explanations, and every listener without a limit of its
#: own. Later ones wait in Gradio's queue, so a crowd of strokes cannot decode a crowd of images at once.
EVENT_CONCURRENCY = 4


class SettingError(ValueError):
    """An environment setting the app cannot use; ``app.py`` prints it as one line and exits."""


def env_int(name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole-number setting from ``$name``, else ``default`` (unset or blank); a clear error for anything else.

    A value that is not a whole number, or lies outside ``minimum``..``maximum``, is refused rather than
    quietly replaced: whoever set it meant something, and should hear that it was not understood.
    """
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    allowed = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        raise SettingError(f"{name} must be a whole number {allowed}, got {value[:40]!r}")
    return number


def temp_cleanup() -> tuple[int, int]:
    """(every N seconds, delete the temporary files older than $MNIST_TEMP_MAX_AGE s): :mod:`demo.server.temp_files`.

    Every upload, every gallery of the Dataset tab, every picture the app shows is a file in
    Gradio's temporary folder; without this they would stay until the server restarts.
    """
    age = env_int(TEMP_MAX_AGE_ENV, DEFAULT_TEMP_MAX_AGE)
    return min(60, age), age


def max_sessions() -> int:
    """Sessions whose state Gradio keeps in memory: ``$MNIST_MAX_SESSIONS``, else ``DEFAULT_MAX_SESSIONS``.

    Gradio keeps a copy of the page's configuration per session (and the session's trained
    models) until this many newer sessions have come, 10,000 by default: 2 GB for this app.
    A class is far fewer; a session that falls out of the limit starts afresh.
    """
    return env_int(MAX_SESSIONS_ENV, DEFAULT_MAX_SESSIONS)


#: Largest checkpoint a visitor may upload (every registered model is far smaller: the largest is 4.8 MB). Gradio's
#: own limit on any upload (``app.MAX_UPLOAD``) is a little higher; this one names the reason in words.
MAX_UPLOAD_CHECKPOINT_BYTES = 8 * 1024 * 1024
#: Models one session may upload: each stays in the server's memory until the page closes.
MAX_UPLOADED_MODELS = 5
#: Taught models one session keeps (the oldest is forgotten when a newer one is taught): each is a whole model
#: in the server's memory until the page closes.
MAX_TAUGHT_MODELS = 3
#: Drawings one session may keep as its own examples (a few dozen teach a model a hand; each costs ~10 KB).
MAX_EXAMPLES_PER_SESSION = 60

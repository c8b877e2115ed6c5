"""The app's limits on what it keeps: sessions in memory, temporary files on disk; each settable from the environment.

Like ``$MNIST_TRAIN_CONCURRENCY``, these are the knobs of whoever runs the app (a Space's
settings, a classroom server), not of its visitors.
"""

from __future__ import annotations

import os

TEMP_MAX_AGE_ENV = "MNIST_TEMP_MAX_AGE"
MAX_SESSIONS_ENV = "MNIST_MAX_SESSIONS"
#: Seconds Gradio's temporary files (uploads, gallery images) are kept: long after the page has shown them.
DEFAULT_TEMP_MAX_AGE = 600
#: Browser sessions whose state Gradio keeps (about 200 KB each for this app), the least recently used dropped first.
DEFAULT_MAX_SESSIONS = 100


def env_int(name: str, default: int) -> int:
    """A whole-number setting from ``$name`` (at least 1), else ``default``; a clear error for anything else."""
    value = os.environ.get(name, "").strip()
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {value[:40]!r}") from None


def temp_cleanup() -> tuple[int, int]:
    """(every N seconds, delete the temporary files older than ``$MNIST_TEMP_MAX_AGE`` s): see :mod:`demo.temp_files`.

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

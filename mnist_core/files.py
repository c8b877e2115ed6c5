"""Open a file a user named, refusing anything that is not a plain file, and say what it is.

A path given to ``eval``, ``predict`` or found in ``assets/`` may be anything: a folder, a
symlink to ``/dev/zero`` (endless), a named pipe (a read blocks until someone writes, so
``predict`` would hang forever), a socket. :func:`open_regular_file` looks before it opens
(``stat`` has no side effects, where opening some devices does), opens without blocking,
then checks the opened file again, so what is read is the regular file that was checked.
The callers turn :class:`FileProblem` into their own error (``CheckpointError``,
``ImageInputError``) with the file's name in front.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

#: What each kind of non-regular file is called in a message.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def short_reason(exc: BaseException) -> str:
    """The reason of a failure in a few words: an OS error's own text, else the first line of the message, bounded."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class FileProblem(OSError):
    """The path is missing or is not a regular file; the message says which (without the path)."""


def kind_of(mode: int) -> str:
    """Words for a file type from ``st_mode``: "a regular file", "a folder", "a named pipe (FIFO)", ..."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def _not_regular(path: Path, mode: int) -> FileProblem:
    target = os.path.realpath(path)
    via = f" (it links to {target})" if path.is_symlink() else ""
    return FileProblem(f"is {kind_of(mode)}{via}, not a regular file")


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file; else raise :class:`FileProblem` saying what it is."""
    path = Path(path)
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise FileProblem("no such file") from None
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    if not stat.S_ISREG(before.st_mode):
        raise _not_regular(path, before.st_mode)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    after = os.fstat(fd)
    if not stat.S_ISREG(after.st_mode):
        os.close(fd)
        raise _not_regular(path, after.st_mode)
    return os.fdopen(fd, "rb")

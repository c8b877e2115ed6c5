"""Where the project reads data from and writes derived files to.

The data directory is chosen once, by precedence: an explicit argument (the CLI's
``--data-dir``), then the ``MNIST_DATA_DIR`` environment variable, then ``./data``.
It may be read-only (a shared folder, a mounted volume): anything the project derives
from it goes into the cache directory instead, which is always the project's own. Should that
be unwritable too (a read-only home, a locked-down account), the cache moves to a folder of the
system's temporary directory, and one log line says where.
"""

from __future__ import annotations

import functools
import getpass
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

DATA_DIR_ENV = "MNIST_DATA_DIR"
CACHE_DIR_ENV = "MNIST_CACHE_DIR"
DEFAULT_DATA_DIR = Path("data")

#: The repository root (the folder holding ``mnist_core/``, ``assets/`` and ``app.py``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the MNIST data root: ``data_dir``, else ``$MNIST_DATA_DIR``, else ``./data``.

    The root holds ``MNIST/raw/`` as torchvision lays it out.
    """
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return DEFAULT_DATA_DIR


def cache_dir() -> Path:
    """Return the project's own writable cache folder: ``$MNIST_CACHE_DIR`` or the XDG cache, else a temporary one.

    Used for files derived from the data directory, which may be read-only.
    """
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return _usable_cache(Path(env).expanduser())
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return _usable_cache(base / "mnist-demo")


@functools.lru_cache(maxsize=8)
def _usable_cache(preferred: Path) -> Path:
    """``preferred`` if files can be written there, else a per-user folder in the temporary directory (said once)."""
    problem = write_problem(preferred)
    if problem is None:
        return preferred
    fallback = Path(tempfile.gettempdir()) / f"mnist-demo-cache-{_user()}"
    log.warning("Cannot write to %s (%s): derived files (the unpacked MNIST, rescued models) go to %s instead.",
                preferred, problem, fallback)
    return fallback


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def write_problem(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` (creating it if needed), or ``None`` if they can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def is_writable(folder: Path) -> bool:
    """True if files can be created in ``folder`` (creating it if needed): else derived files go to the cache."""
    return write_problem(folder) is None

"""Where the project reads data from and writes derived files to.

The data directory is chosen once, by precedence: an explicit argument (the CLI's
``--data-dir``), then the ``MNIST_DATA_DIR`` environment variable, then ``./data``.
It may be read-only (a shared folder, a mounted volume): anything the project derives
from it goes into the cache directory instead, which is always the project's own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
    """Return the project's own writable cache folder (``$MNIST_CACHE_DIR`` or the XDG cache).

    Used for files derived from the data directory, which may be read-only.
    """
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mnist-demo"


def is_writable(folder: Path) -> bool:
    """True if files can be created in ``folder`` (creating it if needed): else derived files go to the cache."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True

"""Keep a long-running process (the app) from holding on to memory it has freed.

Training allocates and frees tensors of tens to hundreds of megabytes. glibc's malloc
raises its mmap threshold each time such a block is freed, so later big blocks come from
the heap, where fragmentation keeps them counted in the process's memory long after
they are freed: the app's resident memory then grows with every training run. Pinning
the threshold keeps big blocks in their own mappings, which go back to the system when
freed. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
MMAP_THRESHOLD_BYTES = 1 << 20  # blocks of 1 MB or more get their own mapping


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def return_freed_memory_to_the_system() -> bool:
    """Pin glibc's mmap threshold (see the module docstring); True if it applied."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


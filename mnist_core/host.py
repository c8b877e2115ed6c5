"""What this machine gives the process: CPUs and memory, as a container sees them.

A container (a Hugging Face Space, Docker) often shows every core and all the memory of its
host, and limits the process through its cgroup instead: a ``cpu.max`` quota of 2 CPUs on a
32-core host, a ``memory.max`` of 16 GB. What a ZeroGPU Space's CPU side offers is not
documented, so the app logs both views once at start (:func:`summary`), and counts the cores
it lends to a training run by the smaller of the two (:func:`usable_cpus`).

Each reading is ``None`` where the system does not say (no cgroup files, macOS, Windows).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def affinity_cpus() -> int:
    """CPUs this process may be scheduled on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cgroup_cpu_limit(root: Path = CGROUP) -> float | None:
    """CPUs' worth of time the cgroup allows per period (``cpu.max``, or cgroup v1's CFS quota); None if unlimited."""
    quota_period = _read(root / "cpu.max")  # cgroup v2: "200000 100000", or "max 100000"
    if quota_period is None:
        quota, period = _read(root / "cpu" / "cpu.cfs_quota_us"), _read(root / "cpu" / "cpu.cfs_period_us")
        quota_period = f"{quota} {period}" if quota is not None and period is not None else None
    try:
        quota, period = quota_period.split()  # type: ignore[union-attr]
        cpus = int(quota) / int(period)
    except (AttributeError, ValueError, ZeroDivisionError):  # missing, "max", v1's "-1" fails below
        return None
    return cpus if cpus > 0 else None


def cgroup_memory_limit(root: Path = CGROUP) -> int | None:
    """Bytes the cgroup allows (``memory.max``, or cgroup v1's limit); None if unlimited or unreadable."""
    text = _read(root / "memory.max")
    if text is None:
        text = _read(root / "memory" / "memory.limit_in_bytes")
    try:
        limit = int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # missing, or "max"
        return None
    return limit if 0 < limit < 1 << 62 else None  # cgroup v1 says "unlimited" with a number near 2**63


def total_memory() -> int | None:
    """Bytes of memory the system reports (the host's, in most containers)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def usable_cpus(root: Path = CGROUP) -> int:
    """The CPUs a process can keep busy: its affinity, capped by the cgroup's quota (rounded up)."""
    cpus = affinity_cpus()
    limit = cgroup_cpu_limit(root)
    return max(1, min(cpus, math.ceil(limit))) if limit is not None else cpus


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def summary(root: Path = CGROUP) -> str:
    """One line for the startup log, e.g. "Machine: 4 of 32 CPUs, cgroup quota 2.0 CPUs; memory 125.8 GiB,
    cgroup limit 16.0 GiB" (the CPUs this process may use of those the system has)."""
    cpu_limit, memory_limit, memory = cgroup_cpu_limit(root), cgroup_memory_limit(root), total_memory()
    cpus, system = affinity_cpus(), os.cpu_count()
    shown = system if system is not None and system != cpus else cpus
    of = f" of {shown}" if shown != cpus else ""
    quota = f"cgroup quota {cpu_limit:.1f} CPUs" if cpu_limit is not None else "no cgroup CPU quota"
    total = _gib(memory) if memory is not None else "unknown"
    limit = f"cgroup limit {_gib(memory_limit)}" if memory_limit is not None else "no cgroup memory limit"
    return f"Machine: {cpus}{of} CPU{'s' if shown != 1 else ''}, {quota}; memory {total}, {limit}"

"""What the machine gives the app, as the startup log says it: the CPUs and memory, and a container's cgroup limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mnist_core import host


def cgroup(tmp_path: Path, files: dict[str, str]) -> Path:
    """A cgroup folder holding ``files``, e.g. ``{"cpu.max": "200000 100000"}``."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return tmp_path


def test_the_cgroup_v2_limits_are_read(tmp_path: Path) -> None:
    root = cgroup(tmp_path, {"cpu.max": "200000 100000", "memory.max": str(16 * 2**30)})
    assert host.cgroup_cpu_limit(root) == 2.0
    assert host.cgroup_memory_limit(root) == 16 * 2**30


def test_cgroup_v1_limits_are_read_where_there_is_no_v2(tmp_path: Path) -> None:
    root = cgroup(tmp_path, {"cpu/cpu.cfs_quota_us": "150000", "cpu/cpu.cfs_period_us": "100000",
                           "memory/memory.limit_in_bytes": str(2**30)})
    assert host.cgroup_cpu_limit(root) == 1.5
    assert host.cgroup_memory_limit(root) == 2**30


@pytest.mark.parametrize("files", [{}, {"cpu.max": "max 100000", "memory.max": "max"},
                                   {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
                                    "memory/memory.limit_in_bytes": str(2**63 - 4096)},
                                   {"cpu.max": "garbage", "memory.max": ""}])
def test_no_limit_reads_as_none(tmp_path: Path, files: dict[str, str]) -> None:
    root = cgroup(tmp_path, files)
    assert host.cgroup_cpu_limit(root) is None and host.cgroup_memory_limit(root) is None


def test_a_quota_caps_the_cpus_a_run_may_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "affinity_cpus", lambda: 32)
    assert host.usable_cpus(cgroup(tmp_path / "a", {"cpu.max": "200000 100000"})) == 2
    assert host.usable_cpus(cgroup(tmp_path / "b", {"cpu.max": "150000 100000"})) == 2  # 1.5 CPUs: two threads
    assert host.usable_cpus(cgroup(tmp_path / "c", {"cpu.max": "50000 100000"})) == 1
    assert host.usable_cpus(cgroup(tmp_path / "d", {"cpu.max": "max 100000"})) == 32
    monkeypatch.setattr(host, "affinity_cpus", lambda: 4)
    assert host.usable_cpus(cgroup(tmp_path / "e", {"cpu.max": "800000 100000"})) == 4  # the cpuset is smaller


def test_the_summary_is_one_line_with_cpus_and_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "affinity_cpus", lambda: 4)
    monkeypatch.setattr(host.os, "cpu_count", lambda: 32)
    monkeypatch.setattr(host, "total_memory", lambda: 128 * 2**30)
    limited = cgroup(tmp_path / "a", {"cpu.max": "200000 100000", "memory.max": str(16 * 2**30)})
    assert host.summary(limited) == ("Machine: 4 of 32 CPUs, cgroup quota 2.0 CPUs; memory 128.0 GiB, "
                                     "cgroup limit 16.0 GiB")
    monkeypatch.setattr(host.os, "cpu_count", lambda: 4)
    assert host.summary(tmp_path / "none") == ("Machine: 4 CPUs, no cgroup CPU quota; memory 128.0 GiB, "
                                               "no cgroup memory limit")


def test_the_summary_of_this_machine_reads_it(tmp_path: Path) -> None:
    line = host.summary()
    assert "\n" not in line
    assert re.fullmatch(r"Machine: \d+( of \d+)? CPUs?, (cgroup quota [\d.]+ CPUs|no cgroup CPU quota); "
                        r"memory ([\d.]+ GiB|unknown), (cgroup limit [\d.]+ GiB|no cgroup memory limit)", line), line
    assert host.affinity_cpus() >= 1 and host.usable_cpus() <= host.affinity_cpus()

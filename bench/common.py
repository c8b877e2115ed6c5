"""Shared pieces of the benchmark scripts: timing, the results table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    """One line of a results table: a figure, its target and whether it is met."""

    figure: str
    value: str
    target: str
    met: bool | None  # None: not measured (say why in ``note``)
    note: str = ""
    numbers: dict | None = None


def time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


#: The q-th percentile (0..100) of a list of timings, by linear interpolation.
percentile = np.percentile


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> dict[str, str | int]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cores": os.cpu_count() or 0, "torch_threads": torch.get_num_threads(),
            "torch": str(torch.__version__), "python": platform.python_version(),
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else "none"}


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=REPO, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(title: str, rows: list[Row], out: Path, command: str) -> None:
    """Print the rows as a Markdown table and write them, with the machine, as JSON to ``out``."""
    print(f"\n## {title}\n")
    print("| figure | measured | target | met |\n| --- | --- | --- | --- |")
    for r in rows:
        met = "n/a" if r.met is None else ("yes" if r.met else "NO")
        note = f" ({r.note})" if r.note else ""
        print(f"| {r.figure} | {r.value}{note} | {r.target} | {met} |")
    info = machine()
    print(f"\nMachine: {info['cpu']} ({info['cpu_capability']}), {info['cores']} cores, torch {info['torch']}, "
          f"GPU: {info['gpu']}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"title": title, "command": command, "commit": git_commit(), "machine": info,
                               "rows": [asdict(r) for r in rows]}, indent=2))
    print(f"Wrote {out}")

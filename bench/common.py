"""Shared pieces of the benchmark scripts: timing, the machine they ran on, the results table and its JSON file."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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


#: /proc/cpuinfo flags that decide what the CPU does in hardware, recorded with every result.
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")

#: FP32 FLOPs per cycle per core, by ``torch.backends.cpu.get_cpu_capability()``: two FMA units,
#: each lanes x 2 (multiply and add). AMD Zen 4 (family 25) runs AVX-512 on 256-bit units: as AVX2.
FP32_FLOPS_PER_CYCLE = {"AVX512": 64, "AMX": 64, "AVX2": 32, "DEFAULT": 16}


def cpuinfo() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo (empty where there is none, e.g. macOS)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def clock_ghz(info: dict[str, str]) -> tuple[float | None, str]:
    """The core clock to count the peak with, and where it was read (turbo is not counted)."""
    try:
        khz = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
        return int(khz) / 1e6, "cpufreq cpuinfo_max_freq"
    except (OSError, ValueError):
        pass
    try:
        return float(info["cpu MHz"]) / 1000, "/proc/cpuinfo 'cpu MHz' (in a VM the host's nominal clock)"
    except (KeyError, ValueError):
        pass
    named = re.search(r"@\s*([\d.]+)\s*GHz", info.get("model name", ""))
    if named:
        return float(named.group(1)), "model name"
    return None, "not known"


def fp32_peak(info: dict[str, str], capability: str, cores: int, clock: tuple[float | None, str]
              ) -> tuple[float | None, str]:
    """Estimated FP32 peak GFLOP/s: cores x clock (``clock_ghz``) x FLOPs per cycle for the vector ISA, and how
    it was counted."""
    per_cycle = FP32_FLOPS_PER_CYCLE.get(capability, 16)
    why = f"{capability}: 2 FMA units"
    if capability in ("AVX512", "AMX") and info.get("vendor_id") == "AuthenticAMD" and info.get("cpu family") == "25":
        per_cycle, why = 32, "AVX512 on AMD Zen 4 (family 25): 256-bit FMA units"
    ghz, source = clock
    siblings, physical = int(info.get("siblings", 1) or 1), int(info.get("cpu cores", 1) or 1)
    threads_per_core = max(1, siblings // max(1, physical))
    how = (f"{cores} cores / {threads_per_core} thread(s) per core x clock from {source} x {per_cycle} FP32 "
           f"FLOPs per cycle ({why}); an estimate: turbo (higher), AVX-512 downclocking and a host's "
           "other tenants (lower) are not counted")
    if ghz is None:
        return None, how
    return round(cores / threads_per_core * ghz * per_cycle, 1), how


def machine() -> dict[str, object]:
    """What the figures were measured on: enough to tell a slow machine from slow code.

    Two machines both called "AMD EPYC, 2 cores" differed fivefold (AVX2 only against AVX-512
    with BF16), so the CPU model, torch's vector ISA, the bf16 hardware and an FP32 peak go
    with every result.
    """
    info = cpuinfo()
    flags = set(info.get("flags", "").split())
    capability = torch.backends.cpu.get_cpu_capability()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    clock = clock_ghz(info)
    peak, how = fp32_peak(info, capability, cores, clock)
    return {"cpu": info.get("model name") or platform.processor() or platform.machine(),
            "cpu_capability": capability,
            "isa_flags": [f for f in ISA_FLAGS if f in flags],
            "bf16_native": bool(flags & {"avx512_bf16", "amx_bf16"}),
            "cores": cores, "torch_threads": torch.get_num_threads(),
            "clock_ghz": clock[0], "fp32_peak_gflops": peak, "fp32_peak_how": how,
            "torch": str(torch.__version__), "python": platform.python_version(),
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else "none"}


def describe_machine(info: dict) -> str:
    """One line naming the machine, saying "not recorded" for whatever an older result lacks."""
    def field(key: str, show: Callable[[object], str] = str) -> str:
        return show(info[key]) if info.get(key) is not None else "not recorded"

    if not info:
        return "machine not recorded"
    return (f"{field('cpu')}, vector ISA {field('cpu_capability')}, "
            f"bf16 native {field('bf16_native', lambda v: 'yes' if v else 'no')}, {field('cores')} cores, "
            f"FP32 peak {field('fp32_peak_gflops', lambda v: f'~{v:g} GFLOP/s')}, torch {field('torch')}, "
            f"GPU {field('gpu')}")


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
    print(f"\nMachine: {describe_machine(info)}")
    write_results(out, {"title": title, "command": command, "commit": git_commit(), "machine": info,
                        "rows": [asdict(r) for r in rows]})
    print(f"Wrote {out}")


def write_results(out: Path, result: dict) -> None:
    """Write one bench's result as JSON: the only writer of ``bench/results``, so every file has its machine."""
    if not isinstance(result.get("machine"), dict) or "cpu_capability" not in result["machine"]:
        raise ValueError("a bench result must carry machine() under 'machine'")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=_plain) + "\n")


def _plain(value: object) -> object:
    """numpy's scalars (what ``np.percentile`` and comparisons of its results give) as the Python numbers JSON takes."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def bench_parser(doc: str, name: str, quick: str, *, data_dir: bool = False) -> argparse.ArgumentParser:
    """The options every bench script shares: ``--quick`` (the smoke run CI does), ``--out`` (its JSON,
    ``bench/results/<name>.json``, which ``bench.report`` turns into a table in README or docs/) and, for the scripts
    that read MNIST themselves, ``--data-dir``. ``doc`` is the script's docstring: its first paragraph is the help."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {quick}")
    if data_dir:
        parser.add_argument("--data-dir", help="MNIST data root (default: $MNIST_DATA_DIR, else ./data)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / f"{name}.json",
                        help="where the results go (default: %(default)s)")
    return parser

"""What an idle app costs: CPU time and wake-ups of ``python app.py`` with no page open, then with one.

    python -m bench.idle            # 5 windows of 30 s each way (about 6 minutes)
    python -m bench.idle --quick    # 1 window of 5 s each way (smoke run)

A teacher's laptop runs the app all lesson, mostly waiting. This starts ``python app.py`` as a
teacher does, lets it settle, and reads the app process's CPU time (utime + stime in
``/proc/PID/stat``) over several windows with no page open, then again with one headless
chromium page open on the Draw tab (a class between drawings). For each thread it reads the CPU
time and the context switches (``/proc/PID/task/TID/status``): a thread that wakes every
millisecond shows a thousand a second, steadier than its CPU time on a busy machine. The table
quotes medians over the windows; a thread table follows, named by ``py-spy dump`` where py-spy is
installed and allowed (it needs root or ptrace rights), else by thread id. Linux only (``/proc``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Row, bench_parser, report
from tests.support.chromium import launch, open_page, wait_served
from tests.support.clients import free_port, start_app

#: Clock ticks per second, the unit of utime and stime in /proc.
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

#: What "near zero" means here: half a percent of a core, and fewer wake-ups than a 20 ms poll makes.
TARGET_MS_PER_S = 5.0
TARGET_WAKEUPS_PER_S = 50.0


@dataclass
class Sample:
    """CPU seconds and context switches of the process and of each of its threads, at one moment."""

    at: float
    cpu: float
    threads: dict[int, tuple[float, int]] = field(default_factory=dict)  # tid -> (CPU s, context switches)


def _ticks(stat: str) -> float:
    """utime + stime, in seconds, from a /proc ``stat`` line (fields after the command's closing parenthesis)."""
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _switches(status: str) -> int:
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(values["voluntary_ctxt_switches"]) + int(values["nonvoluntary_ctxt_switches"])


def sample(pid: int) -> Sample:
    """The process's and every live thread's CPU time and context switches now."""
    threads: dict[int, tuple[float, int]] = {}
    root = Path(f"/proc/{pid}")
    for task in root.joinpath("task").iterdir():
        try:
            threads[int(task.name)] = (_ticks((task / "stat").read_text()), _switches((task / "status").read_text()))
        except (OSError, KeyError, ValueError):  # the thread ended while it was read
            continue
    return Sample(time.monotonic(), _ticks((root / "stat").read_text()), threads)


def window(pid: int, seconds: float) -> dict[str, Any]:
    """The process's CPU ms per second, and each thread's CPU ms and wake-ups per second, over ``seconds``."""
    a = sample(pid)
    time.sleep(seconds)
    b = sample(pid)
    span = b.at - a.at
    per_thread = {}
    for tid, (cpu, switches) in b.threads.items():
        cpu0, switches0 = a.threads.get(tid, (0.0, 0))  # a thread born in the window counts from zero
        per_thread[tid] = {"ms_per_s": (cpu - cpu0) * 1000 / span, "wakeups_per_s": (switches - switches0) / span}
    return {"seconds": span, "ms_per_s": (b.cpu - a.cpu) * 1000 / span,
            "wakeups_per_s": sum(t["wakeups_per_s"] for t in per_thread.values()), "threads": per_thread}


def thread_names(pid: int) -> dict[int, str]:
    """Each Python thread's name and where it runs (its outermost frame outside ``threading``), by thread id.

    From ``py-spy dump --json --nonblocking``; empty where py-spy is missing or not allowed. A thread it does
    not list is not a Python thread (a native library's)."""
    if shutil.which("py-spy") is None:
        return {}
    try:
        out = subprocess.run(["py-spy", "dump", "--pid", str(pid), "--json", "--nonblocking"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        dumped = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}
    names = {}
    for thread in dumped:
        frames = [f for f in reversed(thread.get("frames", [])) if not f.get("filename", "").endswith("threading.py")]
        where = f" in {frames[0]['name']} ({frames[0].get('short_filename', '?')})" if frames else ""
        names[int(thread["os_thread_id"])] = f"{thread.get('thread_name') or 'thread'}{where}"
    return names


def summary(windows: list[dict[str, Any]], names: dict[int, str]) -> dict[str, Any]:
    """Medians over the windows: the process's CPU and wake-ups, and each thread's (0 in a window it was not in)."""
    tids = sorted({tid for w in windows for tid in w["threads"]})
    threads = []
    for tid in tids:
        seen = [w["threads"].get(tid, {"ms_per_s": 0.0, "wakeups_per_s": 0.0}) for w in windows]
        threads.append({"tid": tid, "name": names.get(tid, "not a Python thread (or no py-spy)"),
                        "ms_per_s": statistics.median(t["ms_per_s"] for t in seen),
                        "wakeups_per_s": statistics.median(t["wakeups_per_s"] for t in seen)})
    threads.sort(key=lambda t: (-t["wakeups_per_s"], -t["ms_per_s"]))
    return {"ms_per_s": statistics.median(w["ms_per_s"] for w in windows),
            "wakeups_per_s": statistics.median(w["wakeups_per_s"] for w in windows),
            "windows_ms_per_s": [round(w["ms_per_s"], 2) for w in windows], "threads": threads}


def phase(pid: int, windows: int, seconds: float) -> dict[str, Any]:
    measured = [window(pid, seconds) for _ in range(windows)]
    return summary(measured, thread_names(pid))


def rows_for(label: str, result: dict[str, Any], windows: int, seconds: float) -> list[Row]:
    ms, wakeups = result["ms_per_s"], result["wakeups_per_s"]
    over = f"median of {windows} × {seconds:g} s"
    return [Row(f"Idle, {label}: app process CPU", f"{ms:.1f} ms/s ({ms / 10:.2f} % of a core), {over}",
                f"<= {TARGET_MS_PER_S:g} ms/s", ms <= TARGET_MS_PER_S, numbers=result),
            Row(f"Idle, {label}: wake-ups of the app's threads", f"{wakeups:.0f}/s, {over}",
                f"<= {TARGET_WAKEUPS_PER_S:g}/s", wakeups <= TARGET_WAKEUPS_PER_S)]


def print_threads(label: str, result: dict[str, Any]) -> None:
    print(f"\nPer thread, {label} (medians):\n\n| thread | id | CPU ms/s | wake-ups/s |\n| --- | --- | --- | --- |")
    for t in result["threads"]:
        print(f"| {t['name']} | {t['tid']} | {t['ms_per_s']:.2f} | {t['wakeups_per_s']:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "idle", "one 5 s window each way")
    parser.add_argument("--windows", type=int, default=5, help="windows measured each way (default 5)")
    parser.add_argument("--seconds", type=float, default=30, help="length of a window (default 30 s)")
    parser.add_argument("--settle", type=float, default=10, help="seconds left alone before measuring (default 10)")
    args = parser.parse_args(argv)
    if not Path("/proc/self/stat").exists():
        parser.error("bench.idle reads /proc: it runs on Linux only")
    windows, seconds, settle = (1, 5.0, 3.0) if args.quick else (args.windows, args.seconds, args.settle)
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start_app(port, {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        wait_served(url, time.monotonic() + 180)
        time.sleep(settle)  # start-up's leftovers (imports, the first request's work) out of the windows
        alone = phase(proc.pid, windows, seconds)
        with sync_playwright() as p:
            browser = launch(p)
            open_page(browser, url, 1280, 800, timeout=120_000)
            time.sleep(settle)  # the page's first answer and pictures served
            with_page = phase(proc.pid, windows, seconds)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rows = (rows_for("no page open", alone, windows, seconds)
            + rows_for("one page open on the Draw tab", with_page, windows, seconds))
    report("An idle app" + (" (quick smoke run: figures not comparable)" if args.quick else ""), rows, args.out,
           "python -m bench.idle" + (" --quick" if args.quick else ""))
    print_threads("no page open", alone)
    print_threads("one page open on the Draw tab", with_page)
    return 0


if __name__ == "__main__":
    sys.exit(main())

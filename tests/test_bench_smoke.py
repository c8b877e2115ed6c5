"""The benchmark scripts run end to end in their quick modes (CI smoke; the figures are not judged here).

The full runs, whose figures go in the README, are ``python -m bench.speed``,
``python -m bench.flops``, ``python -m bench.app``, ``python -m bench.load``, ``python -m bench.profile_steps``,
``python -m bench.soak``, ``python -m bench.drawn``, ``python -m bench.teach``, ``python -m bench.browser`` and
``python -m bench.idle``, ``python -m bench.classroom`` and ``python -m bench.crowd_start``.
Every result names the machine it was measured on.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench.common import describe_machine, machine
from bench.speed import NO_GPU, gpu_figures

REPO = Path(__file__).resolve().parent.parent
BROWSER = pytest.mark.browser  # the benches that drive chromium


@pytest.mark.slow
@pytest.mark.parametrize("script,rows", [("speed", 4 + len(gpu_figures(""))), ("flops", 2), ("app", 3), ("load", 5),
                                         ("profile_steps", 6), ("soak", 2),
                                         ("drawn", 29),  # drawn: 4 models x 5 sets, not-sure x 2 x 2, 5 more
                                         ("teach", len({1, torch.get_num_threads()})),  # 2 drawings, 1 and all threads
                                         pytest.param("browser", 5, marks=BROWSER),  # quick: no whole run
                                         pytest.param("idle", 4, marks=BROWSER),  # CPU, wake-ups: no page / a page
                                         # classroom: recording, idle, 3 phones alone and training, pairs, teaching
                                         # (not run), no-op floor, 4 goal lines
                                         pytest.param("classroom", 11, marks=BROWSER)])
def test_bench_quick_mode_runs_and_writes_its_table(script: str, rows: int, tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / f"{script}.json"
    proc = subprocess.run([sys.executable, "-m", f"bench.{script}", "--quick", "--out", str(out)], cwd=REPO,
                          env={**os.environ, "MNIST_DATA_DIR": str(data_dir)}, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "| figure | measured | target | met |" in proc.stdout
    result = json.loads(out.read_text())
    assert len(result["rows"]) == rows and result["machine"]["cores"] >= 1
    assert result["machine"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert {"cpu", "bf16_native", "isa_flags", "fp32_peak_gflops", "fp32_peak_how"} <= set(result["machine"])
    assert all(row["value"] for row in result["rows"])
    gpu = [row for row in result["rows"] if row["figure"].startswith("GPU (")]
    if script == "speed" and not torch.cuda.is_available():  # said plainly, never left out or guessed
        assert len(gpu) == len(gpu_figures("")) and all(row["value"] == NO_GPU and row["met"] is None for row in gpu)
    if script == "classroom":
        check_classroom(result["rows"])


def check_classroom(rows: list[dict]) -> None:
    """The class bench replayed what the page sent, every phone was served without an error, and each figure the
    README's paragraph names is there (their values are not judged: the machine is shared)."""
    recorded = rows[0]["numbers"]["stroke"]
    assert recorded["events"] and all(e["fn_index"] is not None for e in recorded["events"])
    classes = [row["numbers"] for row in rows if row["numbers"] and "strokes" in row["numbers"]]
    assert len(classes) == 4  # alone, while training, identical pairs, no-op floor
    for figures in classes:
        assert figures["strokes"] > 0 and figures["errors"] == 0, figures["first_errors"]
        assert figures["unanswered"] == 0 and figures["answer_p95_ms"] is not None
        assert {"inside_p95_ms", "done_p95_ms", "app_cpu_ms_per_pad_event", "rss_peak_mb", "strokes_with_lost_picture",
                "event_streams_per_pad_event"} <= set(figures)
    alone, training, pairs, noop = classes
    assert alone["file_gets_per_stroke"] == recorded["files"]  # the phones fetched what the page fetched
    assert alone["inside_p95_ms"] is not None and alone["app_cpu_ms_per_pad_event_above_idle"] is not None
    assert training["training_ips"] > 0 and training["training_alone_ips"] > 0
    assert noop["app_cpu_ms_per_pad_event_above_idle"] is not None
    assert [row["met"] is not None for row in rows[-4:]] == [True] * 4  # the goal lines were measured


def test_machine_names_the_cpu_its_isa_bf16_and_a_peak() -> None:
    info = machine()
    assert info["cpu"] and info["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert isinstance(info["bf16_native"], bool) and info["cores"] >= 1
    if info["clock_ghz"]:  # cores x clock x FLOPs per cycle, at least SSE's 16 per cycle
        assert info["fp32_peak_gflops"] >= info["clock_ghz"] * 16 * 0.99
    line = describe_machine(info)
    assert info["cpu"] in line and str(info["cpu_capability"]) in line
    assert "not recorded" in describe_machine({"cpu": "AMD EPYC", "cores": 2})
    assert describe_machine({}) == "machine not recorded"


def test_every_bench_writes_its_json_through_the_common_report() -> None:
    """One writer (bench.common.write_results, via report) puts the machine in every result file."""
    for script in sorted((REPO / "bench").glob("*.py")):
        if script.name in ("common.py", "__init__.py", "report.py"):
            continue
        tree = ast.parse(script.read_text())
        names = {node.attr if isinstance(node, ast.Attribute) else node.id
                 for node in ast.walk(tree) if isinstance(node, ast.Attribute | ast.Name)}
        assert not names & {"write_text", "dump", "write_bytes"}, f"{script.name} writes a file itself"
        if '"--out"' in script.read_text():
            assert "report" in names, f"{script.name} takes --out but does not write it with bench.common.report"

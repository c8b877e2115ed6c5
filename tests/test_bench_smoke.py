"""The benchmark scripts run end to end in their quick modes (CI smoke; the figures are not judged here).

The full runs, whose figures go in the README, are ``python -m bench.speed``,
``python -m bench.app``, ``python -m bench.load``, ``python -m bench.profile_steps``, ``python -m bench.soak``
and ``python -m bench.drawn``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench.speed import NO_GPU, gpu_figures

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("script,rows", [("speed", 4 + len(gpu_figures(""))), ("app", 3), ("load", 5),
                                         ("profile_steps", 6), ("soak", 2),
                                         ("drawn", 29)])  # drawn: 4 models x 5 sets, not-sure x 2 x 2, 5 more
def test_bench_quick_mode_runs_and_writes_its_table(script: str, rows: int, tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / f"{script}.json"
    proc = subprocess.run([sys.executable, "-m", f"bench.{script}", "--quick", "--out", str(out)], cwd=REPO,
                          env={**os.environ, "MNIST_DATA_DIR": str(data_dir)}, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "| figure | measured | target | met |" in proc.stdout
    result = json.loads(out.read_text())
    assert len(result["rows"]) == rows and result["machine"]["cores"] >= 1
    assert all(row["value"] for row in result["rows"])
    gpu = [row for row in result["rows"] if row["figure"].startswith("GPU (")]
    if script == "speed" and not torch.cuda.is_available():  # said plainly, never left out or guessed
        assert len(gpu) == len(gpu_figures("")) and all(row["value"] == NO_GPU and row["met"] is None for row in gpu)

"""The README's benchmark tables are what ``bench/results/*.json`` say, each headed with its machine.

Tables copied by hand drifted from their JSON; ``python -m bench.report --readme`` writes them,
and this test fails when README.md and the JSON part ways (rerun that command to fix it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import README, ReadmeMarkersError, block, load_results, render, render_readme


def test_readme_tables_match_the_results_json() -> None:
    text = README.read_text()
    assert render_readme(text, load_results()) == text, \
        "README.md's benchmark tables differ from bench/results/*.json: run python -m bench.report --readme"


def result(machine: dict | None, value: str = "4.4 s") -> dict:
    return {"title": "Engine speed", "command": "python -m bench.speed", "commit": "abc1234",
            **({"machine": machine} if machine is not None else {}),
            "rows": [{"figure": "`fast` to 99%", "value": value, "target": "<= 10 s", "met": True, "note": ""}]}


def test_a_table_is_headed_with_its_machine_and_says_what_was_not_recorded() -> None:
    full = {"cpu": "AMD EPYC 9B14", "cpu_capability": "AVX512", "bf16_native": True, "cores": 2,
            "fp32_peak_gflops": 333.0, "torch": "2.15.0", "gpu": "none"}
    heading = render("speed", result(full)).split("\n")[0]
    assert "AMD EPYC 9B14" in heading and "vector ISA AVX512" in heading and "bf16 native yes" in heading
    older = render("speed", result({"cpu": "AMD EPYC", "cores": 2, "torch": "2.15.0"})).split("\n")[0]
    assert "vector ISA not recorded" in older and "bf16 native not recorded" in older and "AVX" not in older
    assert "machine not recorded" in render("speed", result(None)).split("\n")[0]


def test_regenerating_replaces_a_stale_table_and_keeps_a_list_items_indent() -> None:
    stale = "intro\n\n" + block("speed", result({}, "9.9 s")) + "\n\n- item:\n\n" + \
        block("speed2", result({}, "1 s"), "  ") + "\n\noutro\n"
    new = render_readme(stale, {"speed": result({}, "4.4 s"), "speed2": result({}, "2 s")})
    assert "4.4 s" in new and "9.9 s" not in new and new.startswith("intro\n\n") and new.endswith("outro\n")
    assert "  | `fast` to 99% | 2 s | <= 10 s | yes |" in new.split("\n")
    assert render_readme(new, {"speed": result({}, "4.4 s"), "speed2": result({}, "2 s")}) == new


def test_a_result_without_a_place_in_the_readme_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "speed.json").write_text(json.dumps(result({})))
    (tmp_path / "flops.json").write_text(json.dumps(result({})))
    results = load_results(tmp_path)
    with pytest.raises(ReadmeMarkersError, match="flops.json"):
        render_readme(block("speed", None), results)
    assert "Not measured yet" in render_readme(block("flops", None) + "\n" + block("speed", None), {})

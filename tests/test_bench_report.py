"""The benchmark tables of README.md and docs/ are what ``bench/results/*.json`` say, each headed with its machine.

Tables copied by hand drifted from their JSON; ``python -m bench.report --readme`` writes them,
and this test fails when a document and the JSON part ways (rerun that command to fix it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import (
    FIGURES,
    FIGURES_BEGIN,
    FIGURES_END,
    ReadmeMarkersError,
    block,
    documents,
    load_results,
    main,
    render,
    render_documents,
)


def test_the_readme_and_docs_tables_match_the_results_json() -> None:
    texts = {path: path.read_text() for path in documents()}
    assert any(path.parent.name == "docs" for path in texts), "docs/ holds the whole tables"
    stale = [path.name for path, text in render_documents(texts, load_results()).items() if text != texts[path]]
    assert not stale, f"the benchmark tables of {stale} differ from bench/results/*.json: " \
                      "run python -m bench.report --readme"


def result(machine: dict | None, value: str = "4.4 s", figure: str = "`fast` to 99%") -> dict:
    return {"title": "Engine speed", "command": "python -m bench.speed", "commit": "abc1234",
            **({"machine": machine} if machine is not None else {}),
            "rows": [{"figure": figure, "value": value, "target": "<= 10 s", "met": True, "note": "3 seeds"}]}


def test_a_table_is_headed_with_its_machine_and_says_what_was_not_recorded() -> None:
    full = {"cpu": "AMD EPYC 9B14", "cpu_capability": "AVX512", "bf16_native": True, "cores": 2,
            "fp32_peak_gflops": 333.0, "torch": "2.15.0", "gpu": "none"}
    heading = render("speed", result(full)).split("\n")[0]
    assert "AMD EPYC 9B14" in heading and "vector ISA AVX512" in heading and "bf16 native yes" in heading
    older = render("speed", result({"cpu": "AMD EPYC", "cores": 2, "torch": "2.15.0"})).split("\n")[0]
    assert "vector ISA not recorded" in older and "bf16 native not recorded" in older and "AVX" not in older
    assert "machine not recorded" in render("speed", result(None)).split("\n")[0]


def test_regenerating_replaces_a_stale_table_and_keeps_a_list_items_indent() -> None:
    doc = Path("docs/page.md")
    stale = "intro\n\n" + block("speed", result({}, "9.9 s")) + "\n\n- item:\n\n" + \
        block("speed2", result({}, "1 s"), "  ") + "\n\noutro\n"
    results = {"speed": result({}, "4.4 s"), "speed2": result({}, "2 s")}
    new = render_documents({doc: stale}, results)[doc]
    assert "4.4 s (3 seeds)" in new and "9.9 s" not in new and new.startswith("intro\n\n") and new.endswith("outro\n")
    assert "  | `fast` to 99% | 2 s (3 seeds) | <= 10 s | yes |" in new.split("\n")
    assert render_documents({doc: new}, results)[doc] == new


def test_every_result_has_exactly_one_place_in_the_readme_or_docs(tmp_path: Path) -> None:
    (tmp_path / "speed.json").write_text(json.dumps(result({})))
    (tmp_path / "flops.json").write_text(json.dumps(result({})))
    results = load_results(tmp_path)
    readme, page = Path("README.md"), Path("docs/benchmarks.md")
    with pytest.raises(ReadmeMarkersError, match="flops.json"):
        render_documents({readme: block("speed", None), page: "no table here\n"}, results)
    with pytest.raises(ReadmeMarkersError, match="speed is marked more than once"):
        render_documents({readme: block("speed", None), page: block("speed", None) + "\n" + block("flops", None)},
                         results)
    spread = render_documents({readme: block("speed", None), page: block("flops", None)}, results)
    assert "Engine speed" in spread[readme] and "Engine speed" in spread[page]
    assert "Not measured yet" in render_documents({page: block("flops", None) + "\n" + block("speed", None)},
                                                  {})[page]


def figures_results(machine: dict) -> dict[str, dict]:
    """A result for every file FIGURES picks from, holding exactly the rows it picks."""
    results: dict[str, dict] = {}
    for figure in FIGURES:
        rows = results.setdefault(figure.result, result(machine))["rows"]
        rows.append({"figure": figure.figure, "value": f"value of {figure.what}", "target": "", "met": None,
                     "note": "its note"})
    return results


def test_the_short_table_picks_its_rows_by_name_with_their_machine_and_a_link_to_the_whole_table() -> None:
    results = figures_results({"cpu": "AMD EPYC", "cpu_capability": "AVX512", "cores": 2})
    readme, page = Path("README.md"), Path("docs/benchmarks.md")
    texts = {readme: f"{FIGURES_BEGIN}\nstale\n{FIGURES_END}\n",
             page: "\n".join(block(name, None) for name in results)}
    table = render_documents(texts, results)[readme].split("\n")
    assert "stale" not in table and len(table) == len(FIGURES) + 5  # markers, heading, rule, rows, final newline
    first, teach = FIGURES[0], next(f for f in FIGURES if f.note)
    row = next(line for line in table if line.startswith(f"| {first.what} |"))
    assert f"value of {first.what} |" in row and "its note" not in row
    assert "| AMD EPYC, AVX512, 2 cores |" in row and f"[`{first.result}.json`](docs/benchmarks.md)" in row
    assert f"value of {teach.what} (its note)" in next(line for line in table if line.startswith(f"| {teach.what} |"))


def test_a_row_the_short_table_picks_but_its_result_lost_is_an_error() -> None:
    results = figures_results({})
    results[FIGURES[0].result]["rows"] = [row for row in results[FIGURES[0].result]["rows"]
                                          if row["figure"] != FIGURES[0].figure]
    texts = {Path("README.md"): f"{FIGURES_BEGIN}\n{FIGURES_END}\n" + "\n".join(block(n, None) for n in results)}
    with pytest.raises(ReadmeMarkersError, match="update FIGURES"):
        render_documents(texts, results)


def test_check_fails_on_a_stale_table_or_a_broken_marker_in_docs_and_readme_rewrites_it(tmp_path: Path) -> None:
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "bench" / "results" / "speed.json").write_text(json.dumps(result({}, "4.4 s")))
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "benchmarks.md"
    (tmp_path / "README.md").write_text("# The app\n")
    page.write_text(block("speed", result({}, "4.4 s")) + "\n")
    assert main(["--check"], root=tmp_path) == 0
    page.write_text(block("speed", result({}, "9.9 s")) + "\n")
    assert main(["--check"], root=tmp_path) == 1
    assert main(["--readme"], root=tmp_path) == 0 and "4.4 s" in page.read_text() and "9.9 s" not in page.read_text()
    assert main(["--check"], root=tmp_path) == 0
    page.write_text(page.read_text().replace("<!-- end bench/results/speed.json -->", ""))  # the table's end lost
    assert main(["--check"], root=tmp_path) == 2


def test_the_readme_stays_a_page_for_the_people_who_start_the_app() -> None:
    """At most 200 lines: the rest belongs in docs/, which the README links."""
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    lines = readme.read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move detail into docs/"

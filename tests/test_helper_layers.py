"""The tests' helpers are a layer of their own: ``tests/support/`` (shared with the benchmarks) imports nothing of
``bench/``, and a test imports ``bench`` only where it tests a benchmark, so a test never rests on a benchmark
script and a benchmark can change without breaking a test of the app."""

from __future__ import annotations

from pathlib import Path

from tests.test_layering import imports_of

TESTS = Path(__file__).resolve().parent
#: Tests of a benchmark itself (it runs, writes its table, replays a page as recorded), besides ``test_bench_*.py``.
BENCH_TESTS = {"test_crowd_start.py"}  # runs bench.crowd_start's crowd, smaller


def bench_imports(path: Path) -> list[str]:
    return sorted(name for name in imports_of(path) if name == "bench" or name.startswith("bench."))


def test_the_shared_helpers_import_nothing_of_the_benches() -> None:
    wrong = {path.name: bench_imports(path) for path in sorted((TESTS / "support").glob("*.py")) if bench_imports(path)}
    assert not wrong, f"tests/support imports bench: {wrong}"


def test_only_the_tests_of_a_benchmark_import_it() -> None:
    wrong = {path.name: bench_imports(path) for path in sorted(TESTS.glob("*.py"))
             if bench_imports(path) and not path.name.startswith("test_bench_") and path.name not in BENCH_TESTS}
    assert not wrong, f"move what these use into tests/support/: {wrong}"

"""A classroom at once: many visitors drawing while a model trains, and memory over many runs.

    python -m bench.load                 # 30 visitors for 60 s, then 1000 predictions and 5 training runs
    python -m bench.load --quick         # 3 visitors for 5 s, 100 predictions, 2 runs (CI smoke)

Everything goes to an app started on 127.0.0.1 by this script (``python app.py``), through
its public API with ``gradio_client``; every loop is bounded in count and time, and the app
is stopped at the end. Rows:

- visitors sending drawings to ``/predict`` continuously while one training runs, twice: flat
  out (each sends again the moment it is answered) and at drawing pace (one drawing a second
  each, ``--every``): errors, p50 and p95 latency, and the training's images/s against the same
  run without visitors;
- the app's resident memory after the first training run, and after N more predictions and
  training runs (each in its own session, started, stopped, then left): it must not keep growing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from gradio_client import Client

from bench.app import global_step, sketch_file, start_training
from bench.common import Row, bench_parser, percentile, report
from tests.support.clients import connect, free_port, new_client, rss_mb, sketch_value, start_app

#: The training that runs under load: the pytorch-example model, long enough to outlast the window.
TRAIN_ARGS = ("pytorch-example", "seed000", 3, 64, 1.0, 1)
BATCH = TRAIN_ARGS[3]
#: Seconds for the app to notice that a visitor left (their heartbeat stream closes) and free their session.
SETTLE = 3.0


def training_rate(client: Client, window: float, during=None) -> float:
    """Images/s of a training run over ``window`` seconds (after a warm-up), running ``during`` meanwhile."""
    job = start_training(client, *TRAIN_ARGS)
    time.sleep(2)  # past the first steps
    s0, t0 = global_step(job), time.monotonic()
    if during is not None:
        during()
    else:
        time.sleep(window)
    time.sleep(0.5)  # let the newest status arrive
    s1, t1 = global_step(job), time.monotonic()
    client.predict(api_name="/stop")
    job.result(timeout=120)
    return (s1 - s0) * BATCH / (t1 - t0)


def visitors(url: str, sketch: dict, count: int, seconds: float, every: float = 0.0) -> tuple[list[float], list[str]]:
    """``count`` visitors, each with their own session, predicting for ``seconds``, then leaving.

    ``every`` = 0: each sends its next drawing as soon as the last is answered (flat out).
    ``every`` > 0: each sends one drawing every ``every`` seconds, like a person drawing a stroke
    at a time (the Draw tab predicts on every stroke); start times are spread over one period.
    """
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def visitor(offset: float) -> None:
        client = new_client(url)
        due = time.monotonic() + offset
        try:
            while time.monotonic() < end:
                if every:
                    time.sleep(max(0.0, due - time.monotonic()))
                    due += every
                t0 = time.perf_counter()
                try:
                    client.predict(sketch, api_name="/predict")
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                except Exception as exc:  # every failure is counted and reported
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()  # the visitor leaves: their session ends

    threads = [threading.Thread(target=visitor, args=(every * i / count,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return latencies, errors


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_classroom(url: str, pid: int, sketch: dict, count: int, seconds: float, every: float) -> list[Row]:
    trainer = new_client(url)
    alone = training_rate(trainer, seconds)
    rows = []
    for pace in (0.0, every):
        result: dict[str, tuple] = {}

        def with_cpu_accounting(pace: float = pace, result: dict = result) -> None:
            app0, own0 = cpu_seconds(pid), sum(os.times()[:2])
            result["v"] = visitors(url, sketch, count, seconds, pace)
            result["cpu"] = (cpu_seconds(pid) - app0, sum(os.times()[:2]) - own0)

        loaded = training_rate(trainer, seconds, during=with_cpu_accounting)
        latencies, errors = result["v"]
        app_cpu, client_cpu = result["cpu"]
        n = max(len(latencies), 1)
        p50, p95 = percentile(latencies, 50) * 1e3, percentile(latencies, 95) * 1e3
        how = "flat out (each sends again as soon as answered)" if not pace else \
            f"at drawing pace (each sends one drawing every {pace:g} s)"
        rows += [
            Row(f"{count} visitors drawing for {seconds:.0f} s while one training runs, {how}",
                f"{len(latencies)} predictions, {len(errors)} errors, p50 {p50:.0f} ms, p95 {p95:.0f} ms",
                "0 errors, p95 <= 300 ms", not errors and p95 <= 300,
                note=(errors[0] + "; " if errors else "") + (
                    f"CPU per prediction: app {app_cpu / n * 1e3:.0f} ms (training included), "
                    f"visitors' clients {client_cpu / n * 1e3:.0f} ms; {n / seconds:.1f} predictions/s"),
                numbers={"every_s": pace, "predictions": len(latencies), "errors": len(errors), "p50_ms": p50,
                         "p95_ms": p95, "app_cpu_s": app_cpu, "client_cpu_s": client_cpu}),
            Row(f"training speed under that load (`pytorch-example`, batch 64), {'flat out' if not pace else 'paced'}",
                f"{loaded:,.0f} images/s vs {alone:,.0f} alone ({loaded / alone:.0%})", "keeps progressing",
                loaded > 0, numbers={"loaded_ips": loaded, "alone_ips": alone}),
        ]
    trainer.close()
    return rows


def bench_memory(url: str, pid: int, sketch: dict, predictions: int, runs: int) -> Row:
    def one_run() -> None:
        client = new_client(url)  # a new visitor: a new session
        job = start_training(client, *TRAIN_ARGS)
        time.sleep(1)
        client.predict(api_name="/stop")
        job.result(timeout=120)
        client.close()  # ... who then leaves: the app must free the model they trained

    def settled_rss() -> tuple[float, float]:
        time.sleep(SETTLE)  # the page-unload handlers of the sessions that just ended
        return rss_mb(pid)

    one_run()
    after_first, _ = settled_rss()
    client = new_client(url)
    for _ in range(predictions):
        client.predict(sketch, api_name="/predict")
    client.close()
    for _ in range(runs):
        one_run()
    after_all, peak = settled_rss()
    growth = after_all - after_first
    return Row(f"memory growth after {predictions} predictions and {runs} more training runs "
               "(each visitor starts, stops, then leaves)",
               f"{growth:+.0f} MB ({after_first:.0f} MB after the first run, {after_all:.0f} MB after all; "
               f"peak {peak:.0f} MB)", "< 50 MB", growth < 50,
               numbers={"after_first_mb": after_first, "after_all_mb": after_all, "peak_mb": peak})


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "load", "3 visitors for 5 s, fewer runs")
    parser.add_argument("--visitors", type=int, help="simultaneous visitors (default 30; quick: 3)")
    parser.add_argument("--seconds", type=float, help="how long they draw (default 60; quick: 5)")
    parser.add_argument("--every", type=float, default=1.0, metavar="S",
                        help="the paced run: each visitor sends one drawing every S seconds (default 1)")
    args = parser.parse_args(argv)
    count = args.visitors or (3 if args.quick else 30)
    seconds = args.seconds or (5.0 if args.quick else 60.0)
    folder = args.out.parent  # the sketch the visitors send is kept beside the results
    folder.mkdir(parents=True, exist_ok=True)
    sketch = sketch_value(sketch_file(folder))

    port = free_port()
    proc = start_app(port, {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        url = f"http://127.0.0.1:{port}/"
        connect(url)
        rows = bench_classroom(url, proc.pid, sketch, count, seconds, args.every)
        rows.append(bench_memory(url, proc.pid, sketch, 100 if args.quick else 1000, 2 if args.quick else 5))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report("Load through the API" + (" (quick smoke run)" if args.quick else ""), rows, args.out,
           "python -m bench.load" + (" --quick" if args.quick else ""))
    # Exit status: whether the app kept serving (no errors, training progressed). Latency and memory
    # figures are for reading in the table; timings are not pass/fail on a shared machine.
    classroom = [r.numbers for r in rows[:4]]
    served = all(c.get("errors", 0) == 0 and c.get("loaded_ips", 1) > 0 for c in classroom)
    return 0 if served else 1


if __name__ == "__main__":
    sys.exit(main())

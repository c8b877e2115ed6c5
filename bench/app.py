"""Benchmarks of the running app, measured through its public API like a visitor's browser.

    python -m bench.app            # the full run (about 2 minutes)
    python -m bench.app --quick    # a smoke run (CI)

Rows: ``python app.py`` until the first successful ``/predict``; ``/predict`` latency
against a no-op endpoint that takes the same sketch upload, both served by the same app
in the same run (so Gradio's own round trip is measured, not assumed); and the app's peak
memory while one training run goes on.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr
from gradio_client import Client

from bench.common import Row, bench_parser, percentile, report
from demo.server.limits import EVENT_CONCURRENCY
from tests.support.clients import STEP, connect, free_port, new_client, rss_mb, sketch_value, start_app
from tests.support.sketches import plain_digit


def sketch_file(folder: Path) -> Path:
    """A 7 drawn as the sketchpad sends it (:func:`tests.support.sketches.plain_digit`), 800x800 RGBA."""
    path = folder / "seven.png"
    plain_digit(7, width=30).save(path)
    return path


def wait_for_predict(url: str, sketch: dict[str, Any], deadline: float) -> float:
    """Poll until ``/predict`` answers; return the time it first did."""
    while time.monotonic() < deadline:
        try:
            new_client(url).predict(sketch, api_name="/predict")
            return time.monotonic()
        except Exception:  # not listening yet, or still starting: poll again
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer /predict in time")


def global_step(job) -> int | None:
    """The training's global step, read from the newest status line it streamed."""
    for output in reversed(job.outputs()):
        match = STEP.search(str(output[1])) if output else None
        if match:
            epoch, step, per_epoch = (int(g.replace(",", "")) for g in match.groups())
            return (epoch - 1) * per_epoch + step
    return None


def start_training(client: Client, *args: Any, timeout: float = 120):
    """Submit ``/train`` and return its job once it has streamed a training step (loading and queue behind it)."""
    job = client.submit(*args, api_name="/train")
    deadline = time.monotonic() + timeout
    while global_step(job) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"training did not start within {timeout:.0f} s: {job.outputs()[-1:]}")
        time.sleep(0.2)
    return job


def bench_startup(folder: Path, env: dict[str, str], runs: int) -> Row:
    sketch = sketch_value(sketch_file(folder))
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.monotonic()
        proc = start_app(port, env)
        try:
            times.append(wait_for_predict(f"http://127.0.0.1:{port}/", sketch, t0 + 120) - t0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    best = sorted(times)[len(times) // 2]
    return Row("`python app.py` until the first successful `/predict`",
               f"{best:.1f} s median of {runs} ({', '.join(f'{t:.1f}' for t in times)} s)", "<= 8 s", best <= 8,
               numbers={"seconds": times})


def bench_predict_vs_noop(folder: Path, n: int) -> Row:
    """``/predict`` and a no-op endpoint with the same input, served by one app, called alternately."""
    import app  # the module-level app, as `python app.py` serves it

    with gr.Blocks() as wrapper:
        app.demo.render()
        noop_in = gr.Sketchpad(visible=False, type="pil", image_mode="RGBA")
        noop_out = gr.Label(visible=False)
        gr.Button(visible=False).click(lambda sketch: {"0": 1.0}, noop_in, noop_out, api_name="noop")
    port = free_port()
    wrapper.queue(default_concurrency_limit=EVENT_CONCURRENCY).launch(
        server_port=port, prevent_thread_lock=True, quiet=True, **app.launch_options())
    try:
        client = new_client(f"http://127.0.0.1:{port}/")
        sketch = sketch_value(sketch_file(folder))
        for api in ("/predict", "/noop"):
            client.predict(sketch, api_name=api)  # warm-up
        times: dict[str, list[float]] = {"/predict": [], "/noop": []}
        for _ in range(n):
            for api in times:
                t0 = time.perf_counter()
                client.predict(sketch, api_name=api)
                times[api].append(time.perf_counter() - t0)
    finally:
        wrapper.close()
    p50 = {api: percentile(t, 50) * 1e3 for api, t in times.items()}
    extra = p50["/predict"] - p50["/noop"]
    return Row("`/predict` through the running app vs a no-op endpoint (same sketch upload)",
               f"p50 {p50['/predict']:.0f} ms vs no-op {p50['/noop']:.0f} ms: +{extra:.1f} ms "
               f"(p95 {percentile(times['/predict'], 95) * 1e3:.0f} ms), {n} calls each",
               "p50 <= no-op p50 + 20 ms", extra <= 20, numbers={"p50_ms": p50, "extra_ms": extra})


def bench_memory_while_training(env: dict[str, str], seconds: float) -> Row:
    port = free_port()
    proc = start_app(port, env)
    try:
        client = connect(f"http://127.0.0.1:{port}/")
        idle, _ = rss_mb(proc.pid)
        job = start_training(client, "pytorch-example", "seed000", 1, 64, 1.0, 1)
        samples = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(rss_mb(proc.pid)[0])
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        time.sleep(seconds)
        client.predict(api_name="/stop")
        job.result(timeout=120)
        stop.set()
        sampler.join()
        _, peak = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return Row("peak memory of the app while one training runs (`pytorch-example`, the largest model)",
               f"{peak:.0f} MB peak (idle {idle:.0f} MB, {seconds:.0f} s of training)", "<= 1.5 GB",
               peak <= 1536, numbers={"peak_mb": peak, "idle_mb": idle, "samples_mb": samples[-50:]})


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "app", "fewer repetitions")
    args = parser.parse_args(argv)
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    folder = args.out.parent  # the sketch the visitors send is kept beside the results
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        bench_startup(folder, env, 1 if args.quick else 3),
        bench_predict_vs_noop(folder, 10 if args.quick else 200),
        bench_memory_while_training(env, 5 if args.quick else 30),
    ]
    report("App" + (" (quick smoke run: figures not comparable)" if args.quick else ""), rows, args.out,
           "python -m bench.app" + (" --quick" if args.quick else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

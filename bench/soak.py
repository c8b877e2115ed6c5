"""Soak: does the app's memory or temporary folder keep growing as new visitors keep coming?

    python -m bench.soak            # 1,000 predictions and 100 reshuffles, each from a new session
    python -m bench.soak --quick    # 30 and 3 (CI smoke)

Starts ``python app.py`` (with its own, empty Gradio temporary folder) and sends, each from a
session never seen before, the way a new visitor's page does: predictions of drawings that are
all different (each one is a new upload), and every tenth time a Dataset reshuffle (25 new gallery
images in the temporary folder). Rows: the app's resident memory before and after (the session
state Gradio keeps is bounded by ``$MNIST_MAX_SESSIONS``, default 200), and the temporary folder
before, after, and once the cleanup has passed (``$MNIST_TEMP_MAX_AGE``, 600 s in production: the
soak sets ``--temp-max-age``, 60 s by default, so as not to wait ten minutes).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import Row, bench_parser, report
from demo.server.limits import DEFAULT_MAX_SESSIONS, MAX_SESSIONS_ENV, TEMP_MAX_AGE_ENV
from tests.support.clients import (
    connect,
    event_index,
    free_port,
    new_client,
    rss_mb,
    send_event,
    sketch_value,
    start_app,
)
from tests.support.sketches import plain_digit


def folder_mb(folder: Path) -> float:
    """Size of the files under ``folder`` in MB (the app's cleanup may delete some meanwhile)."""
    total = 0
    for root, _, names in os.walk(folder):  # walk skips folders that vanish
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total / 1e6


def drawing(path: Path, i: int) -> Path:
    """The i-th visitor's 7: 800 x 800 RGBA like the sketchpad, the strokes moved a little each time (a new upload)."""
    dx, dy = (i * 37) % 200 - 100, (i * 53) % 160 - 80
    plain_digit(7, width=30, shift=(dx / 800, dy / 800)).save(path)
    return path


def soak(url: str, pid: int, temp: Path, folder: Path, predictions: int, reshuffles: int) -> tuple[dict, int]:
    """Send the load; return the figures before and after, and how many calls failed."""
    client = new_client(url)
    shuffle = event_index(url, "reshuffle", "click")
    for i in range(10):  # warm-up: the first calls allocate what every later one reuses
        client.predict(sketch_value(drawing(folder / "visitor.png", i)), api_name="/predict")
    send_event(url, shuffle, [])
    before = {"rss_mb": rss_mb(pid)[0], "temp_mb": folder_mb(temp)}
    failures, every, trace = 0, max(1, predictions // max(reshuffles, 1)), []
    started = time.monotonic()
    for i in range(predictions):
        client.session_hash = uuid.uuid4().hex  # a new visitor
        try:
            result = client.predict(sketch_value(drawing(folder / "visitor.png", i)), api_name="/predict")
            failures += result.get("label") != "7"
        except Exception:  # counted, and the soak goes on
            failures += 1
        if (i + 1) % every == 0 and (i + 1) // every <= reshuffles:
            failures += not send_event(url, shuffle, []).get("success")
        if (i + 1) % max(1, predictions // 10) == 0:
            trace.append(round(rss_mb(pid)[0] - before["rss_mb"], 1))
    after_rss, peak = rss_mb(pid)
    after = {"rss_mb": after_rss, "peak_mb": peak, "temp_mb": folder_mb(temp),
             "seconds": time.monotonic() - started, "growth_every_tenth_mb": trace}
    client.close()
    return {"before": before, "after": after}, failures


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "soak", "30 predictions, 3 reshuffles")
    parser.add_argument("--temp-max-age", type=int, metavar="S",
                        help=f"the app's ${TEMP_MAX_AGE_ENV} for this run (default 60; quick: 5)")
    args = parser.parse_args(argv)
    predictions, reshuffles = (30, 3) if args.quick else (1000, 100)
    age = args.temp_max_age or (5 if args.quick else 60)
    with tempfile.TemporaryDirectory(prefix="mnist-soak-") as work:
        folder, temp = Path(work), Path(work) / "gradio-tmp"  # the app's own, empty, temporary folder
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(temp),
               TEMP_MAX_AGE_ENV: str(age)}
        env.pop(MAX_SESSIONS_ENV, None)  # the production limit on sessions
        port = free_port()
        proc = start_app(port, env)
        try:
            url = f"http://127.0.0.1:{port}/"
            connect(url)
            figures, failures = soak(url, proc.pid, temp, folder, predictions, reshuffles)
            time.sleep(2 * min(60, age) + 1)  # the cleanup runs every min(60, age) s, removing files older than age
            figures["cleaned"] = {"temp_mb": folder_mb(temp), "rss_mb": rss_mb(proc.pid)[0]}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    before, after, cleaned = figures["before"], figures["after"], figures["cleaned"]
    growth = after["rss_mb"] - before["rss_mb"]
    calls = f"{predictions:,} predictions and {reshuffles} Dataset reshuffles, each from a new session"
    rows = [
        Row(f"app memory over {calls}",
            f"{growth:+.0f} MB ({before['rss_mb']:.0f} → {after['rss_mb']:.0f} MB; peak {after['peak_mb']:.0f} MB; "
            f"{after['seconds']:.0f} s, {failures} failed)", "< 50 MB", growth < 50 and not failures,
            note=f"growth after each tenth: {', '.join(f'{g:+.0f}' for g in after['growth_every_tenth_mb'])} MB; "
                 f"Gradio keeps the state of {DEFAULT_MAX_SESSIONS} sessions at most",
            numbers={**figures, "failures": failures}),
        Row("Gradio's temporary folder over the same load",
            f"{before['temp_mb']:.1f} MB before, {after['temp_mb']:.1f} MB after, {cleaned['temp_mb']:.1f} MB once "
            f"the cleanup has passed", "back under 1 MB once the cleanup has passed", cleaned["temp_mb"] < 1,
            note=f"files older than {age} s are deleted; 600 s in production",
            numbers={"temp_max_age_s": age}),
    ]
    report("Soak" + (" (quick smoke run)" if args.quick else ""), rows, args.out,
           "python -m bench.soak" + (" --quick" if args.quick else ""))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

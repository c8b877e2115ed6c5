"""A whole class drawing at once on the Draw tab's own path: N phones replaying what a real page sends.

    python -m bench.classroom                     # 10, 30 and 60 phones, 30 s each (about 10 minutes)
    python -m bench.classroom --phones 30 --seconds 60
    python -m bench.classroom --quick             # 3 phones for 5 s (CI smoke)

Named ``classroom``: ``python -m bench.class`` would read better, but ``class`` is a Python
keyword, so a module of that name cannot be imported.

First the Draw tab is opened once in headless chromium and one stroke is drawn (and Clear
pressed): what the page sent is kept (:mod:`bench.page_recording`) and replayed by simulated
phones (:mod:`bench.phones`), each its own session, event stream and drawings
(:mod:`bench.phone_drawings`), at a class's pace: a digit of one or two strokes, then a pause of
2-4 s (seeded). Nothing about the tab's events is assumed: which events a stroke sends, and how
they chain, come from the recording and ``/config``. Everything goes to the app started here on
127.0.0.1 (``python app.py``); every loop is bounded in count and time; the apps are stopped at the end.

For each number of phones: the class alone (server CPU per stroke above the idle app's floor,
measured once, over the same length, before the first class), the class while one training run goes (its images/s
against the same run alone), and the same phones against a tiny Gradio app of the same version
whose one queued event does nothing (the floor any event costs). At the goal's size, also pairs
of phones sending byte-identical drawings at the same moment, and a teaching run
(``/add_example`` twice, then ``/teach``) while the class draws. The goal lines say whether 30
phones while a run trains get the answer within 300 ms and the inside views within 600 ms at
p95, with no error and the training at least half as fast as alone.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import REPO, Row, bench_parser, percentile, report
from bench.load import SETTLE, cpu_seconds, training_rate
from bench.page_recording import PAD_ID, Action, Page, Recording, record
from bench.phone_drawings import phone_drawings
from bench.phones import PadEvent, Phone, Script
from tests.support.chromium import wait_served
from tests.support.clients import connect, free_port, new_client, rss_mb, sketch_value, start_app

#: The goal: this many phones while a run trains.
GOAL_PHONES, GOAL_ANSWER_MS, GOAL_INSIDE_MS, GOAL_TRAINING = 30, 300, 600, 0.5
#: A class's pace: drawing a stroke takes 0.6-1.2 s, a pause of 2-4 s follows each digit; phones start
#: within the first 3 s. Clear (``--clear``) comes 0.3 s before the next digit's first stroke.
STROKE_S, PAUSE_S, START_S, CLEAR_S = (0.6, 1.2), (2.0, 4.0), 3.0, 0.3
#: One phone draws this long before anything is measured: long enough for at least one stroke.
WARM_UP_S = START_S + STROKE_S[1] + 1.0
#: The most a class may go on (the teaching scenario waits for its run), and the most phones.
MAX_CLASS_S, MAX_PHONES = 600.0, 200


# --- the class ---------------------------------------------------------------------------------------------
def timeline(seed: int, digits: list[list[str]], clear: bool) -> Iterator[tuple[float, str, str | None]]:
    """A phone's pad events, endless (bounded by whoever reads it): (seconds from the start, kind, drawing)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, START_S)
    for k in range(10**6):
        if clear and k:
            yield t, "clear", None
            t += CLEAR_S
        for png in digits[k % len(digits)]:
            t += rng.uniform(*STROKE_S)
            yield t, "stroke", png
        t += rng.uniform(*PAUSE_S)


@dataclass
class ClassRun:
    """What a class did: every pad event, the phones' own errors, and the server's cost meanwhile."""

    events: list[PadEvent]
    phone_errors: list[str]
    streams: int
    retries: int
    wall: float
    app_cpu: float
    client_cpu: float
    rss_peak_mb: float
    extra: dict[str, Any] = field(default_factory=dict)


#: Each phone's drawings, painted once per run of the bench (about 15 ms each) and reused by every class.
_drawings = functools.cache(phone_drawings)


def drawings_for(phones: int, seconds: float, identical: bool) -> list[list[list[str]]]:
    """Each phone's digits (pairs share theirs when ``identical``); about enough for ``seconds``, then repeated."""
    digits = int(seconds / 3) + 2
    seeds = [(i // 2 if identical else i) + (10_000 if identical else 0) for i in range(phones)]
    return [_drawings(s, digits) for s in seeds]


async def _class(base: str, script: Script, pid: int, drawings: list[list[list[str]]], seeds: list[int],
                 keep_going: Callable[[float], bool], clear: bool) -> ClassRun:
    crowd = [Phone(i, base, script) for i in range(len(drawings))]
    held = [await phone.arrive() for phone in crowd]
    peak = [0.0]

    async def sample_rss() -> None:
        while True:
            peak[0] = max(peak[0], rss_mb(pid)[0])
            await asyncio.sleep(0.5)

    async def draw(phone: Phone, seed: int) -> list[PadEvent]:
        sent: list[asyncio.Task] = []
        for at, kind, png in timeline(seed, drawings[phone.index], clear):
            if not keep_going(at) or at > MAX_CLASS_S:
                break
            await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
            sent.append(asyncio.create_task(phone.act(kind, png, start + at)))
        return list(await asyncio.gather(*sent))

    sampler = asyncio.create_task(sample_rss())
    app0, own0, start = cpu_seconds(pid), sum(os.times()[:2]), time.perf_counter()
    per_phone = await asyncio.gather(*(draw(p, s) for p, s in zip(crowd, seeds, strict=True)))
    run = ClassRun([e for batch in per_phone for e in batch], [], 0, 0, time.perf_counter() - start,
                   cpu_seconds(pid) - app0, sum(os.times()[:2]) - own0, 0.0)
    sampler.cancel()
    await asyncio.gather(sampler, return_exceptions=True)
    for phone, h in zip(crowd, held, strict=True):
        await phone.leave(h)
    run.phone_errors = [e for p in crowd for e in p.errors]
    run.streams, run.retries, run.rss_peak_mb = sum(p.streams for p in crowd), sum(p.retries for p in crowd), peak[0]
    return run


def run_class(base: str, script: Script, pid: int, phones: int, seconds: float, *, identical: bool = False,
              clear: bool = False, keep_going: Callable[[float], bool] | None = None) -> ClassRun:
    """``phones`` phones drawing for ``seconds`` (or while ``keep_going(elapsed)``), the app's CPU counted meanwhile
    (from the first phone's start until the last one's last event has ended)."""
    drawings = drawings_for(phones, seconds, identical)  # painted before the clock starts
    seeds = [(i // 2 if identical else i) for i in range(phones)]  # a pair keeps the same time too
    # The phones' event loop runs in a thread of its own: the caller's may be running one already (Playwright's sync
    # API keeps one in the tests' process once a browser test has opened a page).
    with ThreadPoolExecutor(max_workers=1) as loop_thread:
        run = loop_thread.submit(asyncio.run, _class(base, script, pid, drawings, seeds,
                                                     keep_going or (lambda t: t < seconds), clear)).result()
    time.sleep(SETTLE)  # the phones' sessions end (their heartbeat streams closed) before anything else is measured
    return run


def idle_cpu(pid: int, seconds: float) -> float:
    """The app's CPU seconds per second with nobody connected, over ``seconds``."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def _ms(values: list[float], q: float) -> float | None:
    return float(percentile(values, q) * 1e3) if values else None


def summarize(run: ClassRun, idle_rate: float | None) -> dict[str, Any]:
    """The figures of a class: latencies of strokes, errors by kind, CPU per pad event."""
    strokes = [e for e in run.events if e.kind == "stroke" and not e.superseded]
    answered = [e.answer - e.pen_up for e in strokes if e.answer is not None]
    inside = [e.inside - e.pen_up for e in strokes if e.inside is not None]
    done = [e.done - e.pen_up for e in strokes if e.done is not None and not e.errors]
    errors = [msg for e in run.events for msg in e.errors] + run.phone_errors
    lost = sum(any(m.startswith(("file", "lost")) for m in e.errors) for e in run.events)
    sent = len([e for e in run.events if not e.superseded])
    above = None if idle_rate is None else run.app_cpu - idle_rate * run.wall
    fmt = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {
        "strokes": len(strokes), "pad_events": sent, "seconds": round(run.wall, 1),
        "strokes_per_s": round(len(strokes) / run.wall, 2) if run.wall else 0,
        "answer_p50_ms": fmt(_ms(answered, 50)), "answer_p95_ms": fmt(_ms(answered, 95)),
        "inside_p50_ms": fmt(_ms(inside, 50)), "inside_p95_ms": fmt(_ms(inside, 95)),
        "done_p50_ms": fmt(_ms(done, 50)), "done_p95_ms": fmt(_ms(done, 95)),
        "unanswered": len(strokes) - len(answered),
        "inside_not_sent": sum(1 for e in strokes if not e.inside_wanted or e.dropped),
        "errors": len(errors), "error_kinds": dict(Counter(m.split(":")[0] for m in errors)),
        "first_errors": errors[:5], "strokes_with_lost_picture": lost,
        "superseded": sum(e.superseded for e in run.events),
        "file_gets_per_stroke": round(sum(e.files for e in strokes) / max(len(strokes), 1), 2),
        "event_streams_per_pad_event": round(run.streams / max(sent, 1), 2),
        "stale_connection_retries": run.retries,
        "app_cpu_s": round(run.app_cpu, 2), "idle_cpu_per_s": None if idle_rate is None else round(idle_rate, 4),
        "app_cpu_ms_per_pad_event": round(run.app_cpu / max(sent, 1) * 1e3, 1),
        "app_cpu_ms_per_pad_event_above_idle": None if above is None else round(above / max(sent, 1) * 1e3, 1),
        "client_cpu_ms_per_pad_event": round(run.client_cpu / max(sent, 1) * 1e3, 1),
        "phones_late_p95_ms": fmt(_ms([e.late for e in run.events], 95)),
        "rss_peak_mb": round(run.rss_peak_mb, 1), **run.extra,
    }


def latency_text(n: dict[str, Any]) -> str:
    def pair(name: str) -> str:
        p50, p95 = n[f"{name}_p50_ms"], n[f"{name}_p95_ms"]
        return "none" if p50 is None else f"p50 {p50:.0f} ms, p95 {p95:.0f} ms"

    kinds = ", ".join(f"{k} x{v}" for k, v in n["error_kinds"].items())
    return (f"{n['strokes']} strokes ({n['strokes_per_s']:g}/s): answer {pair('answer')}; "
            f"inside views {pair('inside')}; {n['errors']} errors" + (f" ({kinds})" if kinds else ""))


def cpu_text(n: dict[str, Any]) -> str:
    above = n["app_cpu_ms_per_pad_event_above_idle"]
    return (f"server CPU {above:.1f} ms per pad event above idle ({n['app_cpu_ms_per_pad_event']:.1f} ms raw); "
            f"the phones' client {n['client_cpu_ms_per_pad_event']:.1f} ms; RSS peak {n['rss_peak_mb']:.0f} MB")


# --- the no-op floor -----------------------------------------------------------------------------------------
def serve_noop(port: int) -> None:
    """A tiny Gradio app of the same version: one queued event that does nothing, fed the same drawing."""
    import gradio as gr

    from demo.server.limits import EVENT_CONCURRENCY

    with gr.Blocks() as noop:
        pad = gr.JSON(elem_id=PAD_ID)
        answer = gr.Textbox(elem_id="prediction")
        pad.change(lambda drawing: "", pad, answer, concurrency_limit=EVENT_CONCURRENCY, show_progress="hidden")
    noop.queue().launch(server_name="127.0.0.1", server_port=port, quiet=True)


def noop_script(config: dict[str, Any], page_recording: Recording) -> Script:
    """The no-op app's stroke: its one event, with the drawing where the pad goes; loading holds the page's streams
    open as the page does (the page's own load events are the app's, which the no-op app has none of)."""
    page = Page.of(config)
    pad = page.component(PAD_ID)
    events = [{"data": [None] * len(d.inputs), "event_data": None, "fn_index": d.id, "trigger_id": pad}
              for d in page.deps.values() if d.trigger_after is None and pad in d.inputs]
    stroke = Action(events=events, direct=[None] * len(events))
    load = Action(held=list(page_recording.load.held))
    rec = Recording(load, stroke, stroke, page_recording.pad_value, "", page_recording.viewport)
    return Script(page, rec)


def start_noop(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.classroom", "--serve-noop", str(port)], cwd=REPO,
                            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- teaching --------------------------------------------------------------------------------------------------
def teach_seconds(url: str, folder: Path) -> tuple[float, str]:
    """A visitor keeps two drawings as examples and presses Teach: the seconds ``/teach`` takes, and its status."""
    from tests.support.sketches import CROSS, plain_strokes

    client = new_client(url)
    try:
        for i, shift in enumerate([(0.0, 0.0), (0.05, 0.03)]):
            path = folder / f"cross-{i}.png"
            plain_strokes(CROSS, shift=shift).save(path)
            client.predict(sketch_value(path), 4, api_name="/add_example")
        t0 = time.perf_counter()
        status = client.predict(None, api_name="/teach")[0]
        return time.perf_counter() - t0, str(status).splitlines()[0][:120]
    finally:
        client.close()


# --- the run ---------------------------------------------------------------------------------------------------
@dataclass
class Plan:
    phones: list[int]
    seconds: float
    goal: int
    train: bool
    teach: bool
    identical: bool
    noop: bool
    clear: bool
    quick: bool
    viewport: tuple[int, int] = (1280, 800)


def goal_rows(plan: Plan, at_goal: dict[str, Any] | None) -> list[Row]:
    """The goal, line by line: 30 phones while a run trains."""
    what = f"{plan.goal} phones while a run trains" + (" (quick smoke run, not the goal's 30)" if plan.quick else "")
    if at_goal is None:
        why = f"not measured ({plan.goal} phones not in --phones, or --no-train)"
        return [Row(f"Goal, {what}: {f}", why, t, None) for f, t in
                [("stroke → answer p95", f"<= {GOAL_ANSWER_MS} ms"),
                 ("stroke → inside views p95", f"<= {GOAL_INSIDE_MS} ms"),
                 ("errors and lost pictures", "0"), ("training speed", f">= {GOAL_TRAINING:.0%} of alone")]]
    answer, inside, ratio = at_goal["answer_p95_ms"], at_goal["inside_p95_ms"], at_goal["training_ratio"]
    return [
        Row(f"Goal, {what}: stroke → answer p95", f"{answer:.0f} ms" if answer is not None else "no answer",
            f"<= {GOAL_ANSWER_MS} ms", answer is not None and answer <= GOAL_ANSWER_MS),
        Row(f"Goal, {what}: stroke → inside views p95",
            f"{inside:.0f} ms" if inside is not None else "no inside views sent", f"<= {GOAL_INSIDE_MS} ms",
            inside is not None and inside <= GOAL_INSIDE_MS),
        Row(f"Goal, {what}: errors and lost pictures",
            f"{at_goal['errors']} errors, {at_goal['strokes_with_lost_picture']} strokes with a lost picture", "0",
            at_goal["errors"] == 0 and at_goal["strokes_with_lost_picture"] == 0),
        Row(f"Goal, {what}: training speed", f"{ratio:.0%} of alone", f">= {GOAL_TRAINING:.0%} of alone",
            ratio >= GOAL_TRAINING),
    ]


def bench_app(plan: Plan, folder: Path) -> tuple[list[Row], dict[str, Any] | None, Recording]:
    """Everything measured on the app itself: recording, idle floor, the classes, identical pairs, teaching."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start_app(port, {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        wait_served(url, time.monotonic() + 180)
        recording = record(url, plan.viewport)
        page = Page.of(httpx.get(url + "config", timeout=60).json())
        script = Script(page, recording)
        run_class(url, script, proc.pid, 1, WARM_UP_S)  # the first strokes load what later ones reuse
        idle = idle_cpu(proc.pid, plan.seconds)
        rows = [Row(f"What the page sends (recorded once in headless chromium, {recording.viewport[0]} × "
                    f"{recording.viewport[1]})", recording.describe(page), "reported", None,
                    numbers={"load": recording.load.summary(page), "stroke": recording.stroke.summary(page),
                             "clear": recording.clear.summary(page), "sent_by_page": recording.sent_by_page(page)}),
                Row("Idle app: CPU with nobody connected", f"{idle * 1e3:.0f} ms per second over {plan.seconds:.0f} s",
                    "reported", None, numbers={"cpu_per_s": idle})]
        trainer = connect(url) if plan.train else None
        alone = training_rate(trainer, plan.seconds) if trainer else None
        at_goal = None
        for n in plan.phones:
            s = summarize(run_class(url, script, proc.pid, n, plan.seconds, clear=plan.clear), idle)
            rows.append(Row(f"{n} phones drawing for {plan.seconds:.0f} s, nothing else running",
                            latency_text(s), "0 errors", s["errors"] == 0, note=cpu_text(s), numbers=s))
            if trainer is None:
                continue
            result: dict[str, ClassRun] = {}
            loaded = training_rate(trainer, plan.seconds, during=lambda n=n, result=result: result.update(
                run=run_class(url, script, proc.pid, n, plan.seconds, clear=plan.clear)))
            s = {**summarize(result["run"], None), "training_ips": loaded, "training_alone_ips": alone,
                 "training_ratio": loaded / alone if alone else 0.0}
            rows.append(Row(f"{n} phones drawing while one training run goes (`pytorch-example`, batch 64)",
                            latency_text(s), "0 errors", s["errors"] == 0,
                            note=f"training {loaded:,.0f} images/s vs {alone:,.0f} alone ({s['training_ratio']:.0%}); "
                                 f"RSS peak {s['rss_peak_mb']:.0f} MB", numbers=s))
            if n == plan.goal:
                at_goal = s
        if trainer is not None:
            trainer.close()
        pairs = max(2, plan.goal) // 2 * 2
        if plan.identical:
            s = summarize(run_class(url, script, proc.pid, pairs, plan.seconds, identical=True, clear=plan.clear), idle)
            rows.append(Row(f"{pairs // 2} pairs of phones, each pair sending byte-identical drawings at once",
                            f"{s['errors']} errors, {s['strokes_with_lost_picture']} of {s['pad_events']} pad events "
                            f"with a lost picture or connection; {latency_text(s)}", "0 errors",
                            s["errors"] == 0, numbers=s))
        else:
            rows.append(Row("Pairs of phones sending byte-identical drawings", "not run (--no-identical)", "0 errors",
                            None))
        rows.append(bench_teaching(plan, url, script, proc.pid, folder))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rows, at_goal, recording


def bench_teaching(plan: Plan, url: str, script: Script, pid: int, folder: Path) -> Row:
    """One teaching run alone, then one while ``plan.goal`` phones draw (the class goes on until it has ended);
    a first run before them is not counted (it measures the base model on MNIST, once per app)."""
    what = f"A teaching run (`/add_example` × 2, then `/teach`) while {plan.goal} phones draw"
    if not plan.teach:
        return Row(what, "not run" + (" (--quick)" if plan.quick else " (--no-teach)"), "reported", None)
    teach_seconds(url, folder)  # the first run also measures the base model on MNIST once, kept for later runs
    alone, status = teach_seconds(url, folder)
    taught: dict[str, Any] = {}
    finished = threading.Event()

    def teach() -> None:
        try:
            taught["seconds"], taught["status"] = teach_seconds(url, folder)
        except Exception as exc:  # reported in the row, the class goes on
            taught["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            finished.set()

    worker = threading.Thread(target=teach, daemon=True)
    worker.start()
    s = summarize(run_class(url, script, pid, plan.goal, plan.seconds, clear=plan.clear,
                            keep_going=lambda t: t < plan.seconds or not finished.is_set()), None)
    worker.join(MAX_CLASS_S)
    s.update(teach_alone_s=alone, teach_with_class_s=taught.get("seconds"), teach_status=taught.get("status", status),
             teach_error=taught.get("error"))
    value = (f"teaching {taught['seconds']:.1f} s vs {alone:.1f} s alone" if "seconds" in taught
             else f"teaching failed: {taught.get('error')}") + f"; the class meanwhile: {latency_text(s)}"
    return Row(what, value, "0 errors", s["errors"] == 0 and "error" not in taught, numbers=s)


def bench_noop(plan: Plan, recording: Recording) -> list[Row]:
    """The same phones against the no-op app: what any queued Gradio event costs here."""
    if not plan.noop:
        return [Row("No-op event floor", "not run (--no-noop)", "reported", None)]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start_noop(port)
    rows = []
    try:
        wait_served(url, time.monotonic() + 120)
        script = noop_script(httpx.get(url + "config", timeout=60).json(), recording)
        run_class(url, script, proc.pid, 1, WARM_UP_S)
        idle = idle_cpu(proc.pid, plan.seconds)
        for n in plan.phones:
            s = summarize(run_class(url, script, proc.pid, n, plan.seconds, clear=plan.clear), idle)
            rows.append(Row(f"No-op event floor: the same {n} phones against a one-event Gradio app that does nothing",
                            f"{s['app_cpu_ms_per_pad_event_above_idle']:.1f} ms of server CPU per event above idle "
                            f"(idle {idle * 1e3:.0f} ms/s); {latency_text(s)}", "reported", None, numbers=s))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rows


def phone_counts(text: str) -> list[int]:
    """``--phones 10,30,60``."""
    return [int(x) for x in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "classroom", "3 phones for 5 s, no teaching run")
    parser.add_argument("--phones", type=phone_counts,
                        help="numbers of phones, comma-separated (default 10,30,60; quick: 3)")
    parser.add_argument("--seconds", type=float, help="how long each class draws (default 30; quick: 5)")
    parser.add_argument("--clear", action="store_true", help="press Clear before each digit after the first")
    parser.add_argument("--viewport", default="1280x800", metavar="WxH",
                        help="the page recorded at this size (default %(default)s; a phone: 390x844)")
    for name, what in [("train", "the classes while a training run goes"), ("teach", "the teaching run"),
                       ("identical", "the pairs sending identical drawings"), ("noop", "the no-op event floor")]:
        parser.add_argument(f"--no-{name}", action="store_true", help=f"skip {what}")
    parser.add_argument("--serve-noop", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_noop:
        serve_noop(args.serve_noop)
        return 0
    phones = args.phones or ([3] if args.quick else [10, 30, 60])
    if not all(1 <= n <= MAX_PHONES for n in phones):
        parser.error(f"--phones: each between 1 and {MAX_PHONES}")
    seconds = args.seconds or (5.0 if args.quick else 30.0)
    if not 1 <= seconds <= MAX_CLASS_S:
        parser.error(f"--seconds: between 1 and {MAX_CLASS_S:.0f}")
    try:
        viewport = tuple(int(v) for v in args.viewport.lower().split("x"))
    except ValueError:
        viewport = ()
    if len(viewport) != 2 or not all(200 <= v <= 4000 for v in viewport):
        parser.error("--viewport: width x height in pixels, e.g. 390x844")
    goal = phones[0] if args.quick else GOAL_PHONES
    plan = Plan(phones, seconds, goal, not args.no_train, not (args.no_teach or args.quick), not args.no_identical,
                not args.no_noop, args.clear, args.quick, viewport)
    with tempfile.TemporaryDirectory() as folder:
        rows, at_goal, recording = bench_app(plan, Path(folder))
    rows += bench_noop(plan, recording)
    rows += goal_rows(plan, at_goal)
    report("A class on the Draw tab's page path" + (" (quick smoke run: figures not comparable)" if args.quick else ""),
           rows, args.out, "python -m bench.classroom" + (" --quick" if args.quick else ""))
    # Exit status: whether every phone was served without an error; timings are for reading, not pass/fail here.
    return 0 if all((r.numbers or {}).get("errors", 0) == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

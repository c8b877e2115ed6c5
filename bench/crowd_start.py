"""Start pressed by a whole class: every run finishes or is stopped, in queue order, and nothing is left behind.

    python -m bench.crowd_start            # 30 visitors
    python -m bench.crowd_start --quick    # 8 visitors (CI smoke)

The app is built as ``app.py`` builds it and served from a child process (so that its memory
is its own and its record of sessions can be read), on the first 4,800 training and 1,000
test images of MNIST, so that a ``fast`` run takes a second or two and thirty of them fit in
a couple of minutes on two cores. Runs go one at a time (the app's default).

Each visitor is a simulated page (:class:`Page`: its own session, heartbeat and event stream,
the requests the page sends) that presses Start: it asks for the queue estimate
(``/queue_wait``, outside the queue) and joins the queue (``/train``). They join one after
another, as fast as the queue takes them. Then, by turn, a visitor lets its run finish,
presses Stop once it trains, closes the page while it trains, or closes the page while still
queued. Rows:

- every run finished or was stopped, and every page closed ended its run or left the queue;
- the runs started in the order they joined the queue, and no page that left it ever trained;
- no visitor was stuck: each was done within a bounded time;
- afterwards the app's record of sessions is empty (no run registered, no model kept);
- the app's resident memory after the crowd against before it (after one warm-up run);
- the queue estimate each visitor was shown against the wait they had (reported, not judged).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.app import STEP, connect, free_port, rss_mb
from bench.common import Row, bench_parser, report

#: The status line a run shows as its training starts (before its first once-a-second step line, which a fast
#: CPU may never show on the small MNIST: an epoch there can end within a second).
TRAINING = "### Training "
#: What every visitor trains: the ``fast`` recipe, one epoch (50 steps on the small MNIST below).
TRAIN_ARGS = ("fast-cnn", "fast", 1, 96, 0.1, 1)
#: The small MNIST the app serves: training and test images taken from the start of the real sets.
SMALL_TRAIN, SMALL_TEST = 4800, 1000
#: What each visitor does, by turn: let the run finish, press Stop once it trains, close the page while it
#: trains, close the page while still queued.
PLANS = ("finish", "stop", "finish", "close", "leave")
#: Seconds for the app to notice that a page closed (its heartbeat stream ends) and to end its session.
SETTLE = 3.0
#: Seconds each visitor may take at most, per visitor in the crowd, plus a margin: past it, it counts as stuck.
SECONDS_PER_VISITOR, MARGIN = 10.0, 60.0
#: Memory growth allowed after the crowd, against before it.
GROWTH_MB = 50.0


def _serve(port: int, data_dir: str, conn: Any) -> None:
    """The child process: the app as ``app.py`` builds it, on ``data_dir``; answers ``conn`` with its registry."""
    import app
    from demo.server.context import AppContext
    from demo.ui import build_demo

    context = AppContext.create(data_dir=data_dir)
    demo = build_demo(context=context)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app.launch_options())
    conn.send("ready")
    try:
        while conn.recv() == "registry":
            sessions = context.sessions
            speeds = {" ".join(key): round(value) for key, value in sessions.measured()[0].items()}
            conn.send({"running_sessions": sessions.running_sessions(), **sessions.snapshot(),
                       "rss_mb": rss_mb(os.getpid())[0], "images_per_s": speeds})
    finally:
        demo.close()


class Server:
    """The app in a child process; :meth:`registry` reads its record of sessions and its memory."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as `python app.py` is
        self._conn, child = spawn.Pipe()
        env = {"GRADIO_ANALYTICS_ENABLED": "False", "MNIST_DATA_DIR": str(data_dir)}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the child inherits them
        try:
            self.process = spawn.Process(target=_serve, args=(self.port, str(data_dir), child), daemon=True)
            self.process.start()
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k)
                else:
                    os.environ[k] = v
        self._lock = threading.Lock()
        if not self._conn.poll(180) or self._conn.recv() != "ready":
            self.close()
            raise RuntimeError("the app did not start within 180 s")
        connect(self.url)

    def registry(self) -> dict[str, Any]:
        """{"running_sessions": [...], "running", "in_progress", "sessions": counts, "rss_mb": resident MB}."""
        with self._lock:
            self._conn.send("registry")
            if not self._conn.poll(30):
                raise TimeoutError("the app did not answer about its registry within 30 s")
            return self._conn.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send("quit")
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(10)


@contextlib.contextmanager
def served_small_app(source_data_dir: str | Path | None = None) -> Iterator[Server]:
    """The app on a small MNIST (taken from the real one), in a child process, stopped at the end."""
    from mnist_core.data import load_mnist, write_mnist_subset

    with tempfile.TemporaryDirectory(prefix="crowd-mnist-") as folder:
        root = write_mnist_subset(load_mnist(source_data_dir, download=False), Path(folder), SMALL_TRAIN, SMALL_TEST)
        server = Server(root)
        try:
            yield server
        finally:
            server.close()


class Page:
    """A simulated browser page: its own session, heartbeat stream and event stream, speaking the page's protocol.

    ``gradio_client`` cannot stand in for a page that closes: its ``close()`` ends the heartbeat
    only when the next heartbeat arrives (up to 15 s later) and leaves the event stream open, so
    the app rightly took a "closed" client whose run then started as a visitor still there. A
    tab that closes drops both streams at once; :meth:`close` does the same.
    """

    def __init__(self, url: str, functions: dict[str, int]) -> None:
        self.url, self.functions = url, functions
        self.session = uuid.uuid4().hex
        self.http = httpx.Client(timeout=httpx.Timeout(60, read=None))
        self.started: float | None = None  # when the queue began to process its run (``process_starts``)
        self.trained = False  # a status line of training (its start or a step) arrived
        self.final: str | None = None  # the ``process_completed`` message, as it came
        self.ended: float | None = None
        self._streams: list[httpx.Response] = []
        self._heartbeat: httpx.Response | None = None
        self._changed = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, args=(f"gradio_api/heartbeat/{self.session}", None), daemon=True).start()

    def call(self, name: str, data: list[Any]) -> Any:
        """An event outside the queue (``queue=False``), as the page sends it; its first output."""
        body = {"data": data, "fn_index": self.functions[name], "session_hash": self.session, "event_data": None}
        answer = self.http.post(f"{self.url}gradio_api/run/predict", json=body)
        answer.raise_for_status()
        outputs = answer.json()["data"]
        return outputs[0] if outputs else None

    def join(self, name: str, data: list[Any]) -> None:
        """Join the queue with an event, then read the session's event stream, as the page does."""
        body = {"data": data, "fn_index": self.functions[name], "session_hash": self.session, "event_data": None}
        answer = self.http.post(f"{self.url}gradio_api/queue/join", json=body)
        answer.raise_for_status()
        event = answer.json()["event_id"]
        threading.Thread(target=self._read, args=(f"gradio_api/queue/data?session_hash={self.session}", event),
                         daemon=True).start()

    def _read(self, path: str, event: str | None) -> None:
        try:
            with self.http.stream("GET", self.url + path) as response:
                with self._changed:
                    if self.closed:
                        return
                    self._streams.append(response)
                    if event is None:
                        self._heartbeat = response
                for line in response.iter_lines():
                    if event is not None and line.startswith("data:"):
                        self._note(json.loads(line[5:]), line, event)
        except (httpx.HTTPError, OSError, ValueError):
            pass  # closed by close(), or the app went away: what the page saw so far stands

    def _note(self, message: dict[str, Any], line: str, event: str) -> None:
        if message.get("event_id") not in (event, None):
            return
        with self._changed:
            kind = message.get("msg")
            if kind == "process_starts" and self.started is None:
                self.started = time.monotonic()
            elif kind == "process_generating" and (STEP.search(line) or TRAINING in line):
                self.trained = True
            elif kind == "process_completed":
                self.final, self.ended = line, time.monotonic()
            self._changed.notify_all()

    def wait(self, condition: Any, deadline: float) -> bool:
        """Wait until ``condition(self)`` holds, at most until ``deadline`` (``time.monotonic()``)."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self), max(deadline - time.monotonic(), 0))

    def close(self) -> None:
        """Close the tab: both streams drop at once (shut down, so the app sees it now, not at the next message)."""
        with self._changed:
            self.closed = True
            streams, self._streams = self._streams, []
        for response in streams:
            _shut(response)
        self.http.close()

    def drop_heartbeat(self) -> None:
        """Drop only the heartbeat, as Gradio sees a closed tab for the up to ten seconds before it notices the
        queue's stream closed too: the page's unload event runs, and its waiting event is still in the queue."""
        with self._changed:
            heartbeat = self._heartbeat
        assert heartbeat is not None, "the page's heartbeat never connected"
        _shut(heartbeat)


def _shut(response: httpx.Response) -> None:
    """Shut a streamed response's socket down, so the app sees the connection end now."""
    network = response.extensions.get("network_stream")
    sock = network.get_extra_info("socket") if network is not None else None
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)


def functions_of(url: str) -> dict[str, int]:
    """The ``fn_index`` of each named event of the app (from its /config, as the page reads it)."""
    config = httpx.get(f"{url}config", timeout=60).json()
    return {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}


@dataclass
class Visit:
    """One visitor: what they meant to do and what happened (times are ``time.monotonic()``)."""

    index: int
    plan: str
    session: str = ""
    estimate: str | None = None  # the Train status the page showed while waiting (None: it started at once)
    joined: float | None = None
    started: float | None = None
    ended: float | None = None
    outcome: str = "stuck"


@dataclass
class Watch:
    """When the app's registry first and last listed each session as training (polled every 0.1 s)."""

    first: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    error: str = ""


def _watch(server: Server, watch: Watch, done: threading.Event) -> None:
    while not done.is_set():
        try:
            running = server.registry()["running_sessions"]
        except Exception as exc:  # reported in the rows: the registry could not be read
            watch.error = f"{type(exc).__name__}: {exc}"
            return
        now = time.monotonic()
        for session in running:
            watch.first.setdefault(session, now)
            watch.last[session] = now
        done.wait(0.1)


def _follow(visit: Visit, page: Page, deadline: float) -> None:
    """Do what the visitor planned with their queued run, recording what happened; never past ``deadline``."""
    try:
        if visit.plan == "leave" and page.started is None:
            page.close()
            visit.outcome, visit.ended = "left the queue", time.monotonic()
            return
        if not page.wait(lambda p: p.started is not None or p.final is not None, deadline):
            return
        visit.started = page.started
        if visit.plan in ("stop", "close", "leave"):
            page.wait(lambda p: p.trained or p.final is not None, deadline)
            if visit.plan in ("close", "leave") and page.final is None:
                page.close()
                visit.outcome, visit.ended = "closed while training", time.monotonic()
                return
            if visit.plan == "stop" and page.final is None:
                page.call("stop", [])
        if not page.wait(lambda p: p.final is not None, deadline):
            return
        visit.ended = page.ended
        visit.outcome = ("finished" if "### Finished" in page.final else
                         "stopped" if "### Stopped" in page.final else f"ended otherwise: {page.final[:200]}")
    except Exception as exc:  # a failure is an outcome, reported as such
        visit.outcome = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        page.close()


def press_start(page: Page, visit: Visit | None = None) -> None:
    """Press Start as the page does: the queue estimate (outside the queue), then ``/train``, in the queue.

    Returns once the run is in the queue (the next visitor then joins behind it: a known order).
    """
    settings = list(TRAIN_ARGS)
    shown = page.call("queue_wait", [])
    if visit is not None:
        visit.estimate = shown if isinstance(shown, str) else None  # gr.skip(): nobody ahead
        visit.joined = time.monotonic()
    page.join("train", [*settings, None])  # the last input: the session's state, which the page sends empty


def warm_up(server: Server, functions: dict[str, int]) -> None:
    """One run to the end, then its visitor leaves: MNIST loaded, the app's first speed measured."""
    page = Page(server.url, functions)
    press_start(page)
    page.wait(lambda p: p.final is not None, time.monotonic() + 180)
    page.close()


def crowd(server: Server, functions: dict[str, int], plans: Sequence[str]) -> tuple[list[Visit], Watch, float]:
    """Everybody presses Start, one just after the other, then does what ``plans`` says; returns the visits,
    what the registry showed, and the seconds the whole crowd took."""
    budget = SECONDS_PER_VISITOR * len(plans) + MARGIN
    pages = [Page(server.url, functions) for _ in plans]  # the pages are open: their heartbeats run
    watch, done = Watch(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(server, watch, done), daemon=True)
    watcher.start()
    began = time.monotonic()
    deadline = began + budget
    visits = [Visit(i, plan, page.session) for i, (plan, page) in enumerate(zip(plans, pages, strict=True))]
    followers = []
    for visit, page in zip(visits, pages, strict=True):
        try:
            press_start(page, visit)
        except Exception as exc:  # reported as this visitor's outcome
            visit.outcome = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
            page.close()
            continue
        follower = threading.Thread(target=_follow, args=(visit, page, deadline), daemon=True)
        follower.start()
        followers.append(follower)
    for follower in followers:
        follower.join(max(deadline - time.monotonic(), 0.1))
    took = time.monotonic() - began
    time.sleep(SETTLE)  # the runs of the pages closed last end, and the registry notices
    done.set()
    watcher.join(5)
    return visits, watch, took


def settle(server: Server, timeout: float = 30.0) -> tuple[dict[str, Any], float]:
    """The registry once nothing is running and no session is kept, or as it is after ``timeout`` seconds."""
    t0 = time.monotonic()
    while True:
        registry = server.registry()
        empty = not registry["running"] and not registry["in_progress"] and not registry["sessions"]
        if empty or time.monotonic() - t0 > timeout:
            return registry, time.monotonic() - t0
        time.sleep(0.2)


def estimate_seconds(text: str | None) -> float:
    """The seconds an estimate like "2 runs ahead of yours: about 1 min 40 s" says (0 without one)."""
    if not text:
        return 0.0
    match = re.search(r"about (?:(\d+) min)?\s*(?:(\d+) s)?", text)
    if not match:
        return float("nan")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


@dataclass
class Checks:
    """What a crowd must leave true, each with a line that says what was seen."""

    ended: tuple[bool, str]
    in_order: tuple[bool, str]
    none_stuck: tuple[bool, str]
    registry_empty: tuple[bool, str]
    memory: tuple[bool, str]
    numbers: dict[str, Any]

    def failures(self) -> list[str]:
        named = {"every run ended": self.ended, "queue order": self.in_order, "nobody stuck": self.none_stuck,
                 "registry empty": self.registry_empty, "memory": self.memory}
        return [f"{name}: {line}" for name, (ok, line) in named.items() if not ok]


def check(visits: list[Visit], watch: Watch, took: float, registry: dict[str, Any], settle_s: float,
          rss_before: float) -> Checks:
    """Judge one crowd: see :class:`Checks`."""
    outcomes: dict[str, int] = {}
    for v in visits:
        outcomes[v.outcome] = outcomes.get(v.outcome, 0) + 1
    good = {"finished", "stopped", "closed while training", "left the queue"}
    # A page closed while training must have had its run end (the registry no longer lists it).
    still = [v.index for v in visits if v.session in registry["running_sessions"]]
    ended = all(v.outcome in good for v in visits) and not still
    ended_line = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) + (
        f"; still training after they left: visitors {still}" if still else "")

    joined = [v.index for v in sorted((v for v in visits if v.joined is not None), key=lambda v: v.joined)]
    started = [v for v in visits if v.started is not None or v.session in watch.first]
    when = {v.index: v.started if v.started is not None else watch.first[v.session] for v in started}
    order = sorted(when, key=when.__getitem__)
    expected = [i for i in joined if i in when]
    seen_order = sorted((v for v in started if v.session in watch.first), key=lambda v: watch.first[v.session])
    server_order = [v.index for v in seen_order]
    left_but_trained = [v.index for v in visits if v.outcome == "left the queue" and v.session in watch.first]
    in_order = order == expected and server_order == [i for i in expected if i in server_order] \
        and not left_but_trained and not watch.error
    order_line = (f"{len(order)} runs started in join order" if in_order else
                  f"join order {expected}, start order {order}, as the server saw it {server_order}" +
                  (f"; left the queue but trained: {left_but_trained}" if left_but_trained else "") +
                  (f"; registry unreadable: {watch.error}" if watch.error else ""))

    stuck = [v.index for v in visits if v.outcome == "stuck"]
    spans = [v.ended - v.joined for v in visits if v.ended is not None and v.joined is not None]
    stuck_line = (f"all {len(visits)} done in {took:.0f} s (bound {SECONDS_PER_VISITOR * len(visits) + MARGIN:.0f} s)"
                  if not stuck else f"stuck: visitors {stuck}")

    empty = not registry["running"] and not registry["in_progress"] and not registry["sessions"]
    registry_line = (f"empty {settle_s + SETTLE:.0f} s after the last visitor left" if empty else
                     f"{registry['running']} runs registered, {registry['in_progress']} in progress, "
                     f"{registry['sessions']} sessions' models kept, {settle_s + SETTLE:.0f} s after")

    growth = registry["rss_mb"] - rss_before
    memory_line = f"{growth:+.0f} MB ({rss_before:.0f} MB before, {registry['rss_mb']:.0f} MB after)"

    waits = [(estimate_seconds(v.estimate), v.started - v.joined) for v in visits
             if v.started is not None and v.joined is not None]
    return Checks((ended, ended_line), (in_order, order_line), (not stuck, stuck_line), (empty, registry_line),
                  (growth < GROWTH_MB, memory_line),
                  {"outcomes": outcomes, "seconds": took, "longest_visit_s": max(spans, default=0.0),
                   "join_order": joined, "start_order": order, "server_start_order": server_order,
                   "registry_after": {k: v for k, v in registry.items() if k != "running_sessions"},
                   "rss_before_mb": rss_before, "rss_after_mb": registry["rss_mb"],
                   "estimated_and_real_wait_s": waits})


def plans_for(count: int) -> list[str]:
    return [PLANS[i % len(PLANS)] for i in range(count)]


def run_crowd(server: Server, count: int) -> Checks:
    """Warm up, measure, let ``count`` visitors press Start, and judge what they leave."""
    functions = functions_of(server.url)
    warm_up(server, functions)
    time.sleep(SETTLE)
    rss_before = settle(server)[0]["rss_mb"]
    visits, watch, took = crowd(server, functions, plans_for(count))
    registry, settle_s = settle(server)
    return check(visits, watch, took, registry, settle_s, rss_before)


def rows_of(checks: Checks, count: int) -> list[Row]:
    n = checks.numbers
    waits = [(e, r) for e, r in n["estimated_and_real_wait_s"] if r > 1.0 and e == e]  # the ones that waited
    ratios = [e / r for e, r in waits]
    wait_line = (f"estimate / real wait: median {statistics.median(ratios):.2f} (from {min(ratios):.2f} to "
                 f"{max(ratios):.2f}) over {len(ratios)} visitors who waited" if ratios else "nobody waited")
    plan = ", ".join(f"{plans_for(count).count(p)} {p}" for p in dict.fromkeys(plans_for(count)))
    return [
        Row(f"{count} visitors press Start at once ({plan}): every run finishes or is stopped",
            checks.ended[1], "every run finished or stopped, every closed page's run ended", checks.ended[0],
            numbers={"outcomes": n["outcomes"]}),
        Row("runs start in the order their visitors joined the queue", checks.in_order[1],
            "join order; no page that left the queue trains", checks.in_order[0],
            numbers={k: n[k] for k in ("join_order", "start_order", "server_start_order")}),
        Row("no visitor stuck", checks.none_stuck[1], "every visitor done within the bound", checks.none_stuck[0],
            numbers={"seconds": n["seconds"], "longest_visit_s": n["longest_visit_s"]}),
        Row("the app's record of sessions after the crowd left", checks.registry_empty[1],
            "no run registered, no run in progress, no session's models kept", checks.registry_empty[0],
            numbers=n["registry_after"]),
        Row("app memory after the crowd against before it (after one warm-up run)", checks.memory[1],
            f"< {GROWTH_MB:.0f} MB", checks.memory[0],
            numbers={"before_mb": n["rss_before_mb"], "after_mb": n["rss_after_mb"]}),
        Row("the queue estimate shown at Start against the real wait", wait_line, "reported", None,
            numbers={"estimated_and_real_wait_s": n["estimated_and_real_wait_s"]}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "crowd_start", "8 visitors", data_dir=True)
    parser.add_argument("--visitors", type=int, help="visitors pressing Start (default 30; quick: 8)")
    args = parser.parse_args(argv)
    count = args.visitors or (8 if args.quick else 30)
    with served_small_app(args.data_dir) as server:
        checks = run_crowd(server, count)
    report("Start pressed by a crowd" + (" (quick smoke run)" if args.quick else ""), rows_of(checks, count),
           args.out, "python -m bench.crowd_start" + (" --quick" if args.quick else ""))
    return 0 if not checks.failures() else 1


if __name__ == "__main__":
    sys.exit(main())

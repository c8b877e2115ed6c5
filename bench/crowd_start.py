"""Start pressed by a whole class: every run finishes or is stopped, in queue order, and nothing is left behind.

    python -m bench.crowd_start            # 30 visitors
    python -m bench.crowd_start --quick    # 8 visitors (CI smoke)

The app is built as ``app.py`` builds it and served from a child process (so that its memory
is its own and its record of sessions can be read), on the first 4,800 training and 1,000
test images of MNIST, so that a ``fast`` run takes a second or two and thirty of them fit in
a couple of minutes on two cores. Runs go one at a time (the app's default).

Each visitor is a simulated page (:class:`tests.support.visitors.Page`: its own session, heartbeat and event stream,
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

import re
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.common import Row, bench_parser, report
from tests.support.visitors import Page, Server, functions_of, press_start, served_small_app, settle

#: What each visitor does, by turn: let the run finish, press Stop once it trains, close the page while it
#: trains, close the page while still queued.
PLANS = ("finish", "stop", "finish", "close", "leave")
#: Seconds for the app to notice that a page closed (its heartbeat stream ends) and to end its session.
SETTLE = 3.0
#: Seconds each visitor may take at most, per visitor in the crowd, plus a margin: past it, it counts as stuck.
SECONDS_PER_VISITOR, MARGIN = 10.0, 60.0
#: Memory growth allowed after the crowd, against before it.
GROWTH_MB = 50.0


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
            visit.estimate, visit.joined = press_start(page)
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

"""What the Draw tab's page sends to the server, recorded once from a real page in headless chromium.

:mod:`bench.classroom` replays these requests for many simulated phones, so it must send what a
page sends and nothing the bench merely assumes: which events a stroke triggers (their
``fn_index``, ``trigger_id``, ``event_data`` and the other inputs' values), in which order, what the
page does when it loads (streams it holds open, events it sends), and how many event streams and
file GETs a stroke makes. Nothing about the Draw tab's current shape is written here: it is read
from the recording and from the app's ``/config`` (:class:`Page`), so the bench works unchanged
when the tab's events change (two chained events today, perhaps one tomorrow).

Events chained with ``.then`` are sent by the page itself in Gradio 6 (a second ``queue/join``
once the first event completed): :meth:`Recording.sent_by_page` says, for the chain a stroke
starts, which of the app's dependencies the page sent, so the table shows it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: The Draw tab's components the bench looks for, by ``elem_id`` (the browser tests use the same ids).
PAD_ID, ANSWER_ID, STAMP_ID = "sketchpad", "prediction", "answer-for"
INSIDE_IDS = ("saliency-view", "feature-maps-view")
#: A page's requests the replay knows: an event joins the queue, reads its stream, or is called directly.
JOIN, STREAM, FILE = "/queue/join", "/queue/data", "/gradio_api/file="
#: How long the page must send nothing before an action counts as finished (its chained events
#: follow the first one's completion within milliseconds), and the most an action may take.
QUIET_S, ACTION_TIMEOUT_S = 1.0, 60.0


@dataclass(frozen=True)
class Dependency:
    """One event listener of the app, as ``/config`` lists it."""

    id: int
    targets: list[tuple[int | None, str]]  # (component id, event name): what triggers it; (None, "then") if chained
    inputs: list[int]
    outputs: list[int]
    trigger_after: int | None
    only_on_success: bool
    only_on_failure: bool
    trigger_mode: str  # "once", "multiple" or "always_last": what the page does with a trigger while one is pending
    api_name: str | None


@dataclass(frozen=True)
class Page:
    """What the replay needs from an app's ``/config``: its events and which component is which."""

    deps: dict[int, Dependency]
    elem_ids: dict[int, str]

    @classmethod
    def of(cls, config: dict[str, Any]) -> Page:
        deps = {d["id"]: Dependency(d["id"], [tuple(t) for t in d["targets"]], list(d["inputs"]), list(d["outputs"]),
                                    d.get("trigger_after"), bool(d.get("trigger_only_on_success")),
                                    bool(d.get("trigger_only_on_failure")), d.get("trigger_mode") or "once",
                                    d.get("api_name"))
                for d in config["dependencies"]}
        elem_ids = {c["id"]: c["props"]["elem_id"] for c in config["components"] if c.get("props", {}).get("elem_id")}
        return cls(deps, elem_ids)

    def component(self, elem_id: str) -> int | None:
        return next((cid for cid, e in self.elem_ids.items() if e == elem_id), None)

    def output_ids(self, fn: int, elem_ids: tuple[str, ...]) -> dict[int, int]:
        """{position in ``fn``'s outputs: component id} of the components named ``elem_ids``."""
        wanted = {self.component(e) for e in elem_ids} - {None}
        return {i: cid for i, cid in enumerate(self.deps[fn].outputs) if cid in wanted}

    def pad_inputs(self, fn: int) -> list[int]:
        """Positions of the drawing pad among ``fn``'s inputs."""
        pad = self.component(PAD_ID)
        return [i for i, cid in enumerate(self.deps[fn].inputs) if cid == pad]

    def parents(self, fns: list[int]) -> list[int | None]:
        """For events a page sent in this order, the one each waited for (``None``: sent at once, by the drawing).

        Chained events (``.then``) wait for the one they follow. An event triggered by a component
        other than the pad (a ``.change`` of an output) waits for the first event before it that
        updates that component; the page fires it when the update lands.
        """
        pad = self.component(PAD_ID)
        out: list[int | None] = []
        for k, fn in enumerate(fns):
            dep = self.deps[fn]
            sources = {cid for cid, _ in dep.targets if cid is not None}
            if dep.trigger_after is not None or pad in sources:
                out.append(dep.trigger_after)
            else:
                out.append(next((f for f in fns[:k] if sources & set(self.deps[f].outputs)), None))
        return out

    def chain(self, fn: int) -> list[int]:
        """``fn`` and every dependency chained after it (``.then``, ``.success``), in order."""
        out, todo = [], [fn]
        while todo:
            current = todo.pop(0)
            out.append(current)
            todo += [d.id for d in self.deps.values() if d.trigger_after == current]
        return out


@dataclass
class Action:
    """What the page sent for one thing a visitor did (a stroke, Clear, loading the page)."""

    events: list[dict[str, Any]] = field(default_factory=list)  # request bodies (with "fn_index"), in order sent
    direct: list[str | None] = field(default_factory=list)  # per event: the path it was POSTed to if not queued
    streams: int = 0  # event streams (GET queue/data) opened
    files: int = 0  # file GETs (pictures in the outputs)
    held: list[str] = field(default_factory=list)  # GETs held open for the session's life (the heartbeat), "{session}"
    other: list[str] = field(default_factory=list)  # anything else under /gradio_api/ (method and path)

    def summary(self, page: Page) -> dict[str, Any]:
        """The action without the drawing's data: what the results file keeps."""
        return {"events": [{"fn_index": e["fn_index"], "api_name": page.deps[e["fn_index"]].api_name,
                            "trigger_after": page.deps[e["fn_index"]].trigger_after,
                            "queued": direct is None} for e, direct in zip(self.events, self.direct, strict=True)],
                "streams": self.streams, "files": self.files, "held": self.held, "other": self.other}


@dataclass
class Recording:
    """The requests of a page: loading it, one stroke, one Clear; and the drawing the stroke sent."""

    load: Action
    stroke: Action
    clear: Action
    pad_value: dict[str, Any]  # the drawing the stroke sent: {"seq": 1, "png": "data:image/png;base64,..."}
    session: str
    viewport: tuple[int, int]

    def sent_by_page(self, page: Page) -> list[tuple[int, bool]]:
        """For the chain the stroke's first event starts: (fn_index, whether the page sent it itself)."""
        if not self.stroke.events:
            return []
        sent = {e["fn_index"] for e in self.stroke.events}
        return [(fn, fn in sent) for fn in page.chain(self.stroke.events[0]["fn_index"])]

    def describe(self, page: Page) -> str:
        """One line for the table: what a stroke makes the page send."""
        s = self.stroke
        names = [f"`{page.deps[fn].api_name or fn}`" + ("" if sent else " (not sent by the page)")
                 for fn, sent in self.sent_by_page(page)]
        chained = sum(page.deps[e["fn_index"]].trigger_after is not None for e in s.events)
        return (f"{len(s.events)} event(s) per stroke ({' then '.join(names) or 'none'}; {chained} chained, sent by "
                f"the page when the one before completed), {s.streams} event stream(s) opened, {s.files} file GET(s)"
                + (f", other: {', '.join(s.other)}" if s.other else "")
                + f"; on load: {len(self.load.events)} event(s), {len(self.load.held)} stream(s) held open"
                + f"; the page's PNG {len(self.pad_value.get('png') or '') * 3 // 4 // 1000} KB")


def classify(requests: list[tuple[str, str, str | None]], session: str) -> Action:
    """Sort a page's requests (method, URL, body) under /gradio_api/ into an :class:`Action`."""
    action = Action()
    for method, url, body in requests:
        path = urlsplit(url).path
        if FILE in url:
            action.files += 1
        elif path.endswith(STREAM):
            action.streams += 1
        elif method == "POST" and body and '"fn_index"' in body:
            action.events.append(json.loads(body))
            action.direct.append(None if path.endswith(JOIN) else path)
        elif method == "GET" and session in path:
            action.held.append(path.replace(session, "{session}"))
        elif "/gradio_api/" in path:
            action.other.append(f"{method} {path.replace(session, '{session}')}")
    return action


def record(url: str, viewport: tuple[int, int] = (1280, 800)) -> Recording:
    """Open the app at ``url`` in headless chromium, draw one stroke, press Clear, and keep what the page sent."""
    from playwright.sync_api import sync_playwright

    from tests.support.chromium import launch, stroke
    from tests.support.sketches import DIGITS

    log: list[tuple[float, str, str, str | None]] = []
    in_flight: set[Any] = set()

    def sent(request: Any) -> None:
        if "/gradio_api/" in request.url:
            log.append((time.monotonic(), request.method, request.url, request.post_data))
            if "/heartbeat/" not in request.url:
                in_flight.add(request)

    def finished(request: Any) -> None:
        in_flight.discard(request)

    def quiet(page: Any, since: int) -> list[tuple[str, str, str | None]]:
        """Wait until the page has sent nothing for ``QUIET_S`` with nothing in flight; its requests since ``since``."""
        deadline = time.monotonic() + ACTION_TIMEOUT_S
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)  # Playwright delivers the request events while it waits
            last = log[-1][0] if len(log) > since else 0.0
            if not in_flight and time.monotonic() - last >= QUIET_S:
                return [entry[1:] for entry in log[since:]]
        raise TimeoutError(f"the page kept sending for {ACTION_TIMEOUT_S:.0f} s: {[e[2] for e in log[since:]][-5:]}")

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()
            page.on("request", sent)
            page.on("requestfinished", finished)
            page.on("requestfailed", finished)
            page.goto(url)
            page.wait_for_selector(f"#{PAD_ID}[data-ready] canvas", timeout=120_000)
            loading = quiet(page, 0)
            mark = len(log)
            stroke(page, DIGITS["7"][0])
            drawn = quiet(page, mark)
            mark = len(log)
            page.locator("#clear-button").click()
            cleared = quiet(page, mark)
        finally:
            browser.close()
    joins = [json.loads(body) for method, _, body in drawn if method == "POST" and body and '"session_hash"' in body]
    if not joins:
        raise RuntimeError(f"a stroke sent no event: {[u for _, u, _ in drawn]}")
    session = joins[0]["session_hash"]
    pad_value = next((v for v in joins[0]["data"] if isinstance(v, dict) and "png" in v), None)
    if pad_value is None:
        raise RuntimeError("the stroke's event carries no drawing ({'seq': n, 'png': data URL})")
    return Recording(classify(loading, session), classify(drawn, session), classify(cleared, session), pad_value,
                     session, viewport)

"""Simulated visitors of the app: pages that speak Gradio's protocol, and the app served to them in a child process.

A :class:`Page` is what a browser tab sends and reads (its own session, heartbeat and event
stream), without a browser, so that a crowd of them costs little; :class:`Server` serves the
app as ``app.py`` builds it in a child process (its memory its own) and reads its record of
sessions. ``bench.crowd_start`` has thirty of them press Start; ``tests/test_crowd_start.py``
a few.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.clients import STEP, connect, free_port, rss_mb

#: The status line a run shows as its training starts (before its first once-a-second step line, which a fast
#: CPU may never show on the small MNIST: an epoch there can end within a second).
TRAINING = "### Training "
#: What every visitor trains: the ``fast`` recipe, one epoch (50 steps on the small MNIST below).
TRAIN_ARGS = ("fast-cnn", "fast", 1, 96, 0.1, 1)
#: The small MNIST the app serves: training and test images taken from the start of the real sets.
SMALL_TRAIN, SMALL_TEST = 4800, 1000

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


def press_start(page: Page) -> tuple[str | None, float]:
    """Press Start as the page does: the queue estimate (outside the queue), then ``/train``, in the queue.

    Returns once the run is in the queue (the next visitor then joins behind it: a known order), with the
    estimate the page showed (``None``: nobody ahead, the status was left alone) and when it joined.
    """
    settings = list(TRAIN_ARGS)
    shown = page.call("queue_wait", [])
    joined = time.monotonic()
    page.join("train", [*settings, None])  # the last input: the session's state, which the page sends empty
    return (shown if isinstance(shown, str) else None), joined


def settle(server: Server, timeout: float = 30.0) -> tuple[dict[str, Any], float]:
    """The registry once nothing is running and no session is kept, or as it is after ``timeout`` seconds."""
    t0 = time.monotonic()
    while True:
        registry = server.registry()
        empty = not registry["running"] and not registry["in_progress"] and not registry["sessions"]
        if empty or time.monotonic() - t0 > timeout:
            return registry, time.monotonic() - t0
        time.sleep(0.2)

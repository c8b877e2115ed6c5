"""The app as its visitors reach it: started as ``python app.py``, or called through its API from new sessions.

Tests and benchmarks (``bench/``) share these: a free port, the app in a child process, a
``gradio_client`` visitor, one event sent as the page sends it, and the memory of the process.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client, handle_file

#: The repository's root, where ``app.py`` is.
REPO = Path(__file__).resolve().parents[2]

#: gradio_client opens a new httpx client for every request, and each one builds a TLS context by
#: loading the whole CA bundle, even for plain http: measured here ~60 ms of CPU per prediction,
#: twice what the app itself spends. A browser does nothing of the sort, so the simulated visitors
#: share one context made once (certificates are still verified wherever TLS is used).
TLS_CONTEXT = ssl.create_default_context()


def new_client(url: str) -> Client:
    """A visitor: its own gradio_client session, sharing :data:`TLS_CONTEXT`."""
    return Client(url, verbose=False, ssl_verify=TLS_CONTEXT)  # httpx takes a context where a bool is typed


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sketch_value(path: Path) -> dict[str, Any]:
    """The drawing in the PNG at ``path`` as ``/predict`` and ``/explain`` take it through ``gradio_client``."""
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def start_app(port: int, env: dict[str, str]) -> subprocess.Popen:
    """``python app.py --port PORT`` as a teacher starts it, in a child process with ``env``; its output dropped."""
    return subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


#: A status line the Train tab streams while it trains.
STEP = re.compile(r"Epoch (\d+) of \d+ · step ([\d,]+) of ([\d,]+)")


def connect(url: str, timeout: float = 120) -> Client:
    """A client of the app at ``url``, waiting while it starts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return new_client(url)
        except Exception:  # the app is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def send_event(url: str, fn_index: int, data: list[Any], *, event_data: dict[str, Any] | None = None,
               session: str | None = None, timeout: float = 120) -> dict[str, Any]:
    """Send one event by its ``fn_index``, as the page does (or a hand-made request, NaN included), from a new session.

    Returns the queue's refusal of the join ({"status": ..., "detail": ...}) if it refused,
    else the event's final ``process_completed`` message from the session's stream.
    """
    session = session or uuid.uuid4().hex
    body = json.dumps({"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data})
    joined = httpx.post(f"{url}gradio_api/queue/join", content=body, headers={"Content-Type": "application/json"},
                        timeout=timeout)
    if joined.status_code != 200:
        return {"status": joined.status_code, "detail": joined.json().get("detail")}
    event_id = joined.json()["event_id"]
    with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session},
                      timeout=timeout) as stream:
        for line in stream.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                return message
    raise RuntimeError(f"event {event_id} never completed")


def event_index(url: str, elem_id: str, trigger: str) -> int:
    """The ``fn_index`` of the event the page sends on ``trigger`` of the component ``elem_id`` (from /config).

    Events the page alone uses (the Dataset tab's Reshuffle, say) have no API name to call them by.
    """
    config = httpx.get(f"{url}config", timeout=60).json()
    component = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)
    return next(d["id"] for d in config["dependencies"] if [component, trigger] in d["targets"])


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

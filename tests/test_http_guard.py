"""The server log says in one line what a class does every day, and keeps tracebacks for real faults.

A browser closed in the middle of an upload made uvicorn print a 70-line ASGI traceback, and
every refused input (``gr.Error``) a full traceback: a teacher watching the terminal could not
tell them from bugs. Here a real ``python app.py`` has an upload cut off, and a served function
refuses an input; each must leave exactly one line and no traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_client import Client
from starlette.requests import ClientDisconnect

from demo.server.http_guard import RequestGuard
from demo.server.log import expected_error
from tests.support.clients import REPO, connect, free_port


def wait_for_text(path: Path, text: str, timeout: float = 20) -> str:
    """The file's contents once ``text`` appears in it (polled; fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while text not in (content := path.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"{text!r} never appeared in the log:\n{content[-3000:]}"
        time.sleep(0.1)
    return content


def cut_off_upload(port: int) -> None:
    """Start a multipart upload of a 500 KB file, send a fraction of it, and hang up (a tab closed mid-upload)."""
    boundary = "----cut"
    head = (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 500000\r\n\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"seven.png\"\r\n"
            "Content-Type: image/png\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head.encode() + b"x" * 20_000)


@contextlib.contextmanager
def served_with_log(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """``python app.py`` on a free port, its output in a log file: (port, log), once the app answers."""
    log = tmp_path / "app.log"
    port = free_port()
    env = {**os.environ, "GRADIO_TEMP_DIR": str(tmp_path / "gradio"), "GRADIO_ANALYTICS_ENABLED": "False"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        connect(f"http://127.0.0.1:{port}/", timeout=120)
        yield port, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_a_browser_gone_mid_upload_is_one_line_in_the_app_log(tmp_path: Path) -> None:
    with served_with_log(tmp_path) as (port, log):
        cut_off_upload(port)
        wait_for_text(log, "Client disconnected during upload")
        cut_off_upload(port)  # the app still serves, and says it once per upload
        wait_for_text(log, "Client disconnected during upload\n" "INFO:     Client disconnected during upload")
    content = log.read_text(errors="replace")
    assert "Traceback" not in content and "ClientDisconnect" not in content, content[-3000:]
    assert content.count("Client disconnected during upload") == 2


@pytest.mark.slow
def test_a_queue_stream_for_an_unknown_session_cannot_flood_the_log(tmp_path: Path) -> None:
    """200 GETs of /queue/data with sessions the app never saw: each told the session is not found, as Gradio
    tells a page, and the log gets one line, not 200 tracebacks of 5.8 KB."""
    import httpx

    with served_with_log(tmp_path) as (port, log):
        size = log.stat().st_size
        with httpx.Client(timeout=30) as http:
            answers = [http.get(f"http://127.0.0.1:{port}/gradio_api/queue/data?session_hash=x{i}")
                       for i in range(200)]
        wait_for_text(log, "a queue stream for a session the app does not know")
    assert all(a.status_code == 200 and '"session_not_found":true' in a.text for a in answers), answers[0].text
    content = log.read_text(errors="replace")
    assert "Traceback" not in content and "Exception in ASGI" not in content, content[-3000:]
    assert content.count("a queue stream for a session the app does not know") == 1
    assert log.stat().st_size - size < 500, content[size:]


def test_the_guard_turns_a_disconnect_into_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """At the ASGI level: whatever route raised ``ClientDisconnect`` (GET or POST), nothing propagates."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def route(scope: Any, receive: Any, send: Any) -> None:
        raise ClientDisconnect()

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        raise AssertionError("nobody is left to answer")

    def run(coroutine: Any) -> None:
        """In a thread of its own: an earlier test may have left an event loop running in this one."""
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, coroutine).result()

    guard = RequestGuard(route)
    with caplog.at_level(logging.INFO, logger="demo"):
        run(guard({"type": "http", "method": "POST", "path": "/gradio_api/upload", "headers": []}, receive, send))
        run(guard({"type": "http", "method": "GET", "path": "/gradio_api/file=x", "headers": []}, receive, send))
    lines = [r.getMessage() for r in caplog.records if r.name == "demo"]
    assert lines == ["Client disconnected during upload", "Client disconnected during request to /gradio_api/file=x"]


def test_a_refused_input_is_one_line_and_no_traceback(capfd: pytest.CaptureFixture[str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Served by Gradio: the visitor gets the message, the log one "Refused:" line and no traceback."""

    def look_up(number: float) -> str:
        if not 0 <= number < 10_000:
            raise expected_error("Test images are numbered 0 to 9999.") from None
        return f"image {int(number)}"

    with gr.Blocks() as demo:
        number, answer = gr.Number(), gr.Textbox()
        gr.Button().click(look_up, number, answer, api_name="look_up")
    demo.queue().launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False)
        assert client.predict(5, api_name="/look_up") == "image 5"
        capfd.readouterr()
        with caplog.at_level(logging.INFO, logger="demo"), pytest.raises(Exception, match="numbered 0 to 9999"):
            client.predict(12_345, api_name="/look_up")
    finally:
        demo.close()
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert [r.getMessage() for r in caplog.records if r.name == "demo"] == \
        ["Refused: Test images are numbered 0 to 9999."]


@pytest.mark.parametrize("raised", ["ours", "gradio's"])
def test_a_refusal_passed_up_through_an_input_is_logged_once(raised: str, caplog: pytest.LogCaptureFixture) -> None:
    """An input's own preprocessing may refuse (ours: already logged) or Gradio's may (not yet): one line each."""
    from demo.server.inputs import checked_preprocess

    def preprocess(payload: Any) -> Any:
        if raised == "ours":
            raise expected_error("The drawing could not be read.")
        raise gr.Error("The drawing could not be read.")

    with caplog.at_level(logging.INFO, logger="demo"), pytest.raises(gr.Error, match="could not be read"):
        checked_preprocess(gr.Textbox(label="Drawing"), preprocess, "x")
    lines = [r.getMessage() for r in caplog.records if r.name == "demo"]
    assert lines == ["Refused: The drawing could not be read."]

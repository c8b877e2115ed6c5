"""Bad input, hostile input and defaults: the app answers clearly, keeps serving, and exposes nothing.

Each case goes through the launched app's API as an outside program would send it; after
each, a normal drawing must still be read correctly (the server kept serving).
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gradio_client import Client
from PIL import Image, ImageDraw

from demo.tabs.draw import PROMPT
from tests.support.clients import connect, free_port, rss_mb, send_event, start_app
from tests.support.clients import sketch_value as sketch
from tests.support.sketches import plain_digit

REPO = Path(__file__).resolve().parent.parent


def still_serving(client: Client, seven_sketch: dict[str, Any]) -> None:
    """The server still reads the plain 7 (``conftest.seven_sketch``)."""
    assert client.predict(seven_sketch, api_name="/predict")["label"] == "7"


def _canvas(mode: str, size: int = 800) -> Image.Image:
    """The plain 7 (``tests.support.sketches.plain_digit``), converted to an image mode a browser would never send."""
    img = plain_digit(7, size=size)
    if mode == "alpha-only":  # strokes only in the alpha channel, colour all black
        alpha = 255 - np.asarray(img.convert("L"))
        return Image.fromarray(np.dstack([np.zeros_like(alpha)] * 3 + [alpha]), "RGBA")
    if mode == "I;16":
        return Image.fromarray(np.asarray(img.convert("L"), dtype=np.uint16) * 257)
    return img.convert(mode)


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "CMYK", "I;16", "LA", "alpha-only"])
def test_image_modes_are_read(client: Client, seven_sketch, tmp_path: Path, mode: str) -> None:
    path = tmp_path / ("digit.jpg" if mode == "CMYK" else "digit.png")
    _canvas(mode).save(path)
    assert client.predict(sketch(path), api_name="/predict")["label"] == "7"


@pytest.mark.parametrize("case", ["blank", "dot", "filled", "tiny"])
def test_degenerate_drawings_get_an_answer_not_an_error(client: Client, seven_sketch, tmp_path: Path,
                                                        case: str) -> None:
    img = Image.new("RGBA", (1, 1) if case == "tiny" else (800, 800), "white")
    if case == "dot":
        ImageDraw.Draw(img).ellipse((390, 390, 410, 410), fill="black")
    if case == "filled":
        img = Image.new("RGBA", (800, 800), "black")
    img.save(tmp_path / "d.png")
    result = client.predict(sketch(tmp_path / "d.png"), api_name="/predict")
    if case in ("blank", "filled", "tiny"):
        assert result["label"] == PROMPT and not result.get("confidences")  # no confident digit
    else:
        assert "confidences" in result  # a dot is read as something, with its calibrated confidence
    still_serving(client, seven_sketch)


def test_a_drawing_at_the_pixel_limit_is_read(client: Client, seven_sketch, tmp_path: Path) -> None:
    from mnist_core.preprocess import MAX_IMAGE_PIXELS

    side = int(MAX_IMAGE_PIXELS ** 0.5)  # 4096 x 4096: a large photo; one more row would be refused (below)
    img = Image.new("L", (side, side), 255)
    ImageDraw.Draw(img).line([(side // 4, side // 5), (3 * side // 4, side // 5), (9 * side // 20, 17 * side // 20)],
                             fill=0, width=side // 18)
    img.save(tmp_path / "large.png", optimize=True)
    assert client.predict(sketch(tmp_path / "large.png"), api_name="/predict")["label"] == "7"
    still_serving(client, seven_sketch)


def test_a_file_over_the_upload_limit_is_refused(client: Client, seven_sketch, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)).save(big)
    big.write_bytes(big.read_bytes() + bytes(11_000_000))  # valid PNG, padded past 10 MB
    with pytest.raises(Exception, match=r"(?i)too large|exceeds|size"):
        client.predict(sketch(big), api_name="/predict")
    still_serving(client, seven_sketch)


def _broken_image(kind: str, folder: Path) -> Path:
    path = folder / ("drawing.svg" if kind == "svg" else "drawing.png")
    if kind == "text":
        path.write_text("this is not a picture")
    elif kind == "svg":
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800">'
                        '<path d="M200 160 L600 160 L360 680" stroke="black" stroke-width="40"/></svg>')
    else:  # a real PNG cut in half: its header is fine, its pixels are not all there
        _canvas("RGB").save(path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


@pytest.mark.parametrize("kind", ["text", "truncated", "svg"])
def test_an_unreadable_drawing_gets_the_same_message_as_anywhere_else(client: Client, seven_sketch, tmp_path: Path,
                                                                      kind: str) -> None:
    """Gradio decodes before the app, and answered "upstream Gradio app has raised an exception"."""
    from demo.server.inputs import DRAWING
    from mnist_core.preprocess import ImageInputError, load_image_file

    path = _broken_image(kind, tmp_path)
    with pytest.raises(ImageInputError) as expected:  # what mnist_core (the CLI) says of the same file
        load_image_file(path, name=DRAWING)
    with pytest.raises(Exception) as err:
        client.predict(sketch(path), api_name="/predict")
    assert str(expected.value) in str(err.value) and "not a readable image" in str(err.value)
    assert "Traceback" not in str(err.value) and "/tmp" not in str(err.value)  # no server path either
    still_serving(client, seven_sketch)


def test_a_path_outside_the_upload_area_is_never_opened(app_server, client: Client, seven_sketch) -> None:
    """A hand-made request naming a server file (not an upload) must not read it."""
    url = app_server.url
    body = {"data": [{"background": None, "layers": [],
                      "composite": {"path": str(REPO / "assets" / "screenshots" / "draw.png"),
                                    "meta": {"_type": "gradio.FileData"}}}, None]}
    request = urllib.request.Request(f"{url}gradio_api/call/predict", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    event_id = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
    stream = urllib.request.urlopen(f"{url}gradio_api/call/predict/{event_id}", timeout=60).read().decode()
    assert "event: error" in stream and "event: complete" not in stream
    still_serving(client, seven_sketch)


@pytest.mark.parametrize("epochs,batch,lr,model,recipe,needle", [
    # The form's own limits answer first (the browser enforces them too) ...
    (0, 64, 0.1, "tiny-vgg", "fast", "minimum value 1"),
    (-2, 64, 0.1, "tiny-vgg", "fast", "minimum value 1"),
    (1, 0, 0.1, "tiny-vgg", "fast", "minimum value 1"),
    (1, 64, 0.1, "resnet-1000", "fast", "not in the list of choices"),
    (1, 64, 0.1, "tiny-vgg", "slow", "not in the list of choices"),
    # ... and mnist_core's recipe validation the rest. (NaN and infinity cannot even be sent: JSON has
    # no such numbers; get_recipe refuses them, see test_core_recipes.)
    (10**9, 64, 0.1, "tiny-vgg", "fast", "epochs must be"),
    (1, 70_000, 0.1, "tiny-vgg", "fast", "batch size must be"),
    (1, 64, -1.0, "tiny-vgg", "fast", "learning rate must be"),
])
def test_bad_training_settings_are_refused_with_a_message(client: Client, seven_sketch, epochs, batch, lr, model,
                                                          recipe, needle: str) -> None:
    with pytest.raises(Exception, match=re.compile(needle, re.IGNORECASE)):
        client.predict(model, recipe, epochs, batch, lr, 1, api_name="/train")
    still_serving(client, seven_sketch)


def test_defaults_listen_locally_and_share_nothing() -> None:
    import app

    args = app.build_parser().parse_args([])
    assert args.host == "127.0.0.1" or args.host == __import__("os").environ.get("GRADIO_SERVER_NAME")
    assert args.share is False
    assert app.launch_options()["max_file_size"]
    assert __import__("os").environ["GRADIO_ANALYTICS_ENABLED"] == "False"


SECRET_PATTERNS = [r"hf_[A-Za-z0-9]{30,}", r"AKIA[0-9A-Z]{16}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                   r"ghp_[A-Za-z0-9]{30,}", r"sk-[A-Za-z0-9]{32,}"]


def test_no_secrets_in_the_repository() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = REPO / name
        if path.suffix in {".pt", ".png", ".jpg"} or not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {p}" for p in SECRET_PATTERNS if re.search(p, text)]
    assert not found


def _wait_for_progress(job, deadline_s: float = 120) -> None:
    import time

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if any(out and "Epoch" in str(out[1]) for out in job.outputs()):
            return
        time.sleep(0.1)
    raise AssertionError(f"no progress streamed: {job.outputs()[-1:]}")


@pytest.mark.train
def test_rapid_start_and_stop_clicks_leave_nothing_stuck(app_server, seven_sketch) -> None:
    """Two Starts in a row, Stop, a Start right after that Stop: no stuck queue, no training left running."""
    import time

    url, sessions = app_server.url, app_server.sessions
    client = Client(url, verbose=False)
    args = ("fast-cnn", "fast", 1, 96, 0.1, 1)
    first = client.submit(*args, api_name="/train")
    second = client.submit(*args, api_name="/train")  # a double click: queued behind the first
    _wait_for_progress(first)
    client.predict(api_name="/stop")
    first.result(timeout=60)
    _wait_for_progress(second)  # the queued run starts normally once the first has stopped
    client.predict(api_name="/stop")
    third = client.submit(*args, api_name="/train")  # Start while the Stop is still being handled
    second.result(timeout=60)
    _wait_for_progress(third)
    client.predict(api_name="/stop")
    final = third.result(timeout=60)
    assert final[1].startswith("### Stopped")
    deadline = time.monotonic() + 10
    while (sessions.run_of(client.session_hash) or _threads_in_training_loop()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sessions.run_of(client.session_hash) is None
    assert not _threads_in_training_loop()  # no orphan thread still stepping a model
    still_serving(client, seven_sketch)


def _threads_in_training_loop() -> list[str]:
    """Names of threads whose stack is inside mnist_core's training loop right now."""
    import sys
    import threading

    import mnist_core.train

    names = {t.ident: t.name for t in threading.enumerate()}
    busy = []
    for ident, frame in sys._current_frames().items():
        while frame is not None:
            if frame.f_code.co_filename == mnist_core.train.__file__ and frame.f_code.co_name == "train":
                busy.append(names.get(ident, str(ident)))
                break
            frame = frame.f_back
    return busy


@pytest.mark.train
def test_models_of_visitors_who_left_are_freed(app_server, session_models, seven_sketch) -> None:
    """One visitor trains, stops and leaves; another leaves mid-run: neither model stays in memory."""
    import gc
    import time
    import weakref

    url, sessions = app_server.url, app_server.sessions
    args = ("fast-cnn", "fast", 1, 96, 0.1, 1)

    finished = Client(url, verbose=False)
    job = finished.submit(*args, api_name="/train")
    _wait_for_progress(job)
    finished.predict(api_name="/stop")
    job.result(timeout=60)
    models = session_models[finished.session_hash]
    assert len(models.entries) == 1 and not models.closed  # Stop keeps the model while the visitor stays
    kept = weakref.ref(next(iter(models.entries.values())).model)

    leaving = Client(url, verbose=False)
    running = leaving.submit(*args, api_name="/train")
    _wait_for_progress(running)
    left_mid_run = session_models[leaving.session_hash]
    assert not left_mid_run.closed and sessions.run_of(leaving.session_hash) is not None

    finished.close()  # the tab closes: Gradio's heartbeat ends and the page's unload event runs
    leaving.close()
    deadline = time.monotonic() + 30
    while (kept() is not None or sessions.run_of(leaving.session_hash)) and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.2)
    assert kept() is None, "a model trained by a visitor who left is still referenced"
    assert sessions.run_of(leaving.session_hash) is None, "the run of the visitor who left is still training"
    assert models.closed and not models.entries  # freed when the page closed, not when Gradio's state expires
    assert left_mid_run.closed and not left_mid_run.entries
    still_serving(Client(url, verbose=False), seven_sketch)


# --- hostile requests against resources, and what the app exposes. ---------------------------------------


@pytest.mark.slow
def test_forged_inputs_get_a_clear_message(app_server, client: Client, seven_sketch) -> None:
    """a list as the model, NaN and infinity as numbers, forged gallery indexes, fn_index 999."""
    url, demo = app_server.url, app_server.demo
    index_of = {fn.fn.__name__: i for i, fn in demo.fns.items() if fn.fn is not None}
    with pytest.raises(Exception, match="Model: expected one of the choices, got a list"):
        client.predict(seven_sketch, ["tiny-vgg-seed004.pt"], api_name="/predict")
    cases = [("run", ["tiny-vgg", "fast", float("nan"), 64, 0.1, 1, None], None, "Epochs: must be a finite number"),
             ("run", ["tiny-vgg", "fast", 1, float("inf"), 0.1, 1, None], None, "Batch size: must be a finite number"),
             ("pick_mistake", [None, None], {"index": 1e9, "value": None}, "not in the gallery"),
             ("pick_mistake", [None, None], {"index": None, "value": None}, "not in the gallery")]
    for name, data, event_data, needle in cases:
        done = send_event(url, index_of[name], data, event_data=event_data)
        assert not done["success"] and needle in done["output"]["error"], (name, done)
    assert send_event(url, 999, []) == {"status": 404, "detail": "No such function: fn_index 999."}
    still_serving(client, seven_sketch)


def test_a_huge_value_is_neither_echoed_nor_logged(app_server, client: Client, seven_sketch,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    """a 50 MB model name came back in the error and wrote a 52 MB line to the server's log."""
    import httpx

    with pytest.raises(Exception) as err:
        client.predict(seven_sketch, "x" * 500_000, api_name="/predict")
    assert "500,000 characters is not one of the choices" in str(err.value) and len(str(err.value)) < 1_000
    body = json.dumps({"data": [None, "x" * 2_000_000], "fn_index": 0, "session_hash": "huge"})
    refused = httpx.post(f"{app_server.url}gradio_api/queue/join", content=body,
                         headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and len(refused.text) < 200  # not even read past the limit
    still_serving(client, seven_sketch)
    logged = capfd.readouterr()  # this process's output holds the in-process server's log
    assert max(map(len, (logged.out + logged.err).splitlines()), default=0) < 5_000


def test_monitoring_is_off(app_server) -> None:
    """/monitoring/summary was open without login and listed every function and its call count."""
    for page in ("monitoring", "monitoring/summary"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{app_server.url}{page}", timeout=30)
        assert err.value.code == 403


class PeakRSS:
    """The peak growth of a process's resident memory while the ``with`` block runs, sampled every 10 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.growth_mb, self._stop = pid, 0.0, None

    def __enter__(self) -> PeakRSS:
        import threading

        start, self._stop = rss_mb(self.pid)[0], threading.Event()

        def sample() -> None:
            while not self._stop.is_set():
                self.growth_mb = max(self.growth_mb, rss_mb(self.pid)[0] - start)
                self._stop.wait(0.01)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def app_process(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, seven_sketch) -> dict[str, Any]:
    """``python app.py`` in its own process, as deployed, so its memory and temporary folder can be measured.

    Its temporary files are deleted after 5 s and it keeps 20 sessions (``$MNIST_TEMP_MAX_AGE``,
    ``$MNIST_MAX_SESSIONS``), so the tests see both limits at work in seconds.
    """
    import os

    folder = tmp_path_factory.mktemp("app-process")
    env = {**os.environ, "GRADIO_TEMP_DIR": str(folder / "gradio"), "MNIST_TEMP_MAX_AGE": "5",
           "MNIST_MAX_SESSIONS": "20", "GRADIO_ANALYTICS_ENABLED": "False"}
    port = free_port()
    proc = start_app(port, env)
    url = f"http://127.0.0.1:{port}/"
    try:
        client = connect(url, timeout=180)
        still_serving(client, seven_sketch)  # warm: the first prediction allocates what every later one reuses
        yield {"url": url, "pid": proc.pid, "temp": folder / "gradio", "client": client}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_a_decompression_bomb_is_refused_before_decoding(app_process: dict[str, Any], seven_sketch,
                                                         tmp_path: Path) -> None:
    """a 37 KB PNG of 13000 x 13000 cost the server 2 GB and 7 s; here 6000 x 6000 (36 megapixels)."""
    import time

    bomb = tmp_path / "bomb.png"
    img = Image.new("1", (6000, 6000), 1)
    ImageDraw.Draw(img).line([(1500, 1200), (4500, 1200), (2700, 5100)], fill=0, width=330)
    img.save(bomb, optimize=True)
    assert bomb.stat().st_size < 100_000
    started = time.monotonic()
    with PeakRSS(app_process["pid"]) as rss, pytest.raises(Exception, match="36.0 megapixels is too large"):
        app_process["client"].predict(sketch(bomb), api_name="/predict")
    assert rss.growth_mb < 60 and time.monotonic() - started < 20, rss.growth_mb
    still_serving(app_process["client"], seven_sketch)


def _upload(url: str, *paths: Path) -> list[str]:
    import httpx

    files = [("files", (p.name, p.read_bytes())) for p in paths]
    answer = httpx.post(f"{url}gradio_api/upload", files=files, timeout=60)
    answer.raise_for_status()
    return answer.json()


@pytest.mark.slow
def test_heavy_work_cannot_bypass_the_queue(app_process: dict[str, Any], seven_sketch, tmp_path: Path) -> None:
    """POST /gradio_api/run/predict ran outside the queue: 8 large drawings at once took +3.4 GB."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    _canvas("RGB", size=3500).save(tmp_path / "large.png")  # 12 megapixels: allowed, but costly to decode
    url = app_process["url"]
    paths = _upload(url, *[tmp_path / "large.png"] * 4)

    def direct(path: str) -> int:
        value = {"background": None, "layers": [], "composite": {"path": path, "meta": {"_type": "gradio.FileData"}}}
        body = {"data": [value, None, None], "session_hash": uuid.uuid4().hex}  # drawing, model, session state
        return httpx.post(f"{url}gradio_api/run/predict", json=body, timeout=120).status_code

    with PeakRSS(app_process["pid"]) as rss, ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(direct, paths))
    assert statuses == [404] * 4 and rss.growth_mb < 60, (statuses, rss.growth_mb)
    still_serving(app_process["client"], seven_sketch)  # the same drawing through the queue (gradio_client) is served


@pytest.mark.slow
def test_temporary_files_and_sessions_stay_bounded(app_process: dict[str, Any], tmp_path: Path) -> None:
    """uploads stayed forever, and every new session kept ~160 KB of Gradio state (300: +44-60 MB)."""
    import time
    import uuid

    import httpx

    (tmp_path / "junk.bin").write_bytes(bytes(1_000_000))
    url, pid = app_process["url"], app_process["pid"]
    junk = Path(_upload(url, tmp_path / "junk.bin")[0])
    assert junk.exists() and app_process["temp"] in junk.parents

    def new_sessions(count: int) -> None:
        with httpx.Client(timeout=30) as http:
            for _ in range(count):
                http.post(f"{url}gradio_api/run/stop", json={"data": [], "session_hash": uuid.uuid4().hex})

    new_sessions(40)  # past the limit of 20, so what is measured next is the steady state
    before = rss_mb(pid)[0]
    new_sessions(300)
    grown = rss_mb(pid)[0] - before
    assert grown < 15, f"{grown:.1f} MB for 300 new sessions"
    deadline = time.monotonic() + 30
    while junk.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not junk.exists(), "an upload was kept past $MNIST_TEMP_MAX_AGE"

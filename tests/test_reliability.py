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
from test_app_api import draw_digit, sketch, top_label

from demo.draw_tab import PROMPT

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def seven(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return sketch(draw_digit(tmp_path_factory.mktemp("seven") / "seven.png", 7))


def still_serving(client: Client, seven: dict[str, Any]) -> None:
    assert top_label(client.predict(seven, api_name="/predict"))[0] == "7"


def _canvas(mode: str, size: int = 800) -> Image.Image:
    """The 7 of test_app_api, converted to an image mode a browser would never send."""
    img = Image.new("RGBA", (size, size), "white")
    ImageDraw.Draw(img).line([(0.25 * size, 0.2 * size), (0.75 * size, 0.2 * size), (0.45 * size, 0.85 * size)],
                             fill="black", width=size // 18, joint="curve")
    if mode == "alpha-only":  # strokes only in the alpha channel, colour all black
        alpha = 255 - np.asarray(img.convert("L"))
        return Image.fromarray(np.dstack([np.zeros_like(alpha)] * 3 + [alpha]), "RGBA")
    if mode == "I;16":
        return Image.fromarray(np.asarray(img.convert("L"), dtype=np.uint16) * 257)
    return img.convert(mode)


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "CMYK", "I;16", "LA", "alpha-only"])
def test_image_modes_are_read(client: Client, seven, tmp_path: Path, mode: str) -> None:
    path = tmp_path / ("digit.jpg" if mode == "CMYK" else "digit.png")
    _canvas(mode).save(path)
    assert top_label(client.predict(sketch(path), api_name="/predict"))[0] == "7"


@pytest.mark.parametrize("case", ["blank", "dot", "filled", "tiny"])
def test_degenerate_drawings_get_an_answer_not_an_error(client: Client, seven, tmp_path: Path, case: str) -> None:
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
    still_serving(client, seven)


def test_a_huge_drawing_is_read_within_the_upload_limit(client: Client, seven, tmp_path: Path) -> None:
    img = Image.new("L", (10000, 10000), 255)
    ImageDraw.Draw(img).line([(2500, 2000), (7500, 2000), (4500, 8500)], fill=0, width=550)
    img.save(tmp_path / "huge.png", optimize=True)
    assert (tmp_path / "huge.png").stat().st_size < 10_000_000
    assert top_label(client.predict(sketch(tmp_path / "huge.png"), api_name="/predict"))[0] == "7"
    still_serving(client, seven)


def test_a_file_over_the_upload_limit_is_refused(client: Client, seven, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)).save(big)
    big.write_bytes(big.read_bytes() + bytes(11_000_000))  # valid PNG, padded past 10 MB
    with pytest.raises(Exception, match=r"(?i)too large|exceeds|size"):
        client.predict(sketch(big), api_name="/predict")
    still_serving(client, seven)


def test_a_non_image_payload_gets_a_message(client: Client, seven, tmp_path: Path) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("this is not a picture")
    with pytest.raises(Exception) as err:
        client.predict(sketch(notes), api_name="/predict")
    assert "Traceback" not in str(err.value)
    still_serving(client, seven)


def test_a_path_outside_the_upload_area_is_never_opened(app_server: tuple[str, Any], client: Client, seven) -> None:
    """A hand-made request naming a server file (not an upload) must not read it."""
    url = app_server[0]
    body = {"data": [{"background": None, "layers": [],
                      "composite": {"path": str(REPO / "assets" / "screenshots" / "draw.png"),
                                    "meta": {"_type": "gradio.FileData"}}}, None]}
    request = urllib.request.Request(f"{url}gradio_api/call/predict", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    event_id = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
    stream = urllib.request.urlopen(f"{url}gradio_api/call/predict/{event_id}", timeout=60).read().decode()
    assert "event: error" in stream and "event: complete" not in stream
    still_serving(client, seven)


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
def test_bad_training_settings_are_refused_with_a_message(client: Client, seven, epochs, batch, lr, model, recipe,
                                                          needle: str) -> None:
    with pytest.raises(Exception, match=re.compile(needle, re.IGNORECASE)):
        client.predict(model, recipe, epochs, batch, lr, 1, api_name="/train")
    still_serving(client, seven)


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


def test_rapid_start_and_stop_clicks_leave_nothing_stuck(app_server: tuple[str, Any], seven) -> None:
    """Two Starts in a row, Stop, a Start right after that Stop: no stuck queue, no training left running."""
    import time

    from demo.train_tab import ACTIVE_RUNS

    url, _ = app_server
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
    while (ACTIVE_RUNS or _threads_in_training_loop()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not ACTIVE_RUNS
    assert not _threads_in_training_loop()  # no orphan thread still stepping a model
    still_serving(client, seven)


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


def test_models_of_visitors_who_left_are_freed(app_server: tuple[str, Any], seven) -> None:
    """One visitor trains, stops and leaves; another leaves mid-run: neither model stays in memory."""
    import gc
    import time
    import weakref

    from demo.models_state import tracked_session
    from demo.train_tab import ACTIVE_RUNS

    url, _ = app_server
    args = ("fast-cnn", "fast", 1, 96, 0.1, 1)

    finished = Client(url, verbose=False)
    job = finished.submit(*args, api_name="/train")
    _wait_for_progress(job)
    finished.predict(api_name="/stop")
    job.result(timeout=60)
    models = tracked_session(finished.session_hash)
    assert models is not None and len(models.entries) == 1  # Stop keeps the model while the visitor stays
    kept = weakref.ref(next(iter(models.entries.values())).model)

    leaving = Client(url, verbose=False)
    running = leaving.submit(*args, api_name="/train")
    _wait_for_progress(running)
    left_mid_run = tracked_session(leaving.session_hash)
    assert left_mid_run is not None

    del models
    finished.close()  # the tab closes: Gradio's heartbeat ends and the page's unload event runs
    leaving.close()
    deadline = time.monotonic() + 30
    while (kept() is not None or ACTIVE_RUNS) and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.2)
    assert kept() is None, "a model trained by a visitor who left is still referenced"
    assert not ACTIVE_RUNS, "the run of the visitor who left is still training"
    assert tracked_session(finished.session_hash) is None and tracked_session(leaving.session_hash) is None
    assert left_mid_run.closed and not left_mid_run.entries
    still_serving(Client(url, verbose=False), seven)

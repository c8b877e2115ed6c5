"""Every endpoint of the launched app, through ``gradio_client`` as an outside program would call it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from PIL import Image, ImageDraw

from demo.draw_tab import PROMPT

#: Strokes of hand-drawn digits, as polylines in [0, 1] canvas coordinates.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5, 0.15), (0.3, 0.3), (0.27, 0.55), (0.35, 0.8), (0.5, 0.87), (0.65, 0.8), (0.73, 0.55),
         (0.7, 0.3), (0.5, 0.15)]],
    1: [[(0.42, 0.27), (0.52, 0.15), (0.52, 0.85)]],
    4: [[(0.55, 0.15), (0.25, 0.6), (0.75, 0.6)], [(0.6, 0.35), (0.6, 0.88)]],
    7: [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
}


def draw_digit(path: Path, digit: int | None, colour: str = "black", size: int = 800) -> Path:
    """An RGBA sketch like the browser sends (opaque white, strokes in ``colour``); blank if ``digit`` is None."""
    image = Image.new("RGBA", (size, size), "white")
    pen = ImageDraw.Draw(image)
    for stroke in DIGIT_STROKES.get(digit, []) if digit is not None else []:
        pen.line([(x * size, y * size) for x, y in stroke], fill=colour, width=size // 18, joint="curve")
    image.save(path)
    return path


def sketch(path: Path) -> dict[str, Any]:
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def top_label(result: dict[str, Any]) -> tuple[str, float]:
    best = max(result["confidences"], key=lambda c: c["confidence"])
    return best["label"], best["confidence"]


@pytest.mark.parametrize("digit", sorted(DIGIT_STROKES))
def test_predict_reads_a_drawn_digit(client: Client, tmp_path: Path, digit: int) -> None:
    result = client.predict(sketch(draw_digit(tmp_path / "d.png", digit)), api_name="/predict")
    assert result["label"] == str(digit), result
    assert len(result["confidences"]) == 3
    assert top_label(result) == (str(digit), pytest.approx(top_label(result)[1]))


def test_predict_any_brush_colour_and_every_pretrained_model(client: Client, app_server: tuple[str, Any],
                                                             tmp_path: Path) -> None:
    from demo.context import AppContext

    path = draw_digit(tmp_path / "seven.png", 7, colour="#d62728")
    for key in AppContext.create().catalog.entries:
        result = client.predict(sketch(path), key, api_name="/predict")
        assert result["label"] == "7", (key, result)


def test_blank_canvas_asks_for_a_drawing(client: Client, tmp_path: Path) -> None:
    result = client.predict(sketch(draw_digit(tmp_path / "blank.png", None)), api_name="/predict")
    assert result["label"] == PROMPT
    assert not result.get("confidences")


def test_confusion_matrix_covers_the_test_set(client: Client) -> None:
    result = client.predict(api_name="/confusion_matrix")
    matrix = result["matrix"]
    assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
    assert sum(map(sum, matrix)) == 10_000
    diagonal = sum(matrix[i][i] for i in range(10))
    assert diagonal / 10_000 == pytest.approx(result["accuracy"])
    assert result["accuracy"] > 0.95


def test_training_streams_then_stop_keeps_a_selectable_model(app_server: tuple[str, Any], tmp_path: Path) -> None:
    """Start a run, watch a few chart updates arrive, press Stop: the run ends and the model is usable."""
    from demo.train_tab import ACTIVE_RUNS

    url, _ = app_server
    client = Client(url, verbose=False)  # its own session: the trained model must stay in it
    job = client.submit("tiny-vgg", "fast", 1, 128, 0.003, 1, api_name="/train")
    charts = 0
    deadline = time.monotonic() + 120
    while charts < 3 and time.monotonic() < deadline:
        outputs = job.outputs()
        charts = sum(1 for out in outputs if out and out[0] is not None and "Epoch" in str(out[1]))
        time.sleep(0.2)
    assert charts >= 3, f"no streamed progress: {job.outputs()[-1:]}"
    assert ACTIVE_RUNS, "the run should be registered while it trains"

    stopped_at = time.monotonic()
    client.predict(api_name="/stop")
    final = job.result(timeout=60)
    assert not ACTIVE_RUNS
    status = final[1]
    assert status.startswith("### Stopped"), status
    # Stopping took at most a second or two, plus measuring the test accuracy of the model so far.
    assert time.monotonic() - stopped_at < 30

    draw_update = final[2]  # the Draw tab's model list: the new model on top, and selected
    assert draw_update["choices"][0][1] == "session-1" and draw_update["value"] == "session-1"
    assert "(stopped)" in draw_update["choices"][0][0]
    seven = draw_digit(tmp_path / "seven.png", 7)
    result = client.predict(sketch(seven), "session-1", api_name="/predict")
    assert "confidences" in result
    matrix = client.predict("session-1", api_name="/confusion_matrix")
    assert matrix["model"] == "session-1" and sum(map(sum, matrix["matrix"])) == 10_000

    # Another visitor does not see this session's model.
    other = Client(url, verbose=False)
    with pytest.raises(Exception, match="session-1|not in the list|Unknown model"):
        other.predict(sketch(seven), "session-1", api_name="/predict")


def test_invalid_settings_are_refused_with_a_message(client: Client) -> None:
    with pytest.raises(Exception, match="learning rate must be a finite number above 0"):
        client.predict("tiny-vgg", "fast", 1, 128, 0.0, 1, api_name="/train")


def test_a_second_training_waits_in_the_queue(app_server: tuple[str, Any]) -> None:
    """With the default limit of one run at a time, a second visitor is told their place in the queue."""
    from gradio_client.utils import Status

    from demo.train_tab import ACTIVE_RUNS

    url, _ = app_server
    first, second = Client(url, verbose=False), Client(url, verbose=False)
    running = first.submit("tiny-vgg", "fast", 1, 128, 0.003, 1, api_name="/train")
    deadline = time.monotonic() + 120
    while not ACTIVE_RUNS and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ACTIVE_RUNS, "the first run did not start"
    waiting = second.submit("tiny-vgg", "fast", 1, 128, 0.003, 1, api_name="/train")
    status = waiting.status()
    deadline = time.monotonic() + 10
    while status.code != Status.IN_QUEUE and time.monotonic() < deadline:
        time.sleep(0.1)
        status = waiting.status()
    assert status.code == Status.IN_QUEUE and status.rank == 0, status
    assert len(ACTIVE_RUNS) == 1  # the second run is not training alongside
    waiting.cancel()
    first.predict(api_name="/stop")
    running.result(timeout=60)
    assert not ACTIVE_RUNS


def test_explain_shows_inside_the_network(client: Client, tmp_path: Path) -> None:
    """/explain: the prediction, a 28x28 Grad-CAM in [0, 1] and every conv layer, for every pretrained model."""
    from demo.context import AppContext

    seven = sketch(draw_digit(tmp_path / "seven.png", 7))
    for key, entry in AppContext.create().catalog.entries.items():
        result = client.predict(seven, key, api_name="/explain")
        assert result["label"] == 7 and result["target"] == 7, (key, result["probabilities"])
        cam = result["gradcam"]
        assert len(cam) == 28 and all(len(row) == 28 for row in cam)
        values = [v for row in cam for v in row]
        assert min(values) >= 0 and max(values) == 1.0
        convs = [name for name, m in entry.model.named_modules() if type(m).__name__ == "Conv2d"]
        assert [f["name"] for f in result["feature_maps"]] == convs
        assert all(len(f["shape"]) == 3 for f in result["feature_maps"])
    blank = client.predict(sketch(draw_digit(tmp_path / "blank.png", None)), api_name="/explain")
    assert blank["label"] is None and blank["message"] == PROMPT

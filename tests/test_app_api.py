"""Every endpoint of the launched app, through ``gradio_client`` as an outside program would call it."""

from __future__ import annotations

import time

import pytest
from gradio_client import Client
from PIL import Image

from demo.tabs.draw import PROMPT
from tests.support.clients import sketch_value as sketch
from tests.support.sketches import PLAIN_DIGITS


@pytest.mark.parametrize("digit", sorted(PLAIN_DIGITS))
def test_predict_reads_a_drawn_digit_with_the_models_own_confidences(client: Client, draw, digit: int) -> None:
    """The answer and its three confidences are those the default model gives the same drawing in process."""
    from demo.server.context import AppContext
    from mnist_core.predict import predict_drawing

    path = draw(digit)
    result = client.predict(sketch(path), api_name="/predict")
    assert result["label"] == str(digit), result
    catalog = AppContext.create().catalog
    expected = predict_drawing(catalog.entries[catalog.default_key].model, Image.open(path))
    assert {c["label"]: c["confidence"] for c in result["confidences"]} == pytest.approx(expected.top(3), abs=1e-4)


def test_predict_any_brush_colour_and_every_pretrained_model(client: Client, draw) -> None:
    from demo.server.context import AppContext

    path = draw(7, ink="#d62728")
    for key in AppContext.create().catalog.entries:
        result = client.predict(sketch(path), key, api_name="/predict")
        assert result["label"] == "7", (key, result)


def test_blank_canvas_asks_for_a_drawing(client: Client, draw) -> None:
    result = client.predict(sketch(draw(None)), api_name="/predict")
    assert result["label"] == PROMPT
    assert not result.get("confidences")


@pytest.mark.slow
def test_confusion_matrix_covers_the_test_set(client: Client) -> None:
    result = client.predict(api_name="/confusion_matrix")
    matrix = result["matrix"]
    assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
    assert sum(map(sum, matrix)) == 10_000
    diagonal = sum(matrix[i][i] for i in range(10))
    assert diagonal / 10_000 == pytest.approx(result["accuracy"])
    assert result["accuracy"] > 0.95


@pytest.mark.train
def test_training_streams_then_stop_keeps_a_selectable_model(app_server, session_models, seven_sketch) -> None:
    """Start a run, watch a few chart updates arrive, press Stop: the run ends and the model is usable."""
    client = Client(app_server.url, verbose=False)  # its own session: the trained model must stay in it
    sessions, me = app_server.sessions, client.session_hash
    job = client.submit("tiny-vgg", "fast", 1, 128, 0.003, 1, api_name="/train")
    charts = 0
    deadline = time.monotonic() + 120
    while charts < 3 and time.monotonic() < deadline:
        outputs = job.outputs()
        charts = sum(1 for out in outputs if out and out[0] is not None and "Epoch" in str(out[1]))
        time.sleep(0.2)
    assert charts >= 3, f"no streamed progress: {job.outputs()[-1:]}"
    assert sessions.run_of(me) is not None, "the run should be registered while it trains"

    stopped_at = time.monotonic()
    client.predict(api_name="/stop")
    final = job.result(timeout=60)
    assert sessions.run_of(me) is None
    status = final[1]
    assert status.startswith("### Stopped"), status
    # Stopping took at most a second or two, plus measuring the test accuracy of the model so far.
    assert time.monotonic() - stopped_at < 30

    draw_update = final[2]  # the Draw tab's model list: the new model on top, and selected
    key = draw_update["value"]
    assert draw_update["choices"][0][1] == key
    assert draw_update["choices"][0][0].startswith("★ #1 tiny-vgg trained here (fast, stopped) · ")
    assert list(session_models[me].entries) == [key]  # this session's own model, and only it
    result = client.predict(seven_sketch, key, api_name="/predict")
    assert "confidences" in result
    matrix = client.predict(key, api_name="/confusion_matrix")
    assert matrix["model"] == key and sum(map(sum, matrix["matrix"])) == 10_000

    # Another visitor does not see this session's model.
    other = Client(app_server.url, verbose=False)
    with pytest.raises(Exception, match=f"{key}|not in the list|Unknown model"):
        other.predict(seven_sketch, key, api_name="/predict")


def test_invalid_settings_are_refused_with_a_message(client: Client) -> None:
    with pytest.raises(Exception, match="learning rate must be a finite number above 0"):
        client.predict("tiny-vgg", "fast", 1, 128, 0.0, 1, api_name="/train")


@pytest.mark.train
def test_a_second_training_waits_in_the_queue(app_server) -> None:
    """With the default limit of one run at a time, a second visitor is told their place in the queue."""
    from gradio_client.utils import Status

    sessions = app_server.sessions
    first, second = Client(app_server.url, verbose=False), Client(app_server.url, verbose=False)
    running = first.submit("tiny-vgg", "fast", 1, 128, 0.003, 1, api_name="/train")
    assert sessions.wait_for(lambda s: s.run_of(first.session_hash) is not None, timeout=120), \
        "the first run did not start"
    waiting = second.submit("tiny-vgg", "fast", 1, 128, 0.003, 1, api_name="/train")
    status = waiting.status()
    deadline = time.monotonic() + 10
    while status.code != Status.IN_QUEUE and time.monotonic() < deadline:
        time.sleep(0.1)
        status = waiting.status()
    assert status.code == Status.IN_QUEUE and status.rank == 0, status
    assert sessions.run_of(second.session_hash) is None  # the second run is not training alongside
    waiting.cancel()
    first.predict(api_name="/stop")
    running.result(timeout=60)
    assert sessions.run_of(first.session_hash) is None


def test_explain_shows_inside_the_network(client: Client, seven_sketch, draw) -> None:
    """/explain: the prediction, a 28x28 Grad-CAM in [0, 1] and every conv layer, for every pretrained model."""
    from demo.server.context import AppContext

    for key, entry in AppContext.create().catalog.entries.items():
        result = client.predict(seven_sketch, key, api_name="/explain")
        assert result["label"] == 7 and result["target"] == 7, (key, result["probabilities"])
        cam = result["gradcam"]
        assert len(cam) == 28 and all(len(row) == 28 for row in cam)
        values = [v for row in cam for v in row]
        assert min(values) >= 0 and max(values) == 1.0
        convs = [name for name, m in entry.model.named_modules() if type(m).__name__ == "Conv2d"]
        assert [f["name"] for f in result["feature_maps"]] == convs
        assert all(len(f["shape"]) == 3 for f in result["feature_maps"])
    blank = client.predict(sketch(draw(None)), api_name="/explain")
    assert blank["label"] is None and blank["message"] == PROMPT


@pytest.mark.train
def test_teach_through_the_api_learns_this_sessions_examples_for_this_session_only(app_server, tmp_path) -> None:
    """/add_example keeps drawings with the digit they are, /teach fine-tunes a copy, and /predict with the taught
    model's key reads them so; another visitor has no such model."""
    from tests.support.sketches import CROSS, plain_strokes

    client = Client(app_server.url, verbose=False)
    crosses = []
    for i, shift in enumerate([(0.0, 0.0), (0.05, 0.03)]):
        crosses.append(tmp_path / f"cross-{i}.png")
        plain_strokes(CROSS, shift=shift).save(crosses[-1])
    before = client.predict(sketch(crosses[0]), api_name="/predict")["label"]
    target = 4 if before != "4" else 3
    for n, path in enumerate(crosses, start=1):
        assert client.predict(sketch(path), target, api_name="/add_example") == n
    status, result, *_ = client.predict(None, api_name="/teach")
    assert "Taught: 2 of 2 of your examples read right now" in status
    assert "MNIST test set" in result
    taught = client.predict(sketch(crosses[0]), "session-1", api_name="/predict")
    assert taught["label"] == str(target)
    stranger = Client(app_server.url, verbose=False)
    with pytest.raises(Exception, match="session-1 is not in the list of choices"):
        stranger.predict(sketch(crosses[0]), "session-1", api_name="/predict")
    with pytest.raises(Exception, match="greater than maximum value 9"):
        client.predict(sketch(crosses[0]), 12, api_name="/add_example")
    with pytest.raises(Exception, match="no examples to learn"):
        stranger.predict(None, api_name="/teach")


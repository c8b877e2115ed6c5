"""The app in a real browser: headless Debian chromium driven by Playwright.

Draws a digit with mouse strokes and reads the answer, runs a short training and stops
it, and checks that closing the tab ends a run, and that every "inside the network" view
(saliency, feature maps, probe digits, filters, mistakes, model diagram) renders its images.
Screenshots of every step (and of every tab) go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mnist_core.paths import ASSETS_DIR
from tests.pages import (
    EUROPEAN_ONE,
    ONE,
    SEVEN,
    events_sent,
    shot,
    stroke,
    top_prediction,
    wait_for_answer,
    wait_for_images,
)
from tests.support.chromium import STATUS_SAYS

pytestmark = pytest.mark.browser


@pytest.fixture
def page(open_page: Any, app_server) -> Any:
    return open_page(app_server.url)


def test_draw_a_digit_and_read_it(page: Any) -> None:
    # Ready to draw at once: no "select the draw tool" step for the visitor.
    assert top_prediction(page) == "Draw a digit"
    stroke(page, SEVEN)
    assert wait_for_answer(page) == "7"
    page.wait_for_selector("#model-input img")
    shot(page, "draw-seven")

    # Clear empties the canvas: the next digit is read on its own, twice over.
    for digit, points in (("1", ONE), ("7", SEVEN)):
        page.locator("#clear-button").click()
        assert wait_for_answer(page) == "Draw a digit"
        stroke(page, points)
        assert wait_for_answer(page) == digit


def temp_files() -> set[Path]:
    """Every file in Gradio's temporary folder (the app under test runs in this process)."""
    from gradio.utils import get_upload_folder

    return {p for p in Path(get_upload_folder()).rglob("*") if p.is_file()}


def test_every_stroke_sends_the_whole_drawing_once_and_undo_takes_one_back(page: Any) -> None:
    """A two-stroke 4: the answer is for both strokes; each stroke is one event, with everything inline: no
    upload, no file written on the server, no picture fetched afterwards (two phones sending the same drawing
    once raced on that file). Undo removes the last stroke. (Gradio's own sketchpad uploaded the canvas 24-36
    times per stroke.)"""
    requests: list[str] = []
    joins: list[Any] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("request", lambda r: joins.append(r) if "/queue/join" in r.url else None)
    before = temp_files()
    stroke(page, [(0.30, 0.15), (0.22, 0.55), (0.72, 0.55)])
    wait_for_answer(page)
    stroke(page, [(0.60, 0.25), (0.60, 0.90)])
    assert wait_for_answer(page) == "4"
    page.wait_for_selector("#feature-maps-view img")  # the inside views came with the answer
    assert page.evaluate("document.querySelector('#sketchpad').dataset.seq") == "2"
    shown = page.evaluate("""() => { const img = document.querySelector('#model-input img');
        return {width: img.clientWidth, natural: img.naturalWidth,
                rendering: getComputedStyle(img).imageRendering}; }""")
    assert shown["width"] >= 200, f"the model's input is shown {shown['width']} px wide"
    assert shown["natural"] >= shown["width"] or shown["rendering"] == "pixelated", "its pixels are enlarged blurred"
    assert sum("/upload" in u or "/component_server" in u for u in requests) == 0
    assert len(events_sent(page, joins)) == 2  # one event per stroke: answer and inside views together
    assert [u for u in requests if "/file=" in u] == []
    assert temp_files() - before == set()

    page.locator("#undo-button").click()
    assert wait_for_answer(page) != "4"
    page.locator("#undo-button").click()
    assert wait_for_answer(page) == "Draw a digit"


def test_the_lesson_sets_a_model_that_learnt_from_mnist_alone_beside_the_drawing_model(page: Any) -> None:
    """A 1 with a long upstroke, as much of Europe writes it: MNIST alone reads a 7, the drawing model a 1."""
    assert "two models" in page.locator("#lesson").inner_text()  # before drawing: what the view is for
    stroke(page, EUROPEAN_ONE)
    assert wait_for_answer(page) == "1"
    page.wait_for_selector("#lesson .lesson-differ")
    mnist_alone, drawing = page.locator("#lesson .lesson-digit").all_inner_texts()
    assert (mnist_alone.rstrip("?"), drawing) == ("7", "1")
    assert "US Census Bureau" in page.locator("#lesson .lesson-note").inner_text()
    # The row under the answer: every pretrained model's reading, the chosen one marked, the MNIST-only one flagged.
    chips = page.locator("#readings .reading-chip")
    assert chips.count() == len(list(ASSETS_DIR.glob("*.pt")))
    assert page.locator("#readings .reading-main").inner_text().startswith("▸ drawing model (MNIST + European) · 1 ·")
    assert page.locator("#readings .reading-differ", has_text="drawing model (MNIST only) · 7").count() == 1
    shot(page, "draw-lesson")


#: How many points the training chart's lines have drawn (a page function).
LINE_POINTS = """() => {
    const plot = document.querySelector('#train-chart .js-plotly-plot');
    if (!plot || !plot.data) return 0;
    return plot.data.reduce((n, trace) => n + (trace.x ? trace.x.length : 0), 0);
}"""


def session_hash(page: Any) -> str:
    """The Gradio session of the page, as the server's ``Sessions`` knows it."""
    return page.evaluate("window.__gradio_session_hash__")


def test_train_live_then_stop(page: Any, app_server) -> None:
    page.get_by_role("tab", name="Train").click()
    page.locator("#start-button").click()
    page.wait_for_function("() => /Epoch 1 of/.test(document.querySelector('#train-status').innerText)",
                           timeout=60_000)
    assert app_server.sessions.run_of(session_hash(page)) is not None, "the page's run is not registered"
    first = page.evaluate(LINE_POINTS)
    # New points while it trains (a timeout here: the chart stood still).
    page.wait_for_function(f"() => ({LINE_POINTS})() > {first + 2}", timeout=30_000)
    status = page.locator("#train-status").inner_text()
    assert re.search(r"images/s", status) and "ETA" in status
    # The ten probe digits and the first layer's filters are shown while it trains.
    wait_for_images(page, "#train-probes img", 10)
    assert page.locator("#train-probes figcaption").count() == 10
    assert "%" in page.locator("#train-probes").inner_text()
    wait_for_images(page, "#train-filters img", 1)
    shot(page, "train-running")

    page.locator("#stop-button").click()
    # Stop is said at once, then the stopped model is measured; no step runs after Stop.
    page.wait_for_function(STATUS_SAYS, arg="Stopped at step", timeout=30_000)
    steps = page.locator("#train-status").inner_text().split("Stopped at step ", 1)[1].split()[0]
    page.wait_for_function(STATUS_SAYS, arg="Stopped: test accuracy", timeout=60_000)
    assert f"{steps} steps" in page.locator("#train-status").inner_text()
    assert app_server.sessions.run_of(session_hash(page)) is None
    assert page.locator("#start-button").is_enabled()
    shot(page, "train-stopped")

    # The stopped model is now this session's choice in the Draw tab.
    page.get_by_role("tab", name="Draw").click()
    assert "★ #1 fast-cnn trained here" in page.locator("#draw-model input").input_value()


def test_closing_the_tab_ends_the_run(open_page: Any, app_server) -> None:
    pg = open_page(app_server.url, ready=False)
    pg.get_by_role("tab", name="Train").click()
    pg.locator("#start-button").click()
    pg.wait_for_function("() => /Epoch 1 of/.test(document.querySelector('#train-status').innerText)",
                         timeout=60_000)
    visitor = session_hash(pg)
    assert app_server.sessions.run_of(visitor) is not None
    pg.context.close()
    assert app_server.sessions.wait_for(lambda s: s.run_of(visitor) is None, timeout=60), \
        "the run kept training after its tab was closed"


def test_every_tab_renders(page: Any) -> None:
    """Screenshots of each tab (the README's come from these) and a check that each shows its content."""
    stroke(page, SEVEN)
    assert wait_for_answer(page) == "7"
    # Inside the network: two saliency overlays and one feature-map grid per convolution layer.
    wait_for_images(page, "#saliency-view img", 2)
    wait_for_images(page, "#feature-maps-view img", 2)
    assert "Grad-CAM" in page.locator("#saliency-view").inner_text()
    assert re.search(r"\d+ × \d+ × \d+", page.locator("#feature-maps-view").inner_text())
    shot(page, "tab-draw")
    page.get_by_role("tab", name="Confusion matrix").click()
    page.wait_for_function("() => /correct/.test(document.querySelector('#confusion-summary').innerText)",
                           timeout=120_000)
    page.wait_for_selector("#cell-gallery img")
    wait_for_images(page, "#mistakes-gallery img", 6)
    wait_for_images(page, "#selected-saliency img", 2)
    first = page.locator("#test-index input").input_value()
    page.locator("#mistakes-gallery button.thumbnail-lg").nth(1).click()  # another mistake: its own view
    page.wait_for_function(f"() => document.querySelector('#test-index input').value !== {first!r}")
    assert "wrong" in page.locator("#selected-heading").inner_text()
    shot(page, "tab-confusion")
    page.get_by_role("tab", name="Dataset").click()
    page.wait_for_function("() => Array.from(document.querySelectorAll('#dataset-gallery img'))"
                           ".filter((img) => img.complete && img.naturalWidth > 0).length >= 25")
    shot(page, "tab-dataset")
    page.get_by_role("tab", name="Model").click()
    page.wait_for_function("() => /parameters/.test(document.querySelector('#model-summary').innerText)")
    assert "total" in page.locator("#layer-table").inner_text()
    page.wait_for_function("() => document.querySelectorAll('#model-diagram .diagram-box').length > 3")
    shot(page, "tab-model")

"""Bring a model back in a real browser: the Train tab's upload button, then the Draw tab reads with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mnist_core.checkpoint import load_checkpoint, save_checkpoint
from mnist_core.paths import ASSETS_DIR
from tests.pages import BROWSER, SEVEN, shot, stroke, wait_for_answer, wait_for_canvas

pytestmark = BROWSER


def test_upload_a_checkpoint_and_draw_with_it(browser: Any, app_server, tmp_path: Path) -> None:
    model = load_checkpoint(ASSETS_DIR / "tiny-vgg-seed004.pt").model
    path = save_checkpoint(tmp_path / "from-home.pt", "tiny-vgg", model,
                           metadata={"recipe": {"name": "fast"}, "test_accuracy": 0.9871})
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app_server.url)
        wait_for_canvas(page)
        page.get_by_role("tab", name="Train").click()
        with page.expect_file_chooser() as chooser:
            page.locator("#upload-model").click()
        chooser.value.set_files(str(path))
        page.wait_for_function("() => /Loaded from-home.pt/.test(document.querySelector('#model-files-status')"
                               ".innerText)")
        shot(page, "train-upload")
        page.get_by_role("tab", name="Draw").click()
        assert "uploaded #1: from-home.pt" in page.locator("#draw-model input").input_value()
        stroke(page, SEVEN)
        assert wait_for_answer(page) == "7"
    finally:
        context.close()


def test_the_draw_tab_takes_a_checkpoint_under_its_model_list(browser: Any, app_server, tmp_path: Path) -> None:
    """Where a student picks the model that reads their drawing, they can bring their own: no trip to the Train tab."""
    model = load_checkpoint(ASSETS_DIR / "tiny-vgg-seed004.pt").model
    path = save_checkpoint(tmp_path / "mine.pt", "tiny-vgg", model, metadata={"recipe": {"name": "seed004"}})
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app_server.url)
        wait_for_canvas(page)
        with page.expect_file_chooser() as chooser:
            page.locator("#draw-upload-model").click()
        chooser.value.set_files(str(path))
        page.wait_for_function("() => /Loaded mine.pt/.test(document.querySelector('#draw-upload-status').innerText)")
        assert "uploaded #1: mine.pt" in page.locator("#draw-model input").input_value()
        page.locator("#sketchpad canvas").scroll_into_view_if_needed()
        stroke(page, SEVEN)
        assert wait_for_answer(page) == "7"
        assert "▸ ⬆ #1 tiny-vgg" in page.locator("#readings").inner_text()  # the chip says where it came from
    finally:
        context.close()


"""Bring a model back in a real browser: the Train tab's upload button, then the Draw tab reads with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mnist_core.checkpoint import load_checkpoint, save_checkpoint
from mnist_core.paths import ASSETS_DIR
from tests.pages import SEVEN, shot, stroke, wait_for_answer

pytestmark = pytest.mark.browser


def from_home(path: Path, metadata: dict[str, Any]) -> Path:
    """A checkpoint as one trained at home would be: the shipped tiny VGG saved again with ``metadata``."""
    return save_checkpoint(path, "tiny-vgg", load_checkpoint(ASSETS_DIR / "tiny-vgg-seed004.pt").model,
                           metadata=metadata)


def test_upload_a_checkpoint_and_draw_with_it(open_page: Any, app_server, tmp_path: Path) -> None:
    path = from_home(tmp_path / "from-home.pt", {"recipe": {"name": "fast"}, "test_accuracy": 0.9871})
    page = open_page(app_server.url)
    page.get_by_role("tab", name="Train").click()
    with page.expect_file_chooser() as chooser:
        page.locator("#upload-model").click()
    chooser.value.set_files(str(path))
    page.wait_for_function("() => /Loaded from-home.pt/.test(document.querySelector('#model-files-status')"
                           ".innerText)")
    shot(page, "train-upload")
    page.get_by_role("tab", name="Draw").click()
    assert "⬆ #1 tiny-vgg (fast)" in page.locator("#draw-model input").input_value()
    stroke(page, SEVEN)
    assert wait_for_answer(page) == "7"


def test_the_draw_tab_takes_a_checkpoint_under_its_model_list(open_page: Any, app_server, tmp_path: Path) -> None:
    """Where a student picks the model that reads their drawing, they can bring their own: no trip to the Train tab."""
    path = from_home(tmp_path / "mine.pt", {"recipe": {"name": "seed004"}})
    page = open_page(app_server.url, 1280, 800)
    with page.expect_file_chooser() as chooser:
        page.locator("#draw-upload-model").click()
    chooser.value.set_files(str(path))
    page.wait_for_function("() => /Loaded mine.pt/.test(document.querySelector('#draw-upload-status').innerText)")
    assert "⬆ #1 tiny-vgg (seed004)" in page.locator("#draw-model input").input_value()
    page.locator("#sketchpad canvas").scroll_into_view_if_needed()
    stroke(page, SEVEN)
    assert wait_for_answer(page) == "7"
    assert "▸ ⬆ #1 tiny-vgg (seed004)" in page.locator("#readings").inner_text()  # the chip says where it came from


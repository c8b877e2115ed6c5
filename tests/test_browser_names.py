"""One name per model in a real browser, at 1280 x 800: the Draw tab's model list, its row of every model's reading,
the lesson's two cards and the Model tab's heading name each model alike, and a model brought back from a file the
app wrote is listed under the name the file was named after."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mnist_core.checkpoint import load_checkpoint, save_checkpoint
from mnist_core.names import file_name
from mnist_core.paths import ASSETS_DIR
from tests.pages import EUROPEAN_ONE, shot, stroke, wait_for_answer

pytestmark = pytest.mark.browser


def list_labels(page: Any, picker: str) -> list[str]:
    """The texts of a model list's choices, as the open dropdown shows them (then closed again)."""
    page.locator(f"{picker} input").click()
    options = page.locator("[role=option]")
    options.first.wait_for()
    labels = [option.get_attribute("aria-label") or "" for option in options.all()]
    page.keyboard.press("Escape")
    return labels


def chip_names(page: Any) -> list[str]:
    """The model names in the row of every model's reading (without the chosen-model mark and the reading)."""
    chips = page.locator("#readings .reading-chip").all_inner_texts()
    return [re.sub(r" · \d\?? · \d+%.*$", "", chip.removeprefix("▸ ").strip()) for chip in chips]


def model_tab_heading(page: Any, label: str) -> str:
    """The Model tab's heading once ``label`` is chosen in its model list."""
    page.get_by_role("tab", name="Model").click()
    page.locator("#layers-model input").click()
    page.locator(f"[role=option][aria-label={label!r}]").click()
    heading = page.locator("#model-summary h2")
    heading.wait_for()
    page.wait_for_function("([h, name]) => document.querySelector(h)?.innerText.trim() === name",
                           arg=["#model-summary h2", label.rsplit(" · ", 1)[0]], timeout=20_000)
    return heading.inner_text().strip()


def test_every_model_has_one_name_in_the_list_the_chips_the_lesson_the_model_tab_and_its_file(
        open_page: Any, app_server, tmp_path: Path) -> None:
    page = open_page(app_server.url, 1280, 800)
    stroke(page, EUROPEAN_ONE)
    wait_for_answer(page)
    page.wait_for_selector("#readings .reading-chip")
    labels, names = list_labels(page, "#draw-model"), chip_names(page)
    # Each model: one list entry that starts with its chip's name (then its accuracy); no two share a name.
    assert len(labels) == len(names) == len(set(names)) == len(list(ASSETS_DIR.glob("*.pt"))), (labels, names)
    assert [label.rsplit(" · ", 1)[0] for label in labels] == names
    # The lesson's cards are headed with the names of its two models.
    assert page.locator("#lesson .lesson-title").all_inner_texts() == ["drawing model (MNIST only)",
                                                                       "drawing model (MNIST + European)"]
    assert {"drawing model (MNIST only)", "drawing model (MNIST + European)"} <= set(names)
    shot(page, "names-draw-1280")
    for label in labels:
        assert model_tab_heading(page, label) == label.rsplit(" · ", 1)[0]
    shot(page, "names-model-1280")

    # A taught model's file, as the app names and writes it, comes back under the same name.
    shipped = load_checkpoint(ASSETS_DIR / "drawing-cnn.pt")
    taught_name = "drawing model (MNIST + European), taught on 3 examples"
    path = save_checkpoint(tmp_path / file_name(taught_name), shipped.model_name, shipped.model,
                           metadata={**shipped.metadata, "taught": {"examples": 3}})
    assert path.name == "drawing-model-mnist-european-taught-on-3-examples.pt"
    page.get_by_role("tab", name="Draw").click()
    with page.expect_file_chooser() as chooser:
        page.locator("#draw-upload-model").click()
    chooser.value.set_files(str(path))
    page.wait_for_function("() => /Loaded/.test(document.querySelector('#draw-upload-status').innerText)")
    assert page.locator("#draw-model input").input_value().startswith(f"⬆ #1 {taught_name} · ")
    page.locator("#sketchpad canvas").scroll_into_view_if_needed()
    stroke(page, EUROPEAN_ONE)
    wait_for_answer(page)
    page.wait_for_function("() => document.querySelectorAll('#readings .reading-chip').length === 5")
    assert f"⬆ #1 {taught_name}" in chip_names(page)

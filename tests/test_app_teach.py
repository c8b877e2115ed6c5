"""The teaching panel's handler (demo.tabs.teach), without a browser: what its status says while it works, and
what its result counts as read right.

A teaching run ends with two measurements on the MNIST test set (the model before, if not measured yet, and the
taught model after). Each is seconds of work on a CPU; the status line must keep moving through them with an
estimate of what is left. How much work passes between two status lines is counted in images the model reads
(a forward hook on the model), not in seconds, so the test says the same on a fast machine and a busy one.
"""

from __future__ import annotations

import re
from typing import Any

import gradio as gr
import numpy as np
import pytest
import torch

from demo.server.context import AppContext
from demo.server.models_state import ModelCatalog, ModelEntry, SessionModels
from demo.tabs import teach as teach_tab
from demo.tabs.teach import TeachPanel, result_html
from mnist_core.checkpoint import load_checkpoint
from mnist_core.data import MNISTData
from mnist_core.examples import Example
from mnist_core.paths import ASSETS_DIR
from mnist_core.teach import Taught, teach_recipe

#: Images a test-set pass reads per batch while teaching: at most this much work between two status lines.
BATCH = teach_recipe("drawing-cnn").test_batch_size


class SmallMNIST(AppContext):
    """An app whose MNIST is a slice of the real one: a few training steps and a 2,000-image test set."""

    def load_data(self, *, download: bool = True, progress: Any = None) -> MNISTData:
        full = super().load_data(download=False)
        return MNISTData(full.train_images[:256], full.train_labels[:256], full.test_images[:2000],
                         full.test_labels[:2000], full.source)


def _panel(context: AppContext) -> TeachPanel:
    """The panel's components, made as ``build`` makes them but on no page."""
    return TeachPanel(context, gr.State(render=False), gr.Button(render=False), gr.Button(render=False),
                      gr.DownloadButton(render=False), gr.DownloadButton(render=False), gr.Gallery(render=False),
                      gr.Markdown(render=False), gr.HTML(render=False), gr.State(render=False))


@pytest.mark.slow
def test_the_status_keeps_moving_while_teaching_measures(data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teach_tab, "UPDATE_INTERVAL", 0.0)  # every piece of progress may be shown: none is held back
    shipped = load_checkpoint(ASSETS_DIR / "drawing-cnn.pt")
    work: list[tuple[str, Any]] = []  # ("read", images) by the model or a copy of it, ("status", text) shown
    shipped.model.register_forward_hook(lambda _m, inputs, _out: work.append(("read", len(inputs[0]))))
    entry = ModelEntry("base", "drawing-cnn", shipped.model_name, shipped.model, shipped.metadata)
    context = SmallMNIST(catalog=ModelCatalog({"base": entry}, "base", []), data_dir=str(data_dir))
    panel = _panel(context)
    models = SessionModels()
    models.examples.extend(Example(np.full((28, 28), v, dtype=np.uint8), label) for v, label in ((40, 3), (90, 5)))
    for update in panel.run("base", models, request=None):
        if panel.status in update:
            work.append(("status", update[panel.status]))

    statuses = [text for kind, text in work if kind == "status"]
    assert statuses[-1].startswith("**Taught:")
    read_since, most = 0, 0
    for kind, value in work:
        read_since = read_since + value if kind == "read" else 0
        most = max(most, read_since)
    assert most <= BATCH, f"{most} images were read with the status standing still"
    for phase in ("before", "what it learned"):
        lines = [s for s in statuses if s.startswith("Measuring") and phase in s]
        done = [int(re.search(r"([\d,]+) of 2,000", s)[1].replace(",", "")) for s in lines]
        assert done == list(range(BATCH, 2001, BATCH)) and len(done) >= 4, (phase, lines)
        assert all(re.search(r"about \d+ (sec|min) left|under a second left", s) for s in lines[:-1]), lines
    steps = [s for s in statuses if s.startswith("Teaching")]
    assert steps and all(re.search(r"about \d+ (sec|min) left|under a second left", s) for s in steps[1:-1]), steps


def test_seconds_left_come_from_the_speed_measured() -> None:
    assert teach_tab.seconds_left(done=250, total=2000, seconds=2.0) == "about 14 sec left"
    assert teach_tab.seconds_left(done=1000, total=2000, seconds=0.5) == "under a second left"
    assert teach_tab.seconds_left(done=0, total=2000, seconds=0.0) == ""  # nothing measured yet: no guess


def test_a_drawing_read_not_sure_before_was_not_read_right() -> None:
    """Read "not sure: 4?" (as the Draw tab shows it), then taught: it was not read right before."""
    examples = [Example(np.zeros((28, 28), dtype=np.uint8), 4)]
    before, after = torch.zeros(1, 10), torch.zeros(1, 10)
    before[0, [4, 9]] = torch.tensor([0.55, 0.45])
    after[0, 4] = 0.97
    taught = Taught(torch.nn.Identity(), {}, before, after, torch.tensor([4]), 0.99, "completed")
    page = result_html(taught, examples, 0.99)
    assert "read right: 0 of 1 before → 1 of 1 after" in page
    reading_before = re.search(r"<figcaption>a 4: (.*?) →", page)[1]
    assert "not sure: 4?" in reading_before and "✓" not in reading_before, reading_before

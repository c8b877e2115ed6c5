"""Every model's reading of one drawing (the Draw tab's row of chips), without a server.

Models here are stand-ins that always answer the same digit, so each chip's expected text is known.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from demo.server.models_state import ModelCatalog, ModelEntry, SessionModels
from demo.views.readings import IDLE, available_entries, readings_html
from mnist_core.predict import probabilities_by_model


class Answers(nn.Module):
    """Always the same logits, whatever the (N, 1, 28, 28) input: ``digit`` at ``confidence`` after softmax."""

    def __init__(self, digit: int, confidence: float) -> None:
        super().__init__()
        rest = (1 - confidence) / 9
        logits = torch.full((10,), rest).log()
        logits[digit] = torch.tensor(confidence).log()
        self.logits = nn.Parameter(logits)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.logits.detach().expand(len(x), 10)  # (N, 1, 28, 28) -> (N, 10)


def _entry(key: str, digit: int, confidence: float, name: str = "tiny-vgg") -> ModelEntry:
    return ModelEntry(key=key, name=name, model_name=name, model=Answers(digit, confidence),
                      metadata={"test_accuracy": 0.972})


def _catalog() -> ModelCatalog:
    entries = {e.key: e for e in (_entry("drawing-cnn.pt", 1, 0.97, "drawing-cnn"),
                                  _entry("drawing-cnn-mnist-only.pt", 7, 0.71, "drawing-cnn-mnist-only"),
                                  _entry("tiny-vgg-seed004.pt", 1, 0.88))}
    return ModelCatalog(entries=entries, default_key="drawing-cnn.pt", errors=[],
                        mnist_only_key="drawing-cnn-mnist-only.pt")


def test_every_model_reads_the_drawing_and_the_answer_already_shown_is_not_computed_again() -> None:
    catalog = _catalog()
    models = {k: e.model for k, e in catalog.entries.items()}
    shown = torch.zeros(10)
    shown[3] = 1.0  # differs from what the main model would compute: proves it is reused
    readings = probabilities_by_model(models, torch.zeros(28, 28), {"drawing-cnn.pt": shown})
    assert list(readings) == list(models)  # every model, in order
    assert readings["drawing-cnn.pt"] is shown and models["drawing-cnn.pt"].calls == 0
    assert int(readings["drawing-cnn-mnist-only.pt"].argmax()) == 7 and models["tiny-vgg-seed004.pt"].calls == 1


def test_the_row_lists_every_model_marks_the_chosen_one_and_flags_the_one_that_differs() -> None:
    catalog = _catalog()
    session = SessionModels()
    session.add("fast-cnn", Answers(1, 0.99), {"recipe": {"name": "fast"}, "epochs": 1, "test_accuracy": 0.98})
    everyone = available_entries(catalog, session)
    assert [e.key for e in everyone] == ["session-1", "drawing-cnn.pt", "drawing-cnn-mnist-only.pt",
                                         "tiny-vgg-seed004.pt"]  # this session's own model first

    readings = probabilities_by_model({e.key: e.model for e in everyone}, torch.zeros(28, 28))
    row = readings_html(everyone, readings, "drawing-cnn.pt")
    chips = [re.sub(r"<[^>]+>", "", chip.split(">", 1)[1]) for chip in row.split('<span class="reading-chip')[1:]]
    assert chips == ["★ #1 fast-cnn trained here (fast) · 1 · 99%", "▸ drawing-cnn · 1 · 97%",
                     "drawing-cnn-mnist-only · 7? · 71% differs", "tiny-vgg · 1 · 88%"]
    assert row.count("reading-main") == 1 and row.count('class="reading-chip reading-differ"') == 1
    assert 'title="tiny-vgg · 97.20% · 10 parameters"' in row  # the full label on hover

    # Another model chosen: the marks follow it (the MNIST-only model now disagrees with all three others).
    row = readings_html(everyone, readings, "drawing-cnn-mnist-only.pt")
    assert row.count("reading-differ") == 3 and "▸ drawing-cnn-mnist-only" in row


def test_before_a_drawing_the_row_says_what_it_is_for_and_one_model_has_no_row() -> None:
    everyone = available_entries(_catalog(), None)
    assert IDLE in readings_html(everyone, None, None)
    assert readings_html(everyone[:1], None, None) == ""

"""Prediction: blank gives nothing, the shipped drawing model reads drawn digits and says "not sure" of non-digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_core.checkpoint import load_checkpoint
from mnist_core.models import build_model
from mnist_core.predict import CONFIDENT, Prediction, predict_drawing
from mnist_core.pretrained import default_checkpoint_path
from mnist_core.sketches import drawn_digits, non_digits

#: A different seed from bench/drawn.py's, so the test does not only pass on the drawings that were looked at.
SEED = 123


@pytest.fixture(scope="module")
def drawing_model():
    path = default_checkpoint_path()
    ckpt = load_checkpoint(path)
    assert ckpt.metadata.get("drawing") is True, f"the default checkpoint {path.name} is not the drawing model"
    return ckpt


def test_blank_canvases_give_no_prediction() -> None:
    model = build_model("tiny-vgg").eval()
    assert predict_drawing(model, np.zeros((800, 800, 4), np.uint8)) is None
    assert predict_drawing(model, np.full((800, 800, 4), 255, np.uint8)) is None


def test_prediction_reports_its_answer_and_doubt() -> None:
    sure = Prediction(torch.tensor([0.01] * 9 + [0.91]), torch.zeros(28, 28))
    torn = Prediction(torch.tensor([0.45, 0.4] + [0.01875] * 8), torch.zeros(28, 28))
    assert (sure.label, sure.is_confident, sure.uncertain) == (9, True, False)
    assert (torn.label, torn.uncertain) == (0, True) and torn.confidence < CONFIDENT
    assert list(torn.top(2)) == ["0", "1"]


def test_the_shipped_drawing_model_carries_its_measurements(drawing_model) -> None:
    meta = drawing_model.metadata
    assert meta["test_accuracy"] >= 0.993
    assert meta["drawn_accuracy"] >= 0.97
    assert 0.2 < meta["temperature"] < 5 and meta["ece_after"] < meta["ece_before"]
    assert float(drawing_model.model.calibration.temperature) == pytest.approx(meta["temperature"])
    assert default_checkpoint_path().name.startswith("drawing")


def test_the_drawing_model_reads_drawn_digits(drawing_model, mnist) -> None:
    drawings = list(drawn_digits(200, seed=SEED, test_images=mnist.test_images, test_labels=mnist.test_labels))
    predictions = [predict_drawing(drawing_model.model, d.canvas) for d in drawings]
    correct = [p.label == d.label for p, d in zip(predictions, drawings, strict=True)]
    assert np.mean(correct) >= 0.95
    assert np.mean([p.is_confident for p in predictions]) >= 0.9  # real digits rarely get a "not sure"


def test_scribbles_and_pairs_of_digits_mostly_get_a_not_sure(drawing_model) -> None:
    drawings = list(non_digits(60, seed=SEED))
    doubts = {d.source: [] for d in drawings}
    for d in drawings:
        doubts[d.source].append(predict_drawing(drawing_model.model, d.canvas).uncertain)
    # measured about 60% for scribbles, 70-95% for pairs; letters (often read as a confident 4) are a known gap
    assert np.mean(doubts["scribble"] + doubts["two-digits"]) >= 0.5

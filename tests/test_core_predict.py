"""Prediction: blank gives nothing; the shipped drawing model reads writers it never saw, European and American
styles alike, and says "not sure" of non-digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from mnist_core.calibration import expected_calibration_error, model_temperature, uncalibrated_logits
from mnist_core.checkpoint import discover_checkpoints, load_checkpoint
from mnist_core.evaluate import predict_proba
from mnist_core.handwriting import SOURCES, load_handwriting
from mnist_core.models import build_model
from mnist_core.paths import ASSETS_DIR
from mnist_core.predict import CONFIDENT, Prediction, predict_drawing
from mnist_core.pretrained import choose_mnist_only, default_checkpoint_path
from mnist_core.strokes import SKETCHPAD_CANVAS, paint
from tests.support.sketches import drawn_digits, non_digits

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


def _answer(best: int, confidence: float) -> Prediction:
    """A prediction of ``best`` with ``confidence``; the rest shared by the other digits, the runner-up first."""
    rest = 1.0 - confidence
    probabilities = torch.full((10,), rest * 0.4 / 8, dtype=torch.float64)  # holds CONFIDENT exactly
    probabilities[best], probabilities[(best + 3) % 10] = confidence, rest * 0.6
    return Prediction(probabilities, torch.zeros(28, 28))


def test_a_prediction_is_sure_from_the_threshold_up_and_lists_its_answers_best_first() -> None:
    """``CONFIDENT`` is where "not sure" stops: just under it the answer is doubtful, at it the answer stands."""
    at, under = _answer(4, CONFIDENT), _answer(4, CONFIDENT - 1e-3)
    assert (at.label, at.uncertain) == (4, False)
    assert (under.label, under.uncertain) == (4, True)
    torn = _answer(2, 0.5)
    assert list(torn.top(2)) == ["2", "5"] and torn.top(2) == pytest.approx({"2": 0.5, "5": 0.3})


@pytest.mark.parametrize("source", list(SOURCES))
def test_the_shipped_drawing_model_reads_writers_it_never_saw(drawing_model, source: str, data_dir) -> None:
    """Held-out writers of each source (never trained or calibrated on). The goal is 98.5%, no digit below 96%;
    what the shipped model reads is in ``bench/results/drawn.json`` (docs/handwriting.md). The bars sit a little
    under those figures, so that a model that regresses fails while one borderline digit read differently on
    another CPU does not."""
    writers = load_handwriting(source, "test", data_dir, download=False)
    predicted = predict_proba(drawing_model.model, writers.images).argmax(1)
    per_digit = [float((predicted[writers.labels == d] == d).double().mean()) for d in range(10)]
    assert float((predicted == writers.labels).double().mean()) >= 0.98
    assert min(per_digit) >= 0.9, per_digit


@pytest.mark.slow
def test_its_confidence_is_calibrated_on_images_it_never_saw(drawing_model, data_dir, mnist) -> None:
    """The fitted temperature lowers the calibration error on MNIST test, and keeps it under 1% on held-out writers.

    On writers no part of training saw, the temperature fitted on MNIST and the validation
    writers does not lower the error: new hands are a shift that calibration does not undo.
    The bar says "not sure" still means what it says for them.
    """
    temperature = model_temperature(drawing_model.model)  # strictly lower errors below: 1.0 would fail them
    logits = uncalibrated_logits(drawing_model.model, mnist.test_images)
    assert expected_calibration_error(torch.softmax(logits / temperature, 1), mnist.test_labels) < \
        expected_calibration_error(torch.softmax(logits, 1), mnist.test_labels)
    for source in SOURCES:
        writers = load_handwriting(source, "test", data_dir, download=False)
        logits = uncalibrated_logits(drawing_model.model, writers.images)
        assert expected_calibration_error(torch.softmax(logits / temperature, 1), writers.labels) < 0.01, source


def _sketch(strokes: list[list[tuple[float, float]]], radius: float, scale: float) -> np.ndarray:
    """Strokes in a unit square painted at sketchpad size, centred, ``scale`` of the canvas tall."""
    img = Image.new("RGBA", (SKETCHPAD_CANVAS, SKETCHPAD_CANVAS), (255, 255, 255, 255))
    paint(img, [(np.array(s) - 0.5) * scale * SKETCHPAD_CANVAS + SKETCHPAD_CANVAS / 2 for s in strokes],
          (0, 0, 0, 255), radius)
    return np.asarray(img)


#: Drawn the European way (a 1 with a long upstroke, a 7 with a crossbar) and the American way (plain 1, barred 7).
STYLES = {
    "1 with a long upstroke": (1, [[(0.30, 0.45), (0.55, 0.15), (0.55, 0.85)]]),
    "1 with a steep short flag": (1, [[(0.42, 0.35), (0.55, 0.15), (0.56, 0.85)]]),
    "plain 1": (1, [[(0.5, 0.15), (0.5, 0.85)]]),
    "7 with a crossbar": (7, [[(0.28, 0.2), (0.72, 0.2), (0.45, 0.85)], [(0.42, 0.52), (0.68, 0.52)]]),
    "American 7": (7, [[(0.25, 0.15), (0.65, 0.15), (0.4, 0.85)]]),
    "American 7, short bar": (7, [[(0.3, 0.2), (0.6, 0.2), (0.42, 0.85)]]),
}


@pytest.mark.parametrize("style", list(STYLES))
def test_european_and_american_ones_and_sevens_are_both_read(drawing_model, style: str) -> None:
    """A 1 with a long upstroke is not a 7, and a 7 without a crossbar is still one: at any brush and size."""
    label, strokes = STYLES[style]
    for radius in (12, 22, 34):
        for scale in (0.5, 0.8):
            prediction = predict_drawing(drawing_model.model, _sketch(strokes, radius, scale))
            assert prediction.label == label and not prediction.uncertain, (radius, scale, prediction.top(2))


def test_the_model_that_learnt_from_mnist_alone_reads_a_european_one_as_seven() -> None:
    """The Draw tab's lesson rests on this: the shipped MNIST-only model fails where the default does not."""
    checkpoints, _ = discover_checkpoints(ASSETS_DIR)
    mnist_only = choose_mnist_only(checkpoints)
    assert mnist_only is not None, "assets/ should ship the drawing model that learnt from MNIST alone"
    _, strokes = STYLES["1 with a long upstroke"]
    assert predict_drawing(mnist_only.model, _sketch(strokes, 22, 0.8)).label == 7


def test_the_drawing_model_reads_drawn_digits(drawing_model, mnist) -> None:
    drawings = list(drawn_digits(200, seed=SEED, test_images=mnist.test_images, test_labels=mnist.test_labels))
    predictions = [predict_drawing(drawing_model.model, d.canvas) for d in drawings]
    correct = [p.label == d.label for p, d in zip(predictions, drawings, strict=True)]
    assert np.mean(correct) >= 0.95
    assert np.mean([not p.uncertain for p in predictions]) >= 0.9  # real digits rarely get a "not sure"


def test_scribbles_and_pairs_of_digits_mostly_get_a_not_sure(drawing_model) -> None:
    drawings = list(non_digits(60, seed=SEED))
    doubts = {d.source: [] for d in drawings}
    for d in drawings:
        doubts[d.source].append(predict_drawing(drawing_model.model, d.canvas).uncertain)
    # measured about 60% for scribbles, 70-95% for pairs; letters (often read as a confident 4) are a known gap
    assert np.mean(doubts["scribble"] + doubts["two-digits"]) >= 0.5

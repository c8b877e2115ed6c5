"""Calibration: the ECE measures over-confidence, and a fitted temperature removes it on held-out data."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from mnist_core.calibration import calibrate, expected_calibration_error, fit_temperature, model_temperature
from mnist_core.models import build_model


def _calibrated_logits(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (n, 10) and labels drawn from softmax(logits): calibrated by construction."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 10, generator=g) * 2.5
    labels = torch.multinomial(F.softmax(logits, 1), 1, generator=g).squeeze(1)
    return logits, labels


def test_ece_is_small_for_calibrated_and_large_for_overconfident_probabilities() -> None:
    logits, labels = _calibrated_logits(20_000, 0)
    assert expected_calibration_error(F.softmax(logits, 1), labels) < 0.02
    assert expected_calibration_error(F.softmax(logits * 3, 1), labels) > 0.15
    certain_and_right = F.one_hot(labels, 10).float()
    assert expected_calibration_error(certain_and_right, labels) == pytest.approx(0.0, abs=1e-6)


def test_fitted_temperature_recovers_the_scale_and_lowers_ece_on_held_out_data() -> None:
    logits, labels = _calibrated_logits(20_000, 1)
    overconfident = logits * 3  # as a network trained too long would be
    fit, held = slice(0, 10_000), slice(10_000, None)
    t = fit_temperature(overconfident[fit], labels[fit])
    assert t == pytest.approx(3.0, rel=0.08)
    before = expected_calibration_error(F.softmax(overconfident[held], 1), labels[held])
    after = expected_calibration_error(F.softmax(overconfident[held] / t, 1), labels[held])
    assert after < before / 4 and after < 0.02


def test_calibrate_sets_the_models_temperature_and_keeps_its_answers(tiny_data) -> None:
    torch.manual_seed(0)
    model = build_model("drawing-cnn").eval()
    with torch.no_grad():
        model.fc.weight.mul_(40)  # wildly over-confident
    inputs = tiny_data.test_images
    before = model(inputs.float()[:, None] / 255).argmax(1)
    result = calibrate(model, tiny_data.train_images, tiny_data.train_labels)
    assert model_temperature(model) == pytest.approx(result["temperature"]) and result["temperature"] > 1
    assert result["nll_after"] < result["nll_before"]
    assert torch.equal(model(inputs.float()[:, None] / 255).argmax(1), before)  # the winner never changes
    assert model_temperature(build_model("tiny-vgg")) == 1.0
    with pytest.raises(ValueError, match="temperature"):
        calibrate(build_model("tiny-vgg"), tiny_data.train_images, tiny_data.train_labels)

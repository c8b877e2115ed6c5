"""Predict the digit in a drawing or image file with a trained model, and say when it is not sure.

The probabilities are the model's own softmax; models with a fitted temperature (the
drawing model, see :mod:`mnist_core.calibration`) apply it in their last step, so their
confidence is calibrated: of the drawings read with 90%, about 90% are right. Below
``CONFIDENT`` the answer is flagged ``uncertain`` and the app shows "not sure" rather than
a confident wrong digit (a scribble, a letter, two digits at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from mnist_core.evaluate import predict_proba
from mnist_core.preprocess import sketch_to_mnist

K = TypeVar("K")

#: A prediction whose calibrated confidence is below this is "not sure" (chosen with bench/drawn.py:
#: it flags few real drawn digits and most scribbles, letters and pairs of digits).
CONFIDENT = 0.8


def sure(probabilities: torch.Tensor) -> torch.Tensor:
    """Whether the model is sure of each answer: its calibrated confidence, the top probability of each (..., 10)
    row, is at least ``CONFIDENT``. Below it the app says "not sure: 4?", and the answer does not count as read
    right. A bool tensor of the rows' shape ((): one answer, (N,): N answers)."""
    return probabilities.amax(-1) >= CONFIDENT


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one drawing."""

    probabilities: torch.Tensor  # (10,) float32, sums to 1 (calibrated if the model carries a temperature)
    digit_image: torch.Tensor  # (28, 28) float32 in [0, 1]: what the model saw

    @property
    def label(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())

    @property
    def uncertain(self) -> bool:
        """True when the model is not sure (:func:`sure`); show "not sure"."""
        return not bool(sure(self.probabilities))

    def top(self, k: int = 3) -> dict[str, float]:
        """The ``k`` most likely digits as {"7": 0.93, ...}, most likely first."""
        values, indices = self.probabilities.topk(k)
        return {str(int(i)): float(v) for v, i in zip(values, indices, strict=True)}


def probabilities_for(model: nn.Module, digit_image: torch.Tensor) -> torch.Tensor:
    """(10,) class probabilities for one MNIST-style image (28, 28) in [0, 1]: :func:`predict_proba` for one."""
    return predict_proba(model, digit_image[None])[0]  # (1, 28, 28) -> (1, 10) -> (10,)


def probabilities_by_model(models: Mapping[K, nn.Module], digit_image: torch.Tensor,
                           known: Mapping[K, torch.Tensor] | None = None) -> dict[K, torch.Tensor]:
    """Every model's (10,) probabilities for the same (28, 28) input, in ``models``' order.

    So a class can see models disagree on one drawing. A reading already ``known`` (the answer
    just shown, from the chosen model) is reused, not computed again: only the others pay a forward pass.
    """
    known = known or {}
    return {key: known[key] if key in known else probabilities_for(model, digit_image)
            for key, model in models.items()}


def predict_drawing(model: nn.Module, image: Any) -> Prediction | None:
    """Preprocess a drawing (any size, colour, background) and predict; ``None`` if it is blank."""
    digit = sketch_to_mnist(image)
    if digit is None:
        return None
    return Prediction(probabilities_for(model, digit), digit)

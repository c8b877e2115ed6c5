"""Evaluation: confusion matrix, per-class figures and the mistakes, checked on a model with known answers."""

from __future__ import annotations

import torch
from torch import nn

from mnist_core.evaluate import evaluate


class _MeanBrightnessClassifier(nn.Module):
    """Predicts class k for images whose mean normalised value falls in bucket k: answers we can compute."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bucket = ((x.mean((1, 2, 3)) + 0.5) * 4).long().clamp(0, 9)  # (B,)
        return nn.functional.one_hot(bucket, 10).float() * 5 + self.anchor  # (B, 10)


def test_confusion_precision_recall_and_mistakes() -> None:
    images = torch.randint(0, 256, (300, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    model = _MeanBrightnessClassifier()
    from mnist_core.data import normalize

    predicted = ((normalize(images).mean((1, 2, 3)) + 0.5) * 4).long().clamp(0, 9)
    labels = predicted.clone()
    labels[:40] = (labels[:40] + 1) % 10  # 40 known mistakes
    result = evaluate(model, images, labels, batch_size=64)
    assert result.confusion.shape == (10, 10) and int(result.confusion.sum()) == 300
    assert abs(result.accuracy - 260 / 300) < 1e-9
    assert sorted(result.misclassified.tolist()) == list(range(40))
    expected = torch.zeros(10, 10, dtype=torch.long)
    for t, p in zip(labels.tolist(), predicted.tolist(), strict=True):
        expected[t, p] += 1
    assert torch.equal(result.confusion, expected)
    assert torch.allclose(result.recall, expected.diagonal().double() / expected.sum(1).clamp(min=1))
    assert torch.allclose(result.precision, expected.diagonal().double() / expected.sum(0).clamp(min=1))
    t, p = labels[0].item(), predicted[0].item()
    assert 0 in result.cell(t, p).tolist()
    assert torch.allclose(result.probabilities.sum(1), torch.ones(300))

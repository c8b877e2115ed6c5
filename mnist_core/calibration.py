"""Calibrated confidence: temperature scaling and the expected calibration error.

A network trained with cross-entropy is usually over-confident: of the drawings it reads
with "99%", fewer than 99% are right. Temperature scaling (Guo et al., 2017) divides the
logits by one number ``T`` fitted to minimise the negative log-likelihood on images the
model was not trained on (the recipe's held-out MNIST training images, never the test
set). It cannot change which digit wins, only how sure the model says it is, and that is
what the Draw tab's "not sure" depends on.

The expected calibration error (ECE) measures the gap: predictions are grouped by their
confidence into equal-width bins, and the gap between each bin's mean confidence and its
accuracy is averaged, weighted by the bin's share of the predictions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mnist_core.augment import drawing_augment
from mnist_core.data import normalize
from mnist_core.evaluate import model_outputs

#: Temperatures are searched in this range (log-spaced); outside it something is wrong with the model.
T_MIN, T_MAX = 0.05, 20.0


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE (0..1) of probabilities (N, C) against labels (N,), with ``bins`` equal-width confidence bins."""
    confidence, predicted = probabilities.float().max(1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, bins + 1)
    which = torch.bucketize(confidence, edges[1:-1], right=True)  # (N,) bin index 0..bins-1
    conf_sum = torch.bincount(which, weights=confidence, minlength=bins)
    acc_sum = torch.bincount(which, weights=correct, minlength=bins)
    return float((conf_sum - acc_sum).abs().sum() / max(len(labels), 1))


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature ``T`` that minimises the NLL of ``softmax(logits / T)`` on (logits (N, C), labels (N,)).

    One parameter, so it is found by a golden-section search on log T: no learning rate to
    tune, no local minima (the NLL is convex in 1/T), and the result is deterministic.
    """
    logits, labels = logits.float(), labels.long()

    def nll(log_t: float) -> float:
        return F.cross_entropy(logits / torch.tensor(log_t).exp(), labels).item()

    lo, hi = torch.tensor(T_MIN).log().item(), torch.tensor(T_MAX).log().item()
    ratio = (5 ** 0.5 - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):  # shrinks the bracket by 0.618^60: far below float precision
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return float(torch.tensor((lo + hi) / 2).exp())


def uncalibrated_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Logits (N, 10) of uint8 images (N, 28, 28) or normalised inputs (N, 1, 28, 28), the temperature undone."""
    return model_outputs(model, images, batch_size=batch_size) * model_temperature(model)


def model_temperature(model: nn.Module) -> float:
    """The temperature a model applies to its logits (1 for models without a temperature step)."""
    step = getattr(model, "calibration", None)
    return float(step.temperature) if step is not None and hasattr(step, "temperature") else 1.0


def distorted(images: torch.Tensor, seed: int = 0, batch_size: int = 1000) -> torch.Tensor:
    """Normalised inputs (N, 1, 28, 28) of uint8 images with the drawing distortions applied, reproducibly."""
    generator = torch.Generator().manual_seed(seed)
    x = normalize(images)
    return torch.cat([drawing_augment(x[i:i + batch_size], generator) for i in range(0, len(x), batch_size)])


def calibrate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, drawings: bool = False,
              handwriting: Sequence[tuple[str, torch.Tensor, torch.Tensor]] = ()) -> dict[str, float | str]:
    """Fit the temperature of ``model`` (which must have a ``calibration`` step) on held-out uint8 images.

    With ``drawings``, the temperature is fitted on the held-out images distorted the way
    drawings differ from MNIST (:mod:`mnist_core.augment`), since drawings are what the
    confidence will be shown for; clean held-out MNIST is reported alongside.
    ``handwriting`` adds (name, uint8 images, labels) of writers the model was not trained
    on (a source's validation writers) to the fit: real drawings, as the app will see them.
    Sets the model's temperature in place and returns the temperature and the ECE and NLL
    before and after: on everything it was fitted on, ``*_clean`` on undistorted held-out
    MNIST, and ``*_<name>`` on each handwriting set.
    """
    step = getattr(model, "calibration", None)
    if step is None or not hasattr(step, "temperature"):
        raise ValueError(f"{type(model).__name__} has no temperature step to calibrate")
    labels = labels.long().cpu()
    clean = uncalibrated_logits(model, images)
    parts = {"": (uncalibrated_logits(model, distorted(images)) if drawings else clean, labels)}
    if drawings:
        parts["_clean"] = (clean, labels)
    for name, hw_images, hw_labels in handwriting:
        parts[f"_{name}"] = (uncalibrated_logits(model, hw_images), hw_labels.long().cpu())
    fitted = [parts[""], *(parts[f"_{name}"] for name, _, _ in handwriting)]
    logits, fit_labels = torch.cat([z for z, _ in fitted]), torch.cat([y for _, y in fitted])
    temperature = fit_temperature(logits, fit_labels)
    step.temperature.fill_(temperature)
    result = {"temperature": temperature, "calibrated_on": "held-out training images" + (
        ", with drawing distortions" if drawings else "") + "".join(
        f", {name} validation writers" for name, _, _ in handwriting)}
    parts[""] = (logits, fit_labels)
    for suffix, (z, y) in parts.items():
        result.update({f"ece_before{suffix}": expected_calibration_error(F.softmax(z, 1), y),
                       f"ece_after{suffix}": expected_calibration_error(F.softmax(z / temperature, 1), y),
                       f"nll_before{suffix}": F.cross_entropy(z, y).item(),
                       f"nll_after{suffix}": F.cross_entropy(z / temperature, y).item()})
    return result

"""Feature maps and saliency (Grad-CAM, input gradient) from one forward and backward pass, for every model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from mnist_core.checkpoint import discover_checkpoints
from mnist_core.data import normalize
from mnist_core.introspect import layer_summary
from mnist_core.models import MODELS, build_model
from mnist_core.paths import ASSETS_DIR
from mnist_core.saliency import explain
from tests.support.sketches import plain_digit


def ink_contrast(saliency: torch.Tensor, image: torch.Tensor, threshold: float = 0.3) -> tuple[float, float]:
    """Mean saliency on the ink (pixels above ``threshold``) and on the background of a (28, 28) [0, 1] image."""
    ink = image > threshold
    on = float(saliency[ink].mean()) if ink.any() else 0.0
    off = float(saliency[~ink].mean()) if (~ink).any() else 0.0
    return on, off


def drawn_seven() -> torch.Tensor:
    """The plain 7 drawn at 10x and box-filtered down to (28, 28) in [0, 1], MNIST-like (no preprocessing code)."""
    big = plain_digit(7, size=280, ink=(255, 255, 255, 255), background=(0, 0, 0, 255), width=26).convert("L")
    return torch.from_numpy(np.asarray(big.resize((28, 28), Image.BOX), np.float32) / 255.0)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_map_has_its_shape_and_range(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name).train()
    digit = drawn_seven()
    e = explain(model, digit)
    assert model.training, "the model's mode is restored"
    assert all(p.grad is None for p in model.parameters()), "explaining must not leave gradients behind"

    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert [fm.name for fm in e.feature_maps] == [n for n, _ in convs]
    shapes = {row.name: row.output_shape for row in layer_summary(model)}
    for fm, (_, conv) in zip(e.feature_maps, convs, strict=True):
        assert fm.shape == shapes[fm.shown_after] and fm.shape[0] == conv.out_channels
        assert fm.maps.dtype == torch.float32 and torch.isfinite(fm.maps).all()
        if "relu" in fm.shown_after:
            assert fm.maps.min() >= 0  # shown after the activation, as the caption says
    assert e.cam_layer == e.feature_maps[-1].shown_after
    for saliency in (e.gradcam, e.input_gradient):
        assert saliency.shape == (28, 28) and saliency.dtype == torch.float32
        assert saliency.min() >= 0 and saliency.max() <= 1
    assert e.input_gradient.max() == pytest.approx(1.0)
    assert e.probabilities.shape == (10,) and e.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert e.target == e.label


def pretrained() -> list[tuple[str, nn.Module]]:
    found, _ = discover_checkpoints(ASSETS_DIR)
    if not found:
        pytest.fail("no checkpoint in assets/*.pt to test saliency on")
    return [(c.path.name, c.model) for c in found]


def test_saliency_follows_the_strokes_for_every_pretrained_model() -> None:
    """On a drawn 7, the saliency is higher on the ink than on the empty background.

    Grad-CAM clearly so (1.5x at least). The input gradient only has to be higher: it also, rightly,
    lights up empty pixels where new ink would change the answer (a stroke closing a 7 into a 9).
    """
    digit = drawn_seven()
    for key, model in pretrained():
        e = explain(model, digit)
        assert e.label == 7, (key, e.probabilities)
        for what, saliency, factor in (("gradcam", e.gradcam, 1.5), ("input gradient", e.input_gradient, 1.0)):
            on_ink, off_ink = ink_contrast(saliency, digit)
            assert on_ink > factor * off_ink, (key, what, on_ink, off_ink)


def test_gradcam_is_the_textbook_formula_on_a_model_it_has_never_seen() -> None:
    """An unregistered nn.Sequential: Grad-CAM equals ReLU(sum_c mean(dS/dA_c) * A_c), upsampled and scaled."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(),
                          nn.Linear(6 * 14 * 14, 10), nn.LogSoftmax(dim=1)).eval()
    digit = drawn_seven()
    e = explain(model, digit, target=3)
    assert [fm.name for fm in e.feature_maps] == ["0", "3"] and e.cam_layer == "5"

    x = normalize(digit[None])
    acts = model[:6](x)  # (1, 6, 14, 14) after conv, batch norm and ReLU
    logits = model[6:8](acts)  # the score is the logit, not the saturating log-probability
    grad, = torch.autograd.grad(logits[0, 3], acts)
    cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * acts).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False)[0, 0]
    assert torch.allclose(e.gradcam, cam / cam.max(), atol=1e-5)
    assert e.target == 3 and not torch.equal(e.gradcam, explain(model, digit, target=5).gradcam)


def test_a_model_without_convolution_has_input_gradients_only() -> None:
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    e = explain(mlp, drawn_seven())
    assert e.feature_maps == [] and e.cam_layer is None
    assert torch.count_nonzero(e.gradcam) == 0 and e.input_gradient.max() == pytest.approx(1.0)


def test_another_thread_using_the_same_model_does_not_leak_into_the_maps() -> None:
    """Pretrained models are shared by every visitor: a concurrent predict must not add calls to our hooks."""
    model = build_model("tiny-vgg").eval()
    stop = threading.Event()

    def busy() -> None:
        with torch.inference_mode():
            while not stop.is_set():
                model(torch.zeros(4, 1, 28, 28))

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        for _ in range(20):
            assert [fm.shape for fm in explain(model, drawn_seven()).feature_maps] == [
                (16, 28, 28), (16, 28, 28), (16, 14, 14), (16, 14, 14)]
    finally:
        stop.set()
        worker.join()

"""eval_mode: every reader of a model runs it in eval mode and gives it back as it was."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mnist_core.data import normalize
from mnist_core.evaluate import predict_proba
from mnist_core.introspect import layer_summary
from mnist_core.models import build_model
from mnist_core.modes import eval_mode
from mnist_core.predict import probabilities_for
from mnist_core.saliency import explain


def test_eval_mode_switches_and_restores_even_on_error() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    with eval_mode(model):
        assert not model.training and not model[1].training
    assert model.training and model[1].training
    with pytest.raises(RuntimeError), eval_mode(model):
        raise RuntimeError("boom")
    assert model.training


def test_eval_mode_leaves_an_eval_model_untouched() -> None:
    """A shared pretrained model is in eval mode already: not even ``.eval()`` is called on it."""
    model = nn.Linear(2, 2).eval()
    calls = []
    model.train = lambda mode=True: calls.append(mode)  # type: ignore[method-assign]
    with eval_mode(model):
        pass
    assert calls == [] and not model.training


@pytest.mark.parametrize("read", [
    lambda m, img: probabilities_for(m, img),
    lambda m, img: predict_proba(m, (img * 255).to(torch.uint8)[None]),
    lambda m, img: explain(m, img),
    lambda m, img: layer_summary(m),
], ids=["probabilities_for", "predict_proba", "explain", "layer_summary"])
def test_readers_run_in_eval_mode_and_restore_training(read) -> None:
    model = build_model("tiny-vgg").train()
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    read(model, torch.rand(28, 28))
    assert seen and not any(seen), "the forward pass ran in eval mode"
    assert model.training and all(m.training for m in model.modules()), "the model's mode is restored"


def test_float_images_are_normalised_like_uint8_images() -> None:
    """Images (N, 28, 28) are normalised, uint8 or float in [0, 1]; (N, 1, 28, 28) inputs are taken as they are."""
    torch.manual_seed(0)
    model = build_model("tiny-vgg").eval()
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    expected = torch.softmax(model(normalize(images)), dim=1).detach()
    assert torch.allclose(predict_proba(model, images), expected, atol=1e-6)
    assert torch.allclose(predict_proba(model, images.float() / 255), expected, atol=1e-6)
    assert torch.allclose(predict_proba(model, normalize(images)), expected, atol=1e-6)
    assert torch.allclose(probabilities_for(model, images[1].float() / 255), expected[1], atol=1e-6)

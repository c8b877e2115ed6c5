"""Why did the model answer that? Feature maps and saliency from one forward and one backward pass.

:func:`explain` runs one image through any registered model with forward hooks on its leaf
modules, keeps what every convolution produced, and differentiates the winning class's score
once, for two saliency maps at the same time:

* **Grad-CAM** (Selvaraju et al., 2017) on the last convolution: its feature maps weighted by
  how much the class score rises with each, then upsampled to 28x28. Coarse (the resolution
  of that layer) but it says *where the network's last spatial layer looked*.
* **Input gradient**: how much the score changes per input pixel, at full 28x28 resolution.

Nothing here knows a model by name: convolutions are found by type (``nn.Conv2d``), the
element-wise steps that follow them (batch norm, activation) by type, and the order is the
order the hooks fired in. A model added to the registry later gets the same views.

Hooks only record calls made by the thread that registered them, so a pretrained model shared
by every visitor can be explained while another thread predicts with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mnist_core.data import IMAGE_SIZE, normalize
from mnist_core.introspect import ELEMENTWISE, Call, record_leaf_calls
from mnist_core.modes import eval_mode

#: The score Grad-CAM differentiates is the input of a final (log-)softmax, if the model ends in one:
#: a log-probability saturates for a confident answer (its gradient is ~0, and float32 noise takes over).
_SOFTMAX = (nn.LogSoftmax, nn.Softmax)

@dataclass(frozen=True)
class FeatureMaps:
    """What one convolution layer produced for one image.

    ``maps`` is the output after the element-wise steps that directly follow the convolution
    (batch norm, activation, e.g. ``conv1 -> bn1 -> relu1``): what the next layer receives. For a
    model with a ReLU after every convolution these are non-negative.
    """

    name: str  # the convolution's attribute path, e.g. "conv2"
    shown_after: str  # the last step applied, e.g. "relu2" (or the conv's own name if none follows)
    maps: torch.Tensor  # (C, H, W) float32 on the CPU

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.maps.shape)  # type: ignore[return-value]


@dataclass(frozen=True)
class Explanation:
    """One image seen from inside: the answer, every conv layer's maps, and two saliency maps."""

    probabilities: torch.Tensor  # (10,) float32, sums to 1
    target: int  # the class both saliency maps explain (the prediction unless asked otherwise)
    feature_maps: list[FeatureMaps]  # one per Conv2d, in the order they ran
    gradcam: torch.Tensor  # (28, 28) float32 in [0, 1]; all zero if the model has no convolution
    input_gradient: torch.Tensor  # (28, 28) float32 in [0, 1]: |d score / d pixel|, scaled by its maximum
    cam_layer: str | None  # the layer Grad-CAM used (the last convolution's block), None without one

    @property
    def label(self) -> int:
        return int(self.probabilities.argmax())


def _scale_to_unit(x: torch.Tensor) -> torch.Tensor:
    """Divide a non-negative map by its maximum (an all-zero map stays zero)."""
    peak = x.max()
    return x / peak if peak > 0 else torch.zeros_like(x)


def _conv_blocks(calls: list[Call]) -> list[tuple[str, str, torch.Tensor]]:
    """(conv name, last step name, block output) for each Conv2d call, extended over the element-wise
    steps that follow it with an unchanged shape (batch norm, activations, dropout)."""
    blocks = []
    for i, (name, module, output) in enumerate(calls):
        if not isinstance(module, nn.Conv2d):
            continue
        last_name, last_out = name, output
        for next_name, next_module, next_out in calls[i + 1:]:
            if not isinstance(next_module, ELEMENTWISE) or next_out.shape != last_out.shape:
                break
            last_name, last_out = next_name, next_out
        blocks.append((name, last_name, last_out))
    return blocks


def _to_input_grid(cam: torch.Tensor) -> torch.Tensor:
    """Upsample a (1, 1, h, w) map to (1, 1, 28, 28), lined up with the input pixels it came from.

    A layer reached by strides/pools of total ``s`` covers ``h * s`` input pixels, centred (e.g. 14 x 2
    = 28 for tiny-vgg; 24 x 1 for pytorch-example, whose unpadded 3x3 convolutions lose 2 pixels at each
    border). Stretching 24 to 28 would shift the map by up to 2 pixels off the strokes, so the map is
    resized to ``h * s`` and placed in the middle, its edge values carried out to the border.
    """
    h, w = cam.shape[-2:]
    sh, sw = max(1, IMAGE_SIZE // h), max(1, IMAGE_SIZE // w)  # total stride of the layer, in input pixels
    ch, cw = min(IMAGE_SIZE, h * sh), min(IMAGE_SIZE, w * sw)  # the input area the map covers
    cam = F.interpolate(cam, size=(ch, cw), mode="bilinear", align_corners=False)
    top, left = (IMAGE_SIZE - ch) // 2, (IMAGE_SIZE - cw) // 2
    return F.pad(cam, (left, IMAGE_SIZE - cw - left, top, IMAGE_SIZE - ch - top), mode="replicate")


def explain(model: nn.Module, inputs: torch.Tensor, target: int | None = None) -> Explanation:
    """Feature maps, Grad-CAM and input gradient for one image, from one forward and one backward pass.

    ``inputs`` is one image: (28, 28) in [0, 1] (e.g. ``Prediction.digit_image``), uint8 (28, 28), or an
    already normalised (1, 1, 28, 28) tensor. ``target`` is the class to explain (default: the
    predicted one). The model is run in eval mode and left in the mode it was in; its parameters'
    ``.grad`` are not touched.
    """
    device = next(model.parameters()).device
    if inputs.dim() == 4:
        x = inputs.float()  # (1, 1, 28, 28), already normalised
    else:
        x = normalize(inputs.reshape(1, IMAGE_SIZE, IMAGE_SIZE))  # (1, 1, 28, 28)
    x = x.to(device).detach().requires_grad_(True)
    with eval_mode(model), torch.enable_grad():
        out, calls = record_leaf_calls(model, x)  # out: (1, 10)
        scores = out
        if calls and isinstance(calls[-1][1], _SOFTMAX) and calls[-1][2] is out:
            # The logits are the input of that last step: the output of the call before it.
            scores = calls[-2][2] if len(calls) > 1 else out
        probabilities = F.softmax(out.detach().float(), dim=1)[0].cpu()  # (10,)
        cls = int(probabilities.argmax()) if target is None else int(target)
        blocks = _conv_blocks(calls)
        wanted = [x] + ([blocks[-1][2]] if blocks else [])
        grads = torch.autograd.grad(scores[0, cls], wanted, allow_unused=True)

    # Input gradient: |d score / d x|, (1, 1, 28, 28) -> (28, 28).
    input_gradient = _scale_to_unit(grads[0].detach()[0, 0].abs().float().cpu())
    gradcam = torch.zeros(IMAGE_SIZE, IMAGE_SIZE)
    cam_layer = None
    if blocks:
        _, last_name, acts = blocks[-1]
        cam_layer = last_name
        grad = grads[1]
        if grad is not None:
            acts = acts.detach().float()  # (1, C, h, w)
            weights = grad.detach().float().mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1): channel importance
            cam = F.relu((weights * acts).sum(dim=1, keepdim=True))  # (1, 1, h, w)
            gradcam = _scale_to_unit(_to_input_grid(cam)[0, 0].cpu())  # (28, 28) in [0, 1]
    feature_maps = [FeatureMaps(conv, last, out_.detach()[0].float().cpu()) for conv, last, out_ in blocks]
    return Explanation(probabilities=probabilities, target=cls, feature_maps=feature_maps, gradcam=gradcam,
                       input_gradient=input_gradient, cam_layer=cam_layer)

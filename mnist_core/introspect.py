"""Look inside a model: each step's output shape and parameter count, read from the model itself.

The table comes from running one dummy image through the model with forward hooks on every
leaf module, so it is always true to the code rather than written by hand per model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mnist_core.data import IMAGE_SIZE


@dataclass(frozen=True)
class LayerInfo:
    """One step of a forward pass."""

    name: str  # attribute path, e.g. "conv1"
    kind: str  # module class, e.g. "Conv2d"
    output_shape: tuple[int, ...]  # without the batch dimension
    parameters: int


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every module with no children, in registration order."""
    return [(name, m) for name, m in model.named_modules() if name and not list(m.children())]


@torch.inference_mode()
def layer_summary(model: nn.Module) -> list[LayerInfo]:
    """The steps of ``model`` in the order they run on a (1, 1, 28, 28) input."""
    device = next(model.parameters()).device
    rows: list[LayerInfo] = []
    hooks = []
    for name, module in leaf_modules(model):
        def hook(mod: nn.Module, _inputs: tuple, output: torch.Tensor, name: str = name) -> None:
            rows.append(LayerInfo(name, type(mod).__name__, tuple(output.shape[1:]),
                                  sum(p.numel() for p in mod.parameters())))
        hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows

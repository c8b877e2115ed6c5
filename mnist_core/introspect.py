"""Look inside a model: each step's output shape and parameter count, read from the model itself.

The table comes from running one dummy image through the model with forward hooks on every
leaf module, so it is always true to the code rather than written by hand per model. The
model diagram, the first layer's filters and the kind of each step are derived the same way,
by module type rather than by name, so models added to the registry later get them too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from torch import nn

from mnist_core.data import IMAGE_SIZE
from mnist_core.modes import eval_mode


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


#: One recorded leaf-module call: (attribute path, module, output).
Call = tuple[str, nn.Module, torch.Tensor]


def record_leaf_calls(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[Call]]:
    """Run ``model`` on ``x``; return its output and (name, module, output) of every leaf call, in order.

    Only calls made by this thread are recorded, so a model shared by every visitor can be
    looked into while another thread predicts with it.
    """
    calls: list[Call] = []
    owner = threading.get_ident()

    def hook(module: nn.Module, _inputs: tuple, output: torch.Tensor, name: str) -> None:
        if threading.get_ident() == owner and isinstance(output, torch.Tensor):
            calls.append((name, module, output))

    handles = [m.register_forward_hook(lambda mod, i, o, n=name: hook(mod, i, o, n))
               for name, m in leaf_modules(model)]
    try:
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    return out, calls


@torch.inference_mode()
def layer_summary(model: nn.Module) -> list[LayerInfo]:
    """The steps of ``model`` in the order they run on a (1, 1, 28, 28) input."""
    device = next(model.parameters()).device
    with eval_mode(model):
        _, calls = record_leaf_calls(model, torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE, device=device))
    return [LayerInfo(name, type(module).__name__, tuple(output.shape[1:]),
                      sum(p.numel() for p in module.parameters()))
            for name, module, output in calls]


#: Steps that work pixel by pixel and keep the shape: a convolution's "block" runs on through them
#: (conv -> batch norm -> ReLU), and the diagram draws them as small boxes.
NORMS: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm, nn.LayerNorm)
ELEMENTWISE: tuple[type[nn.Module], ...] = NORMS + (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Hardswish, nn.Hardtanh, nn.Tanh, nn.Sigmoid, nn.Softplus,
    nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.Identity,
)

#: Kinds of step, by module type, in the order they are tried (the first match wins).
_CATEGORIES: tuple[tuple[str, tuple[type[nn.Module], ...]], ...] = (
    ("conv", (nn.modules.conv._ConvNd,)),
    ("pool", (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
              nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)),
    ("norm", NORMS),
    ("dropout", (nn.modules.dropout._DropoutNd,)),
    ("linear", (nn.Linear,)),
    ("reshape", (nn.Flatten, nn.Unflatten)),
    ("output", (nn.LogSoftmax, nn.Softmax)),
    ("activation", ELEMENTWISE),
)


def category(module: nn.Module) -> str:
    """What kind of step a module is: conv, pool, norm, dropout, linear, reshape, output, activation or other."""
    for name, types in _CATEGORIES:
        if isinstance(module, types):
            return name
    return "other"


@dataclass(frozen=True)
class DiagramBox:
    """One box of a model diagram: a step and the shape of the data after it (the input is the first box)."""

    name: str  # "input" or the attribute path
    kind: str  # module class, e.g. "Conv2d", or "Input"
    category: str  # see :func:`category`; "input" for the first box
    output_shape: tuple[int, ...]  # without the batch dimension
    parameters: int
    detail: str  # e.g. "3×3, stride 1" for a convolution, "" when there is nothing to add


def _detail(module: nn.Module) -> str:
    """The one setting of a step worth printing in its box (kernel and stride, features, rate)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        k = "×".join(str(v) for v in module.kernel_size)
        stride = module.stride[0] if len(set(module.stride)) == 1 else module.stride
        return f"{k}, stride {stride}" if stride != 1 else k
    if isinstance(module, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)):
        k = module.kernel_size
        return f"{k}×{k}" if isinstance(k, int) else "×".join(map(str, k))
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return f"p={module.p:g}"
    return ""


def diagram(model: nn.Module) -> list[DiagramBox]:
    """The boxes of a diagram of ``model``: the input, then every step in the order it runs.

    Derived from the model (one dummy forward pass, see :func:`layer_summary`), never written by hand.
    """
    modules = dict(leaf_modules(model))
    boxes = [DiagramBox("input", "Input", "input", (1, IMAGE_SIZE, IMAGE_SIZE), 0, "grey image")]
    for row in layer_summary(model):
        module = modules[row.name]
        boxes.append(DiagramBox(row.name, row.kind, category(module), row.output_shape, row.parameters,
                                _detail(module)))
    return boxes


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d] | None:
    """(name, layer) of the first ``nn.Conv2d`` in registration order, or None for a model without one."""
    for name, module in leaf_modules(model):
        if isinstance(module, nn.Conv2d):
            return name, module
    return None


def first_conv_filters(model: nn.Module) -> torch.Tensor | None:
    """The first convolution's filters as (out_channels, kh, kw) float32 on the CPU, or None without one.

    For MNIST the first layer has one input channel, so each filter is one small picture of what it
    responds to; with several input channels they are averaged into one picture per filter.
    """
    found = first_conv(model)
    if found is None:
        return None
    weight = found[1].weight.detach().float().cpu()  # (out, in, kh, kw)
    return weight.mean(dim=1)  # (out, kh, kw)


def one_per_class(labels: torch.Tensor, num_classes: int = 10) -> list[int]:
    """Index of the first example of each class in ``labels`` (N,): a fixed, reproducible probe set.

    Classes that do not occur are left out.
    """
    out = []
    for c in range(num_classes):
        hits = (labels == c).nonzero()
        if len(hits):
            out.append(int(hits[0, 0]))
    return out

"""The models, registered by name.

Every step of every network is its own module (``nn.ReLU``, ``nn.MaxPool2d`` …) rather
than a functional call, so that :mod:`mnist_core.introspect` can list each step's output
shape and the app can show each layer's feature maps. Parameter-free modules add no
``state_dict`` keys, so checkpoints of the original examples still load.

The shape after each step is commented in every ``forward``, for a batch of ``B``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from mnist_core.text import N_


class PytorchExampleNet(nn.Module):
    """Seed 000: the CNN of ``pytorch/examples`` mnist (2 conv, 2 dropout, 2 linear), 1,199,882 parameters.

    Attribute names match the original so its ``torch.save(model.state_dict(), "mnist_cnn.pt")``
    files load unchanged. Returns log-probabilities (log-softmax), as the original does.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.dropout1 = nn.Dropout(0.25)
        self.flatten = nn.Flatten(1)
        self.fc1 = nn.Linear(9216, 128)
        self.relu3 = nn.ReLU()
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)  # (B, 1, 28, 28) -> (B, 32, 26, 26)
        x = self.relu1(x)
        x = self.conv2(x)  # (B, 32, 26, 26) -> (B, 64, 24, 24)
        x = self.relu2(x)
        x = self.pool(x)  # (B, 64, 24, 24) -> (B, 64, 12, 12)
        x = self.dropout1(x)
        x = self.flatten(x)  # (B, 64, 12, 12) -> (B, 9216)
        x = self.fc1(x)  # (B, 9216) -> (B, 128)
        x = self.relu3(x)
        x = self.dropout2(x)
        x = self.fc2(x)  # (B, 128) -> (B, 10)
        return self.log_softmax(x)  # (B, 10) log-probabilities


class TinyVGG(nn.Module):
    """Seed 004: two VGG blocks of 16-filter 3x3 convolutions and one linear layer, 14,970 parameters.

    Each block is conv -> ReLU -> conv -> ReLU -> max-pool; padding 1 keeps the size until the
    pool halves it (28 -> 14 -> 7). Returns logits.
    """

    def __init__(self, filters: int = 16) -> None:
        super().__init__()
        self.conv1_1 = nn.Conv2d(1, filters, 3, padding=1)
        self.relu1_1 = nn.ReLU()
        self.conv1_2 = nn.Conv2d(filters, filters, 3, padding=1)
        self.relu1_2 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2_1 = nn.Conv2d(filters, filters, 3, padding=1)
        self.relu2_1 = nn.ReLU()
        self.conv2_2 = nn.Conv2d(filters, filters, 3, padding=1)
        self.relu2_2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(filters * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1_1(x)  # (B, 1, 28, 28) -> (B, 16, 28, 28)
        x = self.relu1_1(x)
        x = self.conv1_2(x)  # (B, 16, 28, 28) -> (B, 16, 28, 28)
        x = self.relu1_2(x)
        x = self.pool1(x)  # (B, 16, 28, 28) -> (B, 16, 14, 14)
        x = self.conv2_1(x)  # (B, 16, 14, 14) -> (B, 16, 14, 14)
        x = self.relu2_1(x)
        x = self.conv2_2(x)  # (B, 16, 14, 14) -> (B, 16, 14, 14)
        x = self.relu2_2(x)
        x = self.pool2(x)  # (B, 16, 14, 14) -> (B, 16, 7, 7)
        x = self.flatten(x)  # (B, 16, 7, 7) -> (B, 784)
        return self.fc(x)  # (B, 784) -> (B, 10) logits


class FastCNN(nn.Module):
    """The ``fast`` recipe's model: 99% on MNIST in one epoch on a 2-core CPU, 29,434 parameters.

    A stride-2 5x5 stem halves the image at once, so the two 3x3 stages run on 14x14 and 7x7
    maps: few multiply-adds per image. Batch normalisation lets a one-cycle schedule use a
    high learning rate from the first steps. ``width`` (W) is the stem's filter count; the
    stages have 2W and 4W. Returns logits.
    """

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width
        self.conv1 = nn.Conv2d(1, w, 5, stride=2, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(w, 2 * w, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * w)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * w)
        self.relu3 = nn.ReLU()
        self.pool3 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(4 * w * 3 * 3, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)  # (B, 1, 28, 28) -> (B, W, 14, 14)
        x = self.relu1(self.bn1(x))
        x = self.conv2(x)  # (B, W, 14, 14) -> (B, 2W, 14, 14)
        x = self.relu2(self.bn2(x))
        x = self.pool2(x)  # (B, 2W, 14, 14) -> (B, 2W, 7, 7)
        x = self.conv3(x)  # (B, 2W, 7, 7) -> (B, 4W, 7, 7)
        x = self.relu3(self.bn3(x))
        x = self.pool3(x)  # (B, 4W, 7, 7) -> (B, 4W, 3, 3)
        x = self.flatten(x)  # (B, 4W, 3, 3) -> (B, 36W)
        return self.fc(x)  # (B, 36W) -> (B, 10) logits


class TemperatureScale(nn.Module):
    """Divides logits by a fitted temperature (a saved buffer; 1 changes nothing).

    Temperature scaling (Guo et al., 2017) calibrates the probabilities without changing
    which digit wins: the temperature is fitted after training on held-out images (see
    :mod:`mnist_core.calibration`) and travels with the weights, so every caller of the
    model (the Draw tab, evaluation, the CLI) gets calibrated probabilities.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("temperature", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / self.temperature  # (B, 10) -> (B, 10)


class DrawingCNN(FastCNN):
    """The default drawing model: FastCNN at width 40, trained on drawings, 159,970 parameters.

    About 11 M multiply-adds per image, so one drawing costs about a millisecond on a CPU.
    Width 40 (40/80/160 filters) rather than the first drawing model's 24: reading MNIST
    and European handwriting at once, narrower networks lost MNIST accuracy (full drawing
    recipe: 99.31% at width 24, 99.39-99.44% at width 32, 99.54% at width 40), while
    reading the handwriting sources' validation writers about as well. A last temperature
    step calibrates its confidence. Returns temperature-scaled logits.
    """

    def __init__(self, width: int = 40) -> None:
        super().__init__(width=width)
        self.calibration = TemperatureScale()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(x)  # (B, 1, 28, 28) -> (B, 10) logits, W = width
        return self.calibration(x)  # (B, 10) logits / temperature


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: how to build it and what to tell people about it."""

    name: str
    factory: Callable[[], nn.Module]
    description: str


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("pytorch-example", PytorchExampleNet,
                  N_("Seed 000: pytorch/examples CNN, 2 conv + 2 dropout + 2 linear, log-softmax output")),
        ModelSpec("tiny-vgg", TinyVGG,
                  N_("Seed 004: two VGG blocks of 16-filter 3x3 convs, then one linear layer")),
        ModelSpec("fast-cnn", FastCNN,
                  N_("The fast recipe's model: stride-2 stem, two conv+BN stages, linear head")),
        ModelSpec("drawing-cnn", DrawingCNN,
                  N_("The drawing model: fast-cnn at width 40 with a fitted temperature, trained on drawings "
                     "(MNIST and European handwriting)")),
        ModelSpec("drawing-cnn-w24", functools.partial(DrawingCNN, width=24),
                  N_("The first drawing model's network (width 24); its checkpoint learnt from MNIST alone")),
    )
}


class UnknownModelError(ValueError):
    """A model name that is not in the registry; the message lists the known names."""


def get_model_spec(name: str) -> ModelSpec:
    """Return the registry entry for ``name``, or raise :class:`UnknownModelError` listing the choices."""
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModelError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None


def build_model(name: str) -> nn.Module:
    """A freshly initialised model of the registered architecture ``name``."""
    return get_model_spec(name).factory()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@functools.cache
def count_parameters_of(name: str) -> int:
    """Number of trainable parameters of the registered architecture ``name``, counted on a model built on the
    ``meta`` device: no memory and no draw from torch's random generator (see :func:`flops_per_image`)."""
    with torch.device("meta"):
        return count_parameters(build_model(name))


@functools.cache
def flops_per_image(name: str) -> tuple[float, float]:
    """FP32 FLOPs of one training image in the registered model ``name``: (forward, backward).

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products;
    batch norm, ReLU and pooling, a few percent of the arithmetic, are left out) on the ``meta``
    device: no memory, no arithmetic and no draw from torch's random generator, so a training run in
    another thread keeps its random stream. Measured speeds follow it closely on a CPU (``fast-cnn``,
    ``tiny-vgg`` and ``pytorch-example`` reach 69-84 GFLOP/s on one 2-core machine), so it tells how
    much longer one model takes than another (the Train tab's queue estimate, ``bench.flops``).
    """
    from torch.utils.flop_counter import FlopCounterMode

    batch = 8
    with torch.device("meta"):
        model = build_model(name).train()
        images = torch.empty(batch, 1, 28, 28)  # (B, 1, 28, 28)
        with FlopCounterMode(display=False) as forward:
            loss = model(images).sum()
        with FlopCounterMode(display=False) as backward:
            loss.backward()
    return forward.get_total_flops() / batch, backward.get_total_flops() / batch

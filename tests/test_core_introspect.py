"""The model diagram, the first layer's filters and the probe digits, read from the models themselves."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mnist_core.introspect import category, diagram, first_conv, first_conv_filters, leaf_modules, one_per_class
from mnist_core.models import MODELS, build_model


@pytest.mark.parametrize("name", list(MODELS))
def test_diagram_has_the_input_then_every_step_with_its_shape(name: str) -> None:
    model = build_model(name)
    boxes = diagram(model)
    assert boxes[0].category == "input" and boxes[0].output_shape == (1, 28, 28)
    assert [b.name for b in boxes[1:]] == [n for n, _ in leaf_modules(model)]  # these models run in that order
    assert boxes[-1].output_shape == (10,)
    convs = [b for b in boxes if b.category == "conv"]
    assert len(convs) == sum(isinstance(m, nn.Conv2d) for m in model.modules()) >= 1
    assert all("×" in b.detail and len(b.output_shape) == 3 for b in convs)
    assert sum(b.parameters for b in boxes) == sum(p.numel() for p in model.parameters())


def test_diagram_of_a_model_it_has_never_seen() -> None:
    """An unregistered nn.Sequential (numbered names, no attribute names to go by) is drawn as well."""
    model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.GELU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                          nn.Linear(16, 10), nn.Softmax(dim=1))
    boxes = diagram(model)
    assert [(b.name, b.category, b.output_shape) for b in boxes] == [
        ("input", "input", (1, 28, 28)), ("0", "conv", (4, 13, 13)), ("1", "activation", (4, 13, 13)),
        ("2", "pool", (4, 2, 2)), ("3", "reshape", (16,)), ("4", "linear", (10,)), ("5", "output", (10,))]
    assert boxes[1].detail == "3×3, stride 2"


def test_category_by_type() -> None:
    assert category(nn.BatchNorm2d(3)) == "norm" and category(nn.ReLU()) == "activation"
    assert category(nn.Dropout(0.5)) == "dropout" and category(nn.MaxPool2d(2)) == "pool"
    assert category(nn.LogSoftmax(1)) == "output" and category(nn.Embedding(2, 2)) == "other"


@pytest.mark.parametrize("name", list(MODELS))
def test_first_conv_filters_are_the_first_layers_weights(name: str) -> None:
    model = build_model(name)
    layer_name, conv = first_conv(model)
    filters = first_conv_filters(model)
    assert filters.shape == (conv.out_channels, *conv.kernel_size)
    assert torch.equal(filters, conv.weight.detach()[:, 0])  # one input channel: the weights themselves
    with torch.no_grad():
        conv.weight.add_(1.0)
    assert torch.equal(first_conv_filters(model), filters + 1.0)  # read fresh each time, never cached


def test_no_convolution_no_filters() -> None:
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    assert first_conv(mlp) is None and first_conv_filters(mlp) is None


def test_one_per_class_takes_the_first_of_each_digit() -> None:
    labels = torch.tensor([3, 1, 3, 0, 1, 9, 2, 2])
    assert one_per_class(labels) == [3, 1, 6, 0, 5]  # digits 0, 1, 2, 3, 9; the missing ones are left out


def test_one_per_class_on_the_real_test_set(mnist) -> None:
    index = one_per_class(mnist.test_labels)
    assert mnist.test_labels[index].tolist() == list(range(10))
    assert index == one_per_class(mnist.test_labels)  # the same digits every run

"""Models: exact parameter counts, the shapes commented in forward, and the registry."""

from __future__ import annotations

import pytest
import torch

from mnist_core.introspect import layer_summary
from mnist_core.models import MODELS, UnknownModelError, build_model, count_parameters, count_parameters_of


def test_seed_models_have_exactly_the_published_parameter_counts() -> None:
    assert count_parameters(build_model("pytorch-example")) == 1_199_882
    assert count_parameters(build_model("tiny-vgg")) == 14_970


@pytest.mark.parametrize("name", list(MODELS))
def test_a_registered_model_is_counted_without_building_its_weights(name: str) -> None:
    count_parameters_of.cache_clear()
    state = torch.get_rng_state()
    counted = count_parameters_of(name)
    assert torch.equal(torch.get_rng_state(), state)  # nothing initialised: a training run's random stream is kept
    assert counted == count_parameters(build_model(name))


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_maps_a_batch_to_ten_scores(name: str) -> None:
    model = build_model(name).eval()
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


def test_layer_summary_matches_the_shapes_commented_in_forward() -> None:
    rows = {r.name: r for r in layer_summary(build_model("pytorch-example"))}
    assert rows["conv1"].output_shape == (32, 26, 26)
    assert rows["conv2"].output_shape == (64, 24, 24)
    assert rows["pool"].output_shape == (64, 12, 12)
    assert rows["flatten"].output_shape == (9216,)
    assert rows["fc1"].output_shape == (128,) and rows["fc1"].parameters == 9216 * 128 + 128
    vgg = layer_summary(build_model("tiny-vgg"))
    assert [r.output_shape for r in vgg if r.kind == "MaxPool2d"] == [(16, 14, 14), (16, 7, 7)]
    assert sum(r.parameters for r in vgg) == 14_970


def test_pytorch_example_outputs_log_probabilities() -> None:
    out = build_model("pytorch-example").eval()(torch.randn(3, 1, 28, 28))
    assert torch.allclose(out.exp().sum(1), torch.ones(3), atol=1e-5)


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(UnknownModelError, match="tiny-vgg"):
        build_model("resnet-9000")

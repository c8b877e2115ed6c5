"""The same code on a CUDA GPU: every recipe trains there, the Train tab's decorated run trains there and hands
back a CPU model, and nothing that looks inside a model assumes CPU tensors.

Skipped where ``torch.cuda.is_available()`` is False (CI, the development machines). On a GPU machine:

    MNIST_DATA_DIR=/path/to/data pytest -m gpu -v
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from demo.tabs.train_run import Progress, RunStop, Trained, train_on_device
from mnist_core.calibration import calibrate
from mnist_core.checkpoint import load_checkpoint
from mnist_core.data import MNISTData, normalize
from mnist_core.evaluate import evaluate, predict_proba
from mnist_core.introspect import first_conv_filters
from mnist_core.predict import predict_drawing, probabilities_for
from mnist_core.pretrained import default_checkpoint_path
from mnist_core.recipes import RECIPES, get_recipe
from mnist_core.runs import TrainingData, load_training_data
from mnist_core.saliency import explain
from mnist_core.train import FinishedEvent, StartEvent, StepEvent, init_model, train
from tests.support.sketches import drawn_digits

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason="needs a CUDA GPU: torch.cuda.is_available() is False on this machine"),
]


def on_cpu(value: Any) -> bool:
    """True if no tensor reachable in ``value`` (a model, a dataclass, a container) lives off the CPU."""
    if isinstance(value, torch.Tensor):
        return value.device.type == "cpu"
    if isinstance(value, torch.nn.Module):
        return all(t.device.type == "cpu" for t in [*value.parameters(), *value.buffers()])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(on_cpu(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(on_cpu(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(on_cpu(v) for v in value)
    return True


def few_steps_on_cuda(recipe_name: str, data_dir: Path, steps: int = 5) -> tuple[torch.nn.Module, MNISTData]:
    """A model of the recipe trained ``steps`` steps on CUDA (with the recipe's augmentation and handwriting)."""
    recipe = get_recipe(recipe_name)
    data = load_training_data(recipe, data_dir, download=False)
    model = init_model(recipe.model, recipe.seed)
    stop = RunStop()
    events = []
    for event in train(model, data.mnist, recipe, device="cuda", stop=stop, log_every=1,
                       handwriting=data.handwriting):
        events.append(event)
        if isinstance(event, StepEvent) and event.global_step == steps:
            stop.set()
    assert isinstance(events[0], StartEvent) and events[0].device.startswith("cuda")
    assert isinstance(events[-1], FinishedEvent) and events[-1].status == "stopped", events[-1]
    assert all(torch.isfinite(torch.tensor(e.loss)) for e in events if isinstance(e, StepEvent))
    assert all(p.device.type == "cuda" for p in model.parameters())
    return model, data.mnist


@pytest.mark.parametrize("recipe_name", list(RECIPES))
def test_every_recipe_trains_on_cuda_and_agrees_with_the_same_weights_on_the_cpu(recipe_name: str,
                                                                                   data_dir: Path) -> None:
    model, mnist = few_steps_on_cuda(recipe_name, data_dir)
    model.eval()
    x = normalize(mnist.test_images[:512])  # (512, 1, 28, 28)
    with torch.no_grad():
        on_gpu = torch.softmax(model(x.cuda()).float(), 1).cpu()
        on_cpu_ = torch.softmax(copy.deepcopy(model).cpu()(x).float(), 1)
    # TF32 convolutions on the GPU differ from the CPU in the third decimal at most
    assert torch.allclose(on_gpu, on_cpu_, atol=5e-3), (on_gpu - on_cpu_).abs().max()
    assert (on_gpu.argmax(1) == on_cpu_.argmax(1)).float().mean() >= 0.99


@pytest.mark.parametrize("recipe_name", ["fast", "drawing"])
def test_the_train_tabs_run_trains_on_cuda_and_hands_back_a_cpu_model(recipe_name: str, data_dir: Path) -> None:
    recipe = get_recipe(recipe_name, epochs=1)
    data = load_training_data(recipe, data_dir, download=False)
    if recipe.holdout:  # one short epoch: calibration on CUDA is what is checked here
        mnist = data.mnist
        n = recipe.holdout + 6000
        data = TrainingData(dataclasses.replace(mnist, train_images=mnist.train_images[:n],
                                                train_labels=mnist.train_labels[:n]), data.handwriting)
    items = [pickle.loads(pickle.dumps(item)) for item in train_on_device(recipe, data, RunStop(), str(data_dir))]
    start = items[0]
    assert isinstance(start, Progress) and start.event.device.startswith("cuda")
    assert any(isinstance(i, Progress) and i.probes for i in items[1:-1])  # probes drawn from the CUDA model
    trained = items[-1]
    assert isinstance(trained, Trained) and trained.device.startswith("cuda")
    assert trained.run.metadata["device"].startswith("cuda")
    assert on_cpu(trained.model) and on_cpu(trained.run)  # nothing that leaves the worker is on the GPU
    if recipe.holdout:
        assert 0.05 < trained.run.metadata["temperature"] < 20  # calibrated on CUDA
    if recipe_name == "fast":
        assert trained.run.metadata["test_accuracy"] >= 0.99


def test_the_app_trains_on_cuda_and_the_model_reads_drawings_afterwards(app_server,
                                                                        tmp_path: Path) -> None:
    from gradio_client import Client, handle_file
    from PIL import Image

    client = Client(app_server.url, verbose=False)
    job = client.submit("fast-cnn", "fast", 1, 96, 0.1, 1, api_name="/train")
    final = job.result(timeout=300)
    statuses = [str(out[1]) for out in job.outputs() if out]
    assert any("on cuda" in s for s in statuses), statuses[:3]
    assert final[1].startswith("### Finished"), final[1]
    drawing = tmp_path / "drawing.png"
    Image.fromarray(next(iter(drawn_digits(1, seed=0))).canvas).save(drawing)
    result = client.predict({"background": None, "layers": [], "composite": handle_file(str(drawing))},
                            final[2]["value"], api_name="/predict")  # the new model, selected in the Draw tab
    assert "confidences" in result, result  # the model came back to the CPU and reads drawings there


def test_predictions_saliency_filters_and_confusion_work_on_a_cuda_model(mnist: MNISTData) -> None:
    cpu_model = load_checkpoint(default_checkpoint_path()).model
    gpu_model = copy.deepcopy(cpu_model).cuda()
    drawing = next(iter(drawn_digits(1, seed=0))).canvas
    on_gpu, on_cpu_ = predict_drawing(gpu_model, drawing), predict_drawing(cpu_model, drawing)
    assert on_gpu.label == on_cpu_.label and on_cpu(on_gpu.probabilities)
    assert torch.allclose(on_gpu.probabilities, on_cpu_.probabilities, atol=5e-3)

    digit = on_cpu_.digit_image
    assert torch.allclose(probabilities_for(gpu_model, digit), probabilities_for(cpu_model, digit), atol=5e-3)
    e_gpu, e_cpu = explain(gpu_model, digit), explain(cpu_model, digit)
    assert on_cpu(e_gpu) and e_gpu.label == e_cpu.label
    assert torch.allclose(e_gpu.gradcam, e_cpu.gradcam, atol=0.05)
    assert torch.allclose(first_conv_filters(gpu_model), first_conv_filters(cpu_model))
    probs = predict_proba(gpu_model, mnist.test_images[:10])
    assert on_cpu(probs) and probs.shape == (10, 10)

    t0 = time.perf_counter()
    ev_gpu = evaluate(gpu_model, mnist.test_images, mnist.test_labels)
    gpu_s = time.perf_counter() - t0
    ev_cpu = evaluate(cpu_model, mnist.test_images[:2000], mnist.test_labels[:2000])
    assert on_cpu(ev_gpu) and int(ev_gpu.confusion.sum()) == 10_000
    assert abs(evaluate(gpu_model, mnist.test_images[:2000], mnist.test_labels[:2000]).accuracy
               - ev_cpu.accuracy) <= 0.002
    print(f"confusion matrix of 10,000 images on {torch.cuda.get_device_name()}: {gpu_s:.2f} s")


def test_calibration_of_a_cuda_model_matches_the_cpu(mnist: MNISTData) -> None:
    cpu_model = load_checkpoint(default_checkpoint_path()).model
    if not hasattr(cpu_model, "calibration"):
        pytest.skip("the default checkpoint has no temperature step")
    gpu_model = copy.deepcopy(cpu_model).cuda()
    images, labels = mnist.train_images[-2000:], mnist.train_labels[-2000:]
    t_gpu = calibrate(gpu_model, images, labels)["temperature"]
    t_cpu = calibrate(cpu_model, images, labels)["temperature"]
    assert t_gpu == pytest.approx(t_cpu, rel=0.02)
    assert gpu_model.calibration.temperature.device.type == "cuda"

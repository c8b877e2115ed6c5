"""The classic MNIST loop that the speed figures are measured against, written out in full.

This is the pytorch/examples way: torchvision ``MNIST`` with a per-item
``ToTensor() + Normalize()`` transform, a ``DataLoader`` with shuffling, and the plain
train/test functions. It is kept here, outside ``mnist_core``, so the bench measures the
ratio instead of quoting it.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def reference_loaders(root: Path, batch_size: int, test_batch_size: int = 1000,
                      device: str | torch.device = "cpu") -> tuple[DataLoader, DataLoader]:
    """The pytorch/examples data pipeline (CPU: no workers, no pinned memory; CUDA: one worker and pinned
    memory, as pytorch/examples sets for ``--cuda``)."""
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(root), train=True, download=False, transform=transform)
    test = datasets.MNIST(str(root), train=False, download=False, transform=transform)
    extra = {"num_workers": 1, "pin_memory": True} if torch.device(device).type == "cuda" else {}
    return (DataLoader(train, batch_size=batch_size, shuffle=True, **extra),
            DataLoader(test, batch_size=test_batch_size, **extra))


def reference_step(model: torch.nn.Module, data: torch.Tensor, target: torch.Tensor,
                   optimizer: torch.optim.Optimizer) -> None:
    """One step of the plain loop on one batch from the loader."""
    optimizer.zero_grad()
    output = model(data)
    loss = F.cross_entropy(output, target)  # = nll_loss for log-softmax outputs
    loss.backward()
    optimizer.step()


def reference_epoch(model: torch.nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    device: str | torch.device = "cpu") -> float:
    """One epoch of the plain loop on the model's ``device`` (each batch copied there); returns its wall seconds."""
    model.train()
    start = time.perf_counter()
    for data, target in loader:
        reference_step(model, data.to(device), target.to(device), optimizer)
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def reference_test(model: torch.nn.Module, loader: DataLoader, device: str | torch.device = "cpu") -> float:
    """Test accuracy, the plain way."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in loader:
            correct += (model(data.to(device)).argmax(1) == target.to(device)).sum().item()
    return correct / len(loader.dataset)

"""Which device to compute on: the accelerator when there is one, else the CPU."""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "MNIST_DEVICE"


def pick_device(preferred: str | torch.device | None = None) -> torch.device:
    """``preferred`` (or ``$MNIST_DEVICE``) if given, else the current accelerator (CUDA, MPS, …), else CPU."""
    choice = preferred if preferred is not None else os.environ.get(DEVICE_ENV) or None
    if choice is not None:
        return torch.device(choice)
    if torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    return torch.device("cpu")


def synchronize(device: torch.device) -> None:
    """Wait for queued work on ``device`` (a no-op on the CPU), so wall-clock timings are honest."""
    if device.type != "cpu" and torch.accelerator.is_available():
        torch.accelerator.synchronize()

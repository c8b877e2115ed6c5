"""Which device to compute on: the accelerator when there is one, else the CPU.

A device someone names (``--device``, ``$MNIST_DEVICE``) is checked against this machine
at once, so a typo or a missing GPU is one clear line before any work, not a traceback
from deep inside torch once the data has loaded.
"""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "MNIST_DEVICE"


class DeviceError(ValueError):
    """A device that does not exist on this machine; the message lists the ones that do."""


def available_devices() -> list[str]:
    """The devices this machine can compute on: "cpu", then the accelerator's, e.g. "cuda", "cuda:0"."""
    names = ["cpu"]
    if torch.accelerator.is_available():
        kind = torch.accelerator.current_accelerator().type
        names += [kind] + [f"{kind}:{i}" for i in range(torch.accelerator.device_count())]
    return names


def _have() -> str:
    return f"this machine has: {', '.join(available_devices())}"


def check_device(choice: str | torch.device) -> torch.device:
    """``choice`` as a device if this machine has it; else :class:`DeviceError` saying what it has.

    The CPU is returned without asking the accelerator anything: on a ZeroGPU Space the app's own
    process trains on the CPU when no GPU is granted, and must not start CUDA (:mod:`demo.server.zerogpu`).
    """
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(f"unknown device {str(choice)[:60]!r}; {_have()}") from None
    if device.type == "cpu":
        return device
    have = _have()
    accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
    if accelerator is None or accelerator.type != device.type:
        raise DeviceError(f"no {device.type} device here; {have}")
    if device.index is not None and device.index >= torch.accelerator.device_count():
        raise DeviceError(f"no device {device}; {have}")
    return device


def pick_device(preferred: str | torch.device | None = None) -> torch.device:
    """``preferred`` (or ``$MNIST_DEVICE``) if given and present, else the current accelerator, else the CPU."""
    choice = preferred if preferred is not None else os.environ.get(DEVICE_ENV) or None
    if choice is not None:
        return check_device(choice)
    if torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    return torch.device("cpu")


def synchronize(device: torch.device) -> None:
    """Wait for queued work on ``device`` (a no-op on the CPU), so wall-clock timings are honest."""
    if device.type != "cpu" and torch.accelerator.is_available():
        torch.accelerator.synchronize()

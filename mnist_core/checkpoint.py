"""Checkpoints: one file with the weights and what produced them, saved atomically, loaded safely.

A checkpoint is ``torch.save`` of a plain dict (strings, numbers, lists, dicts and tensors):

    {"format": "mnist-demo-checkpoint", "version": 1, "model": NAME,
     "state_dict": {...}, "metadata": {recipe, epochs, test_accuracy, versions, date, ...}}

Loading uses ``torch.load(weights_only=True)``, whose unpickler accepts only those types:
a file that carries any other Python object (a code payload, say) is refused before the
object is built, so its payload never runs. A plain ``state_dict`` saved by the original
pytorch/examples script (``torch.save(model.state_dict(), "mnist_cnn.pt")``) loads too; its
architecture is recognised from the tensor names and shapes.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import platform
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mnist_core.models import MODELS, UnknownModelError, build_model

FORMAT = "mnist-demo-checkpoint"
VERSION = 1
#: Larger files are refused before reading: every registered model is far smaller.
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the reason."""


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (in eval mode, on the CPU) and its metadata."""

    model_name: str
    model: nn.Module
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def test_accuracy(self) -> float | None:
        return self.metadata.get("test_accuracy")


def library_versions() -> dict[str, str]:
    """Versions worth recording next to trained weights."""
    import torchvision

    # str(): torch.__version__ is a TorchVersion object, which the safe loader rightly refuses.
    return {"python": platform.python_version(), "torch": str(torch.__version__),
            "torchvision": str(torchvision.__version__)}


def save_checkpoint(path: str | os.PathLike[str], model_name: str, model: nn.Module, *,
                    metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` and ``metadata`` to ``path`` atomically and return the path.

    The file is written to a temporary name in the same folder, flushed to disk, then
    renamed over ``path``: if anything fails part-way (a killed process, a full disk), the
    previous file at ``path`` is untouched. ``metadata`` must hold only plain Python values.
    """
    path = Path(path)
    if model_name not in MODELS:
        raise UnknownModelError(f"unknown model {model_name!r}; choose one of: {', '.join(MODELS)}")
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": model_name,
        "state_dict": {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()},
        "metadata": {
            "model": model_name,
            "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": library_versions(),
            **(metadata or {}),
        },
    }
    folder = path.parent if str(path.parent) else Path(".")
    tmp_name = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:  # full disk, read-only folder, no permission...
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise CheckpointError(f"{path}: could not be written ({exc.strerror or exc}); "
                              "any previous file there is unchanged") from exc
    except BaseException:  # interrupted (Ctrl-C) or any other failure: never leave a half file
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def _guess_model_name(state_dict: dict[str, torch.Tensor]) -> str | None:
    """The registered model whose parameter names and shapes match ``state_dict`` exactly."""
    for name in MODELS:
        expected = build_model(name).state_dict()
        if expected.keys() == state_dict.keys() and all(
                expected[k].shape == state_dict[k].shape for k in expected):
            return name
    return None


def load_checkpoint(path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint (ours or a plain ``state_dict``) safely; raise :class:`CheckpointError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: {size / 1e6:.0f} MB is too large for an MNIST checkpoint "
                              f"(limit {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB)")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refuses any global it does not know (functions, classes): nothing was executed.
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        detail = f" (it refers to {found.group(1)})" if found else ""
        raise CheckpointError(f"{path}: refused, it contains Python objects other than weights{detail}; "
                              "only tensors and plain values are ever loaded") from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint (corrupt or truncated?): "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc

    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        model_name, state_dict, metadata = obj.get("model"), obj.get("state_dict"), dict(obj.get("metadata") or {})
        if model_name not in MODELS:
            raise CheckpointError(f"{path}: made for model {model_name!r}, which this version does not know "
                                  f"(known: {', '.join(MODELS)})")
        if not isinstance(state_dict, dict):
            raise CheckpointError(f"{path}: has no weights")
    elif isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        state_dict, metadata = obj, {"source": "plain state_dict"}
        model_name = _guess_model_name(state_dict)
        if model_name is None:
            raise CheckpointError(f"{path}: its weights match none of the known models ({', '.join(MODELS)})")
    else:
        raise CheckpointError(f"{path}: not an MNIST checkpoint (no weights found)")

    model = build_model(model_name)
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: its weights do not fit model {model_name!r} "
                              f"({str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else exc})"
                              ) from exc
    model.eval()
    metadata.setdefault("model", model_name)
    return Checkpoint(model_name=model_name, model=model, metadata=metadata, path=path)


def discover_checkpoints(folder: str | os.PathLike[str]) -> tuple[list[Checkpoint], list[str]]:
    """Load every ``*.pt`` file in ``folder`` (sorted by name); return the usable ones and the errors.

    One bad file (corrupt, unsafe, for an unknown model) must not stop the others from being
    offered, so each failure becomes a message naming the file instead of an exception.
    A missing folder is not an error: it simply holds no checkpoints.
    """
    folder = Path(folder)
    found: list[Checkpoint] = []
    errors: list[str] = []
    if not folder.is_dir():
        return found, errors
    for path in sorted(folder.glob("*.pt")):
        try:
            found.append(load_checkpoint(path))
        except CheckpointError as exc:
            errors.append(str(exc))
    return found, errors

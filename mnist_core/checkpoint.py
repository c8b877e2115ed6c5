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
import io
import os
import pickle
import platform
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import nn

from mnist_core.files import FileProblem, open_regular_file, short_reason
from mnist_core.models import MODELS, UnknownModelError, build_model
from mnist_core.paths import write_problem

FORMAT = "mnist-demo-checkpoint"
VERSION = 1
#: Larger files, or archives that unpack to more, are refused before reading: every registered model is far smaller
#: (the largest, ``pytorch-example``, is 4.8 MB).
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024
#: A checkpoint archive holds one file per tensor plus a few; more is refused unopened.
MAX_ARCHIVE_ENTRIES = 10_000


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


def check_save_target(path: str | os.PathLike[str]) -> None:
    """Raise :class:`CheckpointError` now if a checkpoint could not be saved to ``path`` (a folder, or a place that
    cannot be written), so that a run is not trained first and then has to be rescued elsewhere."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give a file name to save to, e.g. {path / 'a.pt'}")
    if path.exists() and not os.access(path, os.W_OK):
        raise CheckpointError(f"{path}: cannot be overwritten (no permission)")
    problem = write_problem(path.parent if str(path.parent) else Path("."))
    if problem is not None:
        raise CheckpointError(f"{path}: cannot save there ({problem})")


def save_checkpoint(path: str | os.PathLike[str], model_name: str, model: nn.Module, *,
                    metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` and ``metadata`` to ``path`` atomically and return the path.

    The checkpoint is serialised in memory first (a few MB at most), then written to a
    temporary name in the same folder, flushed to disk, and renamed over ``path``: if
    anything fails part-way (a killed process, a full disk, a file-size limit), the previous
    file at ``path`` is untouched. Serialising first matters: torch writing straight to a
    file that fails turns the disk's own error ("File too large", "No space left on
    device") into an unreadable ``RuntimeError`` ("unexpected pos"); our own ``write`` keeps
    the real reason. Any failure becomes a :class:`CheckpointError` saying it, so a caller
    can always fall back (the CLI's rescue). ``metadata`` must hold only plain Python values.
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
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a file name (try {path / (model_name + '.pt')})")
    try:
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getbuffer())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except Exception as exc:  # full disk, file-size limit, read-only folder, a folder in the way...
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise CheckpointError(f"{path}: could not be written ({short_reason(exc)}); "
                              "any previous file there is unchanged") from exc
    except BaseException:  # interrupted (Ctrl-C): never leave a half file
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def free_name(folder: Path, name: str) -> Path:
    """``folder / name``, or ``stem-2.pt``, ``stem-3.pt``... if taken: a rescue never overwrites an earlier one."""
    candidate, stem, suffix = folder / name, Path(name).stem, Path(name).suffix or ".pt"
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = folder / f"{stem}-{counter}{suffix}"
    return candidate


def save_with_rescue(path: str | os.PathLike[str], model_name: str, model: nn.Module, *,
                     metadata: dict[str, Any] | None, rescue_folders: list[Path],
                     rescue_name: str) -> tuple[Path, list[str]]:
    """Save to ``path``; if that fails for any reason, to the first of ``rescue_folders`` that works.

    Returns where the checkpoint went and the failures met on the way (empty when ``path``
    worked). A trained model must not be lost to a full disk or a mistyped ``--out``: the
    rescue copies are named ``rescue_name`` (made unique, never overwriting). If no place
    works, raises :class:`CheckpointError` listing every reason.
    """
    failures: list[str] = []
    for target in [Path(path), *(free_name(folder, rescue_name) for folder in rescue_folders)]:
        try:
            return save_checkpoint(target, model_name, model, metadata=metadata), failures
        except CheckpointError as exc:
            failures.append(str(exc))
    raise CheckpointError("the model could not be saved anywhere: " + "; ".join(failures))


def _guess_model_name(state_dict: dict[str, torch.Tensor]) -> str | None:
    """The registered model whose parameter names and shapes match ``state_dict`` exactly."""
    for name in MODELS:
        expected = build_model(name).state_dict()
        if expected.keys() == state_dict.keys() and all(
                expected[k].shape == state_dict[k].shape for k in expected):
            return name
    return None


# Registered names whose network has changed shape, and the name the earlier shape goes by now.
FORMER_SHAPES = {"drawing-cnn": "drawing-cnn-w24"}  # drawing-cnn was width 24 until it became width 40


def _build_and_load(model_name: str, state_dict: dict[str, torch.Tensor]) -> nn.Module:
    """The registered model ``model_name`` holding ``state_dict``; raises what ``load_state_dict`` raises."""
    model = build_model(model_name)
    model.load_state_dict(state_dict)
    return model


def _what_else_it_is(head: bytes) -> str | None:
    """``None`` for a zip archive (PyTorch's format since 1.6), else what the file is in words, by its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return None
    if not head:
        return "is empty"
    if head[:1] == b"\x80":
        return ("is a Python pickle (another program's data, or PyTorch's pre-1.6 format), not a checkpoint in "
                "PyTorch's zip format; refused without unpickling it")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "is an image, not a checkpoint"
    printable = sum(b >= 32 or b in b"\t\n\r" for b in head)
    if b"\x00" not in head and printable >= 0.95 * len(head):
        return "is a text file, not a checkpoint"
    return "is not a PyTorch checkpoint (unrecognised data)"


def _unreadable(path: Path, exc: BaseException) -> CheckpointError:
    return CheckpointError(f"{path}: not a readable checkpoint (corrupt or truncated?): {short_reason(exc)}")


def _check_archive(path: Path, fh: BinaryIO) -> None:
    """Refuse an archive whose entries unpack to more than any checkpoint could be (a zip bomb), before unpacking.

    The sizes are the ones the archive declares, which is what torch's reader allocates; an entry that
    inflates beyond its declared size fails its own check while being read.
    """
    try:
        with zipfile.ZipFile(fh) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable(path, exc) from None
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise CheckpointError(f"{path}: holds {len(entries):,} files, far more than a checkpoint; refused unopened")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: unpacks to {unpacked / 1e6:,.0f} MB, more than any MNIST checkpoint "
                              f"(limit {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB); refused before unpacking")
    if not any(entry.filename.rsplit("/", 1)[-1] == "data.pkl" for entry in entries):
        raise CheckpointError(f"{path}: is a zip archive, but not a PyTorch checkpoint")


def _is_state_dict(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                           for k, v in value.items())


#: Metadata fields the project reads (labels, the default model), with the types they must have.
_METADATA_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "test_accuracy": ((int, float), "a number"),
    "recipe": ((dict, str), "a recipe name or settings"),
    "drawing": ((bool,), "true or false"),
    "source": ((str,), "text"),
}


def _checked_metadata(path: Path, metadata: Any) -> dict[str, Any]:
    """A copy of ``metadata`` once the fields the project reads have the right types; else :class:`CheckpointError`."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: its metadata is {type(metadata).__name__}, not a dictionary of values")
    for key, (types, words) in _METADATA_TYPES.items():
        value = metadata.get(key)
        if value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
            raise CheckpointError(f"{path}: its metadata field {key!r} is {type(value).__name__}, not {words}")
    recipe = metadata.get("recipe")
    if isinstance(recipe, dict) and not isinstance(recipe.get("name", ""), str):
        raise CheckpointError(f"{path}: its recipe name is {type(recipe['name']).__name__}, not text")
    return dict(metadata)


def _read(path: Path, map_location: str | torch.device) -> Any:
    """The object stored in the checkpoint file at ``path``, read only after every check has passed."""
    try:
        fh = open_regular_file(path)
    except FileProblem as exc:
        if str(exc) == "no such file":
            raise CheckpointError(f"{path}: no such checkpoint file") from None
        raise CheckpointError(f"{path}: {exc}") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(f"{path}: {size / 1e6:.0f} MB is too large for an MNIST checkpoint "
                                  f"(limit {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB)")
        other = _what_else_it_is(fh.read(512))
        if other is not None:
            raise CheckpointError(f"{path}: {other}")
        _check_archive(path, fh)
        fh.seek(0)
        try:
            return torch.load(fh, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as exc:
            # weights_only refuses any global it does not know (functions, classes): nothing was executed.
            found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
            detail = f" (it refers to {found.group(1)})" if found else ""
            raise CheckpointError(f"{path}: refused, it contains Python objects other than weights{detail}; "
                                  "only tensors and plain values are ever loaded") from exc
        except Exception as exc:  # a corrupt archive fails in many ways inside torch's reader and unpickler
            raise _unreadable(path, exc) from exc


def load_checkpoint(path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint (ours or a plain ``state_dict``) safely; raise :class:`CheckpointError` naming it.

    Every failure, whatever the file holds, is a :class:`CheckpointError` with the file's name
    and what is wrong with it: callers (the app's catalog, the CLI) rely on that to report one
    bad file and carry on. Before anything is unpacked the file must be a regular file (not a
    device or a pipe), of a checkpoint's size, in PyTorch's zip format, and unpack to a
    checkpoint's size.
    """
    path = Path(path)
    obj = _read(path, map_location)
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        model_name, state_dict = obj.get("model"), obj.get("state_dict")
        if not isinstance(model_name, str) or model_name not in MODELS:
            shown = repr(model_name) if isinstance(model_name, str) else f"a {type(model_name).__name__}"
            raise CheckpointError(f"{path}: made for model {shown[:100]}, which this version does not know "
                                  f"(known: {', '.join(MODELS)})")
        if not _is_state_dict(state_dict):
            raise CheckpointError(f"{path}: has no weights")
        metadata = _checked_metadata(path, obj.get("metadata"))
    elif _is_state_dict(obj) and obj:
        state_dict, metadata = obj, {"source": "plain state_dict"}
        model_name = _guess_model_name(state_dict)
        if model_name is None:
            raise CheckpointError(f"{path}: its weights match none of the known models ({', '.join(MODELS)})")
    else:
        raise CheckpointError(f"{path}: not an MNIST checkpoint (no weights found)")

    try:
        model = _build_and_load(model_name, state_dict)
    except Exception as exc:  # wrong names or shapes (RuntimeError), or values torch cannot copy in
        # A name that has changed shape (FORMER_SHAPES): a visitor's drawing-cnn saved before that network grew
        # loads as the drawing-cnn-w24 it is. Any other mismatch between a name and its weights is refused.
        former = FORMER_SHAPES.get(model_name)
        if former is None or _guess_model_name(state_dict) != former:
            lines = str(exc).splitlines()
            raise CheckpointError(f"{path}: its weights do not fit model {model_name!r} "
                                  f"({lines[1].strip() if len(lines) > 1 else short_reason(exc)})") from exc
        metadata["saved_as"], model_name = model_name, former
        model = _build_and_load(model_name, state_dict)
    broken = _first_non_finite(model)
    if broken is not None:
        raise CheckpointError(f"{path}: its weights hold NaN or infinite values ({broken}), so it cannot read "
                              "anything; it is not used")
    model.eval()
    metadata.setdefault("model", model_name)
    return Checkpoint(model_name=model_name, model=model, metadata=metadata, path=path)


def _first_non_finite(model: nn.Module) -> str | None:
    """The name of the first parameter or buffer holding a NaN or an infinity (a diverged run's weights), if any."""
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return name
    return None


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

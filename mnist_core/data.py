"""MNIST as four in-memory tensors, loaded once.

Training never goes through a per-item ``DataLoader``: the whole set (60000x28x28 uint8
for training, 10000x28x28 for test) is read once with torchvision's MNIST definition,
normalised once on the training device, and batches are made by indexing.

Where the files come from, in order:

1. ``<data dir>/MNIST/raw/`` already holds the four extracted files: read in place.
2. It holds the four original ``.gz`` files: their checksums are verified and they are
   extracted into the project's cache (never into the data directory, which may be
   read-only).
3. Nothing there: torchvision's own ``MNIST(download=True)`` fetches them (its mirrors, its
   checksums) into the data directory, or into the cache when that cannot be written.

torchvision is imported only when files are read or fetched: it pulls in ``torch._dynamo``
and more, about 1.5 s that the app need not spend before it serves its first page.

If none of that works, :class:`MNISTUnavailableError` says which folder was looked in
and how to fix it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from mnist_core.paths import DATA_DIR_ENV, cache_dir, is_writable, resolve_data_dir
from mnist_core.text import N_, Text

MEAN = 0.1307
STD = 0.3081
NUM_CLASSES = 10
IMAGE_SIZE = 28
#: Images in MNIST's training and test sets.
TRAIN_SIZE = 60_000
TEST_SIZE = 10_000

#: (file name, md5) of the four original files, as torchvision's ``MNIST.resources`` lists them (a test checks
#: that they agree): written out so that looking for the files does not import torchvision.
RESOURCES: tuple[tuple[str, str], ...] = (
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
)

ProgressCallback = Callable[[str], None]


class MNISTUnavailableError(RuntimeError):
    """MNIST could not be found, verified or downloaded; the message says how to fix it."""


@dataclass(frozen=True)
class MNISTData:
    """The whole of MNIST as CPU tensors: images uint8 (N, 28, 28), labels int64 (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: Path

    def __post_init__(self) -> None:
        for images, labels in ((self.train_images, self.train_labels), (self.test_images, self.test_labels)):
            if images.dtype != torch.uint8 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
                raise ValueError(f"images must be uint8 (N, 28, 28), got {images.dtype} {tuple(images.shape)}")
            if labels.shape != images.shape[:1]:
                raise ValueError("labels must have one entry per image")


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) or float in [0, 1] -> float32 (N, 1, 28, 28), standardised as in training."""
    x = images.float()
    if images.dtype == torch.uint8:
        x = x / 255.0
    if x.dim() == 3:
        x = x.unsqueeze(1)
    return (x - MEAN) / STD


def _raw_folder(root: Path) -> Path:
    return root / "MNIST" / "raw"


def _has_extracted(root: Path) -> bool:
    return all((_raw_folder(root) / Path(name).stem).is_file() for name, _ in RESOURCES)


def _how_to_fix(root: Path) -> str:
    names = ", ".join(name for name, _ in RESOURCES)
    return (
        f"Either connect to the internet so the files can be downloaded, place the four original "
        f"files ({names}) in {(_raw_folder(root)).resolve()}, or point the project at a folder that "
        f"holds MNIST/raw/ with --data-dir DIR or the {DATA_DIR_ENV} environment variable."
    )


def _md5_matches(path: Path, md5: str) -> bool:
    """torchvision's ``check_integrity`` in hashlib: the app checks the files at every start, and importing
    torchvision for it would cost that start about 1.5 s (``python -X importtime``)."""
    try:
        return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() == md5
    except OSError:
        return False


def _extract_gz_into_cache(root: Path, progress: ProgressCallback | None) -> Path:
    """Verify the four ``.gz`` files under ``root`` and extract them into the cache; return the cache root."""
    raw = _raw_folder(root)
    for name, md5 in RESOURCES:
        if not _md5_matches(raw / name, md5):
            raise MNISTUnavailableError(
                f"MNIST file {raw / name} is corrupt or truncated (its MD5 checksum is not {md5}). "
                f"Delete it and let the project download it again, or replace it with the original file. "
                + _how_to_fix(root)
            )
    cache_root = cache_dir() / "mnist"
    if _has_extracted(cache_root):
        return cache_root
    from torchvision.datasets.utils import extract_archive

    target = _raw_folder(cache_root)
    target.mkdir(parents=True, exist_ok=True)
    for name, _ in RESOURCES:
        if progress:
            progress(Text(N_("Extracting {name}"), name=name))
        # Our own step: torchvision writes straight to the final name, so a crash would leave a half file
        # that the next start trusts. Extracted beside it first, the file appears whole or not at all.
        with tempfile.TemporaryDirectory(dir=target) as tmp:
            os.replace(extract_archive(str(raw / name), tmp), target / Path(name).stem)
    return cache_root


def _download(root: Path, progress: ProgressCallback | None) -> Path:
    """Fetch the four files with torchvision's ``MNIST(download=True)`` into ``root`` or, if read-only, the cache."""
    from torchvision.datasets import MNIST

    target_root = root if is_writable(_raw_folder(root)) else cache_dir() / "mnist"
    if progress:
        progress(Text(N_("Downloading MNIST ({count} files, about 11 MB)"), count=len(RESOURCES)))
    try:
        MNIST(str(target_root), train=False, download=True)  # every mirror in turn, each file checksummed
    except Exception as exc:  # network errors come in many types
        lines = str(exc).strip().splitlines()  # torchvision: "Error downloading NAME:", then each mirror's error
        reason = " ".join(dict.fromkeys(lines[:1] + lines[-1:])) or type(exc).__name__
        raise MNISTUnavailableError(
            f"MNIST was not found in {_raw_folder(root).resolve()} and could not be downloaded "
            f"({reason}). " + _how_to_fix(root)
        ) from exc
    return target_root


def locate_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True,
                 progress: ProgressCallback | None = None) -> Path:
    """Return a root whose ``MNIST/raw/`` holds the four extracted files, fetching them if needed."""
    root = resolve_data_dir(data_dir)
    if _has_extracted(root):
        return root
    raw = _raw_folder(root)
    present = [name for name, _ in RESOURCES if (raw / name).is_file()]
    if len(present) == len(RESOURCES):
        return _extract_gz_into_cache(root, progress)
    cached = cache_dir() / "mnist"
    if not present and _has_extracted(cached) and not is_writable(raw):
        return cached  # downloaded into the cache by an earlier run, because this folder is read-only
    if download:
        return _download(root, progress)
    missing = [name for name, _ in RESOURCES if name not in present]
    raise MNISTUnavailableError(
        f"MNIST was not found in {raw.resolve()} (missing: {', '.join(missing)}). " + _how_to_fix(root)
    )


@functools.lru_cache(maxsize=4)
def _load_cached(root: str) -> MNISTData:
    from torchvision.datasets import MNIST

    try:
        train = MNIST(root, train=True, download=False)
        test = MNIST(root, train=False, download=False)
    except Exception as exc:  # truncated or corrupt extracted files raise assorted errors
        raise MNISTUnavailableError(
            f"The MNIST files in {_raw_folder(Path(root)).resolve()} could not be read ({exc}). "
            "Delete them so they are fetched again. " + _how_to_fix(Path(root))
        ) from exc
    return MNISTData(train.data, train.targets, test.data, test.targets, source=Path(root))


def load_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True,
               progress: ProgressCallback | None = None) -> MNISTData:
    """Load all of MNIST as tensors (cached per process: the second call costs nothing).

    Raises :class:`MNISTUnavailableError` with a message that names the folder looked in.
    """
    root = locate_mnist(data_dir, download=download, progress=progress)
    return _load_cached(str(root.resolve()))


def write_mnist_subset(source: MNISTData, root: Path, n_train: int, n_test: int) -> Path:
    """The first ``n_train`` and ``n_test`` images of ``source`` as MNIST's four files under ``root/MNIST/raw``
    (uncompressed, as :func:`load_mnist` reads them once extracted): a small MNIST that loads and trains in
    seconds, for a benchmark of many runs (``bench.crowd_start``). Returns ``root``, a data folder."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    sets = {"train": (source.train_images[:n_train], source.train_labels[:n_train]),
            "t10k": (source.test_images[:n_test], source.test_labels[:n_test])}
    for prefix, (images, labels) in sets.items():
        # The idx format: zero, zero, the type (8: unsigned byte), the number of dimensions, each as a big-endian int32.
        header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in images.shape)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.numpy().tobytes())
        header = bytes([0, 0, 8, 1]) + len(labels).to_bytes(4, "big")
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(header + labels.numpy().astype("uint8").tobytes())
    return root

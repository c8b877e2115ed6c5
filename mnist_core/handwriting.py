"""Handwritten digits by people who are not MNIST's writers, ready to train on and measure with.

MNIST was written by US Census Bureau employees and US high-school students. A class in
Madrid or Zurich writes a ``1`` with a long upstroke, a ``7`` with a crossbar and a ``9``
with a curved tail, and a model that has seen only MNIST reads them wrong. Two public sets
of European handwriting fill that gap (``<data dir>/handwriting/SOURCES.md`` in the shared
data has their layouts and licences):

- ``ujipenchars2``: UJI Pen Characters v2, 60 Spanish writers' pen trajectories (1,200
  digits). Each is painted as the Draw tab's sketchpad paints a drawing
  (:mod:`mnist_core.strokes`: the app's canvas, brush widths around its default, a random
  size and place), then goes through :func:`~mnist_core.preprocess.sketch_to_mnist` like
  any drawing.
- ``numbers``: 21 writers' scanned digits (12,221). Stray bits of the printed form's box
  lines are removed (:func:`remove_box_lines`), then the same ``sketch_to_mnist`` finds the
  ink by its contrast with the paper.

Every source is split by writer, never by sample: no writer is in more than one of
``train``, ``val`` (calibration and choices) and ``test`` (the figures we publish). The
splits are fixed lists below, drawn once from a seeded permutation.

Where the files come from mirrors :mod:`mnist_core.data`: ``<data dir>/handwriting/`` is
read in place (it may be read-only); failing that, a copy downloaded earlier into the
project's cache; failing that, a download (checksummed) into the data directory, or into
the cache if the data directory cannot be written. The 28x28 tensors made from a source
are cached too, keyed by the source's checksum and everything that shapes them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mnist_core.data import IMAGE_SIZE
from mnist_core.paths import DATA_DIR_ENV, cache_dir, is_writable, resolve_data_dir
from mnist_core.preprocess import sketch_to_mnist
from mnist_core.strokes import AS_WRITTEN, VARIED, SketchStyle, draw_on_sketchpad
from mnist_core.text import N_, Text

ProgressCallback = Callable[[str], None]

SPLITS = ("train", "val", "test")
#: Each split as its progress messages name it.
SPLIT_NAMES = {"train": Text(N_("training")), "val": Text(N_("validation")), "test": Text(N_("testing"))}
#: Bumped whenever rendering or preprocessing changes what the cached tensors would hold.
DERIVED_VERSION = 2
#: Renderings per pen sample: many for training (each a new size, place, brush and hand), a few for measuring.
TRAIN_RENDERINGS = 24
EVAL_RENDERINGS = 4


class HandwritingUnavailableError(RuntimeError):
    """A handwriting source could not be found, verified or downloaded; the message says how to fix it."""


@dataclass(frozen=True)
class HandwritingSource:
    """One set of handwritten digits: where it lives, where it comes from, and how its writers are split."""

    name: str
    title: str
    kind: str  # "strokes" (pen trajectories) or "scans" (images of paper)
    path: str  # under <data dir>/handwriting/: a file for strokes, a folder for scans
    digits: int
    writers: int
    test_writers: tuple[str, ...]
    val_writers: tuple[str, ...]
    url: str
    checksum: str  # md5 of the file (strokes), or tree digest of the folder's PNGs (scans): see tree_digest
    origin: str
    licence: str


SOURCES: dict[str, HandwritingSource] = {
    s.name: s
    for s in (
        HandwritingSource(
            name="ujipenchars2", title="UJI Pen Characters v2: 60 Spanish writers, stylus on a Tablet PC",
            kind="strokes", path="ujipenchars2/ujipenchars2-digits.json", digits=1200, writers=60,
            test_writers=tuple(f"uji-{i:02d}" for i in (1, 3, 4, 5, 6, 9, 11, 15, 24, 26, 33, 34, 37, 38, 43, 44,
                                                          45, 52, 53, 59)),
            val_writers=tuple(f"uji-{i:02d}" for i in (18, 29, 32, 40, 41, 42, 46, 57)),
            url="https://raw.githubusercontent.com/bridger/NumberPad/c51906b986d49f8e0a709aa1813dfb5d460b0e2f/"
                "Data/ujipenchars2.json",
            checksum="d3fb8c348e9a56123806901b255c0fcb",
            origin="Llorens et al., LREC 2008, UCI Machine Learning Repository 'UJI Pen Characters (Version 2)'; "
                   "JSON of its digits from github.com/bridger/NumberPad (Data/ujipenchars2.json)",
            licence="CC BY 4.0 (JSON copy: Apache-2.0)"),
        HandwritingSource(
            name="numbers", title="numbers: 21 writers (20 Swiss), digits copied by hand onto a form and scanned",
            kind="scans", path="numbers", digits=12221, writers=21,
            test_writers=("0003_CH3M", "0009_CH4M", "0012_CH3M", "0013_CH3M", "0018_CHXX"),
            val_writers=("0001_CH4M", "0016_CH3F"),
            url="https://github.com/BSI-Business-Systems-Integration-AG/anagnostes/archive/fd24d4b.tar.gz",
            checksum="0b111a2be61bb71198d0d80b829b9b5f25e5a925a076a4bd6c2ea4ad9526f49e",
            origin="Alex Schroeder, github.com/kensanata/numbers (manually cut set), as copied into "
                   "github.com/BSI-Business-Systems-Integration-AG/anagnostes, folder numbers/ (commit fd24d4b)",
            licence="MIT (anagnostes copy: Apache-2.0)"),
    )
}


def get_source(name: str) -> HandwritingSource:
    """The registered source ``name``, or a ``ValueError`` listing the choices."""
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown handwriting source {name!r}; choose one of: {', '.join(SOURCES)}") from None


def split_of(source: HandwritingSource, writer: str) -> str:
    """Which split a writer belongs to: "test", "val" or "train"."""
    if writer in source.test_writers:
        return "test"
    return "val" if writer in source.val_writers else "train"


# --- finding and fetching the files -------------------------------------------------------------------------

def _root(base: Path) -> Path:
    return base / "handwriting"


def _present(source: HandwritingSource, base: Path) -> bool:
    target = _root(base) / source.path
    return target.is_file() if source.kind == "strokes" else target.is_dir() and any(target.iterdir())


def tree_digest(folder: Path) -> str:
    """sha256 over every PNG under ``folder``: its relative path and the sha256 of its bytes, in sorted order.

    A digest of the files themselves, not of an archive: the same for any copy of the same
    files, however they were packed or fetched.
    """
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.png")):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _how_to_fix(source: HandwritingSource, base: Path) -> str:
    return (f"Connect to the internet so it can be downloaded ({source.url}), or copy it to "
            f"{(_root(base) / source.path).resolve()}, or point the project at a folder holding "
            f"handwriting/{source.path} with --data-dir DIR or ${DATA_DIR_ENV}.")


#: Members of the anagnostes archive that are scanned digits: <top>/numbers/<writer>/<digit>/number-<n>.png
_SCAN_MEMBER = re.compile(r"^[^/]+/numbers/(\d{4}_[A-Z]{2}[0-9X][MFX])/(\d)/(number-\d+\.png)$")


def _fetch(source: HandwritingSource, base: Path, progress: ProgressCallback | None) -> None:
    """Download ``source`` into ``base``/handwriting/ and verify it; nothing is left behind if that fails.

    Everything is fetched into a hidden staging folder beside the target and moved into
    place only once its checksum matches.
    """
    from torchvision.datasets.utils import download_url

    target = _root(base) / source.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(Text(N_("Downloading {source} from {url}"), source=source.name, url=source.url))
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{source.name}-"))
    try:
        if source.kind == "strokes":
            download_url(source.url, str(staging), filename=target.name, md5=source.checksum)
            os.replace(staging / target.name, target)
            return
        download_url(source.url, str(staging), filename="archive.tar.gz")
        with tarfile.open(staging / "archive.tar.gz") as archive:
            for member in archive:
                found = _SCAN_MEMBER.match(member.name)
                if not found or not member.isfile():
                    continue  # only the scans, only regular files, only names of the expected shape
                out = staging / "numbers" / found.group(1) / found.group(2) / found.group(3)
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        digest = tree_digest(staging / "numbers") if (staging / "numbers").is_dir() else "no scans in the archive"
        if digest != source.checksum:
            raise HandwritingUnavailableError(
                f"the {source.name} download does not match its checksum ({digest} instead of {source.checksum})")
        os.replace(staging / "numbers", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def locate_source(name: str, data_dir: str | os.PathLike[str] | None = None, *, download: bool = True,
                  progress: ProgressCallback | None = None) -> Path:
    """The path of a source's file (strokes) or folder (scans), fetching it if needed and allowed."""
    source = get_source(name)
    base = resolve_data_dir(data_dir)
    for candidate in (base, cache_dir()):
        if _present(source, candidate):
            return _root(candidate) / source.path
    if not download:
        raise HandwritingUnavailableError(
            f"{source.name} was not found in {(_root(base) / source.path).resolve()}. " + _how_to_fix(source, base))
    target_base = base if is_writable(_root(base)) else cache_dir()
    try:
        _fetch(source, target_base, progress)
    except HandwritingUnavailableError:
        raise
    except Exception as exc:  # network and archive errors come in many types
        raise HandwritingUnavailableError(
            f"{source.name} was not found in {(_root(base) / source.path).resolve()} and could not be downloaded "
            f"({exc}). " + _how_to_fix(source, base)) from exc
    return _root(target_base) / source.path


# --- reading the raw samples --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PenSample:
    """One digit written with a pen: its strokes (each (n, 2) x, y with y down), label and writer."""

    strokes: list[np.ndarray]
    label: int
    writer: str


def read_pen_samples(path: Path) -> list[PenSample]:
    """The UJI digits: ``{"rawData": {"0": [sample, ...], ...}}``, sample ``i`` of each digit by writer ``i // 2``."""
    try:
        raw = json.loads(Path(path).read_text())["rawData"]
        samples = [PenSample([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes], int(digit),
                             f"uji-{i // 2:02d}")
                   for digit, items in sorted(raw.items()) for i, strokes in enumerate(items)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HandwritingUnavailableError(f"{path} is not a readable UJI pen-character file ({exc}); "
                                          "delete it so it is fetched again") from exc
    return samples


@dataclass(frozen=True)
class ScanFile:
    """One scanned digit: its image file, label and writer."""

    path: Path
    label: int
    writer: str


def list_scans(folder: Path) -> list[ScanFile]:
    """Every ``<writer>/<digit>/number-<n>.png`` under ``folder``, in a stable order."""
    return [ScanFile(p, int(p.parent.name), p.parent.parent.name)
            for p in sorted(Path(folder).glob("*/[0-9]/*.png"))]


def remove_box_lines(grey: np.ndarray, *, band: float = 0.2, cover: float = 0.8, thickness: float = 0.08
                     ) -> np.ndarray:
    """Paint over bits of a printed form's box lines that a crop kept: a copy of uint8 ``grey`` (H, W).

    A box line runs along the crop's edge, thin and across (nearly) the whole crop. A
    row within ``band`` of the top or bottom whose ink spans at least ``cover`` of the width
    (one row above or below counts too: a scan is seldom perfectly straight) belongs to one,
    provided the run of such rows is no thicker than ``thickness`` of the height; likewise
    for columns. A digit's own strokes never span a whole crop, so they are kept.
    """
    out = grey.copy()
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = int(np.median(border))
    ink = (paper - grey.astype(np.int16)) > 40  # (H, W): darker than the paper by more than 40 of 255
    for axis in (0, 1):  # 0: rows (horizontal lines), 1: columns (vertical lines)
        m = ink if axis == 0 else ink.T
        n, width = m.shape
        near = np.zeros(n, bool)
        near[: max(1, round(band * n))] = True
        near[n - max(1, round(band * n)):] = True
        padded = np.pad(m, ((1, 1), (0, 0)))
        spread = padded[:-2] | padded[1:-1] | padded[2:]  # (n, width): a row or its neighbours
        line = near & (spread.mean(1) >= cover)
        # erase runs of line rows that are thin enough to be a printed line
        idx = np.flatnonzero(line)
        for run in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if len(idx) else []:
            if len(run) <= max(2, round(thickness * n)):
                if axis == 0:
                    out[run] = paper
                else:
                    out[:, run] = paper
    return out


#: Ink this much darker than the paper (of 255) is writing; fainter is paper grain and scanner noise.
SCAN_NOISE = 40


def read_scan(path: Path) -> np.ndarray:
    """A scanned digit as uint8 greyscale (H, W): black ink on white, box-line fragments and paper noise removed.

    A ballpoint line on paper scans as a soft grey stroke, while a sketchpad stroke (and an
    MNIST digit's core) is solid. The ink is therefore stretched so that a typical stroke
    pixel (the 75th percentile of the writing's darkness) is full ink, after the faint
    noise is dropped (stretching it would make it look like writing).
    """
    with Image.open(path) as img:
        grey = remove_box_lines(np.asarray(img.convert("L")))
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    ink = np.clip(float(np.median(border)) - grey.astype(np.float32), 0, None)  # (H, W) darkness above the paper
    ink[ink <= SCAN_NOISE] = 0
    if ink.any():
        ink = np.clip(ink * (255.0 / np.percentile(ink[ink > 0], 75)), 0, 255)
    return (255 - ink).astype(np.uint8)


# --- 28x28 tensors, per split ------------------------------------------------------------------------------

@dataclass(frozen=True)
class HandwrittenDigits:
    """One split of one source as MNIST-style tensors: what the model sees, with who wrote each digit."""

    source: str
    split: str
    images: torch.Tensor  # (N, 28, 28) uint8, white digit on black, as sketch_to_mnist makes it
    labels: torch.Tensor  # (N,) int64
    writers: torch.Tensor  # (N,) int64, index into writer_names
    writer_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"images must be uint8 (N, 28, 28), got {self.images.dtype} {tuple(self.images.shape)}")
        if not (len(self.labels) == len(self.writers) == len(self.images)):
            raise ValueError("labels and writers must have one entry per image")

    def __len__(self) -> int:
        return len(self.labels)


def _to_uint8(digit: torch.Tensor) -> torch.Tensor:
    return (digit * 255).round().clamp(0, 255).to(torch.uint8)


def _pack(source: str, split: str, rows: Sequence[tuple[torch.Tensor, int, str]]) -> HandwrittenDigits:
    names = tuple(sorted({w for _, _, w in rows}))
    index = {w: i for i, w in enumerate(names)}
    images = torch.stack([x for x, _, _ in rows]) if rows else torch.zeros(0, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)
    return HandwrittenDigits(source, split, images, torch.tensor([y for _, y, _ in rows], dtype=torch.int64),
                             torch.tensor([index[w] for _, _, w in rows], dtype=torch.int64), names)


def render_pen_samples(samples: Sequence[PenSample], renderings: int, style: SketchStyle, seed: int,
                       progress: ProgressCallback | None = None) -> list[tuple[torch.Tensor, int, str]]:
    """Each sample painted ``renderings`` times on the sketchpad and preprocessed like a drawing.

    Returns (28x28 uint8 image, label, writer) rows.
    """
    rng = np.random.default_rng(seed)
    rows = []
    total = len(samples) * renderings
    for k, sample in enumerate(samples):
        for _ in range(renderings):
            digit = sketch_to_mnist(draw_on_sketchpad(sample.strokes, rng, style))
            if digit is not None:
                rows.append((_to_uint8(digit), sample.label, sample.writer))
        if progress and (k + 1) % 200 == 0:
            progress(Text(N_("Painted {done} of {total} pen drawings"), done=(k + 1) * renderings, total=total))
    return rows


def _cache_file(source: HandwritingSource, split: str, renderings: int, seed: int) -> Path:
    key = json.dumps([DERIVED_VERSION, source.checksum, split, renderings, seed,
                      (VARIED if split == "train" else AS_WRITTEN).__repr__()])
    return cache_dir() / "handwriting" / f"{source.name}-{split}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def _verify(source: HandwritingSource, path: Path) -> None:
    digest = (hashlib.md5(path.read_bytes()).hexdigest() if source.kind == "strokes"  # noqa: S324 (a checksum)
              else tree_digest(path))
    if digest != source.checksum:
        raise HandwritingUnavailableError(
            f"{path} does not match the published {source.name} files (checksum {digest}, expected "
            f"{source.checksum}): some files are missing, extra or changed. Replace it with the original "
            f"({source.url}).")


def load_handwriting(name: str, split: str, data_dir: str | os.PathLike[str] | None = None, *,
                     renderings: int | None = None, seed: int = 0, download: bool = True,
                     progress: ProgressCallback | None = None) -> HandwrittenDigits:
    """One writer-disjoint split of a source as 28x28 tensors, made once and then read from the cache.

    Pen samples of the ``train`` split are painted ``TRAIN_RENDERINGS`` times each with the
    writer's shape varied (:data:`~mnist_core.strokes.VARIED`); other splits
    ``EVAL_RENDERINGS`` times as written. Scans are read once each (training varies them
    batch by batch). Raises :class:`HandwritingUnavailableError` naming the folder looked in.
    """
    source = get_source(name)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if renderings is None:
        renderings = TRAIN_RENDERINGS if split == "train" else EVAL_RENDERINGS
    path = locate_source(name, data_dir, download=download, progress=progress)
    _verify(source, path)
    cached = _cache_file(source, split, renderings if source.kind == "strokes" else 1, seed)
    if cached.is_file():
        try:
            saved = torch.load(cached, weights_only=True)
            return HandwrittenDigits(source.name, split, saved["images"], saved["labels"], saved["writers"],
                                     tuple(saved["writer_names"]))
        except Exception:  # a damaged cache file is simply made again (and overwritten below)
            pass
    if source.kind == "strokes":
        samples = [s for s in read_pen_samples(path) if split_of(source, s.writer) == split]
        if progress:
            progress(Text(N_("Painting {count} {source} drawings for {split} (once; then cached)"),
                          count=len(samples) * renderings, source=source.name, split=SPLIT_NAMES[split]))
        style = VARIED if split == "train" else AS_WRITTEN
        rows = render_pen_samples(samples, renderings, style, seed=seed + SPLITS.index(split), progress=progress)
    else:
        scans = [s for s in list_scans(path) if split_of(source, s.writer) == split]
        if progress:
            progress(Text(N_("Preparing {count} {source} scans for {split} (once; then cached)"),
                          count=len(scans), source=source.name, split=SPLIT_NAMES[split]))
        rows = []
        for scan in scans:
            digit = sketch_to_mnist(read_scan(scan.path))
            if digit is not None:
                rows.append((_to_uint8(digit), scan.label, scan.writer))
    result = _pack(source.name, split, rows)
    _save_cache(cached, result)
    return result


def _save_cache(path: Path, digits: HandwrittenDigits) -> None:
    """Write the tensors atomically; a cache that cannot be written only costs the work next time."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save({"images": digits.images, "labels": digits.labels, "writers": digits.writers,
                    "writer_names": list(digits.writer_names)}, buffer)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
        os.replace(tmp, path)
    except OSError:
        if tmp:
            Path(tmp).unlink(missing_ok=True)

"""A visitor's own examples as a small dataset file: 28x28 PNGs, the drawings they came from, a CSV of labels.

The Draw tab collects the drawings a model read wrong, each with the digit the visitor says it
is, and offers them as one zip, so that what a class drew is never lost with the page:

    your-examples.zip
      labels.csv            file,label,drawing   (one row per example)
      images/0001.png       28 x 28 greyscale, white digit on black: exactly what the model learns from
      drawings/0001.png     the drawing as it was made (when there is one)
      README.txt            what the files are and how to teach a model with them at home

The same file teaches a checkpoint from the command line (``python -m mnist_core teach``), which
reads it back with :func:`read_examples`. Reading is defensive: a zip from anywhere is checked for
its size, its number of members and its layout, and refused with an :class:`ExamplesError`
saying what is wrong in one line. A path must be a regular file (a symlink to ``/dev/zero`` or a
named pipe would be read forever), and no member is read past the limits, whatever sizes the
zip declares.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image

from mnist_core.data import IMAGE_SIZE, NUM_CLASSES
from mnist_core.files import FileProblem, open_regular_file, short_reason
from mnist_core.handwriting import HandwrittenDigits
from mnist_core.recipes import YOUR_EXAMPLES

#: The most examples one file may hold (a class collects tens; a teaching run trains on all of them).
MAX_EXAMPLES = 500
#: The most bytes a file may hold once unpacked (500 drawings of a few tens of KB each fit easily).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: The most bytes the zip itself may hold (it is compressed: never more than what it unpacks to, plus headers).
MAX_FILE_BYTES = MAX_UNPACKED_BYTES + 1024 * 1024
#: What reading a zip member can raise when the zip lies about it: a bad CRC, a broken deflate stream, a cut-off end.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)
LABELS_FILE = "labels.csv"

README = """Your examples, from the MNIST teaching demo.

labels.csv       one row per example: file,label,drawing
images/*.png     28 x 28 greyscale, white digit on black: what the model learns from
drawings/*.png   each drawing as it was made

Teach a model with them at home:
    python -m mnist_core teach --checkpoint assets/drawing-cnn.pt --examples your-examples.zip --out taught.pt
and bring taught.pt back to the app with "Upload a checkpoint" in the Train tab.
"""


class ExamplesError(ValueError):
    """An examples file that cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True)
class Example:
    """One example: the 28x28 input the model sees, the digit it really is, and the drawing it came from."""

    digit: np.ndarray  # (28, 28) uint8, white on black
    label: int
    drawing_png: bytes | None = None  # the drawing as the visitor made it, PNG-encoded

    def __post_init__(self) -> None:
        if self.digit.dtype != np.uint8 or self.digit.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"an example's digit must be uint8 (28, 28), got {self.digit.dtype} {self.digit.shape}")
        if not 0 <= self.label < NUM_CLASSES:
            raise ValueError(f"an example's label must be a digit 0-9, got {self.label}")


def as_digits(examples: Sequence[Example]) -> HandwrittenDigits:
    """The examples as one training source (each example its own "writer", so none is confused with another)."""
    images = torch.from_numpy(np.stack([e.digit for e in examples])) if examples else \
        torch.zeros(0, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)
    labels = torch.tensor([e.label for e in examples], dtype=torch.int64)
    return HandwrittenDigits(YOUR_EXAMPLES, "train", images, labels, torch.arange(len(examples)),
                             tuple(f"example-{i + 1}" for i in range(len(examples))))


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def write_examples(target: str | os.PathLike[str] | BinaryIO, examples: Sequence[Example]) -> None:
    """Write ``examples`` as the zip described above (to a path or an open binary file)."""
    if len(examples) > MAX_EXAMPLES:
        raise ExamplesError(f"{len(examples)} examples are more than one file holds ({MAX_EXAMPLES})")
    rows = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i, example in enumerate(examples, start=1):
            name = f"images/{i:04d}.png"
            archive.writestr(name, _png(example.digit))
            drawing = ""
            if example.drawing_png:
                drawing = f"drawings/{i:04d}.png"
                archive.writestr(drawing, example.drawing_png)
            rows.append((name, example.label, drawing))
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(("file", "label", "drawing"))
        writer.writerows(rows)
        archive.writestr(LABELS_FILE, table.getvalue())
        archive.writestr("README.txt", README)


def _read_bounded(archive: zipfile.ZipFile, name: str, where: str, budget: list[int]) -> bytes:
    """The member ``name``, read no further than what is left of ``budget[0]`` bytes (whatever size it declares)."""
    try:
        with archive.open(name) as member:
            data = member.read(budget[0] + 1)
    except KeyError:
        raise KeyError(name) from None
    except _DAMAGED as exc:
        raise ExamplesError(f"{where}: the zip is damaged ({short_reason(exc)})") from None
    if len(data) > budget[0]:
        raise ExamplesError(f"{where}: too large for an examples file (more than {MAX_UNPACKED_BYTES:,} bytes "
                            "unpacked)")
    budget[0] -= len(data)
    return data


def _read_member(archive: zipfile.ZipFile, name: str, where: str, budget: list[int]) -> bytes:
    try:
        return _read_bounded(archive, name, where, budget)
    except KeyError:
        raise ExamplesError(f"{where}: {LABELS_FILE} names {name[:100]!r}, which is not in the file") from None


def _digit_from_png(data: bytes, where: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size != (IMAGE_SIZE, IMAGE_SIZE):
                width, height = image.size
                raise ExamplesError(f"{where}: images must be 28 x 28 like MNIST, got {width} x {height}")
            return np.asarray(image.convert("L"), dtype=np.uint8).copy()
    except (OSError, Image.DecompressionBombError) as exc:
        raise ExamplesError(f"{where}: not a readable PNG ({exc})") from None


def read_examples(source: str | os.PathLike[str] | BinaryIO) -> list[Example]:
    """The examples of a file written by :func:`write_examples` (drawings included where present).

    Raises :class:`ExamplesError` for anything else: not a regular file, not a zip, a damaged zip,
    too large, no ``labels.csv``, a row whose label is not a digit or whose image is missing or not
    28x28.
    """
    if isinstance(source, (str, os.PathLike)):
        shown = os.fspath(source)
        try:
            opened = open_regular_file(source)
        except FileProblem as exc:
            raise ExamplesError(f"{shown}: {exc}") from None
        with opened:
            if os.fstat(opened.fileno()).st_size > MAX_FILE_BYTES:
                raise ExamplesError(f"{shown}: too large for an examples file (at most {MAX_EXAMPLES} examples)")
            return _read_zip(opened, shown)
    return _read_zip(source, "the examples file")


def _read_zip(source: BinaryIO, shown: str) -> list[Example]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ExamplesError(f"{shown}: not a zip of examples ({short_reason(exc)})") from None
    with archive:
        members = archive.infolist()
        if len(members) > 2 * MAX_EXAMPLES + 2 or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ExamplesError(f"{shown}: too large for an examples file (at most {MAX_EXAMPLES} examples)")
        budget = [MAX_UNPACKED_BYTES]  # what every member read so far may still add up to
        try:
            table = _read_bounded(archive, LABELS_FILE, shown, budget).decode("utf-8-sig")
        except KeyError:
            raise ExamplesError(f"{shown}: no {LABELS_FILE} in it; is it a file downloaded from the Draw tab?"
                                ) from None
        except UnicodeDecodeError:
            raise ExamplesError(f"{shown}: {LABELS_FILE} is not text") from None
        try:
            return _examples_of(archive, table, shown, budget)
        except csv.Error as exc:
            raise ExamplesError(f"{shown}: {LABELS_FILE} is not a table of examples ({short_reason(exc)})") from None


def _examples_of(archive: zipfile.ZipFile, table: str, shown: str, budget: list[int]) -> list[Example]:
    examples = []
    for line, row in enumerate(csv.DictReader(io.StringIO(table)), start=2):
        where = f"{shown}, {LABELS_FILE} line {line}"
        if len(examples) == MAX_EXAMPLES:
            raise ExamplesError(f"{shown}: more than {MAX_EXAMPLES} examples")
        label_text, file = (row.get("label") or "").strip(), (row.get("file") or "").strip()
        if not (label_text in _DIGITS and file):
            shown_row = {str(k)[:40]: str(v)[:40] for k, v in row.items()}
            raise ExamplesError(f"{where}: expected an image file and a label 0-9, got {shown_row}")
        drawing = (row.get("drawing") or "").strip()
        examples.append(Example(_digit_from_png(_read_member(archive, file, where, budget), where), int(label_text),
                                _read_member(archive, drawing, where, budget) if drawing else None))
    if not examples:
        raise ExamplesError(f"{shown}: it holds no examples")
    return examples


#: A label as labels.csv writes it: one ASCII digit ("²" and "٣" are digits to str.isdigit, not to int()).
_DIGITS = frozenset("0123456789")

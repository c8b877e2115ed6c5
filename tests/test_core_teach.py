"""Teaching a model someone's handwriting (mnist_core.teach) and the examples file it learns from (mnist_core.examples).

The teaching tests use the shipped drawing model and real MNIST: what matters is that it
learns what it was shown, does not forget MNIST, and leaves the shared model untouched.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_core.checkpoint import load_checkpoint
from mnist_core.data import MNISTData
from mnist_core.examples import (
    MAX_EXAMPLES,
    MAX_UNPACKED_BYTES,
    Example,
    ExamplesError,
    as_digits,
    read_examples,
    write_examples,
)
from mnist_core.paths import ASSETS_DIR
from mnist_core.predict import Prediction
from mnist_core.preprocess import sketch_to_mnist
from mnist_core.teach import REPLAY_POOL, Taught, augment_for, read_right, replay_sample, teach
from mnist_core.train import FinishedEvent, StartEvent, StepEvent
from tests.support.sketches import CROSS, plain_strokes

#: A hash sign: four strokes, no digit either.
HASH = [[(0.4, 0.2), (0.34, 0.8)], [(0.65, 0.2), (0.59, 0.8)], [(0.22, 0.4), (0.78, 0.4)], [(0.2, 0.6), (0.76, 0.6)]]


def example(strokes: list, label: int, shift: tuple[float, float] = (0.0, 0.0)) -> Example:
    drawing = plain_strokes(strokes, size=400, shift=shift)
    digit = sketch_to_mnist(drawing)
    return Example((digit.numpy() * 255).round().astype(np.uint8), label)


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(ASSETS_DIR / "drawing-cnn.pt")


@pytest.fixture(scope="module")
def lesson(shipped, mnist: MNISTData) -> tuple[list[Example], list, Taught]:
    """The shipped model taught that a cross is a 4 and a hash sign an 8 (neither is what it reads now)."""
    examples = [example(CROSS, 4), example(HASH, 8)]
    events = list(teach(shipped.model, shipped.model_name, as_digits(examples), mnist, base_metadata=shipped.metadata,
                        device="cpu"))
    return examples, events, events[-1]


def read(model: torch.nn.Module, ex: Example) -> int:
    return int(model(((torch.from_numpy(ex.digit).float() / 255 - 0.1307) / 0.3081)[None, None]).argmax())


@pytest.mark.train
def test_teaching_learns_the_examples_without_forgetting_mnist(shipped, lesson) -> None:
    examples, events, taught = lesson
    assert isinstance(taught, Taught) and taught.status == "completed"
    assert taught.right_before == 0, "pick examples the shipped model reads wrong, or the test proves nothing"
    assert taught.right_after == len(examples)
    assert taught.test_accuracy >= 0.985  # it was 99.54%: a few tenths may go, not more
    assert taught.metadata["taught"]["examples"] == 2 and taught.metadata["taught"]["right_after"] == 2
    assert taught.metadata["recipe"] == shipped.metadata["recipe"]  # still the model it was, now taught
    assert isinstance(events[0], StartEvent) and any(isinstance(e, StepEvent) for e in events)
    assert not taught.model.training and next(taught.model.parameters()).device.type == "cpu"


@pytest.mark.train
@torch.inference_mode()
def test_teaching_leaves_the_shared_model_untouched(shipped, lesson) -> None:
    examples, _, taught = lesson
    original = load_checkpoint(ASSETS_DIR / "drawing-cnn.pt").model
    for a, b in zip(shipped.model.state_dict().values(), original.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert [read(shipped.model, e) for e in examples] != [e.label for e in examples]
    assert [read(taught.model, e) for e in examples] == [e.label for e in examples]


@pytest.mark.train
def test_a_new_drawing_of_a_taught_shape_is_read_as_taught(lesson) -> None:
    """It learnt the shape, not the pixels: the cross drawn elsewhere on the canvas is a 4 too."""
    _, _, taught = lesson
    moved = example(CROSS, 4, shift=(0.08, -0.05))
    assert read(taught.model, moved) == 4


@pytest.mark.train
def test_a_stopped_teaching_still_hands_back_its_model(shipped, mnist: MNISTData) -> None:
    class AfterFirstStep:
        steps = 0

        def is_set(self) -> bool:
            self.steps += 1
            return self.steps > 1

    events = list(teach(shipped.model, shipped.model_name, as_digits([example(CROSS, 4)]), mnist,
                        base_metadata=shipped.metadata, stop=AfterFirstStep(), device="cpu"))
    finished = next(e for e in events if isinstance(e, FinishedEvent))
    assert finished.status == "stopped" and finished.global_step == 1
    assert isinstance(events[-1], Taught) and events[-1].status == "stopped"
    assert events[-1].test_accuracy is not None  # measured, though no epoch ended


def test_an_answer_that_was_not_sure_is_not_read_right() -> None:
    """A drawing the Draw tab showed as "not sure: 4?" and the visitor then said is a 4 was not read right before."""
    labels = torch.tensor([4, 4, 4])
    probabilities = torch.zeros(3, 10)
    probabilities[0, 4] = 1.0  # a sure 4
    probabilities[1, [4, 9]] = torch.tensor([0.6, 0.4])  # "not sure: 4?"
    probabilities[2, [9, 4]] = torch.tensor([0.9, 0.1])  # a sure 9
    shown = [Prediction(p, torch.zeros(28, 28)) for p in probabilities]
    assert [(p.label, p.uncertain) for p in shown] == [(4, False), (4, True), (9, False)]  # as the Draw tab reads them
    assert read_right(probabilities, labels) == 1
    taught = Taught(torch.nn.Identity(), {}, before=probabilities, after=probabilities[[0, 0, 0]], labels=labels,
                    test_accuracy=None, status="completed")
    assert (taught.right_before, taught.right_after) == (1, 3)


def test_nothing_to_learn_is_refused(shipped, tiny_data: MNISTData) -> None:
    with pytest.raises(ValueError, match="no examples"):
        next(teach(shipped.model, shipped.model_name, as_digits([]), tiny_data))


def test_the_replay_never_draws_the_images_held_out_for_calibration(tiny_data: MNISTData) -> None:
    labels = torch.zeros(60_000, dtype=torch.int64)
    labels[REPLAY_POOL:] = 9  # the held-out tail
    data = MNISTData(torch.zeros(60_000, 28, 28, dtype=torch.uint8), labels, tiny_data.test_images,
                     tiny_data.test_labels, tiny_data.source)
    sample = replay_sample(data, size=4096, seed=3)
    assert len(sample.train_labels) == 4096 and int(sample.train_labels.max()) == 0
    assert torch.equal(sample.test_labels, data.test_labels)


@pytest.mark.parametrize(("recipe", "expected"), [
    ({"augment": "drawing+european+junk"}, "drawing+european+junk"),  # the default model keeps its European 1s
    ({"augment": "none"}, "drawing"),
    ("seed004", "drawing"),  # a recipe recorded by name only
    (None, "drawing"),
])
def test_teaching_distorts_as_the_model_was_trained(recipe, expected: str) -> None:
    assert augment_for({} if recipe is None else {"recipe": recipe}) == expected


# --- the examples file ---------------------------------------------------------------------------------------


def test_examples_go_home_as_pngs_and_a_csv_and_come_back_the_same(tmp_path: Path) -> None:
    drawing = io.BytesIO()
    plain_strokes(CROSS, size=64).save(drawing, format="PNG")
    examples = [example(CROSS, 4), Example(example(HASH, 8).digit, 8, drawing.getvalue())]
    path = tmp_path / "your-examples.zip"
    write_examples(path, examples)
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
        assert [(r["file"], r["label"], r["drawing"]) for r in rows] == [
            ("images/0001.png", "4", ""), ("images/0002.png", "8", "drawings/0002.png")]
        assert "mnist_core teach" in archive.read("README.txt").decode()
    back = read_examples(path)
    assert [e.label for e in back] == [4, 8]
    assert all(np.array_equal(a.digit, b.digit) for a, b in zip(examples, back, strict=True))
    assert back[1].drawing_png == drawing.getvalue() and back[0].drawing_png is None


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _png(size: int) -> bytes:
    buffer = io.BytesIO()
    plain_strokes(CROSS, size=size).convert("L").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("members", "needle"), [
    (None, "not a zip of examples"),
    ({"other.txt": "x"}, "no labels.csv in it"),
    ({"labels.csv": "file,label,drawing\n"}, "holds no examples"),
    ({"labels.csv": "file,label,drawing\nimages/1.png,seven,\n", "images/1.png": _png(28)}, "a label 0-9"),
    ({"labels.csv": "file,label,drawing\nimages/1.png,12,\n", "images/1.png": _png(28)}, "a label 0-9"),
    ({"labels.csv": "file,label,drawing\nimages/1.png,3,\n"}, "which is not in the file"),
    ({"labels.csv": "file,label,drawing\nimages/1.png,3,\n", "images/1.png": _png(64)}, "28 x 28 like MNIST"),
    ({"labels.csv": "file,label,drawing\nimages/1.png,3,\n", "images/1.png": b"not a png"}, "not a readable PNG"),
    ({"labels.csv": "file,label,drawing\n" + "images/1.png,3,\n" * (MAX_EXAMPLES + 1), "images/1.png": _png(28)},
     f"more than {MAX_EXAMPLES} examples"),
])
def test_an_examples_file_that_is_not_one_is_refused_saying_why(tmp_path: Path, members, needle: str) -> None:
    path = tmp_path / "examples.zip"
    if members is None:
        path.write_text("hello")
    else:
        _zip(path, members)
    with pytest.raises(ExamplesError, match=needle):
        read_examples(path)


def _lying_zip(path: Path) -> None:
    """A zip whose labels.csv is corrupted after writing: its CRC no longer matches."""
    _zip(path, {"labels.csv": "file,label,drawing\nimages/1.png,3,\n", "images/1.png": _png(28)})
    data = bytearray(path.read_bytes())
    at = data.index(b"images/1.png,3,")  # stored uncompressed by _zip: flip a byte of the member's contents
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("make", "needle"), [
    (lambda p: p.symlink_to("/dev/zero"), "character device"),
    (lambda p: p.symlink_to("/dev/urandom"), "character device"),
    (lambda p: os.mkfifo(p), "named pipe"),
    (lambda p: p.mkdir(), "a folder"),
    (_lying_zip, "damaged"),
    (lambda p: _zip(p, {"labels.csv": "file,label,drawing\nimages/1.png,²,\n", "images/1.png": _png(28)}),
     "a label 0-9"),
    (lambda p: _zip(p, {"labels.csv": "file,label,drawing\nimages/1.png,3," + "x" * 200_000 + "\n"}),
     "labels.csv"),
])
def test_an_examples_path_that_is_no_zip_file_is_refused_in_one_line(tmp_path: Path, make, needle: str) -> None:
    path = tmp_path / "z.zip"
    make(path)
    with pytest.raises(ExamplesError, match=needle) as raised:
        read_examples(path)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 400


def test_an_examples_member_bigger_than_it_says_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    # A zip's central directory may lie about sizes: what is read is bounded by the limit, not by what it declares.
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("labels.csv", "file,label,drawing\n" + "images/1.png,3,\n")
        archive.writestr("images/1.png", b"\0" * (MAX_UNPACKED_BYTES + 1))
    data = bytearray(path.read_bytes())
    big = (MAX_UNPACKED_BYTES + 1).to_bytes(4, "little")
    while (at := data.find(big)) >= 0:  # declare the member small, in both headers
        data[at:at + 4] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ExamplesError, match="damaged|too large|not a readable PNG"):
        read_examples(path)

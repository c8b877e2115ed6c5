"""Handwriting beyond MNIST: the real shared files, writer-disjoint splits, drawings painted like the sketchpad's,
scans cleaned, fetching with checksums, the cache, and clear failures."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mnist_core import handwriting as hw
from mnist_core.handwriting import (
    SOURCES,
    HandwritingUnavailableError,
    list_scans,
    load_handwriting,
    locate_source,
    read_pen_samples,
    remove_box_lines,
    split_of,
)
from mnist_core.preprocess import sketch_to_mnist
from mnist_core.strokes import SKETCHPAD_CANVAS, SKETCHPAD_COLOURS, VARIED, draw_on_sketchpad, hex_to_rgb


@pytest.fixture(scope="module")
def pen_samples(data_dir: Path) -> list[hw.PenSample]:
    return read_pen_samples(locate_source("ujipenchars2", data_dir, download=False))


@pytest.fixture(scope="module")
def scans(data_dir: Path) -> list[hw.ScanFile]:
    return list_scans(locate_source("numbers", data_dir, download=False))


def test_the_pen_strokes_are_read_with_their_labels_and_writers(pen_samples: list[hw.PenSample]) -> None:
    assert len(pen_samples) == SOURCES["ujipenchars2"].digits == 1200
    assert np.bincount([s.label for s in pen_samples]).tolist() == [120] * 10
    writers = {s.writer for s in pen_samples}
    assert len(writers) == 60
    for digit in range(10):  # every writer wrote every digit twice
        per_writer = np.unique([s.writer for s in pen_samples if s.label == digit], return_counts=True)[1]
        assert per_writer.tolist() == [2] * 60
    ones = [s for s in pen_samples if s.label == 1]
    assert [s.writer for s in ones[:4]] == ["uji-00", "uji-00", "uji-01", "uji-01"]  # sample i by writer i // 2
    assert ones[0].strokes[0][0].tolist() == [280, 853]


def test_the_scans_are_listed_with_their_labels_and_writers(scans: list[hw.ScanFile]) -> None:
    assert len(scans) == SOURCES["numbers"].digits == 12221
    writers = {s.writer for s in scans}
    assert len(writers) == 21 and "0019_US5M" in writers
    assert set(np.bincount([s.label for s in scans]).tolist()) <= set(range(1100, 1300))
    assert all(s.path.parent.name == str(s.label) and s.path.parent.parent.name == s.writer for s in scans)


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_writer_is_in_exactly_one_split(name: str, pen_samples, scans) -> None:
    source = SOURCES[name]
    writers = {s.writer for s in (pen_samples if name == "ujipenchars2" else scans)}
    splits = {split: {w for w in writers if split_of(source, w) == split} for split in hw.SPLITS}
    assert set().union(*splits.values()) == writers
    assert sum(map(len, splits.values())) == len(writers) == source.writers  # disjoint
    assert splits["test"] == set(source.test_writers) and splits["val"] == set(source.val_writers)
    assert len(splits["train"]) >= len(writers) // 2


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SOURCES))
def test_the_held_out_split_holds_only_its_writers(name: str, data_dir: Path) -> None:
    test = load_handwriting(name, "test", data_dir, download=False)
    val = load_handwriting(name, "val", data_dir, download=False)
    assert set(test.writer_names) == set(SOURCES[name].test_writers)
    assert set(val.writer_names) == set(SOURCES[name].val_writers)
    assert test.images.dtype == torch.uint8 and test.images.shape[1:] == (28, 28)
    assert test.labels.bincount(minlength=10).min() > 0
    assert (test.images.float().mean((1, 2)) > 5).all()  # every image holds a digit, none came out blank


def test_a_pen_sample_is_painted_as_the_sketchpad_paints_a_drawing(pen_samples: list[hw.PenSample]) -> None:
    canvas = draw_on_sketchpad(pen_samples[0].strokes, np.random.default_rng(0))
    assert canvas.shape == (SKETCHPAD_CANVAS, SKETCHPAD_CANVAS, 4) and canvas.dtype == np.uint8
    assert (canvas[:, :, 3] == 255).all()  # opaque, as the sketchpad's composite is
    colours = {tuple(c) for c in canvas[:, :, :3].reshape(-1, 3)[::7].tolist()}
    assert (255, 255, 255) in colours and len(colours) == 2  # a hard-edged brush: paper and one palette colour
    assert (colours - {(255, 255, 255)}).pop() in {hex_to_rgb(c) for c in SKETCHPAD_COLOURS}


def test_a_straight_stroke_is_as_wide_as_the_brush() -> None:
    """Gradio's brush size is a radius: the default 22 paints a line 44 px wide (measured in chromium)."""
    from mnist_core.strokes import paint

    img = Image.new("RGBA", (200, 200), (255, 255, 255, 255))
    paint(img, [np.array([[40.0, 100.0], [160.0, 100.0]])], (0, 0, 0, 255), 22)
    column = np.asarray(img)[:, 100, 0] < 128
    assert column.sum() in (44, 45)


def test_the_training_tensors_are_what_sketch_to_mnist_makes_of_the_painted_canvas(
        pen_samples: list[hw.PenSample]) -> None:
    samples = pen_samples[:3]
    rows = hw.render_pen_samples(samples, 2, VARIED, seed=5)
    rng = np.random.default_rng(5)
    for (image, label, writer), sample in zip(rows, [s for s in samples for _ in range(2)], strict=True):
        expected = sketch_to_mnist(draw_on_sketchpad(sample.strokes, rng, VARIED))
        assert (label, writer) == (sample.label, sample.writer)
        assert torch.equal(image, (expected * 255).round().to(torch.uint8))


def test_box_lines_along_the_edge_are_removed_and_the_digit_is_kept() -> None:
    paper = np.full((100, 100), 235, np.uint8)
    digit = paper.copy()
    digit[20:80, 48:53] = 20  # a 1
    digit[20:24, 30:70] = 20  # a bar across 40% of the width (a 7's crossbar, say) near the top
    with_lines = digit.copy()
    with_lines[1:3, :] = 60  # the printed box's top line, grey
    with_lines[:, 97:99] = 60  # and its right edge
    cleaned = remove_box_lines(with_lines)
    assert (cleaned[1:3, :] == 235).all() and (cleaned[5:95, 97:99] == 235).all()
    assert np.array_equal(cleaned[5:95, 5:95], digit[5:95, 5:95])
    assert np.array_equal(remove_box_lines(digit), digit)  # nothing to remove: untouched


def test_a_scan_is_read_as_black_ink_on_white(scans: list[hw.ScanFile]) -> None:
    """Every writer's pen (many scan as soft grey lines) comes out as solid strokes, as a drawing's are."""
    for writer in sorted({s.writer for s in scans}):
        grey = hw.read_scan(next(s for s in scans if s.writer == writer).path)
        assert grey.dtype == np.uint8 and np.median(grey) == 255, writer
        ink = 255 - grey[grey < 255].astype(int)
        assert np.percentile(ink, 75) >= 250, writer  # a typical stroke pixel is full ink
        assert sketch_to_mnist(grey) is not None


def test_a_missing_source_names_the_folder_to_fix(tmp_path: Path) -> None:
    with pytest.raises(HandwritingUnavailableError, match=str(tmp_path.resolve() / "handwriting" / "numbers")):
        locate_source("numbers", tmp_path, download=False)
    with pytest.raises(ValueError, match="unknown handwriting source 'mnist2'.*ujipenchars2"):
        locate_source("mnist2", tmp_path)


def test_a_changed_source_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "handwriting" / SOURCES["ujipenchars2"].path
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"rawData": {"1": [[[[0, 0], [0, 10]]]]}}))
    with pytest.raises(HandwritingUnavailableError, match="does not match the published ujipenchars2"):
        load_handwriting("ujipenchars2", "test", tmp_path, download=False)


def test_the_cache_is_used_and_a_damaged_one_is_rebuilt(data_dir: Path, _project_cache: Path) -> None:
    first = load_handwriting("ujipenchars2", "val", data_dir, download=False)
    cached = hw._cache_file(SOURCES["ujipenchars2"], "val", hw.EVAL_RENDERINGS, 0)
    assert cached.is_file() and cached.is_relative_to(_project_cache)
    cached.write_bytes(b"not a tensor file")
    again = load_handwriting("ujipenchars2", "val", data_dir, download=False)
    assert torch.equal(again.images, first.images) and again.writer_names == first.writer_names
    assert torch.load(cached, weights_only=True)["images"].shape == first.images.shape  # written anew


# --- fetching, over a loopback server ----------------------------------------------------------------------

@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server for the files in a folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def _png(value: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((10, 10), value, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _archive(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_the_pen_file_is_downloaded_and_checked(served, tmp_path: Path, monkeypatch) -> None:
    url, folder = served
    body = json.dumps({"rawData": {"1": [[[[0, 0], [0, 10]]]]}}).encode()
    (folder / "uji.json").write_bytes(body)
    source = SOURCES["ujipenchars2"]
    monkeypatch.setitem(SOURCES, source.name, hw.HandwritingSource(
        **{**source.__dict__, "url": f"{url}/uji.json", "checksum": hashlib.md5(body).hexdigest()}))
    path = locate_source(source.name, tmp_path / "data")
    assert path == tmp_path / "data" / "handwriting" / source.path and path.read_bytes() == body
    monkeypatch.setitem(SOURCES, source.name, hw.HandwritingSource(
        **{**source.__dict__, "url": f"{url}/uji.json", "checksum": "0" * 32}))
    with pytest.raises(HandwritingUnavailableError, match="could not be downloaded"):
        locate_source(source.name, tmp_path / "other")
    assert not [p for p in (tmp_path / "other").rglob("*") if p.is_file()]  # nothing half-checked is kept


def test_the_scans_are_unpacked_from_the_archive_and_checked(served, tmp_path: Path, monkeypatch) -> None:
    url, folder = served
    scans = {"repo-abc/numbers/0001_CH4M/7/number-1.png": _png(0), "repo-abc/numbers/0002_US5M/1/number-2.png": _png(9)}
    (folder / "good.tar.gz").write_bytes(_archive({
        **scans, "repo-abc/README.md": b"not a scan", "repo-abc/numbers/../../escape.png": _png(1),
        "repo-abc/numbers/0001_CH4M/7/evil.sh": b"#!"}))
    expected = tmp_path / "expected"
    for name, data in scans.items():
        (expected / name.split("numbers/")[1]).parent.mkdir(parents=True, exist_ok=True)
        (expected / name.split("numbers/")[1]).write_bytes(data)
    source = SOURCES["numbers"]
    monkeypatch.setitem(SOURCES, source.name, hw.HandwritingSource(
        **{**source.__dict__, "url": f"{url}/good.tar.gz", "checksum": hw.tree_digest(expected)}))
    path = locate_source(source.name, tmp_path / "data")
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()) == [
        "0001_CH4M/7/number-1.png", "0002_US5M/1/number-2.png"]
    assert not (tmp_path / "escape.png").exists() and not list((tmp_path / "data").rglob("*.tar.gz"))

    (folder / "bad.tar.gz").write_bytes(_archive({**scans, "repo-abc/numbers/0001_CH4M/7/number-1.png": _png(7)}))
    monkeypatch.setitem(SOURCES, source.name, hw.HandwritingSource(
        **{**source.__dict__, "url": f"{url}/bad.tar.gz", "checksum": hw.tree_digest(expected)}))
    with pytest.raises(HandwritingUnavailableError, match="does not match its checksum"):
        locate_source(source.name, tmp_path / "tampered")
    assert not (tmp_path / "tampered" / "handwriting" / "numbers").exists()
    assert not [p for p in (tmp_path / "tampered" / "handwriting").rglob("*") if p.is_file()]


def test_the_tree_digest_is_of_the_files_and_their_places(tmp_path: Path) -> None:
    """Two copies of the same files agree; a changed byte or a moved file does not."""
    for copy in ("a", "b"):
        (tmp_path / copy / "x" / "1").mkdir(parents=True)
        (tmp_path / copy / "x" / "1" / "n.png").write_bytes(_png(3))
    assert hw.tree_digest(tmp_path / "a") == hw.tree_digest(tmp_path / "b")
    (tmp_path / "b" / "x" / "1" / "n.png").write_bytes(_png(4))
    assert hw.tree_digest(tmp_path / "a") != hw.tree_digest(tmp_path / "b")
    (tmp_path / "b" / "x" / "1" / "n.png").write_bytes(_png(3))
    (tmp_path / "b" / "x" / "1").rename(tmp_path / "b" / "x" / "7")
    assert hw.tree_digest(tmp_path / "a") != hw.tree_digest(tmp_path / "b")

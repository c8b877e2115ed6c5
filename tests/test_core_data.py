"""Data loading: precedence of the data folder, offline and read-only paths, clear failures."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from mnist_core.data import RESOURCES, TEST_SIZE, TRAIN_SIZE, MNISTUnavailableError, load_mnist, normalize
from mnist_core.paths import resolve_data_dir

REPO = Path(__file__).resolve().parent.parent


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime) for p in sorted(folder.rglob("*"))}


def _write_idx(raw: Path, n: int, *, gz: bool) -> None:
    """Write a small, valid set of the four MNIST idx files (n images each)."""
    raw.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(1)
    for name, _ in RESOURCES:
        stem = Path(name).stem
        if "images" in stem:
            body = struct.pack(">IIII", 2051, n, 28, 28) + torch.randint(0, 256, (n * 784,), generator=g,
                                                                          dtype=torch.uint8).numpy().tobytes()
        else:
            body = struct.pack(">II", 2049, n) + bytes(i % 10 for i in range(n))
        if gz:
            (raw / name).write_bytes(gzip.compress(body))
        else:
            (raw / stem).write_bytes(body)


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_DATA_DIR", "/from/env")
    assert resolve_data_dir("/from/flag") == Path("/from/flag")
    assert resolve_data_dir(None) == Path("/from/env")
    monkeypatch.delenv("MNIST_DATA_DIR")
    assert resolve_data_dir(None) == Path("data")


def test_real_mnist_shapes_and_normalisation(mnist) -> None:
    assert mnist.train_images.shape == (TRAIN_SIZE, 28, 28) and mnist.train_images.dtype == torch.uint8
    assert mnist.test_images.shape == (TEST_SIZE, 28, 28) and (TRAIN_SIZE, TEST_SIZE) == (60000, 10000)
    assert mnist.train_labels.shape == (60000,) and set(mnist.train_labels.unique().tolist()) == set(range(10))
    x = normalize(mnist.train_images[:10000])
    assert x.shape == (10000, 1, 28, 28)
    # mean 0.1307 / std 0.3081 are MNIST's own statistics, so the result is standardised.
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1) < 0.02


def test_gz_only_read_only_folder_is_never_written(data_dir: Path, tmp_path: Path) -> None:
    """Only the .gz originals, in a folder we may not write to: load works, the folder is unchanged."""
    raw = tmp_path / "ro" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, _ in RESOURCES:
        (raw / name).symlink_to((data_dir / "MNIST" / "raw" / name).resolve())
    os.chmod(raw, 0o555)
    before = _snapshot(tmp_path / "ro")
    shared_before = _snapshot(data_dir)
    try:
        loaded = load_mnist(tmp_path / "ro", download=False)
    finally:
        os.chmod(raw, 0o755)
    assert loaded.train_images.shape == (60000, 28, 28)
    assert _snapshot(tmp_path / "ro") == before
    assert _snapshot(data_dir) == shared_before
    assert str(loaded.source).startswith(os.environ["MNIST_CACHE_DIR"])


def test_extracted_files_are_read_in_place(tmp_path: Path) -> None:
    _write_idx(tmp_path / "MNIST" / "raw", 12, gz=False)
    loaded = load_mnist(tmp_path, download=False)
    assert loaded.train_images.shape == (12, 28, 28)
    assert loaded.source == tmp_path.resolve()


def test_corrupt_gz_is_named_with_a_fix(tmp_path: Path) -> None:
    _write_idx(tmp_path / "MNIST" / "raw", 5, gz=True)  # valid gzip, wrong checksums
    with pytest.raises(MNISTUnavailableError) as err:
        load_mnist(tmp_path, download=False)
    assert "train-images-idx3-ubyte.gz" in str(err.value) and "checksum" in str(err.value)


def test_missing_data_without_network_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real download code runs, against a local port where nothing listens: a network that says no.
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(MNISTUnavailableError) as err:
        load_mnist(tmp_path / "empty")
    message = str(err.value)
    assert str((tmp_path / "empty" / "MNIST" / "raw").resolve()) in message
    assert "MNIST_DATA_DIR" in message and "--data-dir" in message


@pytest.mark.slow
def test_missing_data_cli_exits_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "MNIST_DATA_DIR": str(tmp_path / "nowhere"), "MNIST_CACHE_DIR": str(tmp_path / "cache")}
    # No download attempt can succeed here: point the mirrors at a closed local port via a sitecustomize shim.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import torchvision.datasets.mnist as m\nm.MNIST.mirrors = ['http://127.0.0.1:9/']\n")
    env["PYTHONPATH"] = f"{shim}{os.pathsep}{REPO}"
    proc = subprocess.run([sys.executable, "-m", "mnist_core", "eval", "--checkpoint", str(REPO / "missing.pt")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "mnist_core", "train", "--epochs", "1", "--out", "x.pt"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "nowhere" in error_lines[0] and "MNIST_DATA_DIR" in error_lines[0]


def test_truncated_extracted_files_are_named_with_a_fix(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    _write_idx(raw, 12, gz=False)
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])  # cut off mid-file, as an interrupted copy would be
    with pytest.raises(MNISTUnavailableError) as err:
        load_mnist(tmp_path, download=False)
    assert str(raw.resolve()) in str(err.value) and "Delete them" in str(err.value)


def test_resources_are_torchvisions() -> None:
    """The file names and checksums written out in mnist_core.data are torchvision's own."""
    assert RESOURCES == tuple(torchvision.datasets.MNIST.resources)


def test_finding_the_files_does_not_import_torchvision(data_dir: Path) -> None:
    """torchvision costs about 1.5 s to import: the app looks for MNIST at start-up without it."""
    code = ("import sys; from mnist_core.data import locate_mnist; locate_mnist(download=False); "
            "print('torchvision' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "MNIST_DATA_DIR": str(data_dir)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_interrupted_extraction_leaves_no_file_under_the_real_name(data_dir: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash while a .gz is extracted into the cache leaves nothing the next start would trust."""
    raw = tmp_path / "ro" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, _ in RESOURCES:
        (raw / name).symlink_to((data_dir / "MNIST" / "raw" / name).resolve())
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    real = torchvision.datasets.utils._decompress

    def crash_midway(from_path, to_path=None, remove_finished=False):
        Path(to_path).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torchvision.datasets.utils, "_decompress", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        load_mnist(tmp_path / "ro", download=False)
    assert not list((tmp_path / "cache").rglob("*-ubyte")), "no half file under a real name"
    monkeypatch.setattr(torchvision.datasets.utils, "_decompress", real)
    assert load_mnist(tmp_path / "ro", download=False).test_images.shape == (TEST_SIZE, 28, 28)


def test_an_unwritable_cache_moves_to_a_temporary_folder_and_says_so_once(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Only the .gz originals, and a cache folder nobody can create (a read-only home): MNIST still loads."""
    from mnist_core import paths

    raw = tmp_path / "gz" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, _ in RESOURCES:
        (raw / name).symlink_to((data_dir / "MNIST" / "raw" / name).resolve())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # even root cannot create a folder inside a file
    monkeypatch.setenv("MNIST_CACHE_DIR", str(blocked / "cache"))
    monkeypatch.setattr(paths.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    paths._usable_cache.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="mnist_core.paths"):
            loaded = load_mnist(tmp_path / "gz", download=False)
            again = paths.cache_dir()
    finally:
        paths._usable_cache.cache_clear()
    assert loaded.train_images.shape == (60000, 28, 28)
    assert str(loaded.source).startswith(str(tmp_path / "tmp")) and again.parent == tmp_path / "tmp"
    said = [r.getMessage() for r in caplog.records if r.name == "mnist_core.paths"]
    assert len(said) == 1 and str(blocked / "cache") in said[0] and str(again) in said[0], said

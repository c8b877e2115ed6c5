"""Checkpoints: round trip, atomic saves, and refusal of anything that is not plain weights."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from mnist_core import checkpoint as ckpt_mod
from mnist_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mnist_core.models import build_model


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_round_trip_keeps_weights_and_metadata(tmp_path: Path) -> None:
    model = build_model("tiny-vgg")
    path = save_checkpoint(tmp_path / "m.pt", "tiny-vgg", model,
                           metadata={"recipe": {"name": "seed004", "lr": 1e-3}, "epochs": 3, "test_accuracy": 0.99})
    loaded = load_checkpoint(path)
    assert loaded.model_name == "tiny-vgg" and _same_weights(model, loaded.model)
    meta = loaded.metadata
    assert meta["epochs"] == 3 and meta["test_accuracy"] == 0.99 and meta["recipe"]["name"] == "seed004"
    assert meta["versions"]["torch"] == torch.__version__ and "saved_at" in meta
    assert not loaded.model.training


def test_plain_state_dict_from_the_original_example_loads(tmp_path: Path) -> None:
    model = build_model("pytorch-example")
    torch.save(model.state_dict(), tmp_path / "mnist_cnn.pt")  # exactly what pytorch/examples saves
    loaded = load_checkpoint(tmp_path / "mnist_cnn.pt")
    assert loaded.model_name == "pytorch-example" and _same_weights(model, loaded.model)


def test_a_model_saved_under_a_name_that_has_since_changed_shape_still_loads(tmp_path: Path) -> None:
    """Checkpoints saved when ``drawing-cnn`` was width 24 (before it became width 40) load as ``drawing-cnn-w24``."""
    old_model = build_model("drawing-cnn-w24")
    path = save_checkpoint(tmp_path / "mine.pt", "drawing-cnn", old_model, metadata={"epochs": 12})
    loaded = load_checkpoint(path)
    assert loaded.model_name == "drawing-cnn-w24" and _same_weights(old_model, loaded.model)
    assert loaded.metadata["saved_as"] == "drawing-cnn" and loaded.metadata["epochs"] == 12
    with pytest.raises(CheckpointError, match="do not fit model 'drawing-cnn'"):  # fits no model at all: still refused
        load_checkpoint(save_checkpoint(tmp_path / "other.pt", "drawing-cnn", build_model("tiny-vgg")))


class _Payload:
    """Unpickling this calls a function that writes a file: what a malicious checkpoint would do."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, "pwned"))


def test_a_pickle_with_a_code_payload_is_refused_and_never_runs(tmp_path: Path) -> None:
    target = tmp_path / "payload-ran.txt"
    evil = tmp_path / "evil.pt"
    # A real torch checkpoint whose metadata hides the payload, and a bare pickle of it.
    torch.save({"format": "mnist-demo-checkpoint", "model": "tiny-vgg", "metadata": {"x": _Payload(target)},
                "state_dict": build_model("tiny-vgg").state_dict()}, evil)
    bare = tmp_path / "bare.pkl"
    bare.write_bytes(pickle.dumps(_Payload(target)))
    for path in (evil, bare):
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(path)
        assert str(path) in str(err.value)
    assert not target.exists()
    pickle.loads(pickle.dumps(_Payload(target)))  # the control: unpickling it for real does write the file
    assert target.exists()


@pytest.mark.parametrize("make_bad", [
    lambda good, p: p.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2]),  # truncated
    lambda good, p: p.write_bytes(b"\x00garbage" * 100),  # corrupt
    lambda good, p: p.write_text("hello, not a checkpoint"),  # not a checkpoint
    lambda good, p: torch.save({"conv.weight": torch.zeros(3)}, p),  # weights of no known model
    lambda good, p: torch.save({"format": "mnist-demo-checkpoint", "model": "tiny-vgg",  # wrong architecture
                                "state_dict": build_model("pytorch-example").state_dict()}, p),
    lambda good, p: torch.save([1, 2, 3], p),  # a tensor-free object
])
def test_bad_files_give_an_error_naming_the_file(tmp_path: Path, make_bad) -> None:
    good = save_checkpoint(tmp_path / "good.pt", "tiny-vgg", build_model("tiny-vgg"))
    bad = tmp_path / "bad.pt"
    make_bad(good, bad)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(bad)
    assert str(bad) in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path: Path, monkeypatch) -> None:
    path = save_checkpoint(tmp_path / "m.pt", "tiny-vgg", build_model("tiny-vgg"), metadata={"epochs": 1})
    original = path.read_bytes()

    def disk_full(obj, fh, *args, **kwargs):
        fh.write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckpt_mod.torch, "save", disk_full)
    with pytest.raises(CheckpointError, match="No space left on device"):
        save_checkpoint(path, "tiny-vgg", build_model("tiny-vgg"), metadata={"epochs": 2})
    assert path.read_bytes() == original and load_checkpoint(path).metadata["epochs"] == 1
    assert sorted(os.listdir(tmp_path)) == ["m.pt"]  # no temporary file left behind


def test_a_read_only_folder_gives_a_clear_error_and_keeps_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    path = save_checkpoint(tmp_path / "m.pt", "tiny-vgg", build_model("tiny-vgg"), metadata={"epochs": 1})
    original = path.read_bytes()

    def read_only(*args, **kwargs):  # what mkstemp meets in a read-only folder (root ignores chmod)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ckpt_mod.tempfile, "mkstemp", read_only)
    with pytest.raises(CheckpointError, match="Permission denied"):
        save_checkpoint(path, "tiny-vgg", build_model("tiny-vgg"))
    assert path.read_bytes() == original


#: A child that saves once and, half-way through writing the file, says "mid-save" and waits to be killed.
#: Every file the save opens for writing (``os.fdopen`` of a temporary file, or a plain ``open``) is wrapped.
SAVE_AND_HANG = """
import builtins, io, os, sys, time
from mnist_core.checkpoint import save_checkpoint
from mnist_core.models import build_model

class HalfWritten:
    def __init__(self, fh):
        self.fh = fh
    def write(self, data):
        data = memoryview(data).cast("B")
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        os.fsync(self.fh.fileno())
        print("mid-save", flush=True)
        time.sleep(600)
    def __getattr__(self, name):
        return getattr(self.fh, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.fh.close()

def hanging(opener):
    def opened(file, mode="r", *args, **kwargs):
        fh = opener(file, mode, *args, **kwargs)
        return HalfWritten(fh) if "w" in mode or "a" in mode else fh
    return opened

model = build_model("pytorch-example")
os.fdopen, builtins.open, io.open = hanging(os.fdopen), hanging(builtins.open), hanging(io.open)
save_checkpoint(sys.argv[1], "pytorch-example", model)
"""


@pytest.mark.slow
def test_a_save_killed_mid_write_leaves_the_previous_checkpoint_readable(tmp_path: Path) -> None:
    """A process killed (SIGKILL) half-way through writing a save never leaves a broken file behind."""
    import signal
    import subprocess
    import sys

    path = save_checkpoint(tmp_path / "m.pt", "pytorch-example", build_model("pytorch-example"))
    before = path.read_bytes()
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-c", SAVE_AND_HANG, str(path)], cwd=repo, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(repo)})
    try:
        said = proc.stdout.readline()  # blocks until the child is inside the save (or has died)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert said == "mid-save\n", "the child never got half-way through a save"
    assert path.read_bytes() == before and load_checkpoint(path).model_name == "pytorch-example"
    partial = [p for p in tmp_path.iterdir() if p.name != "m.pt"]  # and the kill really landed mid-write
    assert len(partial) == 1 and 0 < partial[0].stat().st_size < len(before), partial


# --- a bomb, a full disk and odd files must all end in a clear CheckpointError. ---


def _deflated_bomb(path: Path, megabytes: int) -> Path:
    """A checkpoint of the right shape whose one tensor unpacks to ``megabytes`` MB, deflated to a few hundred KB."""
    import io
    import zipfile

    raw = io.BytesIO()
    torch.save({"format": "mnist-demo-checkpoint", "model": "tiny-vgg", "metadata": {},
                "state_dict": {"w": torch.zeros(megabytes * 2**18)}}, raw)  # megabytes MB of float32 zeros
    raw.seek(0)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return path


@pytest.mark.slow
def test_a_zip_bomb_checkpoint_is_refused_before_unpacking(tmp_path: Path) -> None:
    """1 MB on disk, 1 GB unpacked cost 1.75 GB in ``predict --checkpoint``; it must cost nothing."""
    import subprocess
    import sys

    bomb = _deflated_bomb(tmp_path / "bomb.pt", 160)
    assert bomb.stat().st_size < 1_000_000 < 64 * 2**20  # it passes the file-size limit
    with pytest.raises(CheckpointError, match=r"bomb\.pt: unpacks to 168 MB.*refused before unpacking"):
        load_checkpoint(bomb)
    # The peak memory of a fresh process loading it: no more than for a tiny bad file (importing torch dominates).
    # (VmHWM, not ru_maxrss: the latter keeps the parent's peak from before the exec.)
    repo = Path(__file__).resolve().parent.parent
    (tmp_path / "text.pt").write_text("not a checkpoint")
    script = ("import re, sys\nfrom mnist_core.checkpoint import load_checkpoint\n"
              "try:\n    load_checkpoint(sys.argv[1])\nexcept Exception:\n    pass\n"
              "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n")
    peaks = {name: int(subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], cwd=repo, check=True,
                                      capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(repo)},
                                      timeout=120).stdout) / 1024 for name in ("text.pt", "bomb.pt")}
    assert peaks["bomb.pt"] < peaks["text.pt"] + 64, peaks  # MB


@pytest.mark.slow
def test_a_failed_write_says_the_real_reason(tmp_path: Path) -> None:
    """under a file-size limit torch said "unexpected pos" (a RuntimeError the rescue never caught)."""
    import subprocess
    import sys

    script = ("import resource, sys\nfrom mnist_core.checkpoint import CheckpointError, save_checkpoint\n"
              "from mnist_core.models import build_model\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (51_200, 51_200))  # ulimit -f 50: no file over 50 KB\n"
              "try:\n    save_checkpoint(sys.argv[1], 'drawing-cnn', build_model('drawing-cnn'))\n"
              "except CheckpointError as exc:\n    print('CheckpointError:', exc)\n")
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "m.pt")], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(repo)}, timeout=120)
    assert "CheckpointError:" in proc.stdout and "File too large" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert os.listdir(tmp_path) == []  # no partial or temporary file left


def test_any_failed_write_is_rescued_under_a_pt_name(tmp_path: Path, monkeypatch) -> None:
    """the rescue runs whatever the failure, never overwrites an earlier rescue, and keeps ``.pt``."""
    from mnist_core.checkpoint import save_with_rescue

    rescue = tmp_path / "rescued"
    out_dir = tmp_path / "runs"
    out_dir.mkdir()
    saved, failures = save_with_rescue(out_dir, "tiny-vgg", build_model("tiny-vgg"), metadata={"epochs": 1},
                                       rescue_folders=[rescue], rescue_name="tiny-vgg-fast.pt")
    assert saved == rescue / "tiny-vgg-fast.pt" and load_checkpoint(saved).metadata["epochs"] == 1
    assert failures and "is a folder" in failures[0]

    real_save = ckpt_mod.torch.save
    calls = []

    def fails_once(obj, fh, *args, **kwargs):  # what torch raises when the disk gives out under it
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")
        return real_save(obj, fh, *args, **kwargs)

    monkeypatch.setattr(ckpt_mod.torch, "save", fails_once)
    saved, failures = save_with_rescue(tmp_path / "m.pt", "tiny-vgg", build_model("tiny-vgg"), metadata={},
                                       rescue_folders=[rescue], rescue_name="m.pt")
    assert saved == rescue / "m.pt" and "unexpected pos" in failures[0]
    assert (rescue / "tiny-vgg-fast.pt").exists()  # the earlier rescue is still there


def _odd_files(folder: Path) -> dict[str, str]:
    """Files that once escaped as tracebacks or wrong messages, and the words that must describe each."""
    import shutil

    shutil.copy("/etc/passwd", folder / "passwd.pt")
    torch.save({"format": "mnist-demo-checkpoint", "model": "tiny-vgg", "metadata": "a string",
                "state_dict": build_model("tiny-vgg").state_dict()}, folder / "string-metadata.pt")
    torch.save({"format": "mnist-demo-checkpoint", "model": ["tiny-vgg"], "state_dict": {}}, folder / "list-model.pt")
    torch.save({"format": "mnist-demo-checkpoint", "model": "tiny-vgg", "metadata": {"test_accuracy": "99%"},
                "state_dict": build_model("tiny-vgg").state_dict()}, folder / "text-accuracy.pt")
    (folder / "zero.pt").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.pt")
    (folder / "folder.pt").mkdir()
    return {"passwd.pt": "is a text file", "string-metadata.pt": "its metadata is str",
            "list-model.pt": "made for model a list", "text-accuracy.pt": "'test_accuracy' is str, not a number",
            "zero.pt": "is a character device (it links to /dev/zero)", "pipe.pt": "is a named pipe",
            "folder.pt": "is a folder"}


def test_every_bad_file_becomes_a_checkpoint_error_saying_what_it_is(tmp_path: Path) -> None:
    """one bad file in assets/ stopped the app; each must be reported, by name, and the rest loaded."""
    from mnist_core.checkpoint import discover_checkpoints

    expected = _odd_files(tmp_path)
    save_checkpoint(tmp_path / "good.pt", "tiny-vgg", build_model("tiny-vgg"))
    for name, words in expected.items():
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(tmp_path / name)
        assert str(err.value).startswith(f"{tmp_path / name}: ") and words in str(err.value), str(err.value)
    found, errors = discover_checkpoints(tmp_path)
    assert [c.path.name for c in found] == ["good.pt"] and len(errors) == len(expected)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_checkpoint_with_non_finite_weights_is_refused_naming_the_file(tmp_path: Path, value: float) -> None:
    model = build_model("tiny-vgg")
    with torch.no_grad():
        dict(model.named_parameters())["classifier.3.weight" if "classifier.3.weight" in dict(
            model.named_parameters()) else next(iter(dict(model.named_parameters())))][0, 0] = value
    path = save_checkpoint(tmp_path / "diverged.pt", "tiny-vgg", model, metadata={"test_accuracy": 0.9954})
    with pytest.raises(CheckpointError, match="NaN or infinite") as raised:
        load_checkpoint(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)

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


def test_a_save_killed_mid_write_leaves_the_previous_checkpoint_readable(tmp_path: Path) -> None:
    """A process killed (SIGKILL) while it saves over and over never leaves a broken file behind."""
    import signal
    import subprocess
    import sys
    import time

    path = save_checkpoint(tmp_path / "m.pt", "pytorch-example", build_model("pytorch-example"))
    script = ("import sys; from mnist_core.checkpoint import save_checkpoint; from mnist_core.models import "
              "build_model; m = build_model('pytorch-example')\n"
              "while True: save_checkpoint(sys.argv[1], 'pytorch-example', m)\n")
    repo = Path(__file__).resolve().parent.parent
    for delay in (0.3, 0.55, 0.8):
        proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=repo,
                                env={**os.environ, "PYTHONPATH": str(repo)})
        time.sleep(delay + 1.5)  # import time, then somewhere inside a save
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert load_checkpoint(path).model_name == "pytorch-example"

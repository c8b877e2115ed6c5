"""The CLI end to end, as a user runs it: train on real MNIST, evaluate, predict, list, and fail clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_core.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parent.parent
SHIPPED = str(REPO / "assets" / "tiny-vgg-seed004.pt")


def cli(*args: str, cwd: Path, data_dir: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if data_dir is not None:
        env["MNIST_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "mnist_core", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """One real CLI training run (the fast recipe, one epoch), shared by the tests below."""
    folder = tmp_path_factory.mktemp("cli")
    proc = cli("train", "--recipe", "fast", "--epochs", "1", "--out", "model.pt", cwd=folder, data_dir=data_dir)
    return folder / "model.pt", proc


@pytest.mark.train
def test_train_shows_progress_and_saves_a_checkpoint(trained) -> None:
    path, proc = trained
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1/1: test loss" in proc.stdout + proc.stderr
    assert "step/s" in proc.stderr or "it/s" in proc.stderr or "img_s" in proc.stderr  # the tqdm bar
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("completed:") and "saved to model.pt" in summary
    ckpt = load_checkpoint(path)
    assert ckpt.metadata["recipe"]["name"] == "fast" and ckpt.metadata["epochs"] == 1
    assert ckpt.test_accuracy >= 0.98


@pytest.mark.train
def test_eval_json_reports_the_same_accuracy(trained, data_dir: Path, tmp_path: Path) -> None:
    path, _ = trained
    proc = cli("eval", "--checkpoint", str(path), "--json", cwd=tmp_path, data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result) == {"model", "accuracy", "test_loss"}
    assert result["accuracy"] == pytest.approx(load_checkpoint(path).test_accuracy, abs=1e-9)
    plain = cli("eval", "--checkpoint", str(path), cwd=tmp_path, data_dir=data_dir)
    assert "Test set: average loss" in plain.stdout and "Per-class accuracy" in plain.stdout


@pytest.mark.train
def test_predict_reads_a_drawn_digit(trained, tmp_path: Path, draw) -> None:
    draw(7, "seven.png")
    draw(7, "white-on-clear.png", ink=(255, 255, 255, 255), background=(0, 0, 0, 0))
    (tmp_path / "notes.txt").write_text("not an image")
    path, _ = trained
    proc = cli("predict", "--checkpoint", str(path), "seven.png", "white-on-clear.png", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["label"] for a in answers] == [7, 7]
    bad = cli("predict", "--checkpoint", str(path), "notes.txt", "missing.png", cwd=tmp_path)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "notes.txt: not a readable image" in bad.stderr and "missing.png: no such file" in bad.stderr


def test_models_lists_names_and_parameter_counts(tmp_path: Path) -> None:
    proc = cli("models", cwd=tmp_path)
    assert proc.returncode == 0
    assert "pytorch-example" in proc.stdout and "1,199,882" in proc.stdout
    assert "tiny-vgg" in proc.stdout and "14,970" in proc.stdout


@pytest.mark.parametrize("args,needle", [
    (("train", "--model", "resnet"), "invalid choice"),
    (("train", "--epochs", "0"), "epochs must be"),
    (("train", "--lr", "nan"), "learning rate must be"),
    (("eval", "--checkpoint", "nope.pt"), "nope.pt: no such checkpoint file"),
    # Each of these was once a traceback.
    (("eval", "--checkpoint", SHIPPED, "--batch-size", "0"), "must be at least 1"),
    (("eval", "--checkpoint", SHIPPED, "--device", "bogus"),
     "unknown device 'bogus'; this machine has: cpu"),
    (("train", "--epochs", "1", "--device", "cuda:99"), "this machine has: cpu"),
])
def test_user_errors_exit_non_zero_with_one_clear_line(args, needle: str, tmp_path: Path, data_dir: Path) -> None:
    proc = cli(*args, cwd=tmp_path, data_dir=data_dir)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert needle in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ["train", "teach", "eval", "predict", "models", "recipes"])
def test_every_command_explains_itself(command: str, tmp_path: Path) -> None:
    proc = cli(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "usage: python -m mnist_core" in proc.stdout


@pytest.mark.train
def test_a_save_that_fails_after_training_keeps_the_trained_model_elsewhere(tmp_path: Path, data_dir: Path) -> None:
    # --out is checked before training; a disk that fills up during it is what is left: the write fails at the end.
    out, env_cache = tmp_path / "runs" / "model.pt", tmp_path / "cache"
    script = (
        "import os, sys\n"
        "real = os.fsync\n"
        "def fsync(fd):\n"
        f"    if os.readlink(f'/proc/self/fd/{{fd}}').startswith({str(out.parent)!r}):\n"
        "        raise OSError(28, 'No space left on device')\n"
        "    return real(fd)\n"
        "os.fsync = fsync\n"
        "from mnist_core.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", script, "train", "--recipe", "fast", "--epochs", "1",
                           "--out", str(out)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO), "MNIST_DATA_DIR": str(data_dir),
                               "MNIST_CACHE_DIR": str(env_cache)}, timeout=600)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    rescued = env_cache / "rescued" / "model.pt"
    assert f"saved to {rescued} instead" in proc.stderr
    assert load_checkpoint(rescued).test_accuracy >= 0.98


@pytest.mark.slow
@pytest.mark.parametrize("where", ["a-folder", "a-file/model.pt"])
def test_an_out_that_cannot_be_saved_to_is_refused_before_training(where: str, tmp_path: Path,
                                                                  data_dir: Path) -> None:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("a file where a folder should be")
    for command in (["train", "--recipe", "fast"],
                    ["teach", "--checkpoint", SHIPPED, "--examples", str(tmp_path / "none.zip")]):
        proc = cli(*command, "--out", str(tmp_path / where), cwd=tmp_path, data_dir=data_dir, timeout=60)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr and "Training" not in proc.stdout
        assert str(tmp_path / where) in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.slow
def test_cli_refuses_a_malicious_checkpoint_without_running_it(tmp_path: Path) -> None:
    import pickle

    from test_core_checkpoint import _Payload

    target = tmp_path / "payload-ran.txt"
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(_Payload(target)))  # unpickling it would write target
    for command in (["eval", "--checkpoint", "evil.pt"], ["predict", "--checkpoint", "evil.pt", "x.png"]):
        proc = cli(*command, cwd=tmp_path)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert "evil.pt" in proc.stderr
    assert not target.exists()


def test_predict_defaults_to_the_shipped_drawing_model(tmp_path: Path, draw) -> None:
    draw(7, "blue-seven.png", ink=(30, 60, 230, 255), background=(0, 0, 0, 0))
    proc = cli("predict", "blue-seven.png", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["label"] == 7


def test_ctrl_c_while_importing_ends_with_one_line(tmp_path: Path) -> None:
    """a Ctrl-C during the seconds torch takes to import was a traceback through importlib."""
    import re
    import signal

    # As from a terminal: Ctrl-C not ignored (a job started in the background by a script inherits SIGINT ignored).
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "mnist_core", "models"], cwd=tmp_path, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stderr:  # -X importtime: one line as each module finishes importing
        if re.search(r"\|\s+torch\.", line):  # torch has begun, and importing the rest of it takes a second or more
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "error: interrupted" in err and "Traceback" not in err, err[-2000:]


@pytest.mark.slow
def test_bad_files_give_one_line_never_a_traceback_or_a_hang(tmp_path: Path) -> None:
    """a copy of /etc/passwd, a string for metadata, an image that is a named pipe (predict hung)."""
    import shutil

    import torch

    from mnist_core.models import build_model

    shutil.copy("/etc/passwd", tmp_path / "passwd.pt")
    torch.save({"format": "mnist-demo-checkpoint", "model": "tiny-vgg", "metadata": "a string",
                "state_dict": build_model("tiny-vgg").state_dict()}, tmp_path / "meta.pt")
    os.mkfifo(tmp_path / "pipe.png")
    for args, named in ((("predict", "--checkpoint", "passwd.pt", "x.png"), "passwd.pt: is a text file"),
                        (("eval", "--checkpoint", "meta.pt"), "meta.pt: its metadata is str"),
                        (("predict", "pipe.png"), "pipe.png: is a named pipe")):
        proc = cli(*args, cwd=tmp_path, timeout=60)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr and named in proc.stderr, proc.stderr[-2000:]


@pytest.mark.train
def test_teach_learns_the_examples_downloaded_from_the_app(tmp_path: Path, data_dir: Path) -> None:
    """The Draw tab's examples zip, taught at home: the same fine-tuning, its before/after said, a checkpoint saved."""
    from mnist_core.examples import Example, write_examples
    from mnist_core.preprocess import sketch_to_mnist
    from tests.support.sketches import CROSS, plain_strokes

    digit = (sketch_to_mnist(plain_strokes(CROSS, size=400)).numpy() * 255).round().astype("uint8")
    write_examples(tmp_path / "your-examples.zip", [Example(digit, 4)])
    proc = cli("teach", "--examples", "your-examples.zip", "--out", "taught.pt", cwd=tmp_path, data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    assert "your examples read right: 0 of 1 before, 1 of 1 after" in proc.stdout
    assert "MNIST test accuracy: 99.54% before" in proc.stdout  # the shipped drawing model, measured here
    taught = load_checkpoint(tmp_path / "taught.pt")
    assert taught.model_name == "drawing-cnn" and taught.metadata["taught"]["examples"] == 1


@pytest.mark.slow
def test_teach_refuses_a_file_that_is_not_examples_in_one_line(tmp_path: Path, data_dir: Path) -> None:
    (tmp_path / "notes.zip").write_text("not a zip")
    proc = cli("teach", "--examples", "notes.zip", "--out", "taught.pt", cwd=tmp_path, data_dir=data_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "error: notes.zip: not a zip of examples" in proc.stderr
    assert not (tmp_path / "taught.pt").exists()


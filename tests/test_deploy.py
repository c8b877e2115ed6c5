"""What a Hugging Face Space is sent, and what it reads, is what a Space accepts (docs/deploy.md).

Nothing here reaches the Hub. What is checked is what the deploy steps hand it: the committed files
(``git archive HEAD``, which is what the steps upload or push), the ``.gitattributes`` they copy in
from ``deploy/space.gitattributes`` (a Space refuses a push holding a binary file that is not in
LFS/Xet storage), the README's front matter (read by ``huggingface_hub``'s own parser, as
``gradio deploy`` and the Hub read it), and requirements.txt (what the Space installs).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
SPACE_GITATTRIBUTES = REPO / "deploy" / "space.gitattributes"

#: Extensions that are binary whatever their first bytes say (a PNG's header is ASCII).
BINARY_EXTENSIONS = {".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".pkl", ".pickle", ".npy", ".npz", ".onnx",
                     ".gz", ".zip", ".tar", ".tgz", ".7z", ".xz", ".zst", ".png", ".jpg", ".jpeg", ".gif",
                     ".webp", ".ico", ".woff", ".woff2", ".ttf", ".pdf"}
#: The Hub stores any file over 10 MiB in LFS/Xet, binary or not; a push of a larger plain blob is refused.
HUB_PLAIN_FILE_LIMIT = 10 * 1024 * 1024
#: The Python versions ZeroGPU Spaces offer (Hugging Face's ZeroGPU page).
ZEROGPU_PYTHONS = {"3.10.13", "3.12.12"}
#: ZeroGPU needs PyTorch 2.8 or later.
ZEROGPU_MIN_TORCH = Version("2.8")
#: The colours a Space's front matter may name (Hugging Face's Spaces configuration reference).
SPACE_COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def git(*args: str, cwd: Path = REPO, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    """The files in this checkout's index: what ``git archive HEAD`` sends once they are committed."""
    if shutil.which("git") is None or subprocess.run(["git", "rev-parse"], cwd=REPO, capture_output=True).returncode:
        pytest.skip("not a git checkout: the deploy steps send the committed files, which git lists")
    return [name for name in git("ls-files", "-z").decode().split("\0") if name and (REPO / name).is_file()]


def is_binary(path: Path) -> bool:
    """Binary by its extension, or by its content as git and the Hub sniff it: a NUL byte in the first
    8,000 bytes, or bytes that are not UTF-8 text. Too large for a plain blob counts too."""
    if path.suffix.lower() in BINARY_EXTENSIONS or path.stat().st_size > HUB_PLAIN_FILE_LIMIT:
        return True
    head = path.read_bytes()[:8000]
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3  # a multi-byte character cut at the 8,000th byte is still text
    return False


def lfs_filter(names: list[str], gitattributes: Path, tmp_path: Path) -> dict[str, str]:
    """The ``filter`` attribute each name gets in a repository whose root .gitattributes is ``gitattributes``:
    a Space's, once the deploy steps copy the file in. ``git check-attr`` needs no file to exist."""
    space = tmp_path / "space"
    space.mkdir()
    git("init", "-q", cwd=space)
    shutil.copyfile(gitattributes, space / ".gitattributes")
    out = git("check-attr", "-z", "--stdin", "filter", cwd=space, data="\0".join(names).encode()).decode()
    fields = out.split("\0")[:-1]  # path, attribute, value, path, ...
    return {fields[i]: fields[i + 2] for i in range(0, len(fields), 3)}


def test_every_binary_file_a_space_is_sent_goes_to_lfs(tracked: list[str], tmp_path: Path) -> None:
    binary = [name for name in tracked if is_binary(REPO / name)]
    # the checkpoints the app loads and the README's screenshots are among them: the sniffing sees what it must
    assert {"assets/drawing-cnn.pt", "assets/screenshots/draw.png"} <= set(binary)
    filters = lfs_filter(binary, SPACE_GITATTRIBUTES, tmp_path)
    plain = [name for name in binary if filters[name] != "lfs"]
    assert not plain, f"binary files a Space would refuse: add their pattern to {SPACE_GITATTRIBUTES.name}: {plain}"


def test_text_files_stay_plain_text_on_the_space(tracked: list[str], tmp_path: Path) -> None:
    """The Space shows and diffs its code: no pattern sweeps text files into LFS storage."""
    text = [name for name in tracked if not is_binary(REPO / name)]
    assert "app.py" in text and "requirements.txt" in text and "README.md" in text
    filters = lfs_filter(text, SPACE_GITATTRIBUTES, tmp_path)
    assert not [name for name in text if filters[name] == "lfs"]


def test_this_repository_keeps_its_files_as_plain_git_blobs(tracked: list[str]) -> None:
    """No ``filter=lfs`` here: CI and a plain ``git clone`` may lack git-lfs, and where it is installed an LFS
    attribute on a file committed as a plain blob shows it as modified in every checkout."""
    out = git("check-attr", "-z", "--stdin", "filter", data="\0".join(tracked).encode()).decode().split("\0")
    assert not [out[i] for i in range(0, len(out) - 1, 3) if out[i + 2] == "lfs"]


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs is not installed (only the git way needs it)")
def test_the_git_steps_commit_every_binary_file_as_an_lfs_pointer(tracked: list[str], tmp_path: Path) -> None:
    """docs/deploy.md's git way, up to the push: the committed files exported into a Space's clone, its
    .gitattributes copied in, ``git add``: every binary file is staged as an LFS pointer, every text file as itself."""
    space = tmp_path / "space"
    space.mkdir()
    git("init", "-q", cwd=space)
    git("lfs", "install", "--local", cwd=space)
    subprocess.run(["tar", "-x", "-C", str(space)], input=git("archive", "HEAD"), check=True, timeout=60)
    sent = [path.relative_to(space).as_posix() for path in space.rglob("*")
            if path.is_file() and ".git" not in path.parts]
    shutil.copyfile(SPACE_GITATTRIBUTES, space / ".gitattributes")
    git("add", "-A", cwd=space)
    assert "assets/drawing-cnn.pt" in sent
    for name in sent:
        staged = git("cat-file", "blob", f":{name}", cwd=space)
        assert staged.startswith(LFS_POINTER) == is_binary(space / name), name


def test_the_front_matter_is_a_zerogpu_gradio_space() -> None:
    from huggingface_hub import metadata_load  # what `gradio deploy` reads it with

    meta = metadata_load(REPO / "README.md")
    assert meta["sdk"] == "gradio"
    assert meta["sdk_version"] == pinned("gradio"), "the Space runs the Gradio the app was written for"
    assert (REPO / meta["app_file"]).is_file() and meta["app_file"] == "app.py"
    # a string: unquoted, YAML would read 3.10 as the number 3.1
    assert isinstance(meta["python_version"], str) and meta["python_version"] in ZEROGPU_PYTHONS
    assert meta["title"] and len(meta["short_description"]) <= 60
    assert {meta["colorFrom"], meta["colorTo"]} <= SPACE_COLOURS


def requirements() -> dict[str, Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    entries = [line.split("#")[0].strip() for line in lines]
    assert not [line for line in entries if line.startswith("-")], "no pip options: a Space would use them too"
    found = [Requirement(line) for line in entries if line]
    return {req.name.lower(): req for req in found}


def pinned(name: str) -> str:
    (spec,) = requirements()[name].specifier
    assert spec.operator == "=="
    return spec.version


def test_requirements_hold_what_a_zerogpu_space_needs() -> None:
    reqs = requirements()
    assert "spaces" in reqs, "@spaces.GPU (demo/server/zerogpu.py) needs the spaces package"
    torch = reqs["torch"].specifier
    assert not torch.contains(Version("2.7.1")) and torch.contains(ZEROGPU_MIN_TORCH)
    assert not [req for req in reqs.values() if "+" in str(req.specifier) or req.url], "no local or URL builds"


def test_requirements_keep_the_cpu_only_pytorch_the_quick_start_installs_first() -> None:
    """README's Quick start installs torch and torchvision from PyTorch's CPU index before requirements.txt:
    their builds (``+cpu``) must already satisfy it, or pip swaps in the 5 GB of CUDA packages after all."""
    reqs = requirements()
    for name in ("torch", "torchvision"):
        cpu_build = Version(version(name)).base_version + "+cpu"
        assert reqs[name].specifier.contains(cpu_build), name


@pytest.mark.slow  # a fresh interpreter imports spaces, and Gradio with it
def test_spaces_is_imported_before_torch_when_a_space_imports_app() -> None:
    """On ZeroGPU ``spaces`` patches torch as it is imported: app.py must import it first."""
    probe = (
        "import importlib.abc, sys, runpy\n"
        "order = []\n"
        "class Probe(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        top = name.partition('.')[0]\n"
        "        if top in ('spaces', 'torch') and top not in order:\n"
        "            order.append(top)\n"
        "        if top == 'torch':\n"
        "            print(' '.join(order)); sys.stdout.flush(); raise SystemExit(0)\n"
        "sys.meta_path.insert(0, Probe())\n"
        "runpy.run_path('app.py', run_name='space')\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["spaces", "torch"], run.stdout + run.stderr

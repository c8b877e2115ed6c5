"""Shared fixtures.

Tests that need real MNIST read it from ``$MNIST_DATA_DIR`` (CI: ``../shared/data``); the
project's cache goes to a temporary folder so a test run never touches ``~/.cache`` and
never writes into the data folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from mnist_core.data import MNISTData


@pytest.fixture(scope="session", autouse=True)
def _project_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point the project's cache at a temporary folder for the whole run."""
    cache = tmp_path_factory.mktemp("mnist-cache")
    old = os.environ.get("MNIST_CACHE_DIR")
    os.environ["MNIST_CACHE_DIR"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("MNIST_CACHE_DIR", None)
    else:
        os.environ["MNIST_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real MNIST data root, chosen as the project chooses it (``$MNIST_DATA_DIR``, else ``./data``).

    Downloaded on first use where there is internet; without data and network the run fails
    with the project's own message rather than skipping the tests that need it.
    """
    from mnist_core.data import MNISTUnavailableError, locate_mnist
    from mnist_core.paths import resolve_data_dir

    root = resolve_data_dir()
    try:
        locate_mnist(root)
    except MNISTUnavailableError as exc:
        pytest.fail(f"these tests need real MNIST: {exc}")
    return root


@pytest.fixture(scope="session")
def mnist(data_dir: Path) -> MNISTData:
    """All of real MNIST, loaded once per test run."""
    from mnist_core.data import load_mnist

    return load_mnist(data_dir, download=False)


@pytest.fixture
def tiny_data() -> MNISTData:
    """A small generated stand-in for MNIST (256 train, 64 test images) for tests where accuracy does not matter."""
    g = torch.Generator().manual_seed(0)
    return MNISTData(
        train_images=torch.randint(0, 256, (256, 28, 28), generator=g, dtype=torch.uint8),
        train_labels=torch.randint(0, 10, (256,), generator=g),
        test_images=torch.randint(0, 256, (64, 28, 28), generator=g, dtype=torch.uint8),
        test_labels=torch.randint(0, 10, (64,), generator=g),
        source=Path("generated"),
    )


@pytest.fixture(scope="session")
def app_server(data_dir: Path) -> Iterator[tuple[str, Any]]:
    """The Gradio app (``app.demo``), launched once in this process on a free local port: (url, demo).

    In-process, so tests can also look at server-side state. It needs the pretrained
    checkpoints in ``assets/``; without them the tests that use it fail saying so.
    """
    import socket

    import app
    from demo.context import AppContext

    if not AppContext.create().catalog.entries:
        pytest.fail("the app tests need at least one checkpoint in assets/*.pt, e.g. "
                    "python -m mnist_core train --recipe fast --out assets/tiny-vgg-fast.pt")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.demo
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app.launch_options())
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.close()


@pytest.fixture(scope="module")
def client(app_server: tuple[str, Any]):
    """A gradio_client visitor of the launched app (one session per test module)."""
    from gradio_client import Client

    return Client(app_server[0], verbose=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium, launched once for the browser tests (see ``tests/pages.py``)."""
    from playwright.sync_api import sync_playwright

    from bench.browser import CHROMIUM, LAUNCH_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()

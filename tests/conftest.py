"""Shared fixtures.

Tests that need real MNIST read it from ``$MNIST_DATA_DIR`` (CI: ``../shared/data``); the
project's cache goes to a temporary folder so a test run never touches ``~/.cache`` and
never writes into the data folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

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


class Served(NamedTuple):
    """The app launched for the tests: its address, its ``gr.Blocks``, and its own record of sessions."""

    url: str
    demo: Any
    sessions: Any  # demo.server.sessions.Sessions


@pytest.fixture(scope="session")
def app_server(data_dir: Path) -> Iterator[Served]:
    """The Gradio app, built as ``app.py`` builds it and launched once in this process on a free local port.

    In-process, so tests can look at server-side state: each test reads only its own
    visitors' sessions (by their session hash) in ``sessions``, which belongs to this app alone.
    It needs the pretrained checkpoints in ``assets/``; without them the tests that use it fail saying so.
    """
    import socket

    import app
    from demo.server.context import AppContext
    from demo.ui import build_demo

    context = AppContext.create()
    if not context.catalog.entries:
        pytest.fail("the app tests need at least one checkpoint in assets/*.pt, e.g. "
                    "python -m mnist_core train --recipe fast --out assets/tiny-vgg-fast.pt")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = build_demo(context=context)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app.launch_options())
    try:
        yield Served(f"http://127.0.0.1:{port}/", demo, context.sessions)
    finally:
        demo.close()


@pytest.fixture
def session_models(app_server: Served, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Each session's models (session hash -> ``SessionModels``) as the app hands them to its registry during
    the test, so a test can look at what a visitor's session holds on the server."""
    seen: dict[str, Any] = {}
    track = app_server.sessions.track

    def spy(session_id: str | None, models: Any) -> None:
        if session_id:
            seen[session_id] = models
        track(session_id, models)

    monkeypatch.setattr(app_server.sessions, "track", spy)
    return seen


@pytest.fixture(scope="module")
def client(app_server: Served):
    """A gradio_client visitor of the launched app (one session per test module)."""
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium, launched once for the browser tests (see ``tests/pages.py``)."""
    from playwright.sync_api import sync_playwright

    from bench.browser import CHROMIUM, LAUNCH_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


# --- Drawings: every test that needs "a 7" draws it with bench.sketches.plain_digit. ---------------------------


@pytest.fixture
def draw(tmp_path: Path) -> Callable[..., Path]:
    """Draw a digit as the sketchpad sends it into a PNG of this test's folder: ``draw(4)``, ``draw(None)``
    (a blank canvas), ``draw(7, ink="#d62728")``; keywords as :func:`bench.sketches.plain_digit`."""
    from bench.sketches import plain_digit

    def drawn(digit: int | None = 7, name: str | None = None, **style: Any) -> Path:
        path = tmp_path / (name or f"digit-{digit}.png")
        plain_digit(digit, **style).save(path)
        return path

    return drawn


@pytest.fixture(scope="session")
def seven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PNG of a plain 7, as the sketchpad sends it (800 x 800 RGBA, black on white)."""
    from bench.sketches import plain_digit

    path = tmp_path_factory.mktemp("seven") / "seven.png"
    plain_digit(7).save(path)
    return path


@pytest.fixture(scope="session")
def seven_sketch(seven: Path) -> dict[str, Any]:
    """The 7 as the app's ``/predict`` and ``/explain`` take it (``gradio_client``)."""
    from bench.app import sketch_value

    return sketch_value(seven)

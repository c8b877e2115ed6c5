"""Shared fixtures, and the test layers.

Tests that need real MNIST read it from ``$MNIST_DATA_DIR`` (CI: ``../shared/data``); the
project's cache goes to a temporary folder so a test run never touches ``~/.cache`` and
never writes into the data folder.

Layers (markers, declared in ``pyproject.toml``): ``browser`` (drives chromium: every test that
uses the ``browser`` fixture gets it here, and is skipped where chromium is missing), ``train``
(trains a model on real MNIST) and ``slow`` (over ~3 s; every ``browser`` and ``train`` test is
``slow`` too). ``pytest -m "not slow"`` is the quick inner loop and says at its end what it left
out; plain ``pytest`` runs everything (README, CI). Helpers the tests share with the benchmarks
are in ``tests/support/``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import torch

from mnist_core.data import MNISTData
from tests.support.chromium import CHROMIUM

#: Markers that make a test ``slow`` as well.
SLOW_LAYERS = ("browser", "train")
_DESELECTED = pytest.StashKey[list]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test using chromium is a ``browser`` test; ``browser`` and ``train`` tests are ``slow``; without chromium
    the ``browser`` tests are skipped, saying so. Runs before ``-m`` selects, so ``-m "not slow"`` sees all this."""
    no_chromium = pytest.mark.skip(reason=f"no chromium at {CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)")
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        if any(item.get_closest_marker(layer) for layer in SLOW_LAYERS) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("browser") and not Path(CHROMIUM).exists():
            item.add_marker(no_chromium)


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Keep what ``-m`` left out, for the summary at the end."""
    if items:
        items[0].config.stash.setdefault(_DESELECTED, []).extend(items)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line naming what ``-m`` (or ``-k``) left out, by layer, and how to run everything."""
    left_out = config.stash.get(_DESELECTED, [])
    if not left_out:
        return
    names = {**{layer: layer for layer in SLOW_LAYERS}, "slow": "other slow"}
    layers = Counter(next((names[m] for m in names if item.get_closest_marker(m)), "unmarked") for item in left_out)
    named = ", ".join(f"{n} {layer}" for layer, n in layers.most_common())
    chosen = " ".join(f"{flag} {value!r}" for flag, value in (("-m", config.option.markexpr),
                                                             ("-k", config.option.keyword)) if value)
    terminalreporter.write_line(f"{chosen} left out {len(left_out)} tests ({named}); plain `pytest` runs them all",
                                yellow=True)


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
    """Headless Debian chromium, launched once for the browser tests; pages come from ``open_page``."""
    from playwright.sync_api import sync_playwright

    from tests.support.chromium import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Opens pages in chromium, each in a window (browser context) of its own, all closed when the test ends:
    ``open_page(url)`` (1440 x 1000, ready to draw), ``open_page(url, 390, 844, phone=True)``; keywords as
    :func:`tests.support.chromium.open_page` (``ready=False``: without waiting for the canvas, ``timeout``,
    ``accept_downloads=True``). A test may close a page's window itself (``page.context.close()``)."""
    from tests.support import chromium

    pages: list[Any] = []

    def opened(url: str, width: int = 1440, height: int = 1000, **options: Any) -> Any:
        page = chromium.open_page(browser, url, width, height, **options)
        pages.append(page)
        return page

    yield opened
    for page in pages:
        page.context.close()


# --- Drawings: every test that needs "a 7" draws it with tests.support.sketches.plain_digit. -------------------


@pytest.fixture
def draw(tmp_path: Path) -> Callable[..., Path]:
    """Draw a digit as the sketchpad sends it into a PNG of this test's folder: ``draw(4)``, ``draw(None)``
    (a blank canvas), ``draw(7, ink="#d62728")``; keywords as :func:`tests.support.sketches.plain_digit`."""
    from tests.support.sketches import plain_digit

    def drawn(digit: int | None = 7, name: str | None = None, **style: Any) -> Path:
        path = tmp_path / (name or f"digit-{digit}.png")
        plain_digit(digit, **style).save(path)
        return path

    return drawn


@pytest.fixture(scope="session")
def seven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PNG of a plain 7, as the sketchpad sends it (800 x 800 RGBA, black on white)."""
    from tests.support.sketches import plain_digit

    path = tmp_path_factory.mktemp("seven") / "seven.png"
    plain_digit(7).save(path)
    return path


@pytest.fixture(scope="session")
def seven_sketch(seven: Path) -> dict[str, Any]:
    """The 7 as the app's ``/predict`` and ``/explain`` take it (``gradio_client``)."""
    from tests.support.clients import sketch_value

    return sketch_value(seven)

"""Shared fixtures.

Tests that need real MNIST read it from ``$MNIST_DATA_DIR`` (CI: ``../shared/data``); the
project's cache goes to a temporary folder so a test run never touches ``~/.cache`` and
never writes into the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

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

"""Without MNIST every tab that needs it says so once, in the same words, and shows no error badge.

Before: the Confusion tab showed twelve red "Error" badges and a toast while its summary still
said "Evaluating…", and the Dataset tab one badge. Now each shows the Train tab's message
(:func:`demo.views.unavailable.mnist_unavailable_markdown`) in place of its content. MNIST is made
unavailable by loading it from an empty folder without downloading, so the test is the same
with or without internet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gradio_client import Client

from demo.server.context import AppContext
from demo.views.unavailable import mnist_unavailable_markdown
from mnist_core.data import MNISTUnavailableError, load_mnist
from tests.pages import ARTIFACTS
from tests.support.clients import free_port

#: The status badges and toasts Gradio shows for an event that raised.
ERRORS_SHOWN = """() => ({badges: document.querySelectorAll('span.error').length,
                          toasts: document.querySelectorAll('.toast-body, .toast-item').length})"""


def no_mnist(self: AppContext, *, download: bool = True, progress: Any = None) -> Any:
    """``AppContext.load_data`` on a machine without MNIST or internet: the project's own message."""
    return load_mnist(self.data_dir, download=False)


@pytest.fixture
def app_without_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app built on an empty data folder, served in this process; its URL."""
    import app  # noqa: F401  (the app's process-wide settings, as the other app tests have them)
    from demo.ui import build_demo

    monkeypatch.setattr(AppContext, "load_data", no_mnist)
    demo = build_demo(data_dir=tmp_path / "empty")
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                **app.launch_options())
    try:
        yield demo.local_url
    finally:
        demo.close()


def test_the_message_names_the_problem_and_what_still_works() -> None:
    text = mnist_unavailable_markdown(MNISTUnavailableError("MNIST was not found in /x (missing: a)."))
    assert text.startswith("**MNIST is not available:** MNIST was not found in /x (missing: a).")
    assert "Draw tab still works" in text


def test_the_train_tab_says_the_same(tmp_path: Path) -> None:
    from demo.tabs.train import _loaded_data
    from mnist_core.recipes import get_recipe

    problem = MNISTUnavailableError("MNIST was not found in /nowhere.")

    def load_training_data(recipe: Any, *, progress: Any = None) -> Any:
        raise problem

    view = SimpleNamespace(idle=dict, status="status")
    updates = list(_loaded_data(SimpleNamespace(load_training_data=load_training_data), get_recipe("fast"), view))
    assert updates[-1]["status"] == mnist_unavailable_markdown(problem)


def test_confusion_and_dataset_tabs_say_it_once_without_error_badges(app_without_mnist: str, open_page: Any) -> None:
    page = open_page(app_without_mnist, 1280, 800)
    for tab, notice, content in [("confusion", "#confusion-unavailable", "#confusion-summary"),
                                 ("dataset", "#dataset-unavailable", "#reshuffle")]:
        page.locator(f'button[role="tab"][data-tab-id="{tab}"]').click()
        # The tab's event has ended: its notice is shown, or an error badge or toast is.
        page.wait_for_function(f"""() => document.querySelector('{notice}')?.checkVisibility()
            || document.querySelector('span.error, .toast-body, .toast-item')""", timeout=60_000)
        assert page.evaluate(ERRORS_SHOWN) == {"badges": 0, "toasts": 0}, f"the {tab} tab shows an error"
        text = page.locator(notice).inner_text()
        assert text.startswith("MNIST is not available: MNIST was not found in") and "Draw tab" in text
        assert page.locator(content).is_hidden(), f"the {tab} tab still shows what needs MNIST"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"no-mnist-{tab}.png"))


def test_the_confusion_api_refuses_with_the_reason_in_one_log_line(app_without_mnist: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    client = Client(app_without_mnist, verbose=False)
    with caplog.at_level(logging.INFO, logger="demo"), pytest.raises(Exception, match="test set is not available"):
        client.predict(api_name="/confusion_matrix")
    refused = [r.getMessage() for r in caplog.records if r.name == "demo"]
    assert len(refused) == 1 and refused[0].startswith("Refused: The test set is not available: MNIST was not found")

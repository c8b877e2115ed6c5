"""What the browser tests share: where chromium is, the digits they draw, and how they wait for the page.

The tests drive Debian's chromium through Playwright (``playwright install`` cannot run here);
the ``browser`` fixture is in ``conftest.py``. Every wait is for something on the page (an
element, an attribute the page script sets), never a fixed time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.browser import CHROMIUM, DIGITS, stroke  # noqa: F401  (the bench's own, shared)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

#: The marks of every browser test module (``pytestmark = BROWSER``).
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no chromium at {CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)"),
]

SEVEN = DIGITS["7"][0]
EUROPEAN_ONE = DIGITS["1 (European)"][0]  # a long upstroke
ONE = [(0.42, 0.27), (0.52, 0.15), (0.52, 0.85)]  # a short flag, as MNIST's writers drew it


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_for_canvas(page: Any) -> None:
    """Wait until the drawing pad's script has run and the canvas takes strokes."""
    page.wait_for_selector("#sketchpad[data-ready] canvas")


def wait_for_answer(page: Any) -> str:
    """Wait for the answer to the newest drawing (the pad's ``seq``) and return the top digit shown."""
    page.wait_for_function("""() => {
        const pad = document.querySelector('#sketchpad');
        return pad && pad.dataset.seq && pad.dataset.answered === pad.dataset.seq;
    }""", timeout=20_000)
    assert "stale" not in (page.locator("#prediction").get_attribute("class") or "")
    return top_prediction(page)


def top_prediction(page: Any) -> str:
    return page.locator("#prediction .output-class").inner_text().strip()


def wait_for_images(page: Any, selector: str, count: int, timeout: int = 30_000) -> None:
    """Wait until ``count`` images under ``selector`` have loaded with a size (a broken one has naturalWidth 0)."""
    page.wait_for_function(f"""() => Array.from(document.querySelectorAll({selector!r}))
        .filter((img) => img.complete && img.naturalWidth > 0).length >= {count}""", timeout=timeout)

"""Headless chromium on the app's page: where chromium is, how it starts, a page opened ready to draw, a stroke.

Tests (the ``browser`` and ``open_page`` fixtures in ``tests/conftest.py``) and the browser
benches (``bench.browser``, ``bench.idle``, ``bench.page_recording``) drive Debian's chromium
through Playwright (``playwright install`` cannot run here). Every wait is for something on the
page, never a fixed time.
"""

from __future__ import annotations

import os
import time
import urllib.request
from typing import Any

#: Debian's chromium; ``CHROMIUM_PATH`` names another.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: Chromium's flags: no sandbox (containers), software rendering, nothing fetched from outside.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]

#: True once the Train tab's status line contains the text given as the argument.
STATUS_SAYS = "(text) => (document.querySelector('#train-status')?.innerText || '').includes(text)"


def launch(playwright: Any) -> Any:
    """Headless chromium, started as every test and bench starts it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)


def open_page(browser: Any, url: str, width: int, height: int, *, phone: bool = False, timeout: float = 30_000,
              ready: bool = True, **context: Any) -> Any:
    """A new page at ``url`` in a ``width`` x ``height`` window of its own browser context, waiting up to
    ``timeout`` ms for anything on it; with ``ready``, once the canvas takes strokes.

    A ``phone`` has touch and a dense display. Other keywords go to ``browser.new_context``
    (``accept_downloads=True``, say). Closing ``page.context`` closes the window.
    """
    page = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone,
                               device_scale_factor=2 if phone else 1, **context).new_page()
    page.set_default_timeout(timeout)
    page.goto(url)
    if ready:
        wait_for_canvas(page)
    return page


def wait_for_canvas(page: Any) -> None:
    """Wait until the drawing pad's script has run and the canvas takes strokes."""
    page.wait_for_selector("#sketchpad[data-ready] canvas")


def wait_served(url: str, deadline: float) -> float:
    """Poll ``url`` until it answers 200; the time it did (monotonic)."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic()
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} was not served in time")


def stroke(page: Any, points: list[tuple[float, float]], steps: int = 8) -> None:
    """One mouse stroke through ``points`` (fractions of the Draw tab's canvas), ``steps`` moves per segment."""
    box = page.locator("#sketchpad canvas").bounding_box()
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + w * points[0][0], y0 + h * points[0][1])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        for t in range(1, steps + 1):
            page.mouse.move(x0 + w * (ax + (bx - ax) * t / steps), y0 + h * (ay + (by - ay) * t / steps))
    page.mouse.up()

"""On a phone every tab is one tap away, and pressing Start shows the run.

Found in front of a class at 390 x 844: Gradio's tab bar showed Draw and Train and hid the other
three tabs behind a "⋯" menu nobody found; and Start, at the top of the Train tab's form, changed
nothing on the screen but its own colour, because the run's status and chart sit under the form,
more than a screen below. On a laptop the status sits beside the form, in view, and pressing
Start must not move the page. Screenshots go to ``test-artifacts/layout-phone-*.png``.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.pages import ARTIFACTS
from tests.support.chromium import STATUS_SAYS

pytestmark = pytest.mark.browser

PHONE = (390, 844)
LAPTOP = (1280, 800)

#: Each tab's id, and an element its panel shows.
PANELS = {"draw": "#sketchpad", "train": "#start-button", "confusion": "#confusion-controls",
          "dataset": "#reshuffle", "model": "#layers-model"}

#: The box of the element ``selector`` and the screen's size (the root element's ``clientWidth``: on a phone
#: ``innerWidth`` grows with a too-wide page).
BOX = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height,
          screenWidth: document.documentElement.clientWidth, screenHeight: innerHeight, scrollY};
}"""

#: True once the element ``selector`` has its top on the screen and shows at least its first 40 px.
IN_VIEW = """(selector) => {
  const r = document.querySelector(selector)?.getBoundingClientRect();
  return !!r && r.height > 0 && r.top >= 0 && r.top + Math.min(r.height, 40) <= innerHeight;
}"""


def on_screen(box: dict[str, float]) -> bool:
    return box["width"] > 0 and box["left"] >= 0 and box["right"] <= box["screenWidth"] + 0.5 \
        and box["top"] >= 0 and box["bottom"] <= box["screenHeight"]


def test_every_tab_is_one_tap_away_on_a_phone(open_page: Any, app_server) -> None:
    page = open_page(app_server.url, *PHONE, phone=True, timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout-phone-tabs.png"))
    for tab_id, shown in PANELS.items():
        tab = page.locator(f'button[role="tab"][data-tab-id="{tab_id}"]')
        assert tab.count() == 1, f"the {tab_id} tab is not in the tab bar (hidden behind a menu?)"
        box = page.evaluate(BOX, f'button[role="tab"][data-tab-id="{tab_id}"]')
        assert on_screen(box), f"the {tab_id} tab is off the screen: {box}"
        tab.tap()
        page.wait_for_selector(shown, state="visible")
        assert tab.get_attribute("aria-selected") == "true"
        page.evaluate("scrollTo(0, 0)")
    assert not page.locator('button[aria-label="More tabs"]').is_visible(), "a menu of more tabs is shown"


@pytest.mark.parametrize("screen", ["phone", "laptop"])
def test_start_shows_the_runs_status(open_page: Any, app_server, screen: str) -> None:
    """A phone brings the status into view at once; a laptop, where it is beside the form, does not move."""
    phone = screen == "phone"
    page = open_page(app_server.url, *(PHONE if phone else LAPTOP), phone=phone, ready=False, timeout=60_000)
    tab = page.locator('button[role="tab"][data-tab-id="train"]')
    tab.tap() if phone else tab.click()
    start = page.locator("#start-button")
    start.wait_for(state="visible")
    assert page.evaluate(IN_VIEW, "#start-button")
    if phone:
        assert not page.evaluate(IN_VIEW, "#train-status"), "the status is in view before Start: nothing to test"
    start.tap() if phone else start.click()
    try:
        page.wait_for_function(IN_VIEW, arg="#train-status", timeout=10_000)
        shown_at_once = True
    except PlaywrightTimeout:
        shown_at_once = False
    page.wait_for_function(STATUS_SAYS, arg="Epoch 1 of", timeout=120_000)  # the run ends as every run does
    page.screenshot(path=str(ARTIFACTS / f"layout-phone-started-{screen}.png"))
    still_shown, moved = page.evaluate(IN_VIEW, "#train-status"), page.evaluate("scrollY")
    page.locator("#stop-button").click()
    page.wait_for_function(STATUS_SAYS, arg="Stopped: test accuracy", timeout=120_000)
    session = page.evaluate("window.__gradio_session_hash__")
    page.context.close()
    assert app_server.sessions.wait_for(lambda s: s.run_of(session) is None, timeout=60)
    assert shown_at_once, "the run's status stayed off the screen after Start"
    assert still_shown, "the status left the screen while the run trained"
    if not phone:
        assert moved == 0, "Start moved the page on a laptop"

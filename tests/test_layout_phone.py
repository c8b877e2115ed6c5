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

from tests.pages import ARTIFACTS

pytestmark = pytest.mark.browser

PHONE = (390, 844)

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

"""The Draw tab fits the screens it is used on, and a finger can draw on a phone.

At a laptop's 1280 x 800, a projector's 1920 x 1080 and a phone's 390 x 844, everything
needed to draw and read the answer (the canvas, Clear, the top digit) must be on screen
without scrolling, and nothing may stick out sideways. On the phone a digit is drawn with
real touch events (Chrome DevTools' ``Input.dispatchTouchEvent``): the page must not scroll
under the finger, and the answer must be the digit drawn. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages import (
    ARTIFACTS,
    EUROPEAN_ONE,
    SCREENS,
    check_legend,
    stroke,
    touch_stroke,
    wait_for_answer,
    wait_for_images,
)

pytestmark = pytest.mark.browser


#: The box of each element, in the viewport's coordinates, with the viewport's size and scroll. On a phone
#: ``innerWidth`` grows with a too-wide page (the browser zooms out to show it), so the screen's width is the
#: root element's ``clientWidth``.
BOXES = """(selectors) => {
  const boxes = {};
  for (const s of selectors) {
    const r = document.querySelector(s)?.getBoundingClientRect();
    boxes[s] = r ? {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width} : null;
  }
  return {boxes, width: document.documentElement.clientWidth, height: innerHeight, scrollY: scrollY,
          scrollWidth: document.scrollingElement.scrollWidth};
}"""

NEEDED = ["#sketchpad canvas", "#clear-button", "#prediction .output-class"]


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest, open_page: Any, app_server) -> tuple[str, Any]:
    """The app on each screen in turn (a phone has touch and a dense display), ready to draw."""
    return request.param, open_page(app_server.url, *SCREENS[request.param], phone=request.param == "phone")


@pytest.fixture
def phone(open_page: Any, app_server) -> Any:
    return open_page(app_server.url, *SCREENS["phone"], phone=True)


def test_canvas_clear_and_answer_fit_one_screen(screen: tuple[str, Any]) -> None:
    name, page = screen
    found = page.evaluate(BOXES, NEEDED)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-draw-{name}.png"))
    assert found["scrollY"] == 0
    assert found["scrollWidth"] <= found["width"], "the page scrolls sideways"
    for selector in NEEDED:
        box = found["boxes"][selector]
        assert box is not None, f"{selector} is missing"
        assert 0 <= box["top"] and box["bottom"] <= found["height"], f"{selector} is below the fold at {name}"
        assert 0 <= box["left"] and box["right"] <= found["width"], f"{selector} sticks out sideways at {name}"
    canvas = found["boxes"]["#sketchpad canvas"]
    assert canvas["width"] >= min(300, 0.75 * found["width"]), "the canvas is too small to draw on"


def test_the_inside_pictures_say_what_their_colours_mean(screen: tuple[str, Any]) -> None:
    """Under the saliency overlays and above the feature maps, a legend: one line on a laptop, within a phone."""
    name, page = screen
    if name == "phone":
        touch_stroke(page, EUROPEAN_ONE)
        wait_for_answer(page)
        page.locator(INSIDE_HEADER).click()  # folded on a phone: a student opens it (see INSIDE_HEADER)
    else:
        stroke(page, EUROPEAN_ONE)
    wait_for_answer(page)
    wait_for_images(page, "#saliency-view img", 2)
    wait_for_images(page, "#feature-maps-view img", 1)
    page.locator("#saliency-view").scroll_into_view_if_needed()
    wide = name != "phone"
    heat = check_legend(page, "#saliency-view", "#saliency-view figure", below=True, one_line=wide)
    maps = check_legend(page, "#feature-maps-view", "#feature-maps-view .feature-grid", below=False, one_line=wide)
    assert "strongest" in heat and "bright" in maps
    page.screenshot(path=str(ARTIFACTS / f"layout-draw-legends-{name}.png"), full_page=True)


#: The header of the "Inside the network" accordion, which folds and unfolds it. The tests click it: a synthetic
#: tap within a fraction of a second of the touch stroke before it is taken by chromium's double-tap detection.
INSIDE_HEADER = "#inside-accordion button.label-wrap"


def test_on_a_phone_the_inside_views_start_folded_and_are_computed_when_opened(phone: Any) -> None:
    """Far below the canvas on a phone, the inside views cost the server nothing until a student opens them."""
    phone.wait_for_selector(f"{INSIDE_HEADER}:not(.open)")  # folded as the page loads
    touch_stroke(phone, EUROPEAN_ONE)
    assert wait_for_answer(phone) == "1"
    assert phone.locator("#feature-maps-view img").count() == 0  # the answer came alone
    phone.locator(INSIDE_HEADER).click()
    wait_for_images(phone, "#feature-maps-view img", 1)  # computed for the drawing already made
    wait_for_images(phone, "#saliency-view img", 2)


def test_a_finger_draws_on_a_phone_without_scrolling_the_page(phone: Any) -> None:
    scrolls = touch_stroke(phone, EUROPEAN_ONE)
    assert set(scrolls) == {0}, "the page scrolled while a finger drew"
    assert wait_for_answer(phone) == "1"
    # Every model's reading, in a row under the answer, wraps within the phone's width.
    assert phone.locator("#readings .reading-chip").count() >= 2
    found = phone.evaluate(BOXES, ["#readings"])
    assert found["boxes"]["#readings"]["right"] <= found["width"] and found["scrollWidth"] <= found["width"]
    phone.screenshot(path=str(ARTIFACTS / "layout-draw-phone-touch.png"))

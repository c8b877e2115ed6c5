"""Students who use a screen reader or a keyboard: axe-core (the audit browsers' own accessibility tools run)
finds no serious or critical problem on any tab, on a laptop or a phone; the answer is announced once per drawing;
the keyboard reaches every control in reading order and shows where it is."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.pages import SCREENS, SEVEN, TABS, open_tab, settle, stroke, wait_for_answer

pytestmark = pytest.mark.browser

#: The levels a page must have none of: what keeps a student from using it at all, or nearly.
BLOCKING = {"serious", "critical"}


def problems(page: Any) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]} {v['help']}"
            for v in violations if v["impact"] in BLOCKING]


@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_every_tab_passes_the_axe_audit(open_page, app_server, screen: str) -> None:
    page = open_page(app_server.url, *SCREENS[screen], phone=screen == "phone")
    stroke(page, SEVEN)
    wait_for_answer(page)  # audit the Draw tab with an answer shown, as a class sees it
    found = {}
    for tab in TABS:
        open_tab(page, tab)
        settle(page)
        found[tab] = problems(page)
    assert not any(found.values()), "\n".join(f"{tab}: {p}" for tab, ps in found.items() for p in ps)


#: What has focus: its id (or its nearest parent's), its text, and whether a ring shows where it is.
FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
  return {id: e.id || e.closest('[id]')?.id || '', text: (e.innerText || e.value || '').trim().slice(0, 40), ring};
}"""


def test_the_keyboard_reaches_every_control_in_reading_order_and_shows_where_it_is(open_page, app_server) -> None:
    page = open_page(app_server.url, *SCREENS["laptop"])
    visited = []
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break  # round the whole page
        focused = page.evaluate(FOCUSED)
        assert focused["ring"], f"no visible focus on {focused}"
        visited.append(focused["id"] or focused["text"])
    wanted = ["join-class", "language-picker", "Draw", "Train", "Confusion matrix", "Dataset", "Model",
              "undo-button", "clear-button", "draw-picture", "correct-0", "correct-9", "draw-model",
              "inside-accordion"]
    positions = [visited.index(name) if name in visited else None for name in wanted]
    missed = [name for name, position in zip(wanted, positions, strict=True) if position is None]
    assert not missed, f"never reached: {missed} in {visited}"
    assert positions == sorted(positions), f"out of reading order: {visited}"


def test_each_final_answer_is_announced_once(open_page, app_server) -> None:
    page = open_page(app_server.url, *SCREENS["laptop"])
    stroke(page, SEVEN)
    wait_for_answer(page)
    region = page.locator("#answer-announcer")
    assert region.get_attribute("aria-live") == "polite"
    page.wait_for_function("document.getElementById('answer-announcer').textContent.endsWith('7')")
    box = region.bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1, f"the announcement shows on the page: {box}"  # screen readers only
    page.evaluate("""() => { window.announced = 0; new MutationObserver(() => window.announced++).observe(
        document.getElementById('answer-announcer'), {childList: true, characterData: true, subtree: true}); }""")
    page.locator("#clear-button").click()
    wait_for_answer(page)
    stroke(page, SEVEN)
    wait_for_answer(page)
    page.wait_for_function("document.getElementById('answer-announcer').textContent.endsWith('7')")
    page.wait_for_function("window.announced >= 2")
    assert page.evaluate("window.announced") == 2, "one announcement per answer: the blank canvas's, then the 7's"


def test_a_picture_gives_the_model_a_digit_without_drawing(open_page, app_server, tmp_path) -> None:
    from PIL import Image

    from tests.support.sketches import plain_digit

    drawn = plain_digit(4)
    photo = Image.new("RGB", drawn.size, (236, 231, 220))  # paper, not a transparent canvas
    photo.paste(drawn.convert("RGB"), mask=drawn.getchannel("A"))
    photo.save(tmp_path / "four.jpg", quality=85)
    page = open_page(app_server.url, *SCREENS["phone"], phone=True)
    with page.expect_file_chooser() as chooser:
        page.locator("#draw-picture").click()
    chooser.value.set_files(str(tmp_path / "four.jpg"))
    page.wait_for_function("document.getElementById('answer-announcer')?.textContent.endsWith('4')")
    assert page.locator("#prediction .output-class").inner_text().strip() == "4"

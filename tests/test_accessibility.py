"""Students who use a screen reader or a keyboard: axe-core (the audit browsers' own accessibility tools run)
finds no serious or critical problem on any tab, on a laptop or a phone; the answer is announced once per drawing;
the keyboard reaches every control in reading order and shows where it is."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.pages import SCREENS, SEVEN, stroke, wait_for_answer

pytestmark = pytest.mark.browser

TABS = ["draw", "train", "confusion", "dataset", "model"]
#: The levels a page must have none of: what keeps a student from using it at all, or nearly.
BLOCKING = {"serious", "critical"}


def settle(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=60_000)


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
        page.locator(f"#tab-{tab}-button").click()
        page.locator(f"#tab-{tab}").wait_for(state="visible")
        settle(page)
        found[tab] = problems(page)
    assert not any(found.values()), "\n".join(f"{tab}: {p}" for tab, ps in found.items() for p in ps)

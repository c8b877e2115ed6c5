"""A page whose Start waits behind another visitor's run reads how long it will wait, and its place in the queue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages import shot
from tests.support.chromium import STATUS_SAYS

pytestmark = pytest.mark.browser

#: True if the element ``selector`` can be seen: not faded, and not cut off by a box around it that clips.
SEEN = """(selector) => {
    const element = document.querySelector(selector);
    if (!element) return false;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    for (let up = element; up && up.id !== 'train-status'; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (parseFloat(style.opacity) < 0.9) return false;
        if (style.overflow !== 'visible' && up !== element) {
            const clip = up.getBoundingClientRect();
            if (box.top < clip.top || box.bottom > clip.bottom || box.left < clip.left || box.right > clip.right) {
                return false;
            }
        }
    }
    return true;
}"""


def test_a_waiting_page_reads_its_wait_and_its_place(open_page: Any, app_server) -> None:
    first = open_page(app_server.url, 1280, 800, ready=False)
    waiting = open_page(app_server.url, 390, 844, ready=False)
    for page in (first, waiting):
        page.get_by_role("tab", name="Train").click()
    try:
        first.locator("#epochs input").fill("3")  # it outlasts this test, which stops it
        first.locator("#start-button").click()
        first.wait_for_function(STATUS_SAYS, arg="Epoch 1 of", timeout=120_000)

        waiting.locator("#start-button").click()
        waiting.wait_for_function(STATUS_SAYS, arg="1 run ahead of yours: about ")
        waiting.wait_for_function(STATUS_SAYS, arg="queue: 1/1")
        waiting.locator("#train-status").scroll_into_view_if_needed()
        assert waiting.evaluate(SEEN, "#train-status [data-testid='markdown'] h3"), "the estimate is faded or hidden"
        assert waiting.evaluate(SEEN, "#train-status .progress-text"), "the place in the queue is cut off"
        shot(waiting, "train-queued-phone")
    finally:
        waiting.context.close()  # the waiting page leaves the queue
    first.locator("#stop-button").click()
    first.wait_for_function(STATUS_SAYS, arg="Stopped: test accuracy", timeout=120_000)
    session = first.evaluate("window.__gradio_session_hash__")
    first.context.close()
    assert app_server.sessions.wait_for(lambda s: s.run_of(session) is None and not s.runs_in_progress(), timeout=60)

"""What the browser tests share: the digits they draw, and how they wait for the page and read it.

Pages come from the ``open_page`` fixture (``conftest.py``; chromium and the stroke a mouse
draws are in :mod:`tests.support.chromium`, shared with the browser benches). Every wait is for
something on the page (an element, an attribute the page script sets), never a fixed time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.chromium import stroke, wait_for_canvas  # noqa: F401  (what every browser test uses)
from tests.support.sketches import DIGITS

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

SEVEN = DIGITS["7"][0]
EUROPEAN_ONE = DIGITS["1 (European)"][0]  # a long upstroke
ONE = [(0.42, 0.27), (0.52, 0.15), (0.52, 0.85)]  # a short flag, as MNIST's writers drew it


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


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


#: The box of the ``.legend`` under ``selector`` and of the picture it explains (the element ``picture``
#: under ``selector``, the first or the last one), with the legend's line height and the page's widths.
LEGEND = """([selector, picture, last]) => {
  const legend = document.querySelector(selector + ' .legend');
  const pictures = document.querySelectorAll(picture);
  const pic = pictures[last ? pictures.length - 1 : 0];
  const box = (e) => { if (!e) return null; const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; };
  return {legend: box(legend), picture: box(pic), text: legend ? legend.innerText : '',
          line: legend ? parseFloat(getComputedStyle(legend).lineHeight) : 0,
          width: document.documentElement.clientWidth, scrollWidth: document.scrollingElement.scrollWidth};
}"""


def check_legend(page: Any, selector: str, picture: str, below: bool, one_line: bool, gap: float = 48) -> str:
    """Assert a legend is shown within ``gap`` px of its picture (under it, or above it), fits the screen's width
    without making the page scroll sideways, and (``one_line``) takes one line. Returns its text."""
    found = page.evaluate(LEGEND, [selector, picture, below])
    legend, pic = found["legend"], found["picture"]
    assert legend and legend["height"] > 0, f"no legend shown in {selector}"
    assert pic, f"no picture {picture}"
    distance = legend["top"] - pic["bottom"] if below else pic["top"] - legend["bottom"]
    assert -1 <= distance <= gap, f"the legend of {selector} is {distance:.0f} px from its picture"
    assert 0 <= legend["left"] and legend["right"] <= found["width"], f"the legend of {selector} sticks out"
    assert found["scrollWidth"] <= found["width"], "the page scrolls sideways"
    if one_line:
        assert legend["height"] <= 1.6 * found["line"], f"the legend of {selector} takes more than one line"
    return found["text"]


def touch_stroke(page: Any, points: list[tuple[float, float]], steps: int = 8) -> list[float]:
    """Draw through ``points`` (fractions of the canvas) with one finger; the page's scroll after each move."""
    cdp = page.context.new_cdp_session(page)
    box = page.locator("#sketchpad canvas").bounding_box()

    def at(fx: float, fy: float) -> list[dict[str, float]]:
        return [{"x": box["x"] + box["width"] * fx, "y": box["y"] + box["height"] * fy, "id": 1}]

    scrolls = []
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": at(*points[0])})
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        for t in range(1, steps + 1):
            cdp.send("Input.dispatchTouchEvent",
                     {"type": "touchMove", "touchPoints": at(ax + (bx - ax) * t / steps, ay + (by - ay) * t / steps)})
            scrolls.append(page.evaluate("scrollY"))
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    return scrolls


#: The screens a class uses, as (width, height) in CSS pixels.
SCREENS = {"laptop": (1280, 800), "projector": (1920, 1080), "phone": (390, 844)}


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two boxes (``getBoundingClientRect`` values) overlap by more than a pixel."""
    return a["left"] < b["right"] - 1 and b["left"] < a["right"] - 1 and a["top"] < b["bottom"] - 1 \
        and b["top"] < a["bottom"] - 1


#: The app's tabs, in their order on the page.
TABS = ["draw", "train", "confusion", "dataset", "model"]


#: A notice shown in place of a tab's content (MNIST is not there): the tab is as ready as it will be.
_NOTICE = ("((id) => { const n = document.getElementById(id); "
           "return !!n && n.offsetParent !== null && !!n.innerText.trim(); })")
#: When each tab's content is there. Opening the Confusion, Dataset and Model tabs sends an event that fills them:
#: before it has even left, no status marks anything as working, so :func:`settle` alone could pass too early.
TAB_READY = {
    "draw": "() => !!document.querySelector('#sketchpad[data-ready] canvas')",
    "train": "() => !!document.querySelector('#train-status')",
    "confusion": f"() => /\\d/.test(document.querySelector('#confusion-summary')?.innerText || '') "
                 f"|| {_NOTICE}('confusion-unavailable')",
    "dataset": f"() => !!document.querySelector('#dataset-gallery img') || {_NOTICE}('dataset-unavailable')",
    "model": "() => !!document.querySelector('#model-diagram .diagram-box')",
}


def open_tab(page: Any, tab: str) -> None:
    """Open a tab by its place (its name is in the page's language; Gradio gives tab buttons ids only lazily), and
    wait until its content is there (:data:`TAB_READY`)."""
    button = page.get_by_role("tab").nth(TABS.index(tab))
    button.click()
    page.wait_for_function("(b) => b.getAttribute('aria-selected') === 'true'", arg=button.element_handle())
    page.wait_for_function(TAB_READY[tab], timeout=60_000)


def settle(page: Any) -> None:
    """Wait until no event of this page is still working: Gradio lays a status over each output while its event
    runs (``.wrap.generating``, ``.wrap.translucent``; ``.hide`` once done) and marks queued ones ``.pending``."""
    working = ".wrap.generating:not(.hide), .wrap.translucent:not(.hide), .pending"
    page.wait_for_function("(working) => !document.querySelector(working)", arg=working, timeout=60_000)


#: The page's own load events (by ``fn_index``), as its config lists them: a page may still be sending them once
#: the canvas takes strokes.
LOAD_EVENTS = """() => window.gradio_config.dependencies
    .filter((event) => event.targets.some(([, name]) => name === 'load')).map((event) => event.id)"""


def events_sent(page: Any, joins: list[Any]) -> list[int]:
    """The ``fn_index`` of every event among ``joins`` (requests to ``/queue/join``) that the page's load did not
    send: what the visitor's own actions cost the server."""
    on_load = set(page.evaluate(LOAD_EVENTS))
    return [i for i in (r.post_data_json["fn_index"] for r in joins) if i not in on_load]

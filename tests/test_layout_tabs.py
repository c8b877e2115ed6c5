"""The Confusion matrix, Dataset and Model tabs show everything, whole, on a laptop, a projector and a phone.

Found in front of a class: on a phone the heatmap's four-digit diagonal lost a digit, the
"Row-normalised" box was cut off, gallery captions hid the digits and the model diagram's
text overlapped; the dataset grid hid its fifth row inside a scrolling gallery; on a
projector the cell and diagram text stayed 11 to 13 px. At 1280 x 800, 1920 x 1080 and
390 x 844 this opens each tab and checks, from the boxes the browser laid out, that no text
leaves its cell, box or screen, and that nothing scrolls sideways. Screenshots go to
``test-artifacts/layout-tabs-*.png``.

At each size, a click (a tap on a phone) on a heatmap cell must open that cell's images.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages import ARTIFACTS, SCREENS, check_legend, open_tab, overlap, wait_for_images

pytestmark = pytest.mark.browser

#: Smallest type of a heatmap number or a diagram box on a projector, in CSS pixels.
PROJECTOR_MIN_PX = 18

#: Each heatmap number's box against its plot and its cell, and the plot's width.
HEATMAP = """() => {
  const plot = document.querySelector('#confusion-heatmap .nsewdrag').getBoundingClientRect();
  const cell = plot.width / 10;
  return {plot: {left: plot.left, right: plot.right, top: plot.top, bottom: plot.bottom}, cell,
          texts: Array.from(document.querySelectorAll('#confusion-heatmap .heatmaplayer text')).map((t) => {
            const r = t.getBoundingClientRect();
            return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                    width: r.width, size: parseFloat(getComputedStyle(t).fontSize)};
          })};
}"""

#: Every figure of the dataset grid: its picture's and its caption's boxes.
DATASET = """() => Array.from(document.querySelectorAll('#dataset-gallery figure')).map((f) => {
  const img = f.querySelector('img').getBoundingClientRect(), cap = f.querySelector('figcaption');
  const c = cap.getBoundingClientRect();
  return {caption: cap.textContent, img: {top: img.top, bottom: img.bottom, left: img.left, right: img.right,
          width: img.width}, cap: {top: c.top, bottom: c.bottom, left: c.left, right: c.right},
          loaded: f.querySelector('img').naturalWidth > 0};
})"""

#: Every gallery thumbnail of the Confusion tab: its picture's bottom, its caption's top, and whether
#: its gallery's label (which Gradio floats over the first row) covers it.
THUMBNAILS = """() => Array.from(
  document.querySelectorAll('#cell-gallery .thumbnail-lg, #mistakes-gallery .thumbnail-lg')).map((b) => {
    const img = b.querySelector('img').getBoundingClientRect();
    const label = b.closest('#cell-gallery, #mistakes-gallery').querySelector('[data-testid="block-label"]');
    const l = label?.getBoundingClientRect();
    const covered = !!l && l.width > 0 && l.left < img.right && img.left < l.right && l.top < img.bottom
      && img.top < l.bottom;
    return {img: img.bottom, cap: b.querySelector('.caption-label')?.getBoundingClientRect().top ?? null, covered};
  })"""

#: Every box of the model diagram, with whether its text overflows it.
DIAGRAM = """() => Array.from(document.querySelectorAll('#model-diagram .diagram-box')).map((b) => {
  const r = b.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, overflows: b.scrollWidth > b.clientWidth + 1,
          size: parseFloat(getComputedStyle(b).fontSize)};
})"""

#: The screen's size and the page's width. On a phone ``innerWidth`` grows with a too-wide page (the
#: browser zooms out to show it), so the screen's width is the root element's ``clientWidth``.
PAGE = """() => ({width: document.documentElement.clientWidth, height: innerHeight,
                 scrollWidth: document.scrollingElement.scrollWidth})"""


def no_sideways_scroll(page: Any, where: str) -> dict[str, Any]:
    screen = page.evaluate(PAGE)
    assert screen["scrollWidth"] <= screen["width"], f"the page scrolls sideways on the {where}"
    return screen


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest, open_page: Any, app_server) -> tuple[str, Any]:
    return request.param, open_page(app_server.url, *SCREENS[request.param], phone=request.param == "phone",
                                    timeout=60_000)


def test_confusion_dataset_and_model_tabs_show_everything_whole(screen: tuple[str, Any]) -> None:
    name, page = screen
    ARTIFACTS.mkdir(exist_ok=True)

    open_tab(page, "confusion")
    page.wait_for_function("() => /correct/.test(document.querySelector('#confusion-summary').innerText)"
                           " && document.querySelectorAll('#confusion-heatmap .heatmaplayer text').length >= 10",
                           timeout=120_000)
    page.locator("#mistakes-gallery").scroll_into_view_if_needed()  # its pictures load when in view
    wait_for_images(page, "#mistakes-gallery img", 6)
    page.evaluate("scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"layout-tabs-confusion-{name}.png"), full_page=True)
    heat = page.evaluate(HEATMAP)
    assert any(len(t["text"]) == 4 for t in heat["texts"]), "no four-digit count on the diagonal"
    for t in heat["texts"]:
        assert t["width"] <= heat["cell"], f"{t['text']!r} is wider than its cell at {name}"
        assert heat["plot"]["left"] <= t["left"] and t["right"] <= heat["plot"]["right"] \
            and heat["plot"]["top"] <= t["top"] and t["bottom"] <= heat["plot"]["bottom"], \
            f"{t['text']!r} leaves the plot at {name}"
        if name == "projector":
            assert t["size"] >= PROJECTOR_MIN_PX, f"cell text is {t['size']} px on a projector"
    normalise = page.evaluate("""() => { const l = document.querySelector('#normalise label');
        const r = l.getBoundingClientRect(); return {right: r.right, cut: l.scrollWidth > l.clientWidth + 1}; }""")
    assert not normalise["cut"], f"the Row-normalised label is cut at {name}"
    assert normalise["right"] <= SCREENS[name][0], f"the Row-normalised box sticks out at {name}"
    thumbs = page.evaluate(THUMBNAILS)
    assert thumbs and all(t["cap"] is not None and t["cap"] >= t["img"] - 1 for t in thumbs), \
        f"a gallery caption covers its picture at {name}"
    assert not any(t["covered"] for t in thumbs), f"a gallery's label covers its pictures at {name}"
    # The heatmap's legend is just above it, one line on a laptop or projector; the selected image's
    # saliency overlays have theirs under them.
    wide = name != "phone"
    assert "dark blue" in check_legend(page, "#confusion-legend", "#confusion-heatmap", below=False, one_line=wide)
    wait_for_images(page, "#selected-saliency img", 2)
    page.locator("#selected-saliency").scroll_into_view_if_needed()
    check_legend(page, "#selected-saliency", "#selected-saliency figure", below=True, one_line=wide)
    page.evaluate("scrollTo(0, 0)")
    no_sideways_scroll(page, f"Confusion tab at {name}")

    open_tab(page, "dataset")
    wait_for_images(page, "#dataset-gallery img", 25)
    page.screenshot(path=str(ARTIFACTS / f"layout-tabs-dataset-{name}.png"), full_page=True)
    figures = page.evaluate(DATASET)
    shown = no_sideways_scroll(page, f"Dataset tab at {name}")
    assert len(figures) == 25 and all(f["loaded"] for f in figures)
    for f in figures:
        assert f["caption"].startswith("label "), f["caption"]
        assert f["cap"]["top"] >= f["img"]["bottom"] - 1, f"a caption covers its digit at {name}"
        assert f["img"]["width"] >= 48 and f["img"]["right"] <= shown["width"], f"a digit is cut or tiny at {name}"
    if name != "phone":  # a laptop and a projector show all five rows without scrolling
        assert max(f["cap"]["bottom"] for f in figures) <= shown["height"], f"the fifth row is below the fold at {name}"

    open_tab(page, "model")
    page.wait_for_selector("#model-diagram .diagram-box")
    page.screenshot(path=str(ARTIFACTS / f"layout-tabs-model-{name}.png"), full_page=True)
    boxes = page.evaluate(DIAGRAM)
    shown = no_sideways_scroll(page, f"Model tab at {name}")
    assert len(boxes) >= 5
    for i, box in enumerate(boxes):
        assert not box["overflows"] and box["right"] <= shown["width"], f"diagram box {i} is cut at {name}"
        assert not any(overlap(box, other) for other in boxes[i + 1:]), f"diagram boxes overlap at {name}"
        if name == "projector":
            assert box["size"] >= PROJECTOR_MIN_PX, f"diagram text is {box['size']} px on a projector"


#: The cell a test clicks: the off-diagonal cell with the most images that the dropdowns are not on,
#: read from the chart the page drew (rows: true digit, columns: predicted), with its count.
OTHER_MISTAKE = """() => {
  const text = document.querySelector('#confusion-heatmap .js-plotly-plot').data[0].text;
  const now = [document.querySelector('#true-digit input').value,
               document.querySelector('#predicted-digit input').value].join();
  let best = null;
  for (let t = 0; t < 10; t++) for (let p = 0; p < 10; p++) {
    const n = Number(text[t][p] || 0);
    if (t !== p && n > 0 && [t, p].join() !== now && (!best || n > best.count)) best = {t, p, count: n};
  }
  return best;
}"""


def test_clicking_a_heatmap_cell_shows_its_images(screen: tuple[str, Any]) -> None:
    """A click (a tap on a phone) on an off-diagonal cell sets both dropdowns to it and shows its images."""
    from demo.tabs.confusion import MAX_GALLERY

    name, page = screen
    open_tab(page, "confusion")
    page.wait_for_function("() => /correct/.test(document.querySelector('#confusion-summary').innerText)",
                           timeout=120_000)
    page.wait_for_selector("#confusion-heatmap .js-plotly-plot[data-cell-picker]")  # the click is hooked
    page.locator("#cell-gallery").scroll_into_view_if_needed()  # its pictures load when in view
    wait_for_images(page, "#cell-gallery img", 1)
    before = page.evaluate("() => Array.from(document.querySelectorAll('#cell-gallery img')).map((i) => i.src)")
    cell = page.evaluate(OTHER_MISTAKE)
    assert cell, "the model makes no mistake outside the cell the dropdowns start on"
    area = page.locator("#confusion-heatmap .nsewdrag")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    x = box["x"] + (cell["p"] + 0.5) * box["width"] / 10
    y = box["y"] + (cell["t"] + 0.5) * box["height"] / 10  # true digits run top to bottom
    if name == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    page.wait_for_function(f"""() => document.querySelector('#true-digit input').value === '{cell["t"]}'
        && document.querySelector('#predicted-digit input').value === '{cell["p"]}'""")
    page.locator("#cell-gallery").scroll_into_view_if_needed()
    # The cell's own images: as many as the chart says, none of them one shown before the click, and
    # the first row loaded (the gallery scrolls inside, and loads its pictures lazily).
    page.wait_for_function("""([old, shown]) => {
        const imgs = Array.from(document.querySelectorAll('#cell-gallery img'));
        return imgs.length === shown && imgs.every((i) => !old.includes(i.src))
            && imgs.slice(0, 3).every((i) => i.complete && i.naturalWidth > 0);
    }""", arg=[before, min(cell["count"], MAX_GALLERY)])
    page.screenshot(path=str(ARTIFACTS / f"confusion-click-{name}.png"), full_page=True)

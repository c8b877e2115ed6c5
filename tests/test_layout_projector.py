"""What a class sees on a projector (1920 x 1080), a laptop (1280 x 800) and a phone (390 x 844): nothing
stretched, covered, cut or too small.

Found in front of a class: a confusion-matrix cell of one or two images stretched each 28 x 28 digit to
1,200-1,800 px; the model lists cut their text under the arrow; the every-model chips and "Read wrong? It
is a" were 12.8 and 13.6 px on a projector; on a phone the model's-input picture lay over the probability
bars and plotly's toolbar over the charts' titles and legend; before a run the training chart showed an
empty log axis. Each test measures what the browser laid out; screenshots go to
``test-artifacts/layout-projector-*.png``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages import ARTIFACTS, SCREENS, SEVEN, overlap, stroke, touch_stroke, wait_for_answer, wait_for_images
from tests.test_layout_tabs import open_tab

pytestmark = pytest.mark.browser

#: Smallest type, in CSS pixels, of what carries the lesson on a projector.
PROJECTOR_TEXT_PX = 16
#: Widest a thumbnail of a confusion cell may be, in CSS pixels (its picture is 112 px).
MAX_THUMBNAIL_PX = 200


def opened(open_page: Any, url: str, name: str) -> Any:
    return open_page(url, *SCREENS[name], phone=name == "phone", timeout=60_000)


def draw_seven(page: Any, name: str) -> None:
    (touch_stroke if name == "phone" else stroke)(page, SEVEN)
    assert wait_for_answer(page) == "7"


# --- The Confusion tab: a cell's thumbnails ------------------------------------------------------------------

#: A cell (rows: true digit, columns: predicted) off the diagonal holding exactly ``n`` images, or, for ``n`` of
#: 8 or more, the smallest such cell holding at least ``n``: read from the chart the page drew.
CELL_OF = """(n) => {
  const text = document.querySelector('#confusion-heatmap .js-plotly-plot').data[0].text;
  let best = null;
  for (let t = 0; t < 10; t++) for (let p = 0; p < 10; p++) {
    const count = Number(text[t][p] || 0);
    if (t !== p && (n < 8 ? count === n : count >= n) && (!best || count < best.count)) best = {t, p, count};
  }
  return best;
}"""

#: The rendered width of every thumbnail picture of the cell's gallery.
THUMBNAIL_WIDTHS = """() => Array.from(document.querySelectorAll('#cell-gallery .thumbnail-item img'))
  .map((img) => img.getBoundingClientRect().width)"""


def open_cell(page: Any, cell: dict[str, int]) -> list[float]:
    """Click ``cell`` of the heatmap; the widths of its thumbnails once all are shown."""
    area = page.locator("#confusion-heatmap .nsewdrag")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.click(box["x"] + (cell["p"] + 0.5) * box["width"] / 10,
                     box["y"] + (cell["t"] + 0.5) * box["height"] / 10)  # true digits run top to bottom
    page.wait_for_function(f"""() => document.querySelector('#true-digit input').value === '{cell["t"]}'
        && document.querySelector('#predicted-digit input').value === '{cell["p"]}'""")
    page.wait_for_function(f"() => document.querySelectorAll('#cell-gallery .thumbnail-item img').length === "
                           f"{min(cell['count'], 60)}")
    page.locator("#cell-gallery").scroll_into_view_if_needed()
    wait_for_images(page, "#cell-gallery .thumbnail-item img", 1)
    return page.evaluate(THUMBNAIL_WIDTHS)


@pytest.mark.parametrize("name", ["laptop", "projector"])
def test_a_cells_thumbnails_keep_one_size_whatever_their_number(open_page: Any, app_server, name: str) -> None:
    """One image, two, or eight and more: every thumbnail as wide as the others, and a thumbnail's size."""
    page = opened(open_page, app_server.url, name)
    open_tab(page, "confusion")
    page.wait_for_function("() => /correct/.test(document.querySelector('#confusion-summary').innerText)",
                           timeout=120_000)
    page.wait_for_selector("#confusion-heatmap .js-plotly-plot[data-cell-picker]")
    cells = {n: page.evaluate(CELL_OF, n) for n in (1, 2, 8)}
    assert all(cells.values()), f"the model has no cell of one, two and eight or more mistakes: {cells}"
    widths = {}
    for n, cell in cells.items():
        widths[n] = open_cell(page, cell)
        page.locator("#cell-gallery").screenshot(path=str(ARTIFACTS / f"layout-projector-cell{n}-{name}.png"))
    reference = widths[8][0]
    assert reference <= MAX_THUMBNAIL_PX, f"thumbnails of a full cell are {reference:.0f} px at {name}"
    for n, shown in widths.items():
        for width in shown:
            assert abs(width - reference) <= 3, (f"a cell of {cells[n]['count']} shows {width:.0f} px thumbnails, "
                                                 f"a cell of {cells[8]['count']} {reference:.0f} px, at {name}")


# --- Pickers --------------------------------------------------------------------------------------------------

#: Every visible dropdown: its choice, the text shown, and whether that text lies whole left of the arrow. What
#: shows the text is the input itself, or the element the page lays under it when the input's text is transparent.
PICKERS = """() => Array.from(document.querySelectorAll('input[role="combobox"]')).filter((i) => i.offsetParent)
  .map((input) => {
    const arrow = input.closest('.wrap').querySelector('.icon-wrap').getBoundingClientRect();
    const style = getComputedStyle(input);
    const copy = input.parentElement.querySelector('.picker-text');
    let shown, right;
    if (copy && style.color === 'rgba(0, 0, 0, 0)') {
      shown = copy.textContent;
      const range = document.createRange();
      range.selectNodeContents(copy);
      right = Math.max(...Array.from(range.getClientRects()).map((r) => r.right));
      if (copy.scrollWidth > copy.clientWidth + 1) right = Infinity;
    } else {
      shown = input.value;
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const box = input.getBoundingClientRect();
      right = box.left + parseFloat(style.paddingLeft) + ctx.measureText(input.value).width;
      if (input.scrollWidth > input.clientWidth + 1) right = Infinity;
    }
    return {id: input.closest('.block').id, value: input.value, shown, right, arrow: arrow.left};
  })"""


@pytest.mark.parametrize("name", list(SCREENS))
def test_no_picker_hides_its_text(open_page: Any, app_server, name: str) -> None:
    """Every dropdown of the Draw, Train, Confusion and Model tabs shows its whole choice, none of it under the
    arrow, and still opens and chooses."""
    page = opened(open_page, app_server.url, name)
    seen = []
    for tab in ("draw", "train", "confusion", "model"):
        if tab != "draw":
            open_tab(page, tab)
        page.wait_for_function("(tab) => Array.from(document.querySelectorAll('input[role=\"combobox\"]'))"
                               ".some((i) => i.offsetParent && i.value)", arg=tab)
        for picker in page.evaluate(PICKERS):
            seen.append(picker["id"])
            assert picker["shown"] == picker["value"], f"{picker['id']} shows {picker['shown']!r} at {name}"
            assert picker["right"] <= picker["arrow"] + 1, \
                f"{picker['id']} hides the end of {picker['value']!r} under its arrow at {name}"
    assert {"draw-model", "train-model", "confusion-model", "layers-model"} <= set(seen), seen
    # The model list still opens on a tap and chooses; what it shows follows.
    open_tab(page, "model")
    picker = page.locator("#layers-model input")
    box = picker.bounding_box()
    (page.touchscreen.tap if name == "phone" else page.mouse.click)(box["x"] + 20, box["y"] + box["height"] / 2)
    option = page.locator('[role="option"]').last
    choice = option.inner_text().strip().lstrip("✓").strip()
    option.click()
    page.wait_for_function("(choice) => document.querySelector('#layers-model input').value === choice", arg=choice)
    page.mouse.click(1, 1)
    assert all(p["right"] <= p["arrow"] + 1 for p in page.evaluate(PICKERS) if p["id"] == "layers-model")
    page.screenshot(path=str(ARTIFACTS / f"layout-projector-pickers-{name}.png"))


# --- The Draw tab: chips, prompt, probabilities and the model's input -----------------------------------------

#: The font size of every piece of text in the chips' row and in the correction prompt.
TEXT_SIZES = """() => {
  const sizes = [];
  for (const root of document.querySelectorAll('#readings .readings, #correct-row .correct-prompt')) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.textContent.trim()) sizes.push({text: n.textContent.trim(),
                                            px: parseFloat(getComputedStyle(n.parentElement).fontSize)});
    }
  }
  return sizes;
}"""


def test_the_every_model_chips_and_the_correction_prompt_read_from_the_back_on_a_projector(
        open_page: Any, app_server) -> None:
    page = opened(open_page, app_server.url, "projector")
    draw_seven(page, "projector")
    page.wait_for_selector("#readings .reading-chip")
    sizes = page.evaluate(TEXT_SIZES)
    assert any(s["text"].startswith("Read wrong?") for s in sizes) and len(sizes) >= 4, sizes
    small = [s for s in sizes if s["px"] < PROJECTOR_TEXT_PX]
    assert not small, f"text under {PROJECTOR_TEXT_PX} px on a projector: {small}"
    page.locator("#readings").screenshot(path=str(ARTIFACTS / "layout-projector-chips.png"))


#: The boxes of the probability chart's block, its ten digit labels, the model's-input block, its caption
#: and its picture, and what lies on top at the picture's top edge.
DRAW_PICTURES = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; };
  const picture = document.querySelector('.model-input img');
  const p = picture.getBoundingClientRect();
  const onTop = [0.1, 0.5, 0.9].map((f) => document.elementFromPoint(p.left + f * p.width, p.top + 3) === picture);
  return {bars: box(document.querySelector('#probabilities')),
          chart: box(document.querySelector('#probabilities .prob-chart')),
          digits: Array.from(document.querySelectorAll('#probabilities .prob-digit')).map((d) => ({
            text: d.textContent, ...box(d)})),
          input: box(document.querySelector('#model-input')),
          caption: box(document.querySelector('.model-input figcaption')), picture: box(picture), onTop};
}"""


@pytest.mark.parametrize("name", list(SCREENS))
def test_the_probabilities_and_the_models_input_overlap_nothing(open_page: Any, app_server, name: str) -> None:
    """All ten digits labelled, each apart; the caption above the model's input, nothing over its picture, and
    the picture beside or under the bars, not over them."""
    page = opened(open_page, app_server.url, name)
    draw_seven(page, name)
    page.locator("#model-input img").scroll_into_view_if_needed()
    found = page.evaluate(DRAW_PICTURES)
    page.screenshot(path=str(ARTIFACTS / f"layout-projector-draw-{name}.png"))
    digits = found["digits"]
    assert [d["text"] for d in digits] == [str(d) for d in range(10)]
    assert all(d["width"] > 0 for d in digits)
    assert all(a["right"] <= b["left"] + 1 for a, b in zip(digits, digits[1:], strict=False)), \
        f"digit labels overlap at {name}"
    assert found["chart"]["right"] <= found["bars"]["right"] + 1, f"the bars are wider than their block at {name}"
    assert not overlap(found["bars"], found["input"]), f"the model's input lies over the bars at {name}"
    assert found["caption"]["bottom"] <= found["picture"]["top"] + 1, f"the caption covers the picture at {name}"
    assert all(found["onTop"]), f"something covers the top of the model's input at {name}"


# --- Charts ---------------------------------------------------------------------------------------------------

#: Whether plotly's toolbar of the chart under the selector shows: laid out with a size, and not see-through.
TOOLBAR_SHOWN = """(selector) => {
  const bar = document.querySelector(selector + ' .modebar');
  if (!bar) return false;
  const r = bar.getBoundingClientRect();
  let opacity = 1;
  for (let e = bar; e && e !== document.body; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
  return r.width > 0 && r.height > 0 && opacity > 0.05;
}"""


def test_on_a_phone_no_plotly_toolbar_covers_a_chart_and_the_empty_train_chart_has_no_axes(
        open_page: Any, app_server) -> None:
    page = opened(open_page, app_server.url, "phone")
    open_tab(page, "train")
    chart = page.locator("#train-chart .js-plotly-plot")
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # plotly shows its bar on a tap
    page.screenshot(path=str(ARTIFACTS / "layout-projector-train-phone.png"))
    assert not page.evaluate(TOOLBAR_SHOWN, "#train-chart"), "plotly's toolbar shows on a phone"
    ticks = page.evaluate("() => document.querySelectorAll('#train-chart .xtick, #train-chart .ytick').length")
    assert ticks == 0, "the training chart shows empty axes before a run"
    assert "as it learns" in chart.evaluate("(e) => e.textContent")
    open_tab(page, "confusion")
    page.wait_for_selector("#confusion-heatmap .js-plotly-plot .heatmaplayer")
    assert not page.evaluate(TOOLBAR_SHOWN, "#confusion-heatmap"), "plotly's toolbar shows on a phone"

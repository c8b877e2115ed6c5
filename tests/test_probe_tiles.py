"""The Train tab's probe strip (demo.views.pictures.probe_strip_html): a digit read right but barely sure is not shown
as a plain success."""

from __future__ import annotations

import re

import numpy as np

from demo.views.pictures import RIGHT_COLOUR, UNSURE_COLOUR, WRONG_COLOUR, probe_strip_html, probes_legend
from mnist_core.predict import CONFIDENT


def _tiles(strip: str) -> list[tuple[str, str, str]]:
    """(class, corner mark, caption) of each tile."""
    return re.findall(r'<figure class="probe ([\w-]+)">(?:<span class="probe-mark">(.)</span>)?.*?'
                      r"<figcaption>([^<]*)</figcaption>", strip)


def test_a_right_answer_that_is_barely_sure_is_amber_and_says_not_sure() -> None:
    probabilities = np.full((3, 10), 0.0)
    probabilities[0, 3] = 0.40  # a 3, read 3 at 40%: right, but barely sure
    probabilities[0, 8] = 0.35
    probabilities[0, [0, 1, 2, 4, 5, 6, 7, 9]] = 0.25 / 8
    probabilities[1, 5] = 0.99  # a 5 read 5, sure
    probabilities[1, 6] = 0.01
    probabilities[2, 2] = 0.6  # a 7 read 2: wrong, however unsure
    probabilities[2, 7] = 0.4
    strip = probe_strip_html(np.zeros((3, 28, 28), np.uint8), [3, 5, 7], probabilities)
    assert _tiles(strip) == [("probe-unsure", "?", "3 · 40%"), ("probe-right", "✓", "5 · 99%"),
                             ("probe-wrong", "✗", "2 · 60%")]
    assert len({RIGHT_COLOUR, UNSURE_COLOUR, WRONG_COLOUR}) == 3
    legend = probes_legend()
    assert UNSURE_COLOUR in legend and "not sure" in legend  # the legend explains the amber frame
    # At the threshold the app calls sure, the tile is a plain success.
    probabilities[0, 3], probabilities[0, 8] = CONFIDENT, 0.35 - (CONFIDENT - 0.40)
    assert _tiles(probe_strip_html(np.zeros((3, 28, 28), np.uint8), [3, 5, 7], probabilities))[0][0] == "probe-right"

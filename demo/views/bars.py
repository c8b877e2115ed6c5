"""The ten probabilities as a bar chart in plain HTML: one bar per digit, the winner highlighted.

Not a plotly figure: the Draw tab updates this after every stroke of every visitor, and
building, serialising and sending a plotly figure cost the server about 5 ms of CPU and the
page a plotly redraw each time, where this is a few hundred bytes of HTML and no script.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from demo.server.language import N_, _, percent
from demo.views.assets import asset
from demo.views.charts import SMOOTH_COLOR

#: The heading above the bars (the chart is its own label: no Gradio label to overlap it).
TITLE = N_("All ten probabilities")
#: A bar's text is left out below this probability (the bar itself still shows).
SHOWN_FROM = 0.01


def probability_bars_html(probabilities: Sequence[float] | np.ndarray | None, title: str | None = None) -> str:
    """Ten bars for the (10,) ``probabilities`` (``None``: nothing drawn yet, empty bars), under ``title`` (in the
    visitor's language already; none: :data:`TITLE`, translated here).

    Each bar is a list item that screen readers read as "3: 97%", and the winner is bold as
    well as coloured, so the answer does not rest on colour alone.
    """
    probs = np.zeros(10) if probabilities is None else np.asarray(probabilities, dtype=float).reshape(10)
    best = int(probs.argmax()) if probabilities is not None else -1
    bars = []
    for digit, p in enumerate(probs):
        shown = percent(p, digits=0)
        text = shown if p >= SHOWN_FROM else ""
        css = "prob-bar prob-best" if digit == best else "prob-bar"
        bars.append(f'<li class="{css}" aria-label="{digit}: {shown}"><span class="prob-value">{text}</span>'
                    f'<span class="prob-fill" style="height: {p * 100:.1f}%"></span>'
                    f'<span class="prob-digit">{digit}</span></li>')
    return (f'<div class="prob-chart"><div class="prob-title">{html.escape(_(TITLE) if title is None else title)}</div>'
            f'<ol class="prob-bars">{"".join(bars)}</ol></div>')


CSS = asset("bars.css", SMOOTH_COLOR=SMOOTH_COLOR)

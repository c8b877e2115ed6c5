"""The plotly figures: the live training chart and the confusion heatmap.

(The ten probabilities are plain HTML bars, in :mod:`demo.views.bars`: they change with every stroke.)

(The model diagram is HTML, in :mod:`demo.views.diagram`, so its boxes wrap to the screen.)

Figures are rebuilt whole on each update (that is what ``gr.Plot`` takes), so every figure
here is kept small: the training chart holds a bounded number of points however long
the run (:class:`TrainingCurve` thins the raw loss as it grows), and all figures fix
their ranges and set ``uirevision`` so an update redraws in place rather than jumping.
"""

from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from demo.server.language import N_, _, percent, plotly_separators
from demo.views.assets import asset
from demo.views.pictures import legend_bar, legend_html

FONT = {"size": 16}
#: Largest type of a confusion cell's number (it shrinks to fit narrower cells).
CELL_FONT_MAX = 28
LOSS_COLOR = "#9db4d6"
SMOOTH_COLOR = "#1f4fd8"
ACC_COLOR = "#d9480f"
#: The confusion heatmap's colours (plotly's name), pale for few images, dark for many.
CONFUSION_COLOURSCALE = "Blues"


class TrainingCurve:
    """The points of a run's chart: raw loss (thinned), its moving average, and test accuracy per epoch.

    Raw loss is kept at most ``max_points`` long: when full, every other point is dropped
    and from then on only every ``stride``-th point is recorded, so memory, payload and
    drawing time stay bounded whether the run has 100 steps or 100,000. The smoothed line
    is an exponential moving average of *every* step (bias-corrected), so it stays exact
    even though the raw points are thinned.
    """

    def __init__(self, steps_per_epoch: int = 1, epochs: int = 1, max_points: int = 400,
                 smoothing: float = 0.95) -> None:
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.epochs = max(1, epochs)
        self.max_points = max_points
        self.smoothing = smoothing
        self.stride = 1
        self._seen = 0
        self._ema = 0.0
        self._ema_weight = 0.0
        self.raw_x: list[float] = []
        self.raw_y: list[float] = []
        self.smooth_x: list[float] = []
        self.smooth_y: list[float] = []
        self.acc_x: list[float] = []
        self.acc_y: list[float] = []

    def add_loss(self, global_step: int, loss: float) -> None:
        """Record the loss reported at ``global_step`` (1-based)."""
        self._ema = self.smoothing * self._ema + (1 - self.smoothing) * loss
        self._ema_weight = self.smoothing * self._ema_weight + (1 - self.smoothing)
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        x = global_step / self.steps_per_epoch
        self.raw_x.append(x)
        self.raw_y.append(loss)
        self.smooth_x.append(x)
        self.smooth_y.append(self._ema / self._ema_weight)
        if len(self.raw_x) >= self.max_points:
            for series in (self.raw_x, self.raw_y, self.smooth_x, self.smooth_y):
                del series[1::2]
            self.stride *= 2

    def add_accuracy(self, epoch: int, accuracy: float) -> None:
        """Record the test accuracy measured after ``epoch`` (1-based)."""
        self.acc_x.append(float(epoch))
        self.acc_y.append(accuracy)

    @property
    def points(self) -> int:
        """How many points the chart would draw."""
        return len(self.raw_x) + len(self.smooth_x) + len(self.acc_x)


#: What the training chart says before its first point, where an empty log axis (0.1 to 10k) said nothing;
#: two short lines, as plotly does not wrap text and a phone's chart is about 300 px wide.
# TRANSLATORS: on an empty chart; keep "loss" in English. Two short lines (<br> between), about 30 characters each.
EMPTY_TRAINING_NOTE = N_("The model's loss and accuracy<br>are drawn here as it learns.")
#: The training chart's height, the same empty or full, so the page does not jump when the first point comes.
TRAINING_HEIGHT = 460


def empty_training_figure() -> go.Figure:
    """The training chart before it has a point: no axes, no legend, one line saying what will be drawn (in the
    visitor's language: build it in an event, not when the page is built)."""
    fig = go.Figure()
    hidden = {"visible": False, "fixedrange": True}
    fig.update_layout(font=FONT, height=TRAINING_HEIGHT, margin={"l": 20, "r": 20, "t": 20, "b": 20},
                      uirevision="training", plot_bgcolor="white", xaxis=hidden, yaxis=hidden,
                      annotations=[{"text": _(EMPTY_TRAINING_NOTE), "xref": "paper", "yref": "paper", "x": 0.5,
                                    "y": 0.5, "showarrow": False, "font": {"size": 16, "color": "#666"}}])
    return fig


def training_figure(curve: TrainingCurve) -> go.Figure:
    """Loss (raw and smoothed, left axis, log scale) and test accuracy (right axis) against epochs; before the
    first point, :func:`empty_training_figure`."""
    if not curve.points:
        return empty_training_figure()
    fig = go.Figure()
    # TRANSLATORS: the training chart's legend; keep "loss" in English (it is the line of how wrong the model is).
    fig.add_trace(go.Scatter(x=curve.raw_x, y=curve.raw_y, mode="lines", name=_("loss (each step)"),
                               line={"color": LOSS_COLOR, "width": 1}))
    # TRANSLATORS: the training chart's legend; keep "loss" in English.
    fig.add_trace(go.Scatter(x=curve.smooth_x, y=curve.smooth_y, mode="lines", name=_("loss (smoothed)"),
                               line={"color": SMOOTH_COLOR, "width": 3}))
    fig.add_trace(go.Scatter(x=curve.acc_x, y=curve.acc_y, mode="lines+markers+text", name=_("test accuracy"),
                             yaxis="y2", line={"color": ACC_COLOR, "width": 3}, marker={"size": 11},
                             text=[percent(a, 2) for a in curve.acc_y], textposition="top left",
                             textfont={"color": ACC_COLOR, "size": 15}))
    low = min(curve.acc_y) if curve.acc_y else 0.9
    acc_floor = max(0.0, min(0.9, math.floor(low * 20) / 20 - 0.05))
    fig.update_layout(
        font=FONT, height=TRAINING_HEIGHT, margin={"l": 70, "r": 80, "t": 50, "b": 60},
        uirevision="training", plot_bgcolor="white", separators=plotly_separators(),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        # A little room right of the last epoch, so its accuracy marker and label are not cut off. "epoch" stays
        # English in every language, as "loss" does inside the translated titles (the Train tab glosses both).
        xaxis={"title": "epoch", "range": [0, curve.epochs * 1.08], "gridcolor": "#eee", "zeroline": False},
        # TRANSLATORS: the training chart's left axis; keep "loss" in English.
        yaxis={"title": {"text": _("training loss"), "font": {"color": SMOOTH_COLOR}}, "type": "log",
               "gridcolor": "#eee"},
        yaxis2={"title": {"text": _("test accuracy"), "font": {"color": ACC_COLOR}}, "overlaying": "y",
                "side": "right", "range": [acc_floor, 1.0], "showgrid": False, **percent_ticks(acc_floor)},
    )
    return fig


def percent_ticks(low: float) -> dict[str, list[float] | list[str]]:
    """Ticks from ``low`` to 100% written the language's way ("98 %", "%98"): plotly's own percent format always
    puts "%" after the number, with no space."""
    step = next(s for s in (0.02, 0.05, 0.1, 0.2) if (1.0 - low) / s <= 6)
    first = math.ceil(low / step - 1e-9) * step
    values = [round(first + i * step, 4) for i in range(int((1.0 - first) / step + 1e-9) + 1)]
    return {"tickvals": values, "ticktext": [percent(v, digits=0) for v in values]}


def confusion_figure(confusion: np.ndarray, normalise: bool = False) -> go.Figure:
    """The 10x10 heatmap, true digit down, predicted across; each cell shows its number.

    Colour follows the logarithm of the value, otherwise the ~1000-image diagonal would
    wash out the handful of mistakes per cell that are the point of the chart.

    The cells' text has no fixed size: plotly sizes it to fit the narrowest cell's longest
    number, up to the layout's font size (``CELL_FONT_MAX``): a phone gets ~11 px and a projector up
    to 28 px, where a fixed 14 px would cut "1130" to "130" on a phone and stay small on a projector.
    The axes keep the usual size.

    A click on a cell shows its images (:mod:`demo.views.heatmap_click`), so the chart does not zoom.
    """
    counts = np.asarray(confusion, dtype=float)
    if normalise:
        values = counts / np.clip(counts.sum(axis=1, keepdims=True), 1, None)
        text = [[percent(v, 1) if v >= 0.0005 else "" for v in row] for row in values]
        colour = np.log10(1 + 1000 * values)
    else:
        values = counts
        text = [[f"{int(v)}" if v else "" for v in row] for row in values]  # no thousands mark: narrow cells
        colour = np.log10(1 + values)
    digits = [str(i) for i in range(10)]
    # TRANSLATORS: shown when the pointer is over a cell of the confusion matrix: {true} and {predicted} are digits,
    # {count} the cell's number of test images (or its share of the row).
    hover = _("true {true} → predicted {predicted}: {count}<br>click to see these images", true="%{y}",
              predicted="%{x}", count="%{customdata}") + "<extra></extra>"
    fig = go.Figure(go.Heatmap(z=colour, x=digits, y=digits, text=text, texttemplate="%{text}",
                               customdata=text, hovertemplate=hover, colorscale=CONFUSION_COLOURSCALE, showscale=False,
                               xgap=2, ygap=2))
    # Fixed ranges: a cell is clicked (``demo.views.heatmap_click``), and a shaky tap must not zoom instead.
    axis = {"type": "category", "tickfont": FONT, "fixedrange": True}
    fig.update_layout(font={"size": CELL_FONT_MAX}, height=560, margin={"l": 70, "r": 20, "t": 20, "b": 60},
                      uirevision="confusion", plot_bgcolor="white", separators=plotly_separators(),
                      xaxis={**axis, "title": {"text": _("predicted digit"), "font": FONT}, "side": "bottom"},
                      yaxis={**axis, "title": {"text": _("true digit"), "font": FONT}, "autorange": "reversed"})
    return fig


def confusion_legend_html() -> str:
    """The heatmap's one-line key, shown above it (plotly's colour bar would take a tenth of a phone's width), in the
    visitor's language (so made in an event: when the page is built it can only be English).

    The bar is painted with the heatmap's own colour scale, as plotly resolves its name.
    """
    stops = [(float(position), colour) for position, colour in go.Heatmap(colorscale=CONFUSION_COLOURSCALE).colorscale]
    # TRANSLATORS: the two ends of the confusion matrix's colour key (one short line on a phone, with the next).
    return legend_html(html.escape(_("white: fewest")), legend_bar(stops),
                       html.escape(_("dark blue: most test images (log scale, so even one mistake shows)")))


#: The charts' style: no plotly toolbar over a phone's chart (added to the app's CSS).
CSS = asset("charts.css")

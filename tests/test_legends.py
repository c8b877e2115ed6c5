"""Every picture whose colours mean something carries a one-line legend painted with the picture's own colours.

Each check reads the colours off the picture a builder draws (a ramp of values from 0 to 1
through the same function) and compares them with the legend's CSS gradient at the same
place, so a colour map changed in the picture but not in its legend fails here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from demo.views.pictures import (
    CSS,
    SEQUENTIAL_PALETTE,
    feature_grid,
    feature_maps_html,
    filter_grid,
    filters_html,
    overlay,
    probe_strip_html,
    saliency_html,
)
from mnist_core.models import build_model
from mnist_core.saliency import explain

#: Values along each colour map at which picture and legend are compared.
RAMP = np.linspace(0, 1, 21, dtype=np.float32)


def legends(html: str) -> list[str]:
    """The inner HTML of each ``<div class="legend">`` in ``html`` (legends hold no nested divs)."""
    return re.findall(r'<div class="legend">(.*?)</div>', html, flags=re.S)


def gradient(legend: str) -> list[tuple[float, np.ndarray]]:
    """The (position, RGB) stops of the one colour bar in a legend."""
    found = re.findall(r"linear-gradient\(to right, (.*?)\)\"", legend)
    assert len(found) == 1, f"expected one colour bar in {legend!r}"
    stops = re.findall(r"rgb\((\d+), ?(\d+), ?(\d+)\) ([\d.]+)%", found[0])
    assert len(stops) >= 2
    return [(float(p) / 100, np.array([float(r), float(g), float(b)])) for r, g, b, p in stops]


def colour_at(stops: list[tuple[float, np.ndarray]], value: float) -> np.ndarray:
    """The colour a browser paints at ``value`` (0 to 1) of a gradient: straight lines between the stops."""
    positions = [p for p, _ in stops]
    return np.array([np.interp(value, positions, [c[i] for _, c in stops]) for i in range(3)])


def assert_same_colours(legend: str, picture_colours: np.ndarray, tolerance: float = 1.5,
                        values: np.ndarray = RAMP) -> None:
    stops = gradient(legend)
    for value, colour in zip(values, picture_colours, strict=True):
        expected = colour_at(stops, float(value))
        assert np.abs(expected - colour).max() <= tolerance, \
            f"at {value:.2f} the picture is {colour} but its legend {expected}"


@pytest.fixture(scope="module")
def explanation():
    digit = np.zeros((28, 28), np.float32)
    digit[5:23, 13:16] = 1.0
    return digit, explain(build_model("tiny-vgg"), torch.from_numpy(digit))


def test_feature_maps_legend_is_painted_with_the_maps_colours(explanation) -> None:
    _, e = explanation
    html = feature_maps_html(e)
    [legend] = legends(html)
    grid = SEQUENTIAL_PALETTE[feature_grid(RAMP.reshape(1, 1, -1))]  # one map, a ramp from weakest to strongest
    assert_same_colours(legend, grid[0].astype(float))
    assert "dark" in legend and "bright" in legend and "each map scaled on its own" in legend


def test_saliency_legend_is_painted_with_the_heat_colours(explanation) -> None:
    digit, e = explanation
    [legend] = legends(saliency_html(digit, e))
    # Over a blank input the overlay is the background (grey 20) mixed with the heat at 85 % of the saliency:
    # take the background out again to read the heat colour (rounding makes that inexact where the heat is faint).
    shown = RAMP[RAMP >= 0.25]
    picture = overlay(np.zeros((28, 28)), np.tile(shown, (28, 2))[:, :28], zoom=1)[0, :len(shown)].astype(float)
    alpha = 0.85 * shown[:, None]
    heat = (picture - 20 * (1 - alpha)) / alpha
    assert_same_colours(legend, heat, tolerance=3, values=shown)
    assert "no tint" in legend and "strongest in this picture" in legend


def test_filters_legend_is_painted_with_the_filters_colours() -> None:
    weights = (RAMP * 2 - 1).reshape(1, 1, -1)  # from -1 (the most negative) to 1 (the most positive)
    [legend] = legends(filters_html(weights, "conv1", "after epoch 1"))
    grid = filter_grid(weights)  # at native size: one pixel per weight
    assert_same_colours(legend, grid[0].astype(float))
    assert all(word in legend for word in ("blue: negative", "white between: about 0", "red: positive"))


def test_probe_strip_legend_shows_the_frames_colours_and_marks() -> None:
    probabilities = np.eye(10)[[0] * 10]
    strip = probe_strip_html(np.zeros((10, 28, 28), np.uint8), list(range(10)), probabilities)
    [legend] = legends(strip)
    frames = dict(re.findall(r"\.probe-(right|unsure|wrong) img \{ border-color: (#[0-9a-f]{6}); \}", CSS))
    assert set(frames) == {"right", "unsure", "wrong"}
    swatches = re.findall(r'class="legend-swatch"[^>]*border-color: (#[0-9a-f]{6})', legend)
    assert swatches == [frames["right"], frames["unsure"], frames["wrong"]]
    # Not colour alone: every frame says right or wrong with a mark too, and the legend says which is which.
    marks = re.findall(r'<figure class="probe probe-(right|wrong)"><span class="probe-mark">(.)</span>', strip)
    assert marks == [("right", "✓")] + [("wrong", "✗")] * 9
    assert all(w in legend for w in ("✓ green: read right", "? amber: right, but not sure", "✗ red: read wrong"))
    waiting = probe_strip_html(np.zeros((10, 28, 28), np.uint8), list(range(10)), None)
    assert "probe-mark" not in waiting and len(legends(waiting)) == 1  # before training: no verdict to mark


def painted_cells(figure) -> np.ndarray:
    """The RGB plotly.js paints each cell of a heatmap: its ``z`` placed between the figure's ``zmin`` and ``zmax``
    (by default the smallest and largest ``z``), read off the colour scale (reversed with ``reversescale``)."""
    heat = figure.data[0]
    z = np.asarray(heat.z, dtype=float)
    low = z.min() if heat.zmin is None else heat.zmin
    high = z.max() if heat.zmax is None else heat.zmax
    fraction = np.clip((z - low) / (high - low), 0, 1)
    stops = [(float(p), np.array([float(c) for c in re.findall(r"[\d.]+", colour)[:3]]))
             for p, colour in heat.colorscale]
    if heat.reversescale:
        stops = [(1 - p, c) for p, c in reversed(stops)]
    return np.array([[colour_at(stops, f) for f in row] for row in fraction])


def test_the_heatmaps_cells_are_painted_as_its_legend_says() -> None:
    """What a class sees: an empty cell is the white at the legend's left, the fullest the dark blue at its right,
    every cell a colour of the legend's bar, darker with more images, and even one mistake visibly tinted."""
    from demo.views.charts import confusion_figure, confusion_legend_html

    counts = np.eye(10) * 1000
    counts[3, 5], counts[4, 9], counts[7, 1] = 1, 5, 30
    cells = painted_cells(confusion_figure(counts))
    [legend] = legends(confusion_legend_html())
    stops = gradient(legend)
    empty, one, five, thirty, full = cells[0, 1], cells[3, 5], cells[4, 9], cells[7, 1], cells[0, 0]

    assert np.abs(colour_at(stops, 0.0) - empty).max() <= 1.5, "the legend's left end is not an empty cell's colour"
    assert np.abs(colour_at(stops, 1.0) - full).max() <= 1.5, "the legend's right end is not the fullest cell's colour"
    assert "white: fewest" in legend and empty.min() >= 235, f"an empty cell is {empty}, not white"
    assert "dark blue: most" in legend and full[2] > full[0] + 50 and full.sum() < 300, f"the fullest is {full}"
    bar = np.array([colour_at(stops, v) for v in np.linspace(0, 1, 201)])
    for colour in cells.reshape(-1, 3):
        assert np.abs(bar - colour).max(axis=1).min() <= 2, f"a cell painted {colour} is nowhere on the legend"
    darkness = [-c.sum() for c in (empty, one, five, thirty, full)]
    assert darkness == sorted(darkness) and len(set(darkness)) == 5, "more images do not paint a darker cell"
    assert np.abs(one - empty).max() >= 15, f"one mistake ({one}) hardly differs from none ({empty})"


def test_every_legend_is_one_short_line() -> None:
    from demo.views.charts import confusion_legend_html
    from demo.views.pictures import feature_maps_legend, filters_legend, probes_legend, saliency_legend

    legends = (feature_maps_legend(), filters_legend(), probes_legend(), saliency_legend(), confusion_legend_html())
    for legend in legends:
        text = re.sub(r"<[^>]+>", "", legend)
        assert len(text) <= 120, f"a legend too long for one line: {text!r}"

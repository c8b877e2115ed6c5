"""Clicking a cell of the confusion heatmap: a hidden ``gr.HTML`` that reports which cell was clicked.

Why this way: Gradio 6's ``gr.Plot`` has no click event, but the plotly chart it draws does
(``plotly_click``). Gradio redraws the chart with ``Plotly.react`` on the same ``<div>``, which
keeps listeners, so the script below hooks each plot ``<div>`` once (marking it
``data-cell-picker``, a signal tests wait for) and hooks again only if Gradio mounts a new one.
A click sets this component's value to ``{"seq": n, "true": t, "predicted": p}``, which
fires its ``change`` event with the cell in the request itself; ``seq`` counts the clicks,
so clicking the same cell again (after the dropdowns moved away) still fires.

Keeping the plotly chart (rather than drawing the matrix in HTML) keeps what it already
guarantees: numbers sized to fit their cells on any screen, the log colour scale, the hover text.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from demo.server.inputs import refuse
from demo.views.assets import asset
from mnist_core.data import NUM_CLASSES

#: The page's style: a heatmap cell looks clickable.
CSS = asset("heatmap_click.css")


def _digit(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < NUM_CLASSES


class CellPicker(gr.HTML):
    """Hidden; its value is the (true, predicted) cell last clicked on the plot ``plot_selector``.

    What a request sends is checked: anything but two digits 0-9 gets a short message.
    """

    def __init__(self, plot_selector: str, **kwargs: Any) -> None:
        super().__init__(value=None, html_template="", js_on_load=asset("heatmap_click.js", PLOT=plot_selector),
                         apply_default_css=False, visible="hidden", **kwargs)

    def preprocess(self, payload: Any) -> tuple[int, int] | None:
        if payload is None:
            return None
        if not isinstance(payload, dict):
            raise refuse(self, "expected a cell clicked on the confusion matrix")
        true, predicted = payload.get("true"), payload.get("predicted")
        if not (_digit(true) and _digit(predicted)):
            raise refuse(self, "expected a cell of the confusion matrix (two digits 0-9)")
        return true, predicted

    def postprocess(self, value: Any) -> None:
        return None  # the page owns the click: the server never sends one back

    def example_payload(self) -> Any:
        return {"seq": 1, "true": 4, "predicted": 9}

    def example_value(self) -> Any:
        return {"seq": 1, "true": 4, "predicted": 9}

    def api_info(self) -> dict[str, Any]:
        return {"type": "object", "properties": {"seq": {"type": "integer"}, "true": {"type": "integer"},
                                                 "predicted": {"type": "integer"}}}

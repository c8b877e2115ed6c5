"""Draw tab: a visitor draws a digit and sees, after every stroke, what the model reads.

All the work is ``mnist_core.predict.predict_drawing``; this module only wires the
sketchpad to it and turns its answer into the three displays (top-3 label, the ten
probabilities, the 28x28 image the model actually saw).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from demo.charts import probability_figure
from demo.context import AppContext
from demo.models_state import SessionModels, find_entry, model_choices
from mnist_core.predict import Prediction, predict_drawing
from mnist_core.preprocess import ImageInputError

PROMPT = "Draw a digit"
#: The 28x28 input is shown this many times larger, each pixel a crisp square.
ZOOM = 10
CANVAS = 560


@dataclass
class DrawTab:
    """The components other tabs need to reach (the model list is refreshed after training)."""

    model: gr.Dropdown
    sketch: gr.Sketchpad


def composite_of(sketch: Any) -> Any:
    """The flattened drawing inside a sketchpad value (a dict from the browser or gradio_client), or None."""
    if sketch is None:
        return None
    if isinstance(sketch, dict):
        return sketch.get("composite")
    return sketch


def enlarge(digit: np.ndarray) -> np.ndarray:
    """The model's 28x28 input as a uint8 picture ``ZOOM`` times larger (nearest neighbour: pixels stay visible)."""
    img = (np.clip(digit, 0, 1) * 255).astype(np.uint8)
    return np.repeat(np.repeat(img, ZOOM, axis=0), ZOOM, axis=1)


def _predict(context: AppContext, sketch: Any, key: str | None, session: SessionModels | None) -> Prediction | None:
    entry = find_entry(context.catalog, session, key)
    if entry is None:
        raise gr.Error(f"Unknown model {key!r}." if key else "No model is available yet: train one in the Train tab.")
    image = composite_of(sketch)
    if image is None:
        return None
    try:
        return predict_drawing(entry.model, image)
    except ImageInputError as exc:
        raise gr.Error(str(exc)) from None


def build(context: AppContext, session: gr.State) -> DrawTab:
    """Lay out the Draw tab inside the current ``gr.Tab`` and wire its events."""
    catalog = context.catalog
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=420):
            sketch = gr.Sketchpad(
                label="Draw one digit, big, in the middle",
                type="pil", image_mode="RGBA", canvas_size=(CANVAS, CANVAS), height=CANVAS + 120,
                layers=False, transforms=(), buttons=[],
                brush=gr.Brush(default_size=22, colors=["#000000", "#1f4fd8", "#d62728", "#2b8a3e"],
                               default_color="#000000", color_mode="defaults"),
                eraser=gr.Eraser(default_size=30), elem_id="sketchpad",
            )
            with gr.Row():
                clear = gr.Button("Clear", variant="secondary", size="lg", elem_id="clear-button")
            model = gr.Dropdown(choices=model_choices(catalog, None), value=catalog.default_key,
                                label="Model", elem_id="draw-model",
                                info="Pretrained checkpoints, and any model you train in the Train tab")
            if not catalog.entries:
                gr.Markdown("**No pretrained model found in `assets/`.** Train one in the Train tab, "
                            "then pick it here.")
        with gr.Column(scale=4, min_width=360):
            label = gr.Label(value=PROMPT, num_top_classes=3, label="The model reads…", elem_id="prediction")
            bars = gr.Plot(value=probability_figure(None), label="All ten probabilities", elem_id="probabilities")
            seen = gr.Image(value=None, label="What the model sees (28 × 28)", height=300, width=300,
                            interactive=False, buttons=[], elem_id="model-input")

    def on_draw(sketch_value: Any, key: str | None, models: SessionModels | None
                ) -> tuple[Any, go.Figure, np.ndarray | None]:
        """Every stroke: the top three digits, all ten probabilities, and the 28x28 input."""
        prediction = _predict(context, sketch_value, key, models)
        if prediction is None:
            return PROMPT, probability_figure(None), None
        return (prediction.top(3), probability_figure(prediction.probabilities.numpy()),
                enlarge(prediction.digit_image.numpy()))

    def api_predict(sketch_value: Any, key: str | None, models: SessionModels | None) -> Any:
        """The API's answer: {digit: confidence} for the top three, or the prompt for a blank canvas."""
        prediction = _predict(context, sketch_value, key, models)
        return PROMPT if prediction is None else prediction.top(3)

    outputs = [label, bars, seen]
    listen = {"show_progress": "hidden", "trigger_mode": "always_last", "concurrency_limit": 4,
              "concurrency_id": "predict", "api_visibility": "private"}
    sketch.change(on_draw, [sketch, model, session], outputs, **listen)
    model.change(on_draw, [sketch, model, session], outputs, **listen)
    # Clear presses the sketchpad's own "Clear canvas" (setting the value to None from Python works only
    # once: a second None is no change) and re-selects the brush, which Gradio 6 drops on clearing;
    # the displays are reset here directly rather than waiting for a change event.
    clear.click(lambda: (PROMPT, probability_figure(None), None), None, outputs, show_progress="hidden",
                js="() => { if (window.mnistClear) window.mnistClear(); }", api_visibility="private")

    # The documented API endpoint: same inputs, but only the label-confidence dict comes back.
    api_button = gr.Button(visible=False)
    api_label = gr.Label(visible=False, num_top_classes=3)
    api_button.click(api_predict, [sketch, model, session], api_label, api_name="predict",
                     show_progress="hidden", concurrency_limit=4, concurrency_id="predict")
    return DrawTab(model=model, sketch=sketch)

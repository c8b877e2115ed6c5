"""Draw tab: a visitor draws a digit and sees, after every stroke, what the model reads, and why.

All the work is ``mnist_core.predict.predict_drawing`` and ``mnist_core.saliency.explain``;
this module only wires the drawing pad to them and turns their answers into the displays
(top-3 label, the ten probabilities, the 28x28 image the model actually saw, and, in the
"Inside the network" accordion, the saliency overlays and every convolution's feature maps).

A stroke is one queued event (:meth:`DrawView.on_stroke`) that answers with everything at once:
the answer and, while the "Inside the network" accordion is open, the inside views. Everything it
sends is HTML with its pictures inline at native size: no temporary file, no second request, no
plotly figure, so thirty phones drawing at once cost the server little (``python -m bench.classroom``).

Why one plain function and not a generator that yields the answer first: measured in process,
yielding twice cost 20-22 ms of CPU per stroke against 13-15 ms for one return. Each yield must
give every output a value, and Gradio 6.31 rebuilds a component (and its config, JSON schema
included) for every ``gr.skip()`` it is given, and for every output a returned dict leaves out;
the inside views add only ~3 ms to the answer. So a stroke's answer gives all ten outputs a value,
and a closed accordion gets a plain placeholder, not a ``gr.skip()``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import gradio as gr
import numpy as np
import torch

from demo.server.context import AppContext
from demo.server.gradio_internals import Sketchpad
from demo.server.inputs import composite_of, sketch_digit
from demo.server.language import N_, T, _, say
from demo.server.limits import EVENT_CONCURRENCY
from demo.server.log import expected_error
from demo.server.models_state import ModelEntry, SessionModels, find_entry, require_entry
from demo.tabs import model_files
from demo.tabs.teach import Correction, correction_buttons, not_sure
from demo.views.bars import probability_bars_html
from demo.views.drawing_pad import Drawing, DrawingPad, answer_stamp
from demo.views.lesson import lesson_html
from demo.views.pictures import feature_maps_html, model_input_html, placeholder_html, saliency_html
from demo.views.readings import available_entries, readings_html
from mnist_core.predict import Prediction, predict_drawing, probabilities_by_model
from mnist_core.preprocess import ImageInputError, load_image_file
from mnist_core.saliency import explain

PROMPT = N_("Draw a digit")
#: Runs once in the browser as the inside views appear: on a phone (the app's 640 px breakpoint) the accordion
#: starts folded, as if tapped (so the server hears it and skips the inside views): they sit a long scroll below
#: the canvas, where a student drawing never sees them, and a tap opens them (computed then).
FOLD_ON_PHONES_JS = """
if (window.matchMedia('(max-width: 640px)').matches) {
  element.closest('#inside-accordion')?.querySelector('button.label-wrap.open')?.click();
}
"""
INSIDE_PROMPT = N_("Draw a digit to see which strokes drove the answer and what each convolution layer made of it.")
# TRANSLATORS: Markdown; "batch norm" and "activation" are layer kinds (they may stay English).
INSIDE_EXPLAINED = N_("**Saliency**: which strokes drove the answer. **Feature maps**: what each convolution layer "
                      "computed from the drawing, one small picture per filter (bright = strong response, "
                      "shown after the layer's batch norm and activation, i.e. what the next layer receives).")
# TRANSLATORS: a button under the drawing pad, for students who cannot draw with a mouse or a finger.
PICTURE_LABEL = N_("📷 Or give a picture of a digit")
MODEL_INFO = N_("Pretrained checkpoints, any model you train in the Train tab or teach here, and any checkpoint you "
                "upload")


def label_value(prediction: Prediction) -> dict[str, float]:
    """What the Draw tab's ``gr.Label`` shows: the top three digits, the first renamed "not sure: 4?"
    when the calibrated confidence is low (a scribble, a letter, two digits), so a doubtful answer
    never reads as a confident digit. (The API keeps plain digit keys: ``Prediction.top``.)"""
    top = prediction.top(3)
    if not prediction.uncertain:
        return top
    best = str(prediction.label)
    return {(not_sure(prediction.label) if k == best else k): v for k, v in top.items()}


def _predict(context: AppContext, image: Any, key: str | None, session: SessionModels | None) -> Prediction | None:
    entry = require_entry(context.catalog, session, key)
    if image is None:
        return None
    try:
        return predict_drawing(entry.model, image)
    except ImageInputError as exc:
        raise expected_error(say(exc.args[0])) from None


@dataclass
class DrawView:
    """What a stroke updates, and the handlers of the Draw tab's events (each returns ``{component: value}``)."""

    context: AppContext
    label: gr.Label  # the top three digits
    stamp: gr.HTML  # which drawing the answer is for (the page's ``seq``)
    row: gr.HTML  # every model's reading of the drawing
    lesson: gr.HTML  # the two models of the lesson side by side
    bars: gr.HTML  # the ten probabilities
    seen: gr.HTML  # the 28x28 input the model saw
    saliency: gr.HTML
    feature_maps: gr.HTML
    inside_open: gr.State  # whether the "Inside the network" accordion is open
    digit: gr.State  # the last 28x28 input, so the inside views need not preprocess again
    drawing: gr.State  # the last drawing's PNG bytes, kept if the visitor makes it one of their examples
    pair: list[str]  # the lesson's two models: MNIST alone and the default drawing model (shown if both exist)

    def stroke_outputs(self) -> list[Any]:
        """What a stroke updates, every one of them on every stroke."""
        return [self.label, self.bars, self.seen, self.digit, self.lesson, self.stamp, self.row, self.drawing,
                self.saliency, self.feature_maps]

    def lesson_names(self) -> list[str]:
        """The names of the lesson's two models, as every model list shows them."""
        return [self.context.catalog.entries[k].name for k in self.pair]

    def lessons_for(self, prediction: Prediction | None, main: ModelEntry | None,
                    models: SessionModels | None) -> dict[Any, Any]:
        """The two models of the lesson side by side (when both exist), and the row of every model's reading, from
        one set of readings of the 28x28 input: the ``main`` model's answer is reused, each other model runs once."""
        everyone = available_entries(self.context.catalog, models)
        both = len(self.pair) == 2  # else the lesson is hidden: it gets "" (an output left out costs a rebuild)
        if prediction is None or main is None:
            return {self.lesson: lesson_html(None, None, self.lesson_names()) if both else "",
                    self.row: readings_html(everyone, None, None)}
        readings = probabilities_by_model({e.key: e.model for e in everyone}, prediction.digit_image,
                                          {main.key: prediction.probabilities})
        return {self.lesson: lesson_html(*(readings[k] for k in self.pair), self.lesson_names()) if both else "",
                self.row: readings_html(everyone, readings, main.key)}

    def answer(self, drawing: Drawing, key: str | None, models: SessionModels | None) -> dict[Any, Any]:
        """The answer to a drawing: the top three digits, all ten probabilities, the 28x28 input (shown and kept),
        the lesson and every model's reading, which drawing this answers, and the drawing's PNG (kept, should the
        visitor say it was read wrong)."""
        self.context.cores.note_prediction()
        prediction = _predict(self.context, drawing.image, key, models)
        if prediction is None:
            return self.blank(drawing.seq, models)
        digit = prediction.digit_image.numpy()
        main = require_entry(self.context.catalog, models, key)
        return {self.label: label_value(prediction), self.bars: probability_bars_html(prediction.probabilities.numpy()),
                self.seen: model_input_html(digit), self.digit: digit, **self.lessons_for(prediction, main, models),
                self.stamp: str(drawing.seq), self.drawing: drawing.png}

    def blank(self, seq: int, models: SessionModels | None) -> dict[Any, Any]:
        """The answer to a blank canvas (the ``seq``-th drawing): the prompts, empty bars, a black input."""
        return {self.label: _(PROMPT), self.bars: probability_bars_html(None), self.seen: model_input_html(None),
                self.digit: None, **self.lessons_for(None, None, models), self.stamp: str(seq), self.drawing: None}

    def inside_prompt(self) -> dict[Any, Any]:
        """The inside views with nothing to show (a blank canvas, or the accordion closed): what they are for."""
        return {self.saliency: placeholder_html(_(INSIDE_PROMPT)), self.feature_maps: ""}

    def inside_views(self, digit: np.ndarray | None, key: str | None, models: SessionModels | None) -> dict[Any, Any]:
        """Saliency overlays and feature maps of the model's input (one forward and one backward pass)."""
        if digit is None:
            return self.inside_prompt()
        entry = find_entry(self.context.catalog, models, key)
        if entry is None:
            return {}
        explanation = explain(entry.model, torch.from_numpy(digit))
        return {self.saliency: saliency_html(digit, explanation), self.feature_maps: feature_maps_html(explanation)}

    def on_stroke(self, drawing: Drawing, key: str | None, models: SessionModels | None,
                  is_open: bool) -> dict[Any, Any]:
        """Every stroke (and Undo, Clear, a new model): the answer and, while the accordion is open, the inside
        views of the same input (closed, they are computed when it opens: :meth:`on_expand`)."""
        shown = self.answer(drawing, key, models)
        if is_open:
            return {**shown, **self.inside_views(shown[self.digit], key, models)}
        return {**shown, **self.inside_prompt()}

    def on_language(self, drawing: Drawing, key: str | None, models: SessionModels | None,
                    is_open: bool) -> dict[Any, Any]:
        """Everything a stroke shows, written again in the page's language: when the page loads (what :func:`build`
        put on it was written once, in English, for every visitor) and when the visitor picks another language
        (the canvas keeps its drawing, so its answer is read again). A blank canvas, or no model yet, gets the
        prompts, and takes no cores back from a training run as a visitor's stroke does."""
        if drawing.image is None or find_entry(self.context.catalog, models, key) is None:
            return {**self.blank(drawing.seq, models), **self.inside_prompt()}
        return self.on_stroke(drawing, key, models, is_open)

    def on_picture(self, path: str | None, drawing: Drawing, key: str | None, models: SessionModels | None,
                   is_open: bool) -> dict[Any, Any]:
        """A picture of a digit (a photo, a scan, a drawing made elsewhere), read as a drawing is: the way to give
        the model a digit without drawing (a keyboard, a screen reader, a hand that cannot draw). The picture is
        kept as a PNG, as a drawing is, should the visitor say it was read wrong."""
        if not path:
            return {}
        try:
            image = load_image_file(path, name=_("the picture"))
        except ImageInputError as exc:
            raise expected_error(say(exc.args[0])) from None
        image = image.convert("RGBA")  # as the pad sends a drawing
        buffer = BytesIO()
        image.save(buffer, format="PNG")
        shown = self.on_stroke(Drawing(drawing.seq, image, buffer.getvalue()), key, models, is_open)
        # A stamp of its own (not a drawing's number): the page announces it as an answer, every time.
        return {**shown, self.stamp: f"picture-{time.monotonic_ns()}"}

    def on_expand(self, digit: np.ndarray | None, key: str | None, models: SessionModels | None) -> dict[Any, Any]:
        """The accordion was opened: the inside views of the last drawing (skipped while it was closed)."""
        return {self.inside_open: True, **self.inside_views(digit, key, models)}

    def api_explain(self, sketch_value: Any, key: str | None, models: SessionModels | None) -> dict[str, Any]:
        """The API's view inside: prediction, Grad-CAM (28x28, [0, 1]) and each conv layer's name and shape."""
        entry = require_entry(self.context.catalog, models, key)
        digit = sketch_digit(sketch_value)
        if digit is None:
            return {"label": None, "message": _(PROMPT)}
        e = explain(entry.model, digit)
        return {"label": e.label, "probabilities": [round(float(p), 5) for p in e.probabilities],
                "target": e.target, "cam_layer": e.cam_layer,
                "gradcam": [[round(float(v), 4) for v in row] for row in e.gradcam],
                "feature_maps": [{"name": f.name, "shown_after": f.shown_after, "shape": list(f.shape)}
                                 for f in e.feature_maps]}

    def api_predict(self, sketch_value: Any, key: str | None, models: SessionModels | None) -> Any:
        """The API's answer: {digit: confidence} for the top three, or the prompt for a blank canvas."""
        prediction = _predict(self.context, composite_of(sketch_value), key, models)
        return _(PROMPT) if prediction is None else prediction.top(3)


@dataclass
class DrawTab:
    """What :mod:`demo.ui` wires once every model list exists: the teaching panel's part of the tab, and the
    checkpoint upload under the model list, and the refresh of its answer in the page's language."""

    correction: Correction
    upload: gr.UploadButton
    upload_message: gr.Markdown
    view: DrawView
    refresh_inputs: list[Any]  # the pad, the model list, the session, whether the accordion is open

    def refresh_on(self, triggers: Sequence[Any]) -> None:
        """Write the answer, the lesson, the every-model row and the captions again in the page's language on each
        of ``triggers`` (the page's load, a change of language): :meth:`DrawView.on_language`. Call it inside the
        app's ``gr.Blocks``."""
        gr.on(list(triggers), self.view.on_language, self.refresh_inputs, self.view.stroke_outputs(),
              show_progress="hidden", trigger_mode="always_last", concurrency_limit=EVENT_CONCURRENCY,
              concurrency_id="predict", api_visibility="private")


def build(context: AppContext, session: gr.State) -> DrawTab:
    """Lay out the Draw tab inside the current ``gr.Tab`` and wire its events.

    The canvas and the answer sit side by side, sized so both fit one screen (a phone stacks
    them, the answer straight under the canvas); the model picker and the rest come after, then the
    teaching panel's slot and the "Inside the network" accordion.
    """
    catalog = context.catalog
    with gr.Row(equal_height=False, elem_id="draw-row"):
        with gr.Column(scale=5, min_width=300):
            pad = DrawingPad(elem_id="sketchpad")
            picture = gr.UploadButton(T(PICTURE_LABEL), file_types=["image"], file_count="single", type="filepath",
                                      size="sm", variant="secondary", elem_id="draw-picture")
        with gr.Column(scale=4, min_width=300):
            # Written in English here, for every visitor: DrawTab.refresh_on writes it in the page's language.
            label = gr.Label(value=PROMPT, num_top_classes=3, label=T("The model reads…"), elem_id="prediction")
            stamp = answer_stamp()
            buttons = correction_buttons()
            row = gr.HTML(readings_html(available_entries(catalog, None), None, None), elem_id="readings",
                          padding=False)
            model = context.pickers.new(follows_new_model=True, elem_id="draw-model", info=T(MODEL_INFO))
            with gr.Row(equal_height=True):
                upload = model_files.upload_button("draw-upload-model", size="sm")
                upload_message = gr.Markdown("", elem_id="draw-upload-status")
            if not catalog.entries:
                gr.Markdown(T("**No pretrained model found in `assets/`.** Train one in the Train tab, "
                              "then pick it here."))
            pair = [k for k in (catalog.mnist_only_key, catalog.default_key) if k]
            lesson = gr.HTML(lesson_html(None, None, [catalog.entries[k].name for k in pair]) if len(pair) == 2
                             else "", elem_id="lesson", visible=len(pair) == 2)
            with gr.Row():
                bars = gr.HTML(probability_bars_html(None), elem_id="probabilities", min_width=260)
                seen = gr.HTML(model_input_html(None), elem_id="model-input", min_width=200)
    teach_slot = gr.Column(elem_id="teach-panel")
    with gr.Accordion(T("Inside the network: why this answer?"), open=True, elem_id="inside-accordion") as inside:
        gr.Markdown(T(INSIDE_EXPLAINED))
        saliency = gr.HTML(placeholder_html(INSIDE_PROMPT), elem_id="saliency-view")
        feature_maps = gr.HTML("", elem_id="feature-maps-view", js_on_load=FOLD_ON_PHONES_JS)
    view = DrawView(context, label, stamp, row, lesson, bars, seen, saliency, feature_maps, inside_open=gr.State(True),
                    digit=gr.State(None), drawing=gr.State(None), pair=pair)
    _wire(view, pad, model, session, inside)
    picture.upload(view.on_picture, [picture, pad, model, session, view.inside_open], view.stroke_outputs(),
                   show_progress="hidden", trigger_mode="always_last", concurrency_limit=EVENT_CONCURRENCY,
                   concurrency_id="predict", api_visibility="private")
    _api_endpoints(view, model, session)
    return DrawTab(Correction(buttons, view.digit, view.drawing, model, teach_slot), upload, upload_message, view,
                   [pad, model, session, view.inside_open])


def _wire(view: DrawView, pad: DrawingPad, model: gr.Dropdown, session: gr.State, inside: gr.Accordion) -> None:
    """One event per stroke (and per Undo or Clear): the pad sends the whole drawing, inline, at pen-up."""
    gr.on([pad.change, model.change], view.on_stroke, [pad, model, session, view.inside_open], view.stroke_outputs(),
          show_progress="hidden", trigger_mode="always_last", concurrency_limit=EVENT_CONCURRENCY,
          concurrency_id="predict", api_visibility="private")
    inside.expand(view.on_expand, [view.digit, model, session], [view.inside_open, view.saliency, view.feature_maps],
                  show_progress="hidden", concurrency_limit=EVENT_CONCURRENCY, concurrency_id="inside",
                  api_visibility="private")
    inside.collapse(lambda: False, None, view.inside_open, queue=False, api_visibility="private")


def _api_endpoints(view: DrawView, model: gr.Dropdown, session: gr.State) -> None:
    """``/predict`` and ``/explain``: they take the drawing as ``gr.Sketchpad`` sends it (a dict whose "composite" is
    an image), so ``gradio_client`` scripts written for a sketchpad keep working; only the label-confidence dict (or
    the explanation) comes back."""
    sketch = Sketchpad(visible=False, type="pil", image_mode="RGBA", elem_id="api-sketchpad")
    api_button = gr.Button(visible=False)
    api_label = gr.Label(visible=False, num_top_classes=3)
    api_button.click(view.api_predict, [sketch, model, session], api_label, api_name="predict",
                     show_progress="hidden", concurrency_limit=EVENT_CONCURRENCY, concurrency_id="predict")
    api_explain_button, api_json = gr.Button(visible=False), gr.JSON(visible=False)
    api_explain_button.click(view.api_explain, [sketch, model, session], api_json, api_name="explain",
                             show_progress="hidden", concurrency_limit=EVENT_CONCURRENCY, concurrency_id="inside")

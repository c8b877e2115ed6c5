"""Confusion tab: where the selected model goes wrong on the 10,000 test images.

The evaluation is ``mnist_core.evaluate.evaluate``, kept on the model's entry (see
``demo.server.models_state``), so switching back to a model is instant. ``gr.Plot`` has no click
event in Gradio 6, so a click on a cell reaches the server through a hidden
:class:`demo.views.heatmap_click.CellPicker`; the click sets the two dropdowns to that cell and shows
its images. The dropdowns choose a cell too, and start on the model's most frequent mistake,
because the mistakes are where students learn.

Below, the most confident mistakes over the whole test set (``Evaluation.misclassified``),
and for any test image picked in either gallery (or by number) its ten probabilities and a
saliency overlay (``mnist_core.saliency.explain``): why the model was so sure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
import torch

from demo.server import inputs
from demo.server.context import AppContext
from demo.server.language import N_, T, _, number, percent
from demo.server.log import expected_error
from demo.server.models_state import ModelEntry, SessionModels, require_entry
from demo.views.bars import probability_bars_html
from demo.views.charts import confusion_figure, confusion_legend_html
from demo.views.heatmap_click import CSS as CLICK_CSS
from demo.views.heatmap_click import CellPicker
from demo.views.pictures import saliency_html, thumbnail
from demo.views.unavailable import mnist_unavailable_markdown
from mnist_core.data import NUM_CLASSES, MNISTData, MNISTUnavailableError
from mnist_core.evaluate import Evaluation
from mnist_core.saliency import explain

#: Most images shown for one cell (the most confident first).
MAX_GALLERY = 60
#: Most confident mistakes shown.
MAX_MISTAKES = 30
DIGITS = [str(d) for d in range(NUM_CLASSES)]

#: "Row-normalised" takes its own line on a phone rather than being cut off beside the model list.
#: The galleries' captions (confidence, "4 → 9 · 99%") go *under* each digit: Gradio lays them over
#: the picture's corner, where they hid the digit and were cut to "6 → 4 · 9…". A cell's thumbnails keep
#: one size whatever their number: Gradio makes as many columns as there are pictures (up to ``columns``), so
#: one mistake filled the whole width (1,800 px on a projector) and was cut by the gallery's height; here
#: the columns are as many as fit at 120 px or more (the pictures are 112 px), filled or not. On a phone the thumbnails
#: wrap to the width (Gradio keeps every column at least 100 px: ten made the page scroll sideways).
CSS = """
/* Gradio lets a Markdown block scroll (overflow: auto); while a summary changes it can overflow for a moment, and a
   scrolling region a keyboard cannot reach is an accessibility fault (axe: scrollable-region-focusable). */
#confusion-summary, #selected-heading { overflow: visible; }
/* The per-class table's headings are longer in Spanish or German than in English. Its width is the column's, not
   its content's (contain), so it never widens the page; on a phone it is set smaller to fit, and would scroll in its
   own box before it spilt. */
#per-class { contain: inline-size; }
#per-class .table-wrap { overflow-x: auto; }
@media (max-width: 640px) { #per-class { font-size: 0.85rem; } }
#confusion-controls { flex-wrap: wrap; }
#cell-gallery .grid-container { grid-template-columns: repeat(auto-fill, minmax(120px, 1fr));
  grid-template-rows: none; grid-auto-rows: auto; align-items: start; }
#normalise { flex: 1 1 260px; min-width: min(260px, 100%) !important; }
#cell-gallery .thumbnail-item, #mistakes-gallery .thumbnail-item { aspect-ratio: auto; height: auto;
  display: flex; flex-direction: column; }
#cell-gallery .thumbnail-lg > img, #mistakes-gallery .thumbnail-lg > img { aspect-ratio: 1; height: auto; }
#cell-gallery .caption-label, #mistakes-gallery .caption-label { position: static; max-width: none; opacity: 1;
  border: 0; border-radius: 0; background: none; text-align: center; white-space: normal; padding: 2px 0; }
@media (max-width: 640px) {
  #cell-gallery .grid-container, #mistakes-gallery .grid-container {
    grid-template-columns: repeat(auto-fill, minmax(76px, 1fr)); }
}
""" + CLICK_CSS


def worst_cell(confusion: np.ndarray) -> tuple[int, int]:
    """(true, predicted) of the most frequent mistake, or (0, 0) if there is none."""
    off = confusion.copy()
    np.fill_diagonal(off, -1)
    t, p = np.unravel_index(int(off.argmax()), off.shape)
    return (int(t), int(p)) if off[t, p] > 0 else (0, 0)


def cell_gallery(evaluation: Evaluation, data: MNISTData, true_label: int,
                 predicted_label: int) -> list[tuple[np.ndarray, str]]:
    """The test images of one cell with their confidence, most confident first."""
    indices = evaluation.cell(true_label, predicted_label)[:MAX_GALLERY].tolist()
    confidences = evaluation.confidences
    # TRANSLATORS: under a test image (a thumbnail about 120 px wide): the model's confidence, e.g. "99% sure".
    return [(thumbnail(data.test_images[i].numpy()), _("{percent} sure", percent=percent(float(confidences[i]), 0)))
            for i in indices]


def mistakes_gallery(evaluation: Evaluation, data: MNISTData) -> list[tuple[np.ndarray, str]]:
    """The most confident mistakes over the whole test set: image and "4 → 9 · 99%" (true → read)."""
    indices = evaluation.misclassified[:MAX_MISTAKES].tolist()
    confidences = evaluation.confidences
    return [(thumbnail(data.test_images[i].numpy()),
             f"{int(evaluation.labels[i])} → {int(evaluation.predictions[i])} · "
             f"{percent(float(confidences[i]), 0)}") for i in indices]


#: The heading of the chosen test image's ten probabilities (shown translated: ``_(BARS_TITLE)``).
BARS_TITLE = N_("Its ten probabilities")


def picked(evt: gr.SelectData, shown: torch.Tensor) -> int:
    """The test image behind a click on a gallery showing ``shown`` (test-set indices, in gallery order).

    The click's index comes from the request: a forged one (1e9, None, a list) or one from
    a gallery since redrawn gets a message, not an IndexError.
    """
    index = evt.index
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(shown):
        raise expected_error(_("That image is not in the gallery any more: click one that is shown."))
    return int(shown[index])


def summary_markdown(entry: ModelEntry, evaluation: Evaluation) -> str:
    """Overall accuracy in words a class can read."""
    total = len(evaluation.labels)
    correct = int(evaluation.confusion.diagonal().sum())
    # TRANSLATORS: a heading: the model's accuracy on the test set, e.g. "99.12% correct".
    heading = _("{percent} correct", percent=percent(evaluation.accuracy, 2))
    counts = _("**{correct}** of **{total}** test images right, **{wrong}** wrong.", correct=number(correct),
               total=number(total), wrong=number(total - correct))
    # TRANSLATORS: {name} is the model's name and accuracy as the model list shows it (stays as it is).
    model = _("Model: {name}", name=entry.label)
    return f"## {heading}\n{counts}\n\n{model}"


def per_class_rows(evaluation: Evaluation) -> list[list[Any]]:
    """Digit, images, correct, accuracy: one row per class."""
    confusion = evaluation.confusion.numpy()
    return [[d, int(confusion[d].sum()), int(confusion[d, d]), percent(float(r), 2)]
            for d, r in enumerate(evaluation.recall.tolist())]


def per_class_table(evaluation: Evaluation) -> dict[str, Any]:
    """:func:`per_class_rows` under their column names, in the visitor's language."""
    # TRANSLATORS: column names of the per-digit table (digit, how many test images, how many read right, share).
    headers = [_("digit"), _("images"), _("correct"), _("accuracy")]
    return {"headers": headers, "data": per_class_rows(evaluation)}


@dataclass
class ConfusionView:
    """The Confusion tab's components and the handlers of its events (each returns ``{component: value}``)."""

    context: AppContext
    notice: gr.Markdown  # says MNIST is not available, in place of ``content``
    content: gr.Column
    heatmap: gr.Plot
    legend: gr.HTML  # the heatmap's key, redrawn with it (in the visitor's language)
    summary: gr.Markdown
    per_class: gr.Dataframe
    true_dd: gr.Dropdown
    pred_dd: gr.Dropdown
    gallery: gr.Gallery  # the chosen cell's test images
    mistakes: gr.Gallery  # the most confident mistakes
    index: gr.Number  # the chosen test image
    heading: gr.Markdown
    selected_bars: gr.HTML
    selected_saliency: gr.HTML

    def image_view(self) -> list[Any]:
        """What shows the chosen test image."""
        return [self.heading, self.selected_bars, self.selected_saliency]

    def everything(self) -> list[Any]:
        """What a model's evaluation updates: the notice, the content, and all that is in it."""
        return [self.notice, self.content, self.heatmap, self.legend, self.summary, self.per_class, self.true_dd,
                self.pred_dd, self.gallery, self.mistakes, self.index, *self.image_view()]

    def load(self, key: str | None, models: SessionModels | None) -> tuple[ModelEntry, Evaluation, MNISTData]:
        entry = require_entry(self.context.catalog, models, key)
        try:
            data = self.context.load_data()
        except MNISTUnavailableError as exc:
            # TRANSLATORS: {reason} says why (in English, from the data loader).
            raise expected_error(_("The test set is not available: {reason}", reason=str(exc))) from None
        return entry, entry.evaluation_on(data), data

    def explained(self, entry: ModelEntry, evaluation: Evaluation, data: MNISTData, index: int) -> dict[Any, Any]:
        """One test image seen by the model: a heading, its ten probabilities and its saliency overlays."""
        if not 0 <= index < len(data.test_labels):
            raise expected_error(_("Test images are numbered 0 to {last}.", last=str(len(data.test_labels) - 1)))
        image = data.test_images[index]
        explanation = explain(entry.model, image)
        true, read = int(evaluation.labels[index]), int(evaluation.predictions[index])
        values = {"index": str(index), "true": str(true), "read": str(read),
                  "percent": percent(float(evaluation.confidences[index]), 0)}
        # TRANSLATORS: a heading; {index} is the test image's number, {true} and {read} are digits, {percent} the
        # model's confidence.
        heading = (_("Test image #{index}: true digit {true}, the model reads {read} ({percent}), right", **values)
                   if true == read else
                   _("Test image #{index}: true digit {true}, the model reads {read} ({percent}), **wrong**", **values))
        return {self.heading: f"### {heading}",
                self.selected_bars: probability_bars_html(evaluation.probabilities[index].numpy(), _(BARS_TITLE)),
                self.selected_saliency: saliency_html(image.numpy() / 255.0, explanation)}

    def show_model(self, key: str | None, as_share: bool, models: SessionModels | None) -> dict[Any, Any]:
        """Evaluate (or reuse) and show everything, starting on the most frequent and the most confident mistake.

        Without MNIST: the notice instead of the tab's content, and no other output touched
        (so none shows an error badge).
        """
        try:
            data = self.context.load_data()
        except MNISTUnavailableError as exc:
            return {self.notice: gr.update(value=mnist_unavailable_markdown(exc), visible=True),
                    self.content: gr.update(visible=False)}
        entry = require_entry(self.context.catalog, models, key)
        return {self.notice: gr.update(visible=False), self.content: gr.update(visible=True),
                **self.show_everything(entry, entry.evaluation_on(data), data, as_share)}

    def show_everything(self, entry: ModelEntry, evaluation: Evaluation, data: MNISTData,
                        as_share: bool) -> dict[Any, Any]:
        confusion = evaluation.confusion.numpy()
        t, p = worst_cell(confusion)
        wrong = evaluation.misclassified
        first = int(wrong[0]) if len(wrong) else 0
        return {self.heatmap: confusion_figure(confusion, as_share), self.legend: confusion_legend_html(),
                self.summary: summary_markdown(entry, evaluation),
                self.per_class: per_class_table(evaluation), self.true_dd: str(t), self.pred_dd: str(p),
                self.gallery: cell_gallery(evaluation, data, t, p), self.mistakes: mistakes_gallery(evaluation, data),
                self.index: first, **self.explained(entry, evaluation, data, first)}

    def show_index(self, key: str | None, number: float | None, models: SessionModels | None) -> Any:
        if number is None:
            return gr.skip()
        return self.explained(*self.load(key, models), int(number))

    def pick_mistake(self, key: str | None, models: SessionModels | None, evt: gr.SelectData) -> dict[Any, Any]:
        entry, evaluation, data = self.load(key, models)
        i = picked(evt, evaluation.misclassified[:MAX_MISTAKES])
        return {self.index: i, **self.explained(entry, evaluation, data, i)}

    def pick_in_cell(self, key: str | None, true_label: str, predicted_label: str, models: SessionModels | None,
                     evt: gr.SelectData) -> dict[Any, Any]:
        entry, evaluation, data = self.load(key, models)
        i = picked(evt, evaluation.cell(int(true_label), int(predicted_label))[:MAX_GALLERY])
        return {self.index: i, **self.explained(entry, evaluation, data, i)}

    def show_cell(self, key: str | None, true_label: str, predicted_label: str,
                  models: SessionModels | None) -> dict[Any, Any]:
        _, evaluation, data = self.load(key, models)
        return {self.gallery: cell_gallery(evaluation, data, int(true_label), int(predicted_label))}

    def show_clicked(self, key: str | None, cell: tuple[int, int] | None, models: SessionModels | None) -> Any:
        """A click on the heatmap: the dropdowns follow it, and the gallery shows that cell."""
        if cell is None:
            return gr.skip()
        t, p = cell
        return {self.true_dd: str(t), self.pred_dd: str(p), **self.show_cell(key, str(t), str(p), models)}

    def redraw(self, key: str | None, as_share: bool, models: SessionModels | None) -> dict[Any, Any]:
        _, evaluation, _ = self.load(key, models)
        return {self.heatmap: confusion_figure(evaluation.confusion.numpy(), as_share)}

    def matrix(self, key: str | None, models: SessionModels | None) -> dict[str, Any]:
        """The API's answer: the 10x10 counts (rows: true digit, columns: predicted) and the accuracy."""
        entry, evaluation, _ = self.load(key, models)
        return {"model": entry.key, "label": entry.label, "accuracy": evaluation.accuracy,
                "matrix": evaluation.confusion.tolist()}


def build(context: AppContext, session: gr.State, tab: gr.Tab) -> None:
    """Lay out the Confusion tab (its model list registers with ``context.pickers``, refreshed after training)."""
    # Without MNIST the tab says so once, in place of everything that needs the test set.
    notice = gr.Markdown(visible=False, elem_id="confusion-unavailable")
    with gr.Column(elem_id="confusion-content") as content:
        model, normalise, plot, legend, clicked, summary, per_class = _matrix_and_summary(context)
        true_dd, pred_dd, gallery = _cell_gallery()
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                gr.Markdown(T("### The most confident mistakes on the whole test set\n"
                              "Under each: true digit → what the model read · its confidence. "
                              "Click one to see its probabilities and where the model looked."))
                mistakes = gr.Gallery(label=T("Most confident mistakes"), show_label=False, columns=6, height=520,
                                      object_fit="contain", allow_preview=False, elem_id="mistakes-gallery", buttons=[])
            with gr.Column(scale=2):
                # The test set's size is MNIST's (mnist_core.data.TEST_SIZE), written out: a T() text has no numbers
                # put in, so each language writes 9999 its own way.
                index = inputs.Number(value=None, precision=0, minimum=0, elem_id="test-index",
                                      label=T("Test image number (0 to 9999)"))
                heading = gr.Markdown(elem_id="selected-heading")
                # Filled in the visitor's language when the tab opens; the English here is never seen.
                selected_bars = gr.HTML(probability_bars_html(None, BARS_TITLE), elem_id="selected-probabilities")
                selected_saliency = gr.HTML("", elem_id="selected-saliency")
    view = ConfusionView(context, notice, content, plot, legend, summary, per_class, true_dd, pred_dd, gallery,
                         mistakes, index, heading, selected_bars, selected_saliency)
    _wire(view, tab, model, normalise, clicked, session)


def _matrix_and_summary(context: AppContext) -> tuple[gr.Dropdown, gr.Checkbox, gr.Plot, gr.HTML, CellPicker,
                                                      gr.Markdown, gr.Dataframe]:
    """The model list, the heatmap with its key, and beside them the accuracy in words and per digit.

    What the events fill (the key, the table's column names) starts in English: the tab fills it in the visitor's
    language when it is opened, before anything shows."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            with gr.Row(elem_id="confusion-controls"):
                model = context.pickers.new(scale=3, elem_id="confusion-model")
                normalise = inputs.Checkbox(value=False, label=T("Row-normalised (share of each true digit)"),
                                            scale=1, elem_id="normalise")
            gr.Markdown(T("**Rows: the true digit. Columns: what the model predicted.** "
                          "The diagonal is right; every other number is a mistake. "
                          "Click a cell to see its images below."))
            # Above the chart, so a laptop shows the key without scrolling.
            legend = gr.HTML(confusion_legend_html(), padding=False, elem_id="confusion-legend")
            plot = gr.Plot(label=T("Confusion matrix"), show_label=False, elem_id="confusion-heatmap")
            clicked = CellPicker("#confusion-heatmap", elem_id="confusion-cell-picker")
        with gr.Column(scale=2):
            summary = gr.Markdown(T("Evaluating the model on the test set…"), elem_id="confusion-summary")
            per_class = gr.Dataframe(headers=["digit", "images", "correct", "accuracy"], datatype="str",
                                     interactive=False, label=T("Per-class accuracy"), elem_id="per-class")
    return model, normalise, plot, legend, clicked, summary, per_class


def _cell_gallery() -> tuple[gr.Dropdown, gr.Dropdown, gr.Gallery]:
    """The two dropdowns that choose a cell, and its test images."""
    # The galleries' own labels would float over their first row: what they show is said above them.
    gr.Markdown(T("### Look at one cell: which images of digit *true* did the model read as *predicted*?\n"
                  "Click a cell of the matrix, or choose it here. "
                  "Under each image: the model's confidence. Click one to see why."))
    with gr.Row():
        true_dd = inputs.Dropdown(choices=DIGITS, value="0", label=T("True digit"), elem_id="true-digit")
        pred_dd = inputs.Dropdown(choices=DIGITS, value="0", label=T("Predicted digit"), elem_id="predicted-digit")
    gallery = gr.Gallery(label=T("Test images in this cell"), show_label=False, columns=10, height=330,
                         object_fit="contain", allow_preview=False, elem_id="cell-gallery", buttons=[])
    return true_dd, pred_dd, gallery


def _wire(view: ConfusionView, tab: gr.Tab, model: gr.Dropdown, normalise: gr.Checkbox, clicked: CellPicker,
          session: gr.State) -> None:
    private = {"api_visibility": "private"}
    show_model, show_cell = view.show_model, view.show_cell  # one function for both triggers: one concurrency group
    # Evaluating takes seconds, so it happens when the tab is opened, not when the page loads.
    tab.select(show_model, [model, normalise, session], view.everything(), **private)
    model.input(show_model, [model, normalise, session], view.everything(), **private)
    normalise.change(view.redraw, [model, normalise, session], view.heatmap, show_progress="hidden", **private)
    gr.on([view.true_dd.input, view.pred_dd.input], show_cell, [model, view.true_dd, view.pred_dd, session],
          view.gallery, **private)
    clicked.change(view.show_clicked, [model, clicked, session], [view.true_dd, view.pred_dd, view.gallery], **private)
    view.index.submit(view.show_index, [model, view.index, session], view.image_view(), **private)
    view.mistakes.select(view.pick_mistake, [model, session], [view.index, *view.image_view()], **private)
    view.gallery.select(view.pick_in_cell, [model, view.true_dd, view.pred_dd, session],
                        [view.index, *view.image_view()], **private)
    api_button = gr.Button(visible=False)
    api_json = gr.JSON(visible=False)
    api_button.click(view.matrix, [model, session], api_json, api_name="confusion_matrix")

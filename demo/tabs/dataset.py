"""Dataset tab: 25 random training images with their labels, to show what the model learns from.

The grid is plain HTML, not a ``gr.Gallery``: a gallery scrolls inside itself (the fifth
row hidden below its fold) and prints each label over its digit. Here all 25 are always
shown, five to a row at any screen width, each with its label as a caption *under* the picture.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np

from demo.server.context import AppContext
from demo.server.language import T, _
from demo.views.pictures import png_uri, thumbnail
from demo.views.unavailable import mnist_unavailable_markdown
from mnist_core.data import MNISTUnavailableError

GRID = 5

#: The grid's look (added to the app's CSS): five equal columns, pixels kept square, captions below.
#: The width is capped by the screen's height, so that on a laptop all five rows fit below the tabs.
CSS = """
.digit-grid { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 10px 12px;
  max-width: min(100%, calc(100vh - 360px)); min-width: min(100%, 300px); }
.digit-grid figure { margin: 0; text-align: center; }
.digit-grid img { display: block; width: 100%; height: auto; aspect-ratio: 1; image-rendering: pixelated;
  border-radius: 4px; }
.digit-grid figcaption { font-size: var(--text-lg); line-height: 1.3; margin-top: 2px; white-space: nowrap; }
@media (max-width: 640px) {
  .digit-grid { gap: 6px; }
  .digit-grid figcaption { font-size: var(--text-sm); }
}
"""


def _figure(image: np.ndarray, label: int) -> str:
    # TRANSLATORS: a picture's description for screen readers; {digit} is 0 to 9.
    alt = html.escape(_("a handwritten {digit}", digit=str(label)))
    # TRANSLATORS: under a training image (about 60 px wide on a phone): the digit a person said it is.
    caption = html.escape(_("label {digit}", digit=str(label)))
    return f'<figure><img src="{png_uri(thumbnail(image))}" alt="{alt}"><figcaption>{caption}</figcaption></figure>'


def grid_html(images: np.ndarray, labels: list[int]) -> str:
    """The images (N, 28, 28) uint8 as a grid of figures, each captioned "label D" underneath (in the visitor's
    language)."""
    figures = "".join(_figure(image, label) for image, label in zip(images, labels, strict=True))
    return f'<div class="digit-grid">{figures}</div>'


@dataclass
class DatasetView:
    """The Dataset tab's components, and the handler that fills them (returning ``{component: value}``)."""

    context: AppContext
    notice: gr.Markdown  # says MNIST is not available, in place of ``content``
    content: gr.Row
    grid: gr.HTML

    def sample(self) -> dict[Any, Any]:
        """Draw GRID*GRID training images at random (a new draw each press); without MNIST, say so instead."""
        try:
            data = self.context.load_data()
        except MNISTUnavailableError as exc:
            return {self.notice: gr.update(value=mnist_unavailable_markdown(exc), visible=True),
                    self.content: gr.update(visible=False)}
        rng = np.random.default_rng()
        indices = rng.choice(len(data.train_labels), size=GRID * GRID, replace=False)
        labels = [int(data.train_labels[i]) for i in indices.tolist()]
        return {self.notice: gr.update(visible=False), self.content: gr.update(visible=True),
                self.grid: grid_html(data.train_images[indices].numpy(), labels)}


def build(context: AppContext, tab: gr.Tab) -> None:
    """Lay out the Dataset tab: a 5x5 grid of training images and a Reshuffle button."""
    notice = gr.Markdown(visible=False, elem_id="dataset-unavailable")
    with gr.Row(equal_height=False) as content:
        with gr.Column(scale=3):
            grid = gr.HTML(elem_id="dataset-gallery")
        with gr.Column(scale=2):
            # The numbers are written out (GRID * GRID, mnist_core.data.TRAIN_SIZE): a T() text has none put in, so
            # each language writes 60,000 its own way.
            gr.Markdown(T("### 25 random images from the 60,000 training images\n"
                          "Each is 28 × 28 grey pixels, with the label a person gave it. This is all the "
                          "model ever sees: it learns the digits only from examples like these.\n\n"
                          "Notice how differently people write the same digit, and the odd one that even "
                          "a person would misread."))
            # TRANSLATORS: a button: draws 25 other training images at random.
            shuffle = gr.Button(T("Reshuffle"), variant="primary", size="lg", elem_id="reshuffle")
    view = DatasetView(context, notice, content, grid)
    sample = view.sample  # one function for both triggers: one concurrency group
    outputs = [notice, content, grid]
    tab.select(sample, None, outputs, api_visibility="private")
    shuffle.click(sample, None, outputs, api_visibility="private")

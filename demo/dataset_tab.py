"""Dataset tab: 25 random training images with their labels, to show what the model learns from."""

from __future__ import annotations

import gradio as gr
import numpy as np

from demo.context import AppContext
from demo.pictures import thumbnail
from mnist_core.data import TRAIN_SIZE, MNISTUnavailableError

GRID = 5


def build(context: AppContext, tab: gr.Tab) -> None:
    """Lay out the Dataset tab: a GRID x GRID gallery of training images and a Reshuffle button."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            gallery = gr.Gallery(columns=GRID, rows=GRID, height=760, object_fit="contain", allow_preview=False,
                                 label="Training images", show_label=False,
                                 elem_id="dataset-gallery")
        with gr.Column(scale=2):
            gr.Markdown(f"### {GRID * GRID} random images from the {TRAIN_SIZE:,} training images\n"
                        "Each is 28 × 28 grey pixels, with the label a person gave it. This is all the "
                        "model ever sees: it learns the digits only from examples like these.\n\n"
                        "Notice how differently people write the same digit, and the odd one that even "
                        "a person would misread.")
            shuffle = gr.Button("Reshuffle", variant="primary", size="lg", elem_id="reshuffle")

    def sample() -> list[tuple[np.ndarray, str]]:
        """Draw GRID*GRID training images at random (a new draw each press)."""
        try:
            data = context.load_data()
        except MNISTUnavailableError as exc:
            raise gr.Error(f"MNIST is not available: {exc}") from None
        rng = np.random.default_rng()
        indices = rng.choice(len(data.train_labels), size=GRID * GRID, replace=False)
        return [(thumbnail(data.train_images[i].numpy()), f"label {int(data.train_labels[i])}")
                for i in indices.tolist()]

    tab.select(sample, None, gallery, api_visibility="private")
    shuffle.click(sample, None, gallery, api_visibility="private")

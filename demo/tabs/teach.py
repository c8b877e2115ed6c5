"""Draw tab: the class teaches the model its own handwriting.

When the model reads a drawing wrong, the visitor taps the right digit under the answer; the
drawing joins **your examples** (a gallery of this session's, each removable). **Teach the
model** then fine-tunes this session's own copy of the chosen model on them with
:func:`mnist_core.teach.teach` (the one training loop, through the same queue as the Train tab's
runs) and shows what it learned, each example before and after, and what it cost, the MNIST
test accuracy before and after. The taught model joins every model list of the session (the
Draw tab switches to it, so the next drawing is read by it); other visitors never see it, and
it is freed when the page closes. The examples (a zip of PNGs and a CSV, :mod:`mnist_core.examples`)
and the taught checkpoint can be downloaded, so nothing the class made is lost with the page.

The panel is laid out where :func:`demo.tabs.draw.build` left its slot, but filled after every
tab has made its model list (``context.pickers``), like the Train tab, because teaching adds a
model to all of them.
"""

from __future__ import annotations

import html
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from demo.server import gradio_internals, inputs
from demo.server.context import AppContext
from demo.server.gradio_internals import Sketchpad
from demo.server.inputs import composite_of, sketch_digit
from demo.server.limits import MAX_EXAMPLES_PER_SESSION
from demo.server.log import expected_error
from demo.server.models_state import SessionModels, require_entry
from demo.server.sessions import session_id_of
from demo.tabs import model_files
from demo.views.pictures import grey_pixels, png_uri, zoom_pixels
from demo.views.unavailable import mnist_unavailable_markdown
from mnist_core.data import MNISTUnavailableError
from mnist_core.examples import Example, as_digits, write_examples
from mnist_core.teach import Taught, teach
from mnist_core.train import FinishedEvent, StartEvent, StepEvent

INTRO = ("**Teach it your handwriting.** Read wrong? Tap the right digit under the answer: the drawing joins "
         "your examples. With a few of them, press **Teach the model**: this page's own copy learns them "
         "(MNIST is mixed in so it does not forget), and the next drawing is read by it.")
EXAMPLES_LABEL = "⬇ Your examples"
TAUGHT_LABEL = "⬇ Taught model"
#: Seconds between two progress lines while teaching.
UPDATE_INTERVAL = 0.5


@dataclass
class Correction:
    """What the Draw tab hands the parts wired once every model list exists: the digit buttons under the answer,
    what the last stroke left, the model list, the panel's slot, and the checkpoint upload under the list."""

    buttons: list[gr.Button]  # "0" … "9": the digit the drawing really is
    digit: gr.State  # the last drawing's 28x28 input (float, [0, 1]), or None
    drawing: gr.State  # the last drawing itself (a PIL image), or None
    model: gr.Dropdown  # the Draw tab's model list: the model a teaching run starts from
    slot: gr.Column  # where the panel goes
    upload: gr.UploadButton  # bring a checkpoint from home (demo.tabs.model_files)
    upload_message: gr.Markdown


def correction_buttons() -> list[gr.Button]:
    """The row under the answer: "Read wrong? It is a" and one small button per digit (laid out here)."""
    with gr.Row(elem_id="correct-row", equal_height=True):
        gr.HTML('<span class="correct-prompt">Read wrong? It is a</span>', padding=False, min_width=0)
        return [gr.Button(str(d), size="sm", min_width=0, elem_classes="digit-button", elem_id=f"correct-{d}")
                for d in range(10)]


def _png_bytes(image: Image.Image | bytes | None) -> bytes | None:
    """The drawing as PNG bytes: as it came from the page's canvas (already PNG), or encoded from an image."""
    if image is None or isinstance(image, bytes):
        return image
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def gallery_items(examples: list[Example]) -> list[tuple[np.ndarray, str]]:
    """The gallery's pictures: each example as the model sees it (enlarged 3x), captioned with the digit it is."""
    return [(zoom_pixels(e.digit, 3), f"a {e.label}") for e in examples]


def add_example(models: SessionModels, digit: np.ndarray | None, label: int,
                drawing: Image.Image | bytes | None) -> Example:
    """Keep the last drawing as an example of ``label``; a ``gr.Error`` if there is none or the page holds enough."""
    if digit is None:
        raise expected_error("Draw a digit first, then tap the digit it really is.")
    if len(models.examples) >= MAX_EXAMPLES_PER_SESSION:
        raise expected_error(f"This page already holds {MAX_EXAMPLES_PER_SESSION} examples, the most one page keeps: "
                             "teach the model with them, download them, or remove some.")
    example = Example(grey_pixels(digit), int(label), _png_bytes(drawing))
    models.examples.append(example)
    return example


def examples_download(models: SessionModels, button: gr.DownloadButton) -> gr.DownloadButton:
    """The examples button offering a fresh zip of this session's examples (or nothing to download yet)."""
    if not models.examples:
        models.drop_download("examples")
        return gr.DownloadButton(value=None, label=EXAMPLES_LABEL, interactive=False)
    path = model_files.download_folder() / "your-examples.zip"
    write_examples(path, models.examples)
    return model_files.offer(models, path, button, "examples", EXAMPLES_LABEL, named=False)


def teach_button(models: SessionModels) -> gr.Button:
    n = len(models.examples)
    return gr.Button(f"Teach the model ({n} example{'' if n == 1 else 's'})" if n else "Teach the model",
                     interactive=n > 0)


def _reading(probabilities: Any, label: int) -> str:
    digit = int(probabilities.argmax())
    mark = "✓" if digit == label else "✗"
    return f'{digit} {mark}'


def result_html(taught: Taught, examples: list[Example], before_accuracy: float | None) -> str:
    """What teaching did: every example read before → after (✓ right, ✗ wrong), and the MNIST test accuracy."""
    n = len(examples)
    cells = []
    for i, example in enumerate(examples):
        before, after = _reading(taught.before[i], example.label), _reading(taught.after[i], example.label)
        right = int(taught.after[i].argmax()) == example.label
        cells.append(f'<figure class="taught-example {"taught-right" if right else "taught-wrong"}">'
                     f'<img class="inside-img" src="{png_uri(zoom_pixels(example.digit, 2))}" '
                     f'alt="your example {i + 1}, a {example.label}"><figcaption>a {example.label}: '
                     f'{before} → <b>{after}</b></figcaption></figure>')
    after_accuracy = taught.test_accuracy
    if before_accuracy is not None and after_accuracy is not None:
        change = (after_accuracy - before_accuracy) * 100
        mnist = (f"MNIST test set (10,000 digits it never trained on): <b>{before_accuracy:.2%} → "
                 f"{after_accuracy:.2%}</b> ({change:+.2f} points): what learning your hand cost.")
    else:
        mnist = ""
    stopped = " (stopped early)" if taught.status == "stopped" else ""
    return (f'<div class="taught"><p><b>Your examples read right: {taught.right_before} of {n} before → '
            f'{taught.right_after} of {n} after</b>{stopped}. {mnist}</p>'
            f'<div class="taught-strip">{"".join(cells)}</div>'
            '<div class="legend">before → after for each example: ✓ read right, ✗ read wrong.</div></div>')


def build(context: AppContext, session: gr.State, correction: Correction) -> None:
    """Fill the Draw tab's teaching slot and wire the digit buttons, the gallery, Teach and the upload under the
    model list. Call after every tab has made its model list."""
    model_files.wire_upload(context, session, correction.upload, correction.upload_message)
    with correction.slot:
        gr.Markdown(INTRO, elem_id="teach-intro")
        with gr.Row(elem_id="teach-buttons"):
            teach_now = gr.Button("Teach the model", variant="primary", interactive=False, elem_id="teach-button",
                                  scale=2, min_width=200)
            remove = gr.Button("Remove selected", size="md", interactive=False, elem_id="remove-example",
                               min_width=160)
            examples_file = gr.DownloadButton(EXAMPLES_LABEL, value=None, interactive=False, size="md",
                                              elem_id="download-examples", min_width=200)
            taught_file = gr.DownloadButton(TAUGHT_LABEL, value=None, interactive=False, size="md",
                                            elem_id="download-taught", min_width=200)
        gr.Markdown("**Your examples** (tap one to select it, then *Remove selected*):", elem_id="your-examples-title")
        gallery = gr.Gallery(value=[], label="Your examples", show_label=False, height="auto", allow_preview=False,
                             object_fit="contain", format="png", elem_id="your-examples", buttons=[])
        status = gr.Markdown("", elem_id="teach-status")
        result = gr.HTML("", elem_id="teach-result")
    selected = gr.State(None)

    def examples_changed(models: SessionModels, message: str) -> dict[Any, Any]:
        return {gallery: gallery_items(models.examples), examples_file: examples_download(models, examples_file),
                teach_now: teach_button(models), remove: gr.Button(interactive=False), selected: None,
                status: message, session: models}

    def on_correct(label: int, digit: np.ndarray | None, drawing: bytes | None,
                   models: SessionModels, request: gr.Request) -> dict[Any, Any]:
        """Keep the last drawing as an example of ``label``."""
        add_example(models, digit, label, drawing)
        context.sessions.track(session_id_of(request), models)  # so closing the page frees them
        n = len(models.examples)
        gr.Info(f"Kept as a {label}: {n} example{'' if n == 1 else 's'}. Teach the model under the drawing.",
                duration=3)  # said where the visitor looks: the gallery may be off screen (a phone)
        return examples_changed(models, f"Kept as a **{label}**: {n} example{'' if n == 1 else 's'} so far. "
                                        "Draw more (a few of each digit it gets wrong), then **Teach the model**.")

    changed = [gallery, examples_file, teach_now, remove, selected, status, session]
    def keeper(label: int):
        """The handler of the button for ``label`` (Gradio passes the request to a parameter annotated so)."""
        def keep(digit: np.ndarray | None, drawing: bytes | None, models: SessionModels,
                 request: gr.Request) -> dict[Any, Any]:
            return on_correct(label, digit, drawing, models, request)
        return keep

    for d, button in enumerate(correction.buttons):
        button.click(keeper(d), [correction.digit, correction.drawing, session], changed, show_progress="hidden",
                     api_visibility="private")

    def on_select(event: gr.SelectData) -> tuple[int, gr.Button]:
        return event.index, gr.Button(interactive=True)

    gallery.select(on_select, None, [selected, remove], show_progress="hidden", api_visibility="private")

    def on_remove(index: int | None, models: SessionModels) -> dict[Any, Any]:
        if index is None or not 0 <= index < len(models.examples):
            raise expected_error("Tap an example in the gallery first, then remove it.")
        gone = models.examples.pop(index)
        return examples_changed(models, f"Removed example #{index + 1} (a {gone.label}).")

    remove.click(on_remove, [selected, session], changed, show_progress="hidden", api_visibility="private")

    pickers = context.pickers
    outputs = [status, result, session, teach_now, taught_file, *pickers.pickers]

    def run(key: str | None, models: SessionModels, request: gr.Request) -> Iterator[dict[Any, Any]]:
        """Teach a copy of the chosen model this session's examples, streaming progress; add it to every list."""
        base = require_entry(context.catalog, models, key)
        examples = list(models.examples)
        if not examples:
            raise expected_error("Tap the right digit under a wrong answer first: there are no examples to learn.")
        yield {teach_now: gr.Button(interactive=False), status: "Loading MNIST (mixed in so it does not forget)…"}
        try:
            data = context.load_data()
        except MNISTUnavailableError as exc:
            yield {teach_now: teach_button(models), status: mnist_unavailable_markdown(exc)}
            return
        yield {status: "Measuring the model on the MNIST test set first…"}
        before = base.evaluation_on(data).accuracy
        stop = threading.Event()
        taught: Taught | None = None
        finished: FinishedEvent | None = None
        last = 0.0
        with context.sessions.running(session_id_of(request), models, stop, gradio_internals.page_left):
            if models.closed:  # its page closed while it waited (Gradio still started it): nobody to teach for
                return
            try:
                for event in teach(base.model, base.model_name, as_digits(examples), data, base_metadata=base.metadata,
                                   stop=stop, device="cpu", data_dir=context.data_dir):
                    if isinstance(event, StartEvent):
                        # The drawings just before were this visitor's, who now waits: lend every core at once
                        # (measured: 10.7 s on one thread, 5.9 s on two); the next prediction takes them back.
                        context.cores.update(context.sessions.runs_active, quiet_seconds=0)
                    elif isinstance(event, StepEvent) and time.monotonic() - last >= UPDATE_INTERVAL:
                        last = time.monotonic()
                        yield {status: f"Teaching {html.escape(base.model_name)} your {len(examples)} examples: "
                                       f"step {event.global_step} of {event.total_steps} · loss {event.loss:.3f}"}
                    elif isinstance(event, FinishedEvent):
                        finished = event
                        yield {status: "Measuring what it learned…"}
                    elif isinstance(event, Taught):
                        taught = event
            finally:
                stop.set()
                context.cores.release()
        if taught is None:
            why = finished.message if finished else "it ended unexpectedly"
            yield {teach_now: teach_button(models), status: f"**Teaching failed:** {why}. Nothing was kept."}
            return
        if models.closed:
            return
        entry = models.add_taught(base.model_name, taught.model, taught.metadata, base.label)
        yield {**pickers.updates(models, entry.key), session: models, teach_now: teach_button(models),
               status: f"**Taught: {taught.right_after} of {len(examples)} of your examples read right now "
                       f"(was {taught.right_before}).** Draw again: the Draw tab now reads with “{entry.label}”.",
               result: result_html(taught, examples, before),
               taught_file: model_files.download_update(models, entry, taught_file, kind="taught",
                                                        label=TAUGHT_LABEL, named=False)}

    teach_now.click(run, [correction.model, session], outputs, api_name="teach",
                    concurrency_limit=context.train_concurrency, concurrency_id="train",
                    show_progress="minimal", show_progress_on=status)

    # For scripts (gradio_client): keep a drawing, sent as gr.Sketchpad sends it, as an example of a digit;
    # returns how many examples the session holds.
    api_sketch = Sketchpad(visible=False, type="pil", image_mode="RGBA", elem_id="api-example-sketchpad")
    api_label = inputs.Number(visible=False, precision=0, minimum=0, maximum=9)
    api_count = gr.Number(visible=False, precision=0)

    def api_add_example(sketch_value: Any, label: float | None, models: SessionModels,
                        request: gr.Request) -> tuple[int, SessionModels]:
        if label is None or not 0 <= label <= 9:
            raise expected_error("The label must be a digit from 0 to 9.")
        digit = sketch_digit(sketch_value)
        add_example(models, None if digit is None else digit.numpy(), int(label), composite_of(sketch_value))
        context.sessions.track(session_id_of(request), models)
        return len(models.examples), models

    api_button = gr.Button(visible=False)
    api_button.click(api_add_example, [api_sketch, api_label, session], [api_count, session], api_name="add_example",
                     show_progress="hidden")


CSS = """
#correct-row { gap: 0.2rem; flex-wrap: nowrap; align-items: center; }
#correct-row > .block:first-child { flex: 0 0 auto !important; width: auto !important; }
@media (max-width: 640px) {
  #correct-row { flex-wrap: wrap; }
  #correct-row > .block:first-child { flex-basis: 100% !important; }
}
#correct-row .correct-prompt { white-space: nowrap; font-size: 0.85rem; opacity: 0.85; padding-right: 0.2rem; }
#correct-row .digit-button { min-width: 1.6rem !important; padding: 0.2rem 0; flex: 1 1 0; }
#teach-buttons { flex-wrap: wrap; }
#your-examples .grid-container { grid-template-columns: repeat(auto-fill, minmax(64px, 1fr)) !important;
  grid-auto-rows: 76px !important; padding-top: 0.25rem !important; }
#your-examples .caption-label { font-size: 0.7rem; padding: 0 0.25rem; }
#your-examples .grid-wrap { height: auto !important; min-height: 90px; max-height: 232px; }
#teach-result .taught-strip { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; }
#teach-result .taught-example { margin: 0; text-align: center; font-size: 0.8rem; min-width: 5.5rem; }
#teach-result .taught-example figcaption { white-space: nowrap; }
#teach-result .taught-example img { width: 56px; height: 56px; image-rendering: pixelated; }
#teach-result .taught-wrong figcaption { color: #b91c1c; }
"""

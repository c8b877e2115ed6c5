"""The Draw tab's teaching panel: the class teaches the model its own handwriting.

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
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from demo.server import gradio_internals, inputs
from demo.server.context import AppContext
from demo.server.gradio_internals import Sketchpad
from demo.server.inputs import composite_of, sketch_digit
from demo.server.language import N_, T, _, duration, n_, number, percent, say
from demo.server.limits import MAX_EXAMPLES_PER_SESSION
from demo.server.log import expected_error
from demo.server.models_state import ModelEntry, SessionModels, require_entry
from demo.server.sessions import session_id_of
from demo.tabs import model_files
from demo.views.pictures import png_uri, zoom_pixels
from demo.views.unavailable import mnist_unavailable_markdown
from mnist_core.data import TEST_SIZE, MNISTData, MNISTUnavailableError
from mnist_core.evaluate import Evaluation
from mnist_core.examples import Example, as_digits, write_examples
from mnist_core.predict import sure
from mnist_core.preprocess import to_uint8_array
from mnist_core.teach import Taught, read_right_each, teach
from mnist_core.train import EvaluatingEvent, FinishedEvent, StartEvent, StepEvent

INTRO = N_("**Teach it your handwriting.** Read wrong? Tap the right digit under the answer: the drawing joins "
           "your examples. With a few of them, press **Teach the model**: this page's own copy learns them "
           "(MNIST is mixed in so it does not forget), and the next drawing is read by it.")
# TRANSLATORS: a download button's label (short: it sits beside three other buttons on a phone).
EXAMPLES_LABEL = N_("⬇ Your examples")
# TRANSLATORS: a download button's label (short: it sits beside three other buttons on a phone).
TAUGHT_LABEL = N_("⬇ Taught model")
#: Seconds between two progress lines while teaching (the first and last of each phase are always shown).
UPDATE_INTERVAL = 0.5
#: What the status says while the chosen model is measured before teaching, and the taught one after.
# TRANSLATORS: a status line; {name} is a model's name (stays English), {done} and {total} are counts of images.
MEASURING_BEFORE = N_("Measuring {name} on the MNIST test set before teaching: {done} of {total} digits")
# TRANSLATORS: a status line; {done} and {total} are counts of images.
MEASURING_AFTER = N_("Measuring what it learned on the MNIST test set: {done} of {total} digits")
#: How a teaching run ended: the taught model (None if it failed) and the training loop's last event.
Outcome = tuple[Taught | None, FinishedEvent | None]


@dataclass
class Correction:
    """What the teaching panel needs from the Draw tab: the digit buttons under the answer, what the last stroke
    left, the model list a teaching run starts from, and the slot the panel fills."""

    buttons: list[gr.Button]  # "0" … "9": the digit the drawing really is
    digit: gr.State  # the last drawing's 28x28 input (float, [0, 1]), or None
    drawing: gr.State  # the last drawing's PNG bytes, or None
    model: gr.Dropdown  # the Draw tab's model list: the model a teaching run starts from
    slot: gr.Column  # where the panel goes


def correction_buttons() -> list[gr.Button]:
    """The row under the answer: "Read wrong? It is a" and one small button per digit (laid out here)."""
    with gr.Row(elem_id="correct-row", equal_height=True):
        # TRANSLATORS: followed by ten buttons 0 … 9 on the same line; keep it short (one line on a phone). Keep the
        # <span> tag as it is.
        gr.HTML(T('<span class="correct-prompt">Read wrong? It is a</span>'), padding=False, min_width=0)
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
    # TRANSLATORS: the caption under one of the visitor's example drawings: the digit it is ("a 4").
    return [(zoom_pixels(e.digit, 3), _("a {digit}", digit=e.label)) for e in examples]


def add_example(models: SessionModels, digit: np.ndarray | None, label: int,
                drawing: Image.Image | bytes | None) -> Example:
    """Keep the last drawing as an example of ``label``; a ``gr.Error`` if there is none or the page holds enough."""
    if digit is None:
        raise expected_error(_("Draw a digit first, then tap the digit it really is."))
    if len(models.examples) >= MAX_EXAMPLES_PER_SESSION:
        raise expected_error(_("This page already holds {count} examples, the most one page keeps: teach the model "
                               "with them, download them, or remove some.", count=number(MAX_EXAMPLES_PER_SESSION)))
    example = Example(to_uint8_array(np.asarray(digit, np.float32)), int(label), _png_bytes(drawing))
    models.examples.append(example)
    return example


def examples_download(models: SessionModels, button: gr.DownloadButton) -> gr.DownloadButton:
    """The examples button offering a fresh zip of this session's examples (or nothing to download yet)."""
    if not models.examples:
        models.drop_download("examples")
        return gr.DownloadButton(value=None, label=_(EXAMPLES_LABEL), interactive=False)
    path = model_files.download_folder() / "your-examples.zip"
    write_examples(path, models.examples)
    return model_files.offer(models, path, button, "examples", EXAMPLES_LABEL, named=False)


def teach_button(models: SessionModels) -> gr.Button:
    n = len(models.examples)
    # TRANSLATORS: the teach button, with how many examples it will learn (short: a button on a phone).
    text = n_("Teach the model ({count} example)", "Teach the model ({count} examples)", n) if n else \
        _("Teach the model")
    return gr.Button(text, interactive=n > 0)


def seconds_left(done: int, total: int, seconds: float) -> str:
    """How long the rest of ``total`` pieces of work will take at the speed measured on the ``done`` so far, in
    ``seconds`` ("" before any is done, or once all are: nothing to estimate)."""
    if done <= 0 or done >= total:
        return ""
    left = seconds / done * (total - done)
    if left < 1:
        return _("under a second left")
    # TRANSLATORS: how long a piece of work still takes; {duration} is written by the app ("14 sec", "2 min").
    return _("about {duration} left", duration=duration(math.ceil(left)))


def step_status(name: str, n_examples: int, event: StepEvent, first: StepEvent) -> str:
    """The status line while teaching: the step, the loss, and how long the steps left will take at the speed
    measured since the ``first`` step (which also pays for starting up); the test-set check that follows has its
    own line and its own estimate."""
    left = seconds_left(event.global_step - first.global_step, event.total_steps - first.global_step,
                        event.elapsed - first.elapsed)
    # TRANSLATORS: a status line while teaching. {name} is a model's name (stays English); {step} and {total} count
    # training steps; {loss} is a number. Keep the word "loss" in English: the text in brackets explains it.
    teaching = n_("Teaching {name} your example: step {step} of {total} · loss (how wrong it still is) {loss}",
                  "Teaching {name} your {count} examples: step {step} of {total} · loss (how wrong it still is) "
                  "{loss}", n_examples, name=html.escape(name), step=number(event.global_step),
                  total=number(event.total_steps), loss=number(event.loss, 3))
    # TRANSLATORS: follows a teaching status line; {left} is e.g. "about 14 sec left".
    then = _("{left}, then a check on the MNIST test set", left=left) if left else \
        _("then a check on the MNIST test set")
    return f"{teaching} · {then}"


def measuring_status(lead: str, event: EvaluatingEvent, **values: str) -> str:
    """The status line while a model is measured on the MNIST test set: ``lead`` (what is measured and how far it
    has got: :data:`MEASURING_BEFORE` or :data:`MEASURING_AFTER`, filled with ``values``), and how long the rest
    will take at the speed measured so far."""
    left = seconds_left(event.done, event.total, event.seconds)
    measuring = _(lead, done=number(event.done), total=number(event.total), **values)
    return f"{measuring} · {left}" if left else measuring


def not_sure(digit: int) -> str:
    """How a reading that is not sure is written, the Draw tab's answer and the teaching result alike: "not sure:
    4?"."""
    # TRANSLATORS: the answer when the model doubts (the Draw tab's top label, and in the teaching result); {digit}
    # is the digit it leans to. Short.
    return _("not sure: {digit}?", digit=digit)


def _reading(probabilities: Any, label: int) -> str:
    """One example's reading as the Draw tab showed it: "4 ✓" (right and sure), "9 ✗", or "not sure: 4?"
    (not read right, whichever digit it leaned to)."""
    digit = int(probabilities.argmax())
    if not bool(sure(probabilities)):
        return not_sure(digit)
    return f"{digit} {'✓' if digit == label else '✗'}"


def result_html(taught: Taught, examples: list[Example], before_accuracy: float | None) -> str:
    """What teaching did: every example read before → after (✓ right, ✗ wrong, "not sure: 4?" not counted as
    right, as the Draw tab showed it), and the MNIST test accuracy."""
    n = len(examples)
    cells = []
    right_after = read_right_each(taught.after, taught.labels)
    for i, example in enumerate(examples):
        before, after = _reading(taught.before[i], example.label), _reading(taught.after[i], example.label)
        right = bool(right_after[i])
        # TRANSLATORS: a picture's description for screen readers: {number} counts the examples, {digit} is the
        # digit the drawing is.
        alt = html.escape(_("your example {number}, a {digit}", number=i + 1, digit=example.label), quote=True)
        # TRANSLATORS: under one example: the digit it is, how it was read before teaching → after (e.g. "4 ✓").
        caption = _("a {digit}: {before} → <b>{after}</b>", digit=example.label, before=before, after=after)
        cells.append(f'<figure class="taught-example {"taught-right" if right else "taught-wrong"}">'
                     f'<img class="inside-img" src="{png_uri(zoom_pixels(example.digit, 2))}" '
                     f'alt="{alt}"><figcaption>{caption}</figcaption></figure>')
    after_accuracy = taught.test_accuracy
    if before_accuracy is not None and after_accuracy is not None:
        change = round((after_accuracy - before_accuracy) * 100, 2)
        # TRANSLATORS: {size} is the test set's size (10,000); {before} and {after} are percentages; {change} is a
        # signed number of percentage points ("+0.05", "-1.20").
        mnist = _("MNIST test set ({size} digits it never trained on): <b>{before} → {after}</b> ({change} points): "
                  "what learning your hand cost.", size=number(TEST_SIZE), before=percent(before_accuracy, 2),
                  after=percent(after_accuracy, 2), change=("-" if change < 0 else "+") + number(abs(change), 2))
    else:
        mnist = ""
    counts = {"before": taught.right_before, "after": taught.right_after, "count": n}
    if taught.status == "stopped":
        read = _("<b>Your examples read right: {before} of {count} before → {after} of {count} after</b> (stopped "
                 "early).", **counts)
    else:
        read = _("<b>Your examples read right: {before} of {count} before → {after} of {count} after</b>.", **counts)
    # TRANSLATORS: the key under the examples; {example} is how a not-sure reading is written ("not sure: 4?").
    legend = _("before → after for each example: ✓ read right, ✗ read wrong, “{example}” not sure (not counted as "
               "read right).", example=not_sure(4))
    return (f'<div class="taught"><p>{read} {mnist}</p>'
            f'<div class="taught-strip">{"".join(cells)}</div>'
            f'<div class="legend">{legend}</div></div>')


@dataclass
class TeachPanel:
    """The teaching panel's components and the handlers of its events (each returns ``{component: value}``)."""

    context: AppContext
    session: gr.State
    teach_now: gr.Button
    remove: gr.Button
    examples_file: gr.DownloadButton  # this session's examples, as a zip
    taught_file: gr.DownloadButton  # the taught model's checkpoint
    gallery: gr.Gallery
    status: gr.Markdown
    result: gr.HTML
    selected: gr.State  # the gallery's selected example, or None

    def examples_outputs(self) -> list[Any]:
        """What a change to the examples updates."""
        return [self.gallery, self.examples_file, self.teach_now, self.remove, self.selected, self.status,
                self.session]

    def teach_outputs(self) -> list[Any]:
        """What a teaching run updates, every model list included."""
        return [self.status, self.result, self.session, self.teach_now, self.taught_file,
                *self.context.pickers.pickers]

    def examples_changed(self, models: SessionModels, message: str) -> dict[Any, Any]:
        return {self.gallery: gallery_items(models.examples),
                self.examples_file: examples_download(models, self.examples_file),
                self.teach_now: teach_button(models), self.remove: gr.Button(interactive=False), self.selected: None,
                self.status: message, self.session: models}

    def on_correct(self, label: int, digit: np.ndarray | None, drawing: bytes | None,
                   models: SessionModels, request: gr.Request) -> dict[Any, Any]:
        """Keep the last drawing as an example of ``label``."""
        add_example(models, digit, label, drawing)
        self.context.sessions.track(session_id_of(request), models)  # so closing the page frees them
        n = len(models.examples)
        # TRANSLATORS: a short message after the visitor tapped the right digit; {digit} is that digit.
        gr.Info(n_("Kept as a {digit}: {count} example. Teach the model under the drawing.",
                   "Kept as a {digit}: {count} examples. Teach the model under the drawing.", n, digit=label),
                duration=3)  # said where the visitor looks: the gallery may be off screen (a phone)
        return self.examples_changed(models, n_(
            "Kept as a **{digit}**: {count} example so far. Draw more (a few of each digit it gets wrong), then "
            "**Teach the model**.",
            "Kept as a **{digit}**: {count} examples so far. Draw more (a few of each digit it gets wrong), then "
            "**Teach the model**.", n, digit=label))

    def keeper(self, label: int) -> Callable[..., dict[Any, Any]]:
        """The handler of the button for ``label`` (Gradio passes the request to a parameter annotated so)."""
        def keep(digit: np.ndarray | None, drawing: bytes | None, models: SessionModels,
                 request: gr.Request) -> dict[Any, Any]:
            return self.on_correct(label, digit, drawing, models, request)
        return keep

    def on_select(self, event: gr.SelectData) -> dict[Any, Any]:
        return {self.selected: event.index, self.remove: gr.Button(interactive=True)}

    def on_remove(self, index: int | None, models: SessionModels) -> dict[Any, Any]:
        if index is None or not 0 <= index < len(models.examples):
            raise expected_error(_("Tap an example in the gallery first, then remove it."))
        gone = models.examples.pop(index)
        # TRANSLATORS: {number} is the example's place in the gallery, {digit} the digit it was.
        return self.examples_changed(models, _("Removed example #{number} (a {digit}).", number=index + 1,
                                               digit=gone.label))

    def run(self, key: str | None, models: SessionModels, request: gr.Request) -> Iterator[dict[Any, Any]]:
        """Teach a copy of the chosen model this session's examples, streaming progress; add it to every list."""
        base = require_entry(self.context.catalog, models, key)
        examples = list(models.examples)
        if not examples:
            raise expected_error(_("Tap the right digit under a wrong answer first: there are no examples to learn."))
        yield {self.teach_now: gr.Button(interactive=False),
               self.status: _("Loading MNIST (mixed in so it does not forget)…")}
        try:
            data = self.context.load_data()
        except MNISTUnavailableError as exc:
            yield {self.teach_now: teach_button(models), self.status: mnist_unavailable_markdown(exc)}
            return
        before = (yield from self._measured_before(base, data)).accuracy
        outcome = yield from self._teaching(base, examples, data, models, session_id_of(request))
        if outcome is None:  # its page closed while it waited (Gradio still started it): nobody to teach for
            return
        taught, finished = outcome
        if taught is None:
            why = say(finished.message) if finished else _("it ended unexpectedly")
            # TRANSLATORS: {why} is what went wrong (often a technical message in English).
            yield {self.teach_now: teach_button(models),
                   self.status: _("**Teaching failed:** {why}. Nothing was kept.", why=why)}
            return
        if not models.closed:
            yield self._kept(base, taught, examples, before, models)

    def _measured_before(self, base: ModelEntry, data: MNISTData) -> Generator[dict[Any, Any], None, Evaluation]:
        """The chosen model's test-set evaluation (:meth:`ModelEntry.evaluating_on`: the one it keeps, else measured
        now and kept, so the Confusion tab then has it at once), streaming how far the measuring has got."""
        progress = base.evaluating_on(data)
        last = 0.0
        try:
            while True:
                event = next(progress)
                if not last or time.monotonic() - last >= UPDATE_INTERVAL or event.done == event.total:
                    last = time.monotonic()
                    yield {self.status: measuring_status(MEASURING_BEFORE, event, name=html.escape(base.name))}
        except StopIteration as end:
            return end.value

    def _teaching(self, base: ModelEntry, examples: list[Example], data: MNISTData, models: SessionModels,
                  session_id: str) -> Generator[dict[Any, Any], None, Outcome | None]:
        """Run :func:`mnist_core.teach.teach` as the session's run (so closing the page stops it), streaming its
        progress; return what it taught and its last event, or ``None`` if the page closed before it began."""
        context, stop = self.context, threading.Event()
        taught: Taught | None = None
        finished: FinishedEvent | None = None
        first: StepEvent | None = None  # the speed is measured from it on
        last = 0.0
        with context.sessions.running(session_id, models, stop, gradio_internals.page_left):
            if models.closed:
                return None
            try:
                for event in teach(base.model, base.model_name, as_digits(examples), data, base_metadata=base.metadata,
                                   stop=stop, device="cpu", data_dir=context.data_dir):
                    if isinstance(event, StartEvent):
                        # The drawings just before were this visitor's, who now waits: lend every core at once
                        # (measured: 10.7 s on one thread, 5.9 s on two); the next prediction takes them back.
                        context.cores.update(context.sessions.runs_active, quiet_seconds=0)
                    elif isinstance(event, StepEvent):
                        first = first or event
                        if time.monotonic() - last >= UPDATE_INTERVAL or event.global_step == event.total_steps:
                            last = time.monotonic()
                            yield {self.status: step_status(base.name, len(examples), event, first)}
                    elif isinstance(event, EvaluatingEvent):
                        if time.monotonic() - last >= UPDATE_INTERVAL or event.done == event.total:
                            last = time.monotonic()
                            yield {self.status: measuring_status(MEASURING_AFTER, event)}
                    elif isinstance(event, FinishedEvent):
                        finished = event
                        yield {self.status: _("Measured: reading your examples with it…") if event.test_accuracy
                               is not None else _("Stopped: measuring what it learned so far…")}
                    elif isinstance(event, Taught):
                        taught = event
            finally:
                stop.set()
                context.cores.release()
        return taught, finished

    def _kept(self, base: ModelEntry, taught: Taught, examples: list[Example], before: float,
              models: SessionModels) -> dict[Any, Any]:
        """The page once the taught model is kept: in every model list, its result, and its download."""
        entry = models.add_taught(base.model_name, taught.model, taught.metadata)
        return {**self.context.pickers.updates(models, entry.key), self.session: models,
                self.teach_now: teach_button(models),
                # TRANSLATORS: {model} is the taught model's name (stays English); "Draw" is the Draw tab's name.
                self.status: _("**Taught: {after} of {count} of your examples read right now (was {before}).** Draw "
                               "again: the Draw tab now reads with “{model}”.", after=taught.right_after,
                               count=len(examples), before=taught.right_before, model=entry.label),
                self.result: result_html(taught, examples, before),
                self.taught_file: model_files.download_update(models, entry, self.taught_file, kind="taught",
                                                              label=TAUGHT_LABEL, named=False)}


@dataclass
class ExampleApi:
    """``/add_example``, for scripts (``gradio_client``): keep a drawing, sent as ``gr.Sketchpad`` sends it, as an
    example of a digit; it answers how many examples the session holds."""

    context: AppContext
    count: gr.Number
    session: gr.State

    def api_add_example(self, sketch_value: Any, label: float | None, models: SessionModels,
                        request: gr.Request) -> dict[Any, Any]:
        if label is None or not 0 <= label <= 9:
            raise expected_error(_("The label must be a digit from 0 to 9."))
        digit = sketch_digit(sketch_value)
        add_example(models, None if digit is None else digit.numpy(), int(label), composite_of(sketch_value))
        self.context.sessions.track(session_id_of(request), models)
        return {self.count: len(models.examples), self.session: models}


def build(context: AppContext, session: gr.State, correction: Correction) -> None:
    """Fill the Draw tab's teaching slot and wire the digit buttons, the gallery and Teach. Call after every tab has
    made its model list: a taught model joins all of them."""
    with correction.slot:
        gr.Markdown(T(INTRO), elem_id="teach-intro")
        with gr.Row(elem_id="teach-buttons"):
            teach_now = gr.Button(T("Teach the model"), variant="primary", interactive=False, elem_id="teach-button",
                                  scale=2, min_width=200)
            # TRANSLATORS: a button: removes the example picked in the gallery (short).
            remove = gr.Button(T("Remove selected"), size="md", interactive=False, elem_id="remove-example",
                               min_width=160)
            examples_file = gr.DownloadButton(T(EXAMPLES_LABEL), value=None, interactive=False, size="md",
                                              elem_id="download-examples", min_width=200)
            taught_file = gr.DownloadButton(T(TAUGHT_LABEL), value=None, interactive=False, size="md",
                                            elem_id="download-taught", min_width=200)
        # TRANSLATORS: "Remove selected" is the button's name, as translated above.
        gr.Markdown(T("**Your examples** (tap one to select it, then *Remove selected*):"),
                    elem_id="your-examples-title")
        gallery = gr.Gallery(value=[], label=T("Your examples"), show_label=False, height="auto", allow_preview=False,
                             object_fit="contain", format="png", elem_id="your-examples", buttons=[])
        status = gr.Markdown("", elem_id="teach-status")
        result = gr.HTML("", elem_id="teach-result")
    panel = TeachPanel(context, session, teach_now, remove, examples_file, taught_file, gallery, status, result,
                       selected=gr.State(None))
    _wire(panel, correction)
    _api_endpoint(context, session)


def _wire(panel: TeachPanel, correction: Correction) -> None:
    session, changed = panel.session, panel.examples_outputs()
    for d, button in enumerate(correction.buttons):
        button.click(panel.keeper(d), [correction.digit, correction.drawing, session], changed, show_progress="hidden",
                     api_visibility="private")
    panel.gallery.select(panel.on_select, None, [panel.selected, panel.remove], show_progress="hidden",
                         api_visibility="private")
    panel.remove.click(panel.on_remove, [panel.selected, session], changed, show_progress="hidden",
                       api_visibility="private")
    panel.teach_now.click(panel.run, [correction.model, session], panel.teach_outputs(), api_name="teach",
                          concurrency_limit=panel.context.train_concurrency, concurrency_id="train",
                          show_progress="minimal", show_progress_on=panel.status)


def _api_endpoint(context: AppContext, session: gr.State) -> None:
    api_sketch = Sketchpad(visible=False, type="pil", image_mode="RGBA", elem_id="api-example-sketchpad")
    api_label = inputs.Number(visible=False, precision=0, minimum=0, maximum=9)
    api = ExampleApi(context, gr.Number(visible=False, precision=0), session)
    api_button = gr.Button(visible=False)
    api_button.click(api.api_add_example, [api_sketch, api_label, session], [api.count, session],
                     api_name="add_example", show_progress="hidden")

CSS = """
#correct-row { gap: 0.2rem; flex-wrap: nowrap; align-items: center; }
#correct-row > .block:first-child { flex: 0 0 auto !important; width: auto !important; }
@media (max-width: 640px) {
  #correct-row { flex-wrap: wrap; }
  #correct-row > .block:first-child { flex-basis: 100% !important; }
}
#correct-row .correct-prompt { white-space: nowrap; font-size: 0.85rem; opacity: 0.85; padding-right: 0.2rem; }
@media (min-width: 1600px) {  /* the prompt is how a class learns it can teach: readable from the back on a projector */
  #correct-row .correct-prompt { font-size: 1.1rem; }
}
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

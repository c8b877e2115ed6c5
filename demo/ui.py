"""Assemble the tabs into one ``gr.Blocks`` app, with the look it needs on a projector."""

from __future__ import annotations

import os

import gradio as gr

from demo import confusion_tab, dataset_tab, draw_tab, lesson, model_tab, pictures, train_tab
from demo.context import AppContext
from demo.limits import temp_cleanup
from demo.models_state import SessionModels, end_session, free_session
from demo.temp_files import start_cleanup

TITLE = "MNIST live: watch a neural network learn to read digits"

#: Large type and a roomy sketchpad: the app is projected in classrooms.
CSS = """
.gradio-container { max-width: 1500px !important; }
#app-title h1 { font-size: 2.2rem; margin-bottom: 0; }
#prediction .output-class { font-size: 4rem !important; }
#model-input img { image-rendering: pixelated; }
.tab-container button, button[role="tab"] { font-size: 1.15rem !important; font-weight: 600; }
#train-status h3 { margin: 0.2rem 0; }
#layer-table, #per-class { font-size: 1.05rem; }
""" + pictures.CSS + lesson.CSS

THEME = gr.themes.Soft(primary_hue="blue", text_size="lg")

#: Gradio 6's sketchpad opens with no tool selected ("select the draw tool to start"), has no
#: Python option for a default tool, and drops the tool again when its value is cleared. This
#: page script selects the brush once the page has loaded, and defines ``window.mnistClear`` for
#: the Clear button: it presses the sketchpad's own "Clear canvas" and selects the brush again, so
#: a visitor can always draw straight away. The sketchpad carries ``data-brush-ready`` while the
#: brush is selected, so a test can wait for exactly that instead of a fixed time. Buttons are
#: found by their label, else by their place (brush and eraser are the last two, "Clear canvas"
#: the sixth), so a translated label still works.
JS = """
() => {
  const pick = (deadline) => {
    const pad = document.querySelector('#sketchpad');
    const buttons = pad ? Array.from(pad.querySelectorAll('button')) : [];
    const brush = buttons.find((b) => b.getAttribute('aria-label') === 'Brush') || buttons[buttons.length - 2];
    if (pad && pad.querySelector('canvas') && brush) {
      brush.click();
      pad.dataset.brushReady = '1';  // a signal for tests (and scripts) that drawing works now
      return;
    }
    if (Date.now() < deadline) setTimeout(() => pick(deadline), 200);
  };
  window.mnistSelectBrush = () => setTimeout(() => pick(Date.now() + 5000), 150);
  window.mnistClear = () => {
    const pad = document.querySelector('#sketchpad');
    const buttons = pad ? Array.from(pad.querySelectorAll('button')) : [];
    const trash = buttons.find((b) => b.getAttribute('aria-label') === 'Clear canvas') || buttons[5];
    if (pad) delete pad.dataset.brushReady;
    if (trash) trash.click();
    window.mnistSelectBrush();
  };
  setTimeout(() => pick(Date.now() + 20000), 300);
}
"""


#: Events run at once per event listener without a limit of its own (the heavy ones all set theirs).
DEFAULT_CONCURRENCY = 4


def build_demo(data_dir: str | os.PathLike[str] | None = None, assets_dir: str | os.PathLike[str] | None = None,
               train_concurrency: int | None = None) -> gr.Blocks:
    """The whole app, queued; ``data_dir`` is where MNIST is (or will be downloaded), ``assets_dir`` the checkpoints.

    The queue is set up here, so every way of serving the app gets the same: ``python app.py``,
    ``gradio app.py`` and the tests. ``api_open=False`` closes Gradio's direct REST routes
    (``/gradio_api/run/...``) to every queued event: they ran outside the queue, so eight
    requests at once decoded eight images at once whatever the concurrency limits said.
    ``gradio_client`` and the page use the queue, and keep working.
    """
    context = AppContext.create(data_dir=data_dir, assets_dir=assets_dir, train_concurrency=train_concurrency)
    with gr.Blocks(title=TITLE) as demo:
        session = gr.State(SessionModels(), delete_callback=free_session)
        gr.Markdown(f"# {TITLE}\nDraw a digit for the model to read, train your own model live, "
                    "and look inside its mistakes.", elem_id="app-title")
        with gr.Tabs():
            with gr.Tab("Draw", id="draw"):
                draw = draw_tab.build(context, session)
            with gr.Tab("Train", id="train") as train_page:
                train_slot = gr.Column()
            with gr.Tab("Confusion matrix", id="confusion") as confusion_page:
                confusion_model = confusion_tab.build(context, session, confusion_page)
            with gr.Tab("Dataset", id="dataset") as dataset_page:
                dataset_tab.build(context, dataset_page)
            with gr.Tab("Model", id="model") as model_page:
                layers_model = model_tab.build(context, session, model_page)
        # The Train tab is filled last because it updates the other tabs' model lists.
        with train_slot:
            train_tab.build(context, session, [draw.model, confusion_model, layers_model], draw.model)
        del train_page
        demo.unload(end_visit)
        if context.catalog.errors:
            gr.Markdown("Some checkpoints in `assets/` could not be used:\n\n" +
                        "\n".join(f"- {e}" for e in context.catalog.errors))
    start_cleanup(demo, *temp_cleanup())  # Gradio's own delete_cache stops for good under load
    return demo.queue(api_open=False, default_concurrency_limit=DEFAULT_CONCURRENCY)


def end_visit(request: gr.Request) -> None:
    """The visitor closed the page: end their training run and free the models they trained."""
    train_tab.stop_for_request(request)
    end_session(train_tab.session_id_of(request))

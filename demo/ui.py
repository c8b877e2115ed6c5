"""Assemble the tabs into one ``gr.Blocks`` app, with the look it needs on a projector."""

from __future__ import annotations

import os

import gradio as gr

from demo.server.context import AppContext
from demo.server.gradio_internals import CheckedBlocks
from demo.server.gradio_internals import install as wake_queue_on_events
from demo.server.language import N_, T
from demo.server.limits import EVENT_CONCURRENCY, temp_cleanup
from demo.server.models_state import SessionModels
from demo.server.sessions import session_id_of
from demo.server.temp_files import start_cleanup
from demo.tabs import confusion as confusion_tab
from demo.tabs import dataset as dataset_tab
from demo.tabs import draw as draw_tab
from demo.tabs import model as model_tab
from demo.tabs import model_files
from demo.tabs import teach as teach_panel
from demo.tabs import train as train_tab
from demo.views import (
    accessibility,
    bars,
    charts,
    diagram,
    drawing_pad,
    join,
    language_picker,
    lesson,
    picker_text,
    pictures,
)
from demo.views.assets import asset
from demo.views.readings import CSS as READINGS_CSS

TITLE = accessibility.TITLE  # the browser tab's title (in English; the page turns it to its language)

#: Large type, and a canvas sized so that it and the answer fit one screen: the app is projected in
#: classrooms, run on laptops (1280 x 800) and opened on phones (390 x 844). ``--pad-size`` is the
#: canvas's side: what the screen's height leaves after the title, tabs and the canvas's toolbar.
#: On a projector (1600 px wide or more) the page uses the whole width, and the theme's type sizes
#: grow by about a fifth so the back of the room can read them. Gradio scopes the app's CSS to its own
#: container (a ``:root`` rule never applies), and the theme resolves sizes like ``--body-text-size:
#: var(--text-md)`` once, at the root: so ``app.css`` sets the sizes and the theme's names for them again
#: together, on the elements inside the app. Each view and tab adds the styles of its own blocks.
CSS = asset("app.css") + pictures.CSS + lesson.CSS + drawing_pad.CSS
CSS += confusion_tab.CSS + dataset_tab.CSS + diagram.CSS
CSS += READINGS_CSS + teach_panel.CSS + bars.CSS + join.CSS + charts.CSS + picker_text.CSS + accessibility.CSS
CSS += language_picker.CSS
#: The tabs' names, in their order (the head script writes them in the page's language, as Gradio does not).
TAB_NAMES = [N_("Draw"), N_("Train"), N_("Confusion matrix"), N_("Dataset"), N_("Model")]
HEAD = accessibility.head(TAB_NAMES)

#: Soft's blue, one shade darker wherever it is text or behind white text: its own (blue 500) gives 3.0:1 on the
#: label's pale blue and 3.7:1 under white, below WCAG AA's 4.5:1 for normal text (axe's colour-contrast rule,
#: ``tests/test_accessibility.py``); blue 700 gives 5.6:1 and 6.7:1. The greyed-out help text (neutral 400,
#: 2.4:1) becomes neutral 600 (7.2:1).
THEME = gr.themes.Soft(primary_hue="blue", text_size="lg").set(
    block_label_text_color="*primary_700", block_title_text_color="*primary_700",
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700", color_accent="*primary_700",
    body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_300")


def _header(demo: gr.Blocks, context: AppContext) -> language_picker.LanguagePicker:
    """The title, and beside it where a teacher finds how students join and, under that, the language picker."""
    with gr.Row(elem_id="app-header"):
        gr.Markdown(T("# MNIST live: watch a neural network learn to read digits\nDraw a digit for the model to "
                      "read, train your own model live, and look inside its mistakes."), elem_id="app-title")
        with gr.Column(elem_id="header-side", scale=0, min_width=0):
            join.build(demo)
            return language_picker.build(context.languages)


def _tabs(context: AppContext, session: gr.State) -> tuple[draw_tab.DrawTab, gr.Column]:
    """The five tabs; what the Draw tab leaves to wire, and the Train tab's column, are filled by :func:`build_demo`
    once every model list exists."""
    # "wrap": on a phone the tabs that do not fit one row take a second one. Gradio's default hides them behind a
    # "⋯" menu, where students did not find the Confusion matrix, Dataset and Model tabs. Wider screens fit one row.
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab(T(TAB_NAMES[0]), id="draw"):
            draw = draw_tab.build(context, session)
        with gr.Tab(T(TAB_NAMES[1]), id="train"):
            train_slot = gr.Column()
        with gr.Tab(T(TAB_NAMES[2]), id="confusion") as confusion_page:
            confusion_tab.build(context, session, confusion_page)
        with gr.Tab(T(TAB_NAMES[3]), id="dataset") as dataset_page:
            dataset_tab.build(context, dataset_page)
        with gr.Tab(T(TAB_NAMES[4]), id="model") as model_page:
            model_tab.build(context, session, model_page)
    return draw, train_slot


def build_demo(data_dir: str | os.PathLike[str] | None = None, assets_dir: str | os.PathLike[str] | None = None,
               train_concurrency: int | None = None, context: AppContext | None = None) -> gr.Blocks:
    """The whole app, queued; ``data_dir`` is where MNIST is (or will be downloaded), ``assets_dir`` the checkpoints.

    ``context`` (instead of the three settings) lets a caller keep the app's records, e.g. a test its
    :class:`~demo.server.sessions.Sessions`.

    The queue is set up here, so every way of serving the app gets the same: ``python app.py``,
    ``gradio app.py`` and the tests. ``api_open=False`` closes Gradio's direct REST routes
    (``/gradio_api/run/...``) to every queued event: they ran outside the queue, so eight
    requests at once decoded eight images at once whatever the concurrency limits said.
    ``gradio_client`` and the page use the queue, and keep working.
    """
    if context is None:
        context = AppContext.create(data_dir=data_dir, assets_dir=assets_dir, train_concurrency=train_concurrency)
    with CheckedBlocks(title=TITLE) as demo:
        demo.languages = context.languages  # each event is served in its page's language
        session = gr.State(SessionModels(), delete_callback=context.sessions.forget)
        language = _header(demo, context)
        picker_text.picker_text()  # every dropdown shows its whole choice
        draw, train_slot = _tabs(context, session)
        # Wired last, once every tab has made its model list (``context.pickers``): an uploaded checkpoint, a taught
        # model and a trained one join all of them. The Draw tab laid out the upload and the teaching panel's slot.
        model_files.wire_upload(context, session, draw.upload, draw.upload_message)
        teach_panel.build(context, session, draw.correction)
        with train_slot:
            train = train_tab.build(context, session)

        def end_visit(request: gr.Request) -> None:
            """The visitor closed the page: end their training run and free the models they trained."""
            context.sessions.end(session_id_of(request))
            context.languages.forget(session_id_of(request))

        demo.unload(end_visit)
        # Written again in the page's language once it is known, and at every switch: the model lists' accuracies
        # and the Draw tab's answer, lesson and captions (built once for every visitor, in English).
        language.picker.change(context.pickers.relabelled, session, context.pickers.pickers,
                               api_visibility="private", show_progress="hidden")
        draw.refresh_on([language.picker.change])
        # Once per page only: a later switch would wipe the chart of a run.
        language.wire_load(demo, train.texts, train.text_outputs())
        if context.catalog.errors:
            gr.Markdown(T("Some checkpoints in `assets/` could not be used:"))
            gr.Markdown("\n".join(f"- {e}" for e in context.catalog.errors))  # file names and reasons: as logged
    start_cleanup(demo, *temp_cleanup())  # Gradio's own delete_cache stops for good under load
    demo.queue(api_open=False, default_concurrency_limit=EVENT_CONCURRENCY)
    wake_queue_on_events(demo)  # Gradio's queue looks for work every millisecond, even with no visitor
    return demo


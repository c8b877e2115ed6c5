"""Train tab: the class watches a network learn, live.

The handler is a generator that loads the data, then iterates
:func:`demo.tabs.train_run.train_anywhere` (the training itself, which on a ZeroGPU Space runs in a
GPU worker process, or on the CPU when ZeroGPU refuses it) and yields a chart update at most a
few times a second (training runs flat out in between). Stop sets the run's
:class:`~demo.tabs.train_run.RunStop`; the trainer checks it before every step, so the run ends
within one step and the model keeps what it learned. If the visitor closes the tab, Gradio
closes the generator: its ``finally`` sets the same flag, so a run never trains on for nobody.
Runs go through Gradio's queue with a concurrency limit, so a
second visitor sees their place in the queue instead of halving everybody's speed, and how long the
runs ahead will take (:mod:`demo.server.queue_wait`, shown by a step outside the queue). The session's
models, its running run (``context.sessions``) and the page's state stay in the app's own process.

Under the chart, ten fixed test digits (the first of each class, ``one_per_class``) show what
the model being trained reads at each chart update, and the first convolution's filters are
redrawn after every epoch: the class sees the network learn, not just a falling line.

Every text is the visitor's language's: fixed labels as browser-translated keys (``T``), and what a run says as it
goes through ``_``/``n_``, its numbers through Babel. "loss" and "epoch" stay English inside the translated
sentences; the tab's first line says what each means.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from demo.server import gradio_internals, inputs
from demo.server.context import AppContext
from demo.server.language import N_, T, _, n_, number, percent, say
from demo.server.log import expected_error
from demo.server.models_state import ModelPickers, SessionModels
from demo.server.queue_wait import DataSize, estimate
from demo.server.sessions import session_id_of
from demo.tabs import model_files
from demo.tabs.train_run import OnCpuInstead, Progress, RunStop, Trained, train_anywhere
from demo.views.assets import asset
from demo.views.charts import TrainingCurve, training_figure
from demo.views.unavailable import mnist_unavailable_markdown
from mnist_core.data import MNISTUnavailableError
from mnist_core.handwriting import HandwritingUnavailableError
from mnist_core.models import MODELS, UnknownModelError, count_parameters_of, flops_per_image
from mnist_core.recipes import RECIPES, InvalidRecipeError, Recipe, get_recipe
from mnist_core.runs import TrainingData
from mnist_core.train import EpochEvent, FinishedEvent, StartEvent, StepEvent

DEFAULT_RECIPE = "fast"
#: What the recipe list shows for each recipe: the two named for what they do are translated (browser-side), the two
#: named after their seeds are names.
RECIPE_LABELS = {
    # TRANSLATORS: a recipe in the Train tab's list: the quickest way to a good model.
    "fast": N_("fast"),
    # TRANSLATORS: a recipe in the Train tab's list: how the app's own drawing model was trained.
    "drawing": N_("drawing"),
}


def clock(seconds: float | None) -> str:
    """Seconds as m:ss (or h:mm:ss), the way people read a timer."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "–"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def step_status(event: StepEvent, recipe: Recipe, accuracies: list[float], threads: int | None = None) -> str:
    """Progress line while training: where we are, how fast (on how many CPU threads), how long left."""
    remaining = (event.total_steps - event.global_step) * recipe.batch_size / max(event.images_per_sec, 1e-9)
    # TRANSLATORS: the heading of the Train status; keep "Epoch" in English (one pass over all training digits).
    where = _("Epoch {epoch} of {epochs} · step {step} of {steps}", epoch=str(event.epoch), epochs=str(recipe.epochs),
              step=number(event.step), steps=number(event.steps_per_epoch))
    speed = number(event.images_per_sec, 0)
    # TRANSLATORS: how fast a run trains; {speed} is a number of images per second.
    parts = [n_("**{speed}** images/s on {count} CPU thread", "**{speed}** images/s on {count} CPU threads", threads,
                speed=speed) if threads else _("**{speed}** images/s", speed=speed),
             # TRANSLATORS: {time} is a timer, e.g. "1:15" (minutes:seconds).
             _("elapsed **{time}**", time=clock(event.elapsed)),
             # TRANSLATORS: the time a run still needs (estimated time of arrival); {time} is a timer, e.g. "1:15".
             _("ETA **{time}**", time=clock(remaining)),
             # TRANSLATORS: keep "loss" in English: how wrong the model still is (a number, lower is better).
             _("loss {loss}", loss=number(event.loss, 4))]
    if accuracies:
        parts.append(_("last test accuracy **{percent}**", percent=percent(accuracies[-1], 2)))
    return f"### {where}\n" + " · ".join(parts)


def _load_data_with_progress(context: AppContext, recipe: Recipe) -> Iterator[str | TrainingData]:
    """Yield progress messages while the recipe's data loads (downloading if needed), then the data itself."""
    messages: queue.Queue[str] = queue.Queue()
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["data"] = context.load_training_data(recipe, progress=messages.put)
        except (MNISTUnavailableError, HandwritingUnavailableError) as exc:
            result["error"] = exc

    worker = threading.Thread(target=work, name="mnist-load", daemon=True)
    worker.start()
    while worker.is_alive() or not messages.empty():
        try:
            yield messages.get(timeout=0.25)
        except queue.Empty:
            continue
    if "error" in result:
        raise result["error"]
    yield result["data"]


@dataclass
class SettingsForm:
    """The run's settings: a recipe, and the fields it fills (each can be changed before Start)."""

    recipe: gr.Dropdown
    recipe_info: gr.Markdown  # the recipe's description
    model: gr.Dropdown
    epochs: gr.Number
    batch: gr.Number
    lr: gr.Number
    seed: gr.Number

    def values(self) -> list[Any]:
        """The ``/train`` endpoint's first inputs, in the order it has always taken them."""
        return [self.model, self.recipe, self.epochs, self.batch, self.lr, self.seed]

    def recipe_defaults(self, recipe_name: str) -> dict[Any, Any]:
        """A recipe's model, epochs, batch size, learning rate, seed and description, into the fields."""
        try:
            recipe = get_recipe(recipe_name)
        except InvalidRecipeError as exc:
            raise expected_error(refusal_text(exc)) from None
        return {self.model: recipe.model, self.epochs: recipe.epochs, self.batch: recipe.batch_size,
                self.lr: recipe.lr, self.seed: recipe.seed, self.recipe_info: T(recipe.description)}


@dataclass
class TrainView:
    """What a run updates (the form's buttons, the live displays, every model picker of the app), and the handlers
    of Start and Stop (each returns or yields ``{component: value}``)."""

    context: AppContext
    start: gr.Button
    stop: gr.Button
    status: gr.Markdown
    chart: gr.Plot
    probes: gr.HTML
    filters: gr.HTML
    session: gr.State
    pickers: ModelPickers
    download: gr.DownloadButton  # the checkpoint of the model just trained (demo.tabs.model_files)
    model: gr.Dropdown | None = None  # the form's model list, whose sizes the page's load event writes (texts)

    def outputs(self) -> list[Any]:
        """In the order the ``/train`` endpoint has always returned them (``gradio_client`` reads by position);
        outputs added later go at the end."""
        return [self.chart, self.status, self.session, *self.pickers.pickers, self.start, self.stop, self.probes,
                self.filters, self.download]

    def texts(self) -> dict[Any, Any]:
        """What the tab was built with in English that the server writes (so in the event's language): the empty
        chart's note and the model list's sizes. For the page's load event, once its language is known; not for a
        later pick of language, which would wipe the chart of a run."""
        updates: dict[Any, Any] = {self.chart: training_figure(TrainingCurve())}
        if self.model is not None:
            updates[self.model] = gr.Dropdown(choices=model_choices())
        return updates

    def text_outputs(self) -> list[Any]:
        """The outputs of :meth:`texts`."""
        return [self.chart, *([self.model] if self.model is not None else [])]

    def running(self) -> dict[Any, Any]:
        return {self.start: gr.Button(interactive=False), self.stop: gr.Button(interactive=True)}

    def idle(self) -> dict[Any, Any]:
        return {self.start: gr.Button(interactive=True), self.stop: gr.Button(interactive=False)}

    def run(self, model_name: str, recipe_name: str, n_epochs: float | None, batch_size: float | None,
            learning_rate: float | None, seed_value: float | None, models: SessionModels | None,
            request: gr.Request) -> Iterator[dict[Any, Any]]:
        """Train with the chosen settings, streaming the chart; at the end add the model to this session."""
        context = self.context
        chosen = _chosen_recipe(model_name, recipe_name, n_epochs, batch_size, learning_rate, seed_value)
        models = models if isinstance(models, SessionModels) else SessionModels()
        with context.sessions.progress(chosen, session_id_of(request)) as report:  # in the queue estimate till the end
            yield {**self.running(), self.status: _("Loading MNIST…")}
            data = yield from _loaded_data(context, chosen, self)
            if data is None:
                return
            report(data=DataSize(len(data.mnist.train_images), len(data.mnist.test_images)))
            stop_flag = RunStop()
            # Registered (so that Stop and the page's unload find it) for exactly as long as it trains.
            with context.sessions.running(session_id_of(request), models, stop_flag, gradio_internals.page_left):
                if models.closed:  # its page closed while it waited (Gradio still started it): nobody to train for
                    return
                outcome = yield from _train_streaming(context, chosen, data, models, self, stop_flag, report)
            yield _finished(chosen, models, self, *outcome)

    def waiting(self, request: gr.Request) -> Any:
        """The status while this visitor's run waits for the runs ahead (nothing if it starts at once)."""
        context, me = self.context, session_id_of(request)
        queued = gradio_internals.waiting_inputs("train", me) or []  # None: Gradio's queue unreadable, none counted
        recipes = [recipe for recipe in map(_queued_recipe, queued) if recipe is not None]
        measured, data = context.sessions.measured()
        text = estimate(context.sessions.runs_in_progress(but_not=me), recipes, context.train_concurrency, measured,
                        data, lambda model: sum(flops_per_image(model)))
        return gr.skip() if text is None else {self.status: text}

    def stop_run(self, request: gr.Request) -> None:
        """Stop this session's run, if it has one; the run ends before its next step and keeps its model."""
        self.context.sessions.stop(session_id_of(request))


def build(context: AppContext, session: gr.State) -> TrainView:
    """Lay out the Train tab and wire Start/Stop; every model picker (``context.pickers``) gets the new model.

    Built after every other tab, so that the list of pickers is complete. Gives back the tab's view, whose
    :meth:`~TrainView.texts` the page's load event writes in the page's language.
    """
    if not context.data_available():
        gr.Markdown(T("**MNIST is not on this machine yet.** Start downloads it first (about 11 MB, "
                      "progress shown below). The Draw tab works without it."), elem_id="mnist-missing")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            settings, start, stop = _settings_form()
            download = model_files.build(context, session)
        with gr.Column(scale=3):
            status, chart, probes, filters = _live_displays()
    view = TrainView(context, start, stop, status, chart, probes, filters, session, context.pickers, download,
                     settings.model)
    # In the browser only: on a phone the status is a screen below Start, so Start brings it into view. First: the
    # page runs a click's listeners one after another, each to its end, so after the run it would wait for the run.
    start.click(None, None, None, js=asset("show_status.js"), api_visibility="private")
    # Outside the queue, so it answers at once while the run waits; registered before the run, so it is sent first.
    start.click(view.waiting, None, status, queue=False, show_progress="hidden", api_name="queue_wait",
                api_visibility="undocumented")
    start.click(view.run, [*settings.values(), session], view.outputs(),
                concurrency_limit=context.train_concurrency, concurrency_id="train", api_name="train",
                show_progress="minimal", show_progress_on=status)  # the queue position; not a spinner on every output
    stop.click(view.stop_run, None, None, queue=False, show_progress="hidden", api_name="stop")
    return view


def _live_displays() -> tuple[gr.Markdown, gr.Plot, gr.HTML, gr.HTML]:
    """The run's status line, its chart, the ten test digits it reads, and its first convolution's filters."""
    # Where a student first meets "loss" and "epoch", which stay English on the whole tab: each gets its gloss.
    # TRANSLATORS: keep "loss" and "epoch" in English; the words in brackets say what they mean.
    status = gr.Markdown(T("Choose a recipe and press **Start**. The chart shows the training loss (how wrong the "
                           "model still is) after every step and the test accuracy after every epoch (one pass over "
                           "all the training digits)."), elem_id="train-status")
    # The empty chart's note is English here; the page's load event redraws it in its language (TrainView.texts).
    chart = gr.Plot(value=training_figure(TrainingCurve()), label=T("Training"), show_label=False,
                    elem_id="train-chart")
    gr.Markdown(T("**Ten test digits, one of each**: what the model being trained reads right now "
                  "(green: right, amber: right but not sure, red: wrong)."))
    # The placeholder's markup is demo.views.pictures.placeholder_html's, whole in one key: the browser translates it.
    probes = gr.HTML(T('<div class="inside-empty">Press Start to watch the network learn to read these.</div>'),
                     elem_id="train-probes")
    gr.Markdown(T("**The first convolution layer's filters**: the small patterns the network's first layer "
                  "looks for, shown when training starts and redrawn after every epoch. They start as random "
                  "noise and change only a little: each is a few pixels wide, and after an epoch most still look "
                  "like noise, with at most a hint of an edge or a stroke."))
    filters = gr.HTML(T('<div class="inside-empty">Shown once training starts.</div>'), elem_id="train-filters")
    return status, chart, probes, filters


def model_choices() -> list[tuple[str, str]]:
    """The model list's choices, each network with its size in the current language: "fast-cnn (52,138 parameters)"."""
    # TRANSLATORS: a choice of the Train tab's model list: {model} is a network's name (stays English), {count} its
    # number of parameters (the numbers it learns).
    return [(_("{model} ({count} parameters)", model=name, count=number(count_parameters_of(name))), name)
            for name in MODELS]


def _settings_form() -> tuple[SettingsForm, gr.Button, gr.Button]:
    """Start and Stop first (on a laptop screen the form is taller than the window), then the recipe
    picker and the fields it fills: model, epochs, batch size, learning rate, seed."""
    first = RECIPES[DEFAULT_RECIPE]
    with gr.Row():
        # TRANSLATORS: a button that starts training (keep the ▶ sign).
        start = gr.Button(T("▶ Start"), variant="primary", size="lg", elem_id="start-button", min_width=120)
        # TRANSLATORS: a button that stops training (keep the ■ sign).
        stop = gr.Button(T("■ Stop"), variant="stop", size="lg", interactive=False, elem_id="stop-button",
                         min_width=120)
    recipe = inputs.Dropdown(choices=[(T(RECIPE_LABELS[name]) if name in RECIPE_LABELS else name, name)
                                      for name in RECIPES],
                             value=DEFAULT_RECIPE, label=T("Recipe"), elem_id="recipe")
    recipe_info = gr.Markdown(T(first.description), elem_id="recipe-info")  # each recipe's note is N_-marked
    # The sizes are English here; a page's load event writes them the page's way (TrainView.texts).
    model = inputs.Dropdown(choices=model_choices(), value=first.model, label=T("Model"), elem_id="train-model")
    with gr.Row():
        # TRANSLATORS: keep "Epochs" in English (the tab's first line says what an epoch is).
        epochs = inputs.Number(value=first.epochs, precision=0, label=T("Epochs"), minimum=1, elem_id="epochs",
                               min_width=120)
        batch = inputs.Number(value=first.batch_size, precision=0, label=T("Batch size"), minimum=1,
                              elem_id="batch-size", min_width=120)
    with gr.Row():
        lr = inputs.Number(value=first.lr, label=T("Learning rate"), elem_id="lr", min_width=120)
        seed = inputs.Number(value=first.seed, precision=0, label=T("Seed"), minimum=0, elem_id="seed",
                             min_width=120)
    form = SettingsForm(recipe, recipe_info, model, epochs, batch, lr, seed)
    recipe.change(form.recipe_defaults, recipe, [model, epochs, batch, lr, seed, recipe_info],
                  show_progress="hidden", api_visibility="private")
    return form, start, stop


#: What a form's values can be refused with.
SETTINGS_ERRORS = (InvalidRecipeError, UnknownModelError, ValueError, TypeError)


def _form_recipe(model_name: str, recipe_name: str, n_epochs: float | None, batch_size: float | None,
                 learning_rate: float | None, seed_value: float | None) -> Recipe:
    """The recipe with the form's values; raises one of :data:`SETTINGS_ERRORS` saying what is wrong with them."""
    return get_recipe(recipe_name, model=model_name,
                      epochs=None if n_epochs is None else int(n_epochs),
                      batch_size=None if batch_size is None else int(batch_size),
                      lr=None if learning_rate is None else float(learning_rate),
                      seed=None if seed_value is None else int(seed_value))


def _chosen_recipe(model_name: str, recipe_name: str, n_epochs: float | None, batch_size: float | None,
                   learning_rate: float | None, seed_value: float | None) -> Recipe:
    """The recipe with the form's values, or a ``gr.Error`` saying what is wrong with them."""
    try:
        return _form_recipe(model_name, recipe_name, n_epochs, batch_size, learning_rate, seed_value)
    except SETTINGS_ERRORS as exc:
        # TRANSLATORS: {reason} says which setting and why, e.g. "epochs must be a whole number from 1 to 100, got 0".
        raise expected_error(_("Cannot train with these settings: {reason}", reason=refusal_text(exc))) from None


def refusal_text(exc: Exception) -> str:
    """Why a setting was refused, in the visitor's language where ``mnist_core`` marked the message (the recipe's
    form fields); in English otherwise (what only code or the API can send)."""
    if isinstance(exc, InvalidRecipeError):
        return say(exc.text)
    return str(exc)


def _queued_recipe(inputs: list[Any]) -> Recipe | None:
    """The recipe of a ``/train`` event waiting in the queue (its inputs: the form, then the session's state);
    ``None`` for settings it will refuse at once, which keep nobody waiting."""
    try:
        return _form_recipe(*inputs[:6])
    except SETTINGS_ERRORS:
        return None


def _loaded_data(context: AppContext, chosen: Recipe, view: TrainView
                 ) -> Generator[dict[Any, Any], None, TrainingData | None]:
    """Stream the loading messages; return the data, or ``None`` after saying why there is none."""
    try:
        for item in _load_data_with_progress(context, chosen):
            if isinstance(item, str):  # mnist_core's progress line: translated if the catalog has it
                yield {view.status: f"**{say(item)}**"}
            else:
                return item
    except MNISTUnavailableError as exc:
        gr.Warning(_("MNIST is not available, so training cannot start. The Draw tab still works."))
        yield {**view.idle(), view.status: mnist_unavailable_markdown(exc)}
    except HandwritingUnavailableError as exc:
        # TRANSLATORS: {recipe} is a recipe's name, e.g. "drawing".
        gr.Warning(_("Recipe {recipe} also trains on handwriting beyond MNIST, which is not available. "
                     "Other recipes still work.", recipe=_(RECIPE_LABELS.get(chosen.name, chosen.name))))
        # TRANSLATORS: {reason} is what went wrong (may stay English: it comes from the data loader).
        yield {**view.idle(), view.status: _("**Handwriting data is not available:** {reason}", reason=str(exc))}
    return None


#: How a run ended: the chart's points, the last event, the trained model (``None`` if the run diverged or nobody is
#: left to see it) and, if ZeroGPU refused the run, why it trained on the CPU.
Outcome = tuple[TrainingCurve, FinishedEvent | None, Trained | None, OnCpuInstead | None]


def _train_streaming(context: AppContext, chosen: Recipe, data: TrainingData, models: SessionModels,
                     view: TrainView, stop_flag: RunStop, report: Callable[..., None]
                     ) -> Generator[dict[Any, Any], None, Outcome]:
    """Run :func:`~demo.tabs.train_run.train_anywhere` until it ends or ``stop_flag`` is set, turning its events into
    page updates (:class:`RunPage`) and its progress into ``report`` calls
    (:meth:`demo.server.sessions.Sessions.progress`); return how it ended.
    """
    page = RunPage(context, chosen, models, view, report, TrainingCurve(epochs=chosen.epochs))
    runner = train_anywhere(chosen, data, stop_flag, context.data_dir)
    try:
        for item in runner:
            update = page.update(item)
            if page.abandoned:
                break  # nobody will see this model: do not finish it
            if update is not None:
                yield update
    finally:
        # Reached on normal completion, on Stop, and when Gradio closes the generator because the
        # visitor left: in every case no further step may run.
        stop_flag.set()
        runner.close()
        stop_flag.discard()
        context.cores.release()
    return page.curve, page.finished, page.trained, page.refused


@dataclass
class RunPage:
    """What one run has shown so far, and the page update each of its items makes (``None``: none)."""

    context: AppContext
    chosen: Recipe
    models: SessionModels
    view: TrainView
    report: Callable[..., None]
    curve: TrainingCurve
    accuracies: list[float] = field(default_factory=list)
    finished: FinishedEvent | None = None
    trained: Trained | None = None
    refused: OnCpuInstead | None = None
    on_cpu: bool = False
    abandoned: bool = False  # the page closed as the run finished: it is not finished
    note: str = ""  # while the run trains, the status's first line says why it is on the CPU, if ZeroGPU refused it

    def update(self, item: OnCpuInstead | Progress | Trained) -> dict[Any, Any] | None:
        view = self.view
        if isinstance(item, OnCpuInstead):
            self.refused, self.note = item, f"**{item.line}.**\n\n"
            return {view.status: self.note}
        if isinstance(item, Trained):
            self.trained = item
            return None
        event = item.event
        if isinstance(event, StartEvent):
            return self._started(event, item)
        if isinstance(event, StepEvent):
            self.curve.add_loss(event.global_step, event.loss)
            if item.probes is None:  # train_on_device redraws the probes about once a second
                return None
            self.report(steps_done=event.global_step, images_per_sec=event.images_per_sec)
            threads = self.context.cores.update(self.context.sessions.runs_active) if self.on_cpu else None
            return {view.chart: training_figure(self.curve), view.probes: item.probes,
                    view.status: self.note + step_status(event, self.chosen, self.accuracies, threads)}
        if isinstance(event, EpochEvent):
            self.curve.add_accuracy(event.epoch, event.test_accuracy)
            self.accuracies.append(event.test_accuracy)
            self.report(epochs_done=event.epoch)
            # TRANSLATORS: keep "Epoch" in English; {time} is a timer, e.g. "1:15".
            done = _("Epoch {epoch} of {epochs} done: test accuracy **{percent}** (elapsed {time})",
                     epoch=str(event.epoch), epochs=str(event.epochs), percent=percent(event.test_accuracy, 2),
                     time=clock(event.elapsed))
            return {view.chart: training_figure(self.curve), view.probes: item.probes, view.filters: item.filters,
                    view.status: f"{self.note}### {done}"}
        if isinstance(event, FinishedEvent):
            return self._finishing(event)
        return None

    def _started(self, event: StartEvent, item: Progress) -> dict[Any, Any]:
        view, chosen = self.view, self.chosen
        self.on_cpu = event.device == "cpu"  # a GPU run (ZeroGPU: another process) needs no cores lent
        if self.on_cpu:
            self.context.cores.update(self.context.sessions.runs_active)
        self.curve = TrainingCurve(steps_per_epoch=event.steps_per_epoch, epochs=event.epochs)
        self.report(total_steps=event.total_steps)
        # TRANSLATORS: {model} is a network's name, {count} its number of parameters, {device} where it trains
        # ("cpu", "cuda:0": names that stay as they are).
        training = _("Training {model} ({count} parameters) on {device}", model=chosen.model,
                     count=number(count_parameters_of(chosen.model)), device=event.device)
        # TRANSLATORS: keep "epoch(s)" in English; {steps} and {batch} are numbers, e.g. "1 epoch × 625 steps of 96
        # images".
        plan = n_("{count} epoch × {steps} steps of {batch} images", "{count} epochs × {steps} steps of {batch} images",
                  event.epochs, steps=number(event.steps_per_epoch), batch=number(chosen.batch_size))
        return {view.chart: training_figure(self.curve), view.probes: item.probes, view.filters: item.filters,
                view.status: f"{self.note}### {training}\n{plan}"}

    def _finishing(self, event: FinishedEvent) -> dict[Any, Any] | None:
        self.finished = event
        speed = event.global_step * self.chosen.batch_size / event.train_seconds if event.train_seconds > 0 else None
        self.report(finishing=True, steps_done=event.global_step, images_per_sec=speed or None)
        if self.models.closed:
            self.abandoned = True
            return None
        if event.status == "stopped":  # said at once: the class sees Stop worked
            stopped = _("Stopped at step {step}", step=number(event.global_step))
            measuring = _("Measuring the model on the test set…")
            return {self.view.stop: gr.Button(interactive=False),
                    self.view.status: f"{self.note}### {stopped}\n{measuring}"}
        if event.status != "diverged" and (event.test_accuracy is None or self.chosen.holdout):
            return {self.view.status: self.note + _("Run ended; measuring and calibrating the model…")}
        return None


def _finished(chosen: Recipe, models: SessionModels, view: TrainView, curve: TrainingCurve,
              finished: FinishedEvent | None, trained: Trained | None,
              refused: OnCpuInstead | None = None) -> dict[Any, Any]:
    """The page at the end of a run: the new model added to the session and every picker, or why not."""
    if models.closed:  # the page was closed during the run: nothing is kept for a session that ended
        return {**view.idle(),
                view.status: _("**The page was closed during training, so this model was not kept.**")}
    if finished is None or finished.status == "diverged" or trained is None:
        # mnist_core's own words when it says why (English, e.g. "training diverged at epoch 1, step 40 (loss is nan)")
        message = say(finished.message) if finished else _("training ended unexpectedly")
        # TRANSLATORS: {reason} says why, e.g. "training diverged at epoch 1, step 40 (loss is nan)".
        gr.Warning(_("Training failed: {reason}", reason=message))
        return {**view.idle(), view.chart: training_figure(curve),
                view.status: _("**Training failed:** {reason}. The model was not kept.", reason=message)}
    metadata, evaluation = trained.run.metadata, trained.run.evaluation
    entry = models.add(chosen.model, trained.model, metadata, evaluation=evaluation)
    return {**view.idle(), **view.pickers.updates(models, entry.key), view.chart: training_figure(curve),
            view.status: finished_summary(chosen, finished, trained, entry.metadata["test_accuracy"],
                                          entry.label, refused),
            view.session: models, view.probes: trained.probes, view.filters: trained.filters,
            view.download: model_files.download_update(models, entry, view.download)}


def finished_summary(chosen: Recipe, finished: FinishedEvent, trained: Trained, accuracy: float, label: str,
                     refused: OnCpuInstead | None = None) -> str:
    """The status at the end of a run that kept its model: how well it reads, how far and how long it trained, and
    where to try it."""
    if finished.status == "stopped":
        heading = _("Stopped: test accuracy {percent}", percent=percent(accuracy, 2))
    else:
        heading = _("Finished: test accuracy {percent}", percent=percent(accuracy, 2))
    values = {"done": number(trained.run.metadata["epochs_trained"], 1), "epochs": str(chosen.epochs),
              "elapsed": clock(finished.elapsed), "training": clock(finished.train_seconds)}
    steps = finished.global_step
    if trained.out_of_time:
        # TRANSLATORS: {count} steps trained, {done} of {epochs} epochs (keep "epochs" English), {elapsed} and
        # {training} timers ("1:15"): the whole run, and the part of it spent training.
        how = n_("{count} step ({done} of {epochs} epochs) (the GPU time this Space gives one run was used up) in "
                 "{elapsed}, of which {training} training.",
                 "{count} steps ({done} of {epochs} epochs) (the GPU time this Space gives one run was used up) in "
                 "{elapsed}, of which {training} training.", steps, **values)
    else:
        # TRANSLATORS: {count} steps trained, {done} of {epochs} epochs (keep "epochs" English), {elapsed} and
        # {training} timers ("1:15"): the whole run, and the part of it spent training.
        how = n_("{count} step ({done} of {epochs} epochs) in {elapsed}, of which {training} training.",
                 "{count} steps ({done} of {epochs} epochs) in {elapsed}, of which {training} training.", steps,
                 **values)
    sentences = [how]
    if refused:
        # TRANSLATORS: {reason} is why there was no GPU, e.g. "GPU time for today is used up".
        sentences.append(_("Trained on the CPU because {reason}.", reason=_(refused.reason)))
    # TRANSLATORS: {name} is the new model's name in the Draw tab's list (e.g. "fast-cnn #1"); "Draw" is that tab's
    # name: use the tab's name in your language.
    sentences.append(_("Try it in the **Draw** tab: it is selected there as “{name}”. Take it home with the download "
                       "button under the settings.", name=label))
    return f"### {heading}\n" + " ".join(sentences)


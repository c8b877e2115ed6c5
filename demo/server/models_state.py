"""Which models a visitor can choose: the pretrained checkpoints in ``assets/`` and their own.

Pretrained checkpoints are loaded once per process and shared by every visitor (they are
read-only). Models trained in a browser session live in that session's :class:`SessionModels`,
held in a ``gr.State``, so other visitors never see them. When the visitor leaves (the tab
closes and Gradio runs the page's unload event) :meth:`demo.server.sessions.Sessions.end` frees them at once;
Gradio itself would keep a closed session's state for an hour, although a reopened page is a
new session that can never reach it. Each entry keeps its test-set evaluation once computed, so the Confusion tab is
instant when a visitor switches back to a model. Every tab's model list is made by :class:`ModelPickers`,
which remembers it so that a finished run can add its model to all of them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.i18n import I18nData
from torch import nn

from demo.server import inputs
from demo.server.language import T, _, percent
from demo.server.limits import MAX_TAUGHT_MODELS
from demo.server.log import expected_error
from mnist_core.checkpoint import Checkpoint, discover_checkpoints
from mnist_core.data import MNISTData
from mnist_core.evaluate import Evaluation, evaluate, evaluating
from mnist_core.examples import Example
from mnist_core.names import TRAINED_HERE, human_name
from mnist_core.pretrained import choose_default, choose_mnist_only
from mnist_core.train import EvaluatingEvent, measuring


@dataclass
class ModelEntry:
    """One selectable model: a key for the API, its name for people, the network and its evaluation.

    ``name`` is the one name shown wherever the model is (chips, the lesson, the Model tab, the download's
    file name); :attr:`label`, what a model list shows, is the name followed by the test accuracy.
    """

    key: str
    name: str
    model_name: str
    model: nn.Module
    metadata: dict[str, Any] = field(default_factory=dict)
    evaluation: Evaluation | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def evaluation_on(self, data: MNISTData) -> Evaluation:
        """The test-set evaluation, computed on first use and kept (one computation even if asked twice at once)."""
        with self._lock:
            if self.evaluation is None:
                self.evaluation = evaluate(self.model, data.test_images, data.test_labels)
            return self.evaluation

    def evaluating_on(self, data: MNISTData) -> Generator[EvaluatingEvent, None, Evaluation]:
        """:meth:`evaluation_on`, saying how far it has got after each batch (a status line shows it): the kept
        evaluation if there is one, else measured now and kept. Two pages measuring at once both finish (a lock
        cannot be held across the yields); the first one kept is the one kept, and both are the same numbers."""
        if self.evaluation is not None:
            return self.evaluation
        batches = evaluating(self.model, data.test_images, data.test_labels)
        evaluation = yield from measuring(0, len(data.test_labels), batches)
        with self._lock:
            if self.evaluation is None:
                self.evaluation = evaluation
            return self.evaluation

    @property
    def label(self) -> str:
        """What a model list shows, written the way of the event being served ("· 98,43 %" in German): derived
        each time, never stored, so the same entry reads in each visitor's language."""
        return list_label(self.name, self.metadata)


def _percent(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return percent(value, digits=2)
    # TRANSLATORS: in a model list, in place of the model's test accuracy ("tiny-vgg · accuracy unknown").
    return _("accuracy unknown")


def list_label(name: str, metadata: dict[str, Any]) -> str:
    """What a model list shows: the model's name, then its test accuracy, e.g. "tiny-vgg (seed004) · 98.43%"
    (written the current language's way)."""
    return f"{name} · {_percent(metadata.get('test_accuracy'))}"


def key_of(ckpt: Checkpoint | None) -> str | None:
    """A pretrained checkpoint's key in the catalog and the API: its file name."""
    return None if ckpt is None else (ckpt.path.name if ckpt.path else ckpt.model_name)


@dataclass
class ModelCatalog:
    """The pretrained checkpoints found in one folder, loaded once, with a sensible default.

    ``mnist_only_key`` names the drawing model trained on MNIST alone, if one is shipped: the
    Draw tab reads every drawing with it beside the default, to show what data does.
    """

    entries: dict[str, ModelEntry]
    default_key: str | None
    errors: list[str]
    mnist_only_key: str | None = None

    @classmethod
    def from_folder(cls, folder: str | Path) -> ModelCatalog:
        """Load every ``*.pt`` in ``folder``; the default is a drawing model if any, else the most accurate."""
        checkpoints, errors = discover_checkpoints(folder)
        entries: dict[str, ModelEntry] = {}
        names: set[str] = set()
        for ckpt in checkpoints:
            key, name = key_of(ckpt), human_name(ckpt.metadata, ckpt.model_name)
            if name in names:  # two files that say the same of themselves: the file name tells them apart
                name = f"{name}, {Path(key).stem}"
            names.add(name)
            entries[key] = ModelEntry(key, name, ckpt.model_name, ckpt.model, ckpt.metadata)
        default_key, mnist_only_key = key_of(choose_default(checkpoints)), key_of(choose_mnist_only(checkpoints))
        return cls(entries=entries, default_key=default_key, errors=errors,
                   mnist_only_key=mnist_only_key if mnist_only_key != default_key else None)


@functools.lru_cache(maxsize=4)
def load_catalog(folder: str) -> ModelCatalog:
    """The catalog of ``folder``, loaded once per process (every visitor shares the read-only models)."""
    return ModelCatalog.from_folder(folder)


class SessionModels:
    """What one browser session made: the models trained, uploaded or taught there, and the visitor's examples
    (the value of a ``gr.State``).

    Starts empty; Gradio deep-copies the empty initial value per session, so each visitor
    gets their own. ``add`` is called by the training handler of that session only.
    Once :meth:`close` has run (the visitor left), nothing more is kept.
    """

    def __init__(self) -> None:
        self.entries: dict[str, ModelEntry] = {}
        self._counter = 0
        self.closed = False
        self.uploads = 0  # models brought back from a file (bounded by demo.server.limits.MAX_UPLOADED_MODELS)
        #: The visitor's own drawings, each with the digit it really is (the Draw tab's "your examples").
        self.examples: list[Example] = []
        #: Files offered for download, one per kind ("model", "examples", "taught"), deleted when replaced or
        #: when the session ends, each with the function that stops protecting it from the temporary-file cleanup.
        self.downloads: dict[str, tuple[Path, Callable[[Path], None] | None]] = {}

    def _next_key(self) -> tuple[str, int]:
        self._counter += 1
        return f"session-{self._counter}", self._counter

    def _keep(self, mark: str, model_name: str, model: nn.Module, metadata: dict[str, Any],
              evaluation: Evaluation | None = None) -> ModelEntry:
        """A new entry, named "★ #1 …" (``mark``, its number, then :func:`mnist_core.names.human_name`), kept
        unless the session has ended. The number keeps the names of one session's models apart."""
        key, number = self._next_key()
        name = f"{mark} #{number} {human_name(metadata, model_name)}"
        entry = ModelEntry(key, name, model_name, model, metadata, evaluation)
        if not self.closed:
            self.entries[key] = entry
        return entry

    def add(self, model_name: str, model: nn.Module, metadata: dict[str, Any],
            evaluation: Evaluation | None = None) -> ModelEntry:
        """Register a freshly trained model under a new key ("session-1", ...) and return its entry.

        ``evaluation``, if the caller already has it, is kept so the Confusion tab need not redo it.
        A run that ends after its visitor left gets an entry back, but it is not kept.
        """
        return self._keep("★", model_name, model, {**metadata, TRAINED_HERE: True}, evaluation)

    def add_uploaded(self, ckpt: Checkpoint) -> ModelEntry:
        """Register a model a visitor uploaded under a new key.

        Named apart from the trained ones ("⬆ #2 tiny-vgg (fast)"), so the class can tell a model brought
        from home from one trained here; its metadata names the rest, so a model downloaded from this app
        comes back with the name it left with. Not kept if the session has ended.
        """
        entry = self._keep("⬆", ckpt.model_name, ckpt.model, dict(ckpt.metadata))
        if not self.closed:
            self.uploads += 1
        return entry

    def keep_download(self, path: Path, release: Callable[[Path], None] | None = None, kind: str = "model") -> None:
        """Remember ``path`` as the session's ``kind`` of download, deleting the one it replaces (one file per kind).

        The file is deleted, with its own folder, when replaced or when the session ends; ``release(path)``
        is called then too (the app stops protecting it from the temporary-file cleanup).
        """
        if kind in self.downloads and self.downloads[kind][0] != path:
            self.drop_download(kind)
        self.downloads[kind] = (path, release)
        if self.closed:  # nobody is left to download it
            self.drop_download(kind)

    def drop_download(self, kind: str) -> None:
        """Delete the session's ``kind`` of download, if it has one."""
        path, release = self.downloads.pop(kind, (None, None))
        if path is None:
            return
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()  # the file's own folder (demo.tabs.model_files makes one per file)
        except OSError:
            pass
        if release is not None:
            release(path)

    def add_taught(self, model_name: str, model: nn.Module, metadata: dict[str, Any]) -> ModelEntry:
        """Register a model taught this session's examples ("✎ #3 drawing model (MNIST + European), taught on 3
        examples"), forgetting the oldest taught one beyond ``MAX_TAUGHT_MODELS`` (each holds a whole model in
        the server's memory)."""
        entry = self._keep("✎", model_name, model, metadata)
        if not self.closed:
            taught_keys = [k for k, e in self.entries.items() if "taught" in e.metadata]
            for old in taught_keys[:-MAX_TAUGHT_MODELS]:
                del self.entries[old]
        return entry

    def close(self) -> None:
        """Drop every model and its download file, and keep no more (the session has ended: memory and disk freed)."""
        self.closed = True
        self.entries.clear()
        self.examples.clear()
        for kind in list(self.downloads):
            self.drop_download(kind)


def model_choices(catalog: ModelCatalog, session: SessionModels | None) -> list[tuple[str, str]]:
    """(label, key) pairs for a model dropdown: this session's models first (newest on top), then pretrained; each
    label written the current language's way (:attr:`ModelEntry.label`)."""
    own = list(reversed([(e.label, e.key) for e in session.entries.values()])) if session else []
    return own + [(e.label, e.key) for e in catalog.entries.values()]


class ModelPickers:
    """Every model list of the app, each made here (:meth:`new`) so that a tab cannot forget to register one.

    A finished training run updates them all with the session's new model (the Train tab is
    built last, when the list is complete); the one made with ``follows_new_model`` (the Draw
    tab's) also switches to it, so the class can try the model straight away.
    """

    def __init__(self, catalog: ModelCatalog) -> None:
        self.catalog = catalog
        self.pickers: list[gr.Dropdown] = []
        self.follower: gr.Dropdown | None = None

    def new(self, *, follows_new_model: bool = False, label: str | I18nData | None = None,
            **kwargs: Any) -> gr.Dropdown:
        """A model dropdown listing the pretrained models with the default chosen (``kwargs`` go to Gradio); its
        label is "Model" unless ``label`` says otherwise (a :func:`demo.server.language.T` text, to be translated)."""
        picker = inputs.Dropdown(choices=model_choices(self.catalog, None), value=self.catalog.default_key,
                                 label=T("Model") if label is None else label, **kwargs)
        self.pickers.append(picker)
        if follows_new_model:
            self.follower = picker
        return picker

    def relabelled(self, session: SessionModels | None) -> dict[gr.Dropdown, gr.Dropdown]:
        """Every picker's choices written again in the current language (the accuracies: "99,54 %"), each keeping
        its choice: the lists are built once for every visitor, in English, before any page's language is known."""
        choices = model_choices(self.catalog, session)
        return {picker: gr.Dropdown(choices=choices) for picker in self.pickers}

    def updates(self, session: SessionModels, new_key: str) -> dict[gr.Dropdown, gr.Dropdown]:
        """Every picker's new choices after ``session`` trained ``new_key``; the follower also selects it."""
        choices = model_choices(self.catalog, session)
        return {picker: gr.Dropdown(choices=choices, value=new_key) if picker is self.follower
                else gr.Dropdown(choices=choices) for picker in self.pickers}


def find_entry(catalog: ModelCatalog, session: SessionModels | None, key: str | None) -> ModelEntry | None:
    """The entry for ``key`` in this session or the catalog (``None``: the default), or ``None`` if unknown."""
    key = key or catalog.default_key
    if key is None:
        return None
    if session is not None and key in session.entries:
        return session.entries[key]
    return catalog.entries.get(key)


def require_entry(catalog: ModelCatalog, session: SessionModels | None, key: str | None) -> ModelEntry:
    """:func:`find_entry`, or a ``gr.Error`` a visitor can read when there is no such model."""
    entry = find_entry(catalog, session, key)
    if entry is None:
        # TRANSLATORS: {key} is the model's key as sent, in quotes (e.g. 'session-3').
        raise expected_error(_("Unknown model {key}.", key=repr(key)) if key
                             else _("No model is available yet: train one in the Train tab."))
    return entry


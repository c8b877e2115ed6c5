"""Which models a visitor can choose: the pretrained checkpoints in ``assets/`` and their own.

Pretrained checkpoints are loaded once per process and shared by every visitor (they are
read-only). Models trained in a browser session live in that session's :class:`SessionModels`,
held in a ``gr.State``, so other visitors never see them. When the visitor leaves (the tab
closes and Gradio runs the page's unload event) :func:`end_session` frees them at once;
Gradio itself would keep a closed session's state for an hour, although a reopened page is a
new session that can never reach it. Each entry keeps its test-set evaluation once computed, so the Confusion tab is
instant when a visitor switches back to a model.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from torch import nn

from demo.limits import max_sessions
from mnist_core.checkpoint import Checkpoint, discover_checkpoints
from mnist_core.data import MNISTData
from mnist_core.evaluate import Evaluation, evaluate
from mnist_core.pretrained import choose_default, choose_mnist_only, is_drawing_model


@dataclass
class ModelEntry:
    """One selectable model: a key for the API, a label for people, the network and its evaluation."""

    key: str
    label: str
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


def _percent(value: Any) -> str:
    return f"{value:.2%}" if isinstance(value, (int, float)) else "accuracy unknown"


def recipe_name_of(metadata: dict[str, Any]) -> str:
    """The recipe a model was trained with, from its metadata ("" if unknown)."""
    recipe = metadata.get("recipe")
    return str(recipe.get("name") or "") if isinstance(recipe, dict) else str(recipe or "")


def checkpoint_label(ckpt: Checkpoint) -> str:
    """A dropdown label a class can read: model, recipe and test accuracy, e.g. "tiny-vgg · seed004 · 99.12%"."""
    recipe_name = recipe_name_of(ckpt.metadata)
    parts = [ckpt.model_name]
    if recipe_name:
        parts.append(str(recipe_name))
    elif ckpt.metadata.get("source"):
        parts.append(str(ckpt.metadata["source"]))
    parts.append(_percent(ckpt.test_accuracy))
    if is_drawing_model(ckpt):
        parts.append("drawing model")
    return " · ".join(parts)


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
        for ckpt in checkpoints:
            key = key_of(ckpt)
            entries[key] = ModelEntry(key=key, label=checkpoint_label(ckpt), model_name=ckpt.model_name,
                                      model=ckpt.model, metadata=ckpt.metadata)
        default_key, mnist_only_key = key_of(choose_default(checkpoints)), key_of(choose_mnist_only(checkpoints))
        return cls(entries=entries, default_key=default_key, errors=errors,
                   mnist_only_key=mnist_only_key if mnist_only_key != default_key else None)


@functools.lru_cache(maxsize=4)
def load_catalog(folder: str) -> ModelCatalog:
    """The catalog of ``folder``, loaded once per process (every visitor shares the read-only models)."""
    return ModelCatalog.from_folder(folder)


class SessionModels:
    """The models trained in one browser session (the value of a ``gr.State``).

    Starts empty; Gradio deep-copies the empty initial value per session, so each visitor
    gets their own. ``add`` is called by the training handler of that session only.
    Once :meth:`close` has run (the visitor left), nothing more is kept.
    """

    def __init__(self) -> None:
        self.entries: dict[str, ModelEntry] = {}
        self._counter = 0
        self.closed = False

    def add(self, model_name: str, model: nn.Module, metadata: dict[str, Any],
            evaluation: Evaluation | None = None) -> ModelEntry:
        """Register a freshly trained model under a new key ("session-1", ...) and return its entry.

        ``evaluation``, if the caller already has it, is kept so the Confusion tab need not redo it.
        A run that ends after its visitor left gets an entry back, but it is not kept.
        """
        self._counter += 1
        key = f"session-{self._counter}"
        status = metadata.get("status", "")
        epochs = metadata.get("epochs_trained", metadata.get("epochs", 0))
        label = (f"★ trained here #{self._counter}: {model_name} · {recipe_name_of(metadata)} · "
                 f"{epochs:g} epoch{'' if epochs == 1 else 's'}{' (stopped)' if status == 'stopped' else ''} · "
                 f"{_percent(metadata.get('test_accuracy'))}")
        entry = ModelEntry(key=key, label=label, model_name=model_name, model=model, metadata=metadata,
                           evaluation=evaluation)
        if not self.closed:
            self.entries[key] = entry
        return entry

    def close(self) -> None:
        """Drop every model and keep no more (the session has ended, so their memory is freed)."""
        self.closed = True
        self.entries.clear()


#: The sessions that have started a training run, by Gradio session hash, so that the page's
#: unload event (which gets the hash but not the session's state) can free their models.
_OPEN_SESSIONS: dict[str, SessionModels] = {}
_OPEN_LOCK = threading.Lock()


def track_session(session_id: str | None, models: SessionModels) -> None:
    """Remember which :class:`SessionModels` belongs to ``session_id`` (a no-op without an id).

    Called when the session starts a run, so its visitor is evidently there: if Gradio had
    reported the page closed (a dropped connection that came back), the session keeps models again.
    At most ``max_sessions()`` are remembered, like Gradio's own session state: a client that
    never closes a page (a script) sends no unload event, and must not hold models forever.
    The oldest is forgotten, not closed: its models live on while Gradio still keeps its state.
    """
    models.closed = False
    if session_id:
        with _OPEN_LOCK:
            _OPEN_SESSIONS.pop(session_id, None)
            _OPEN_SESSIONS[session_id] = models  # the most recent last
            while len(_OPEN_SESSIONS) > max_sessions():
                del _OPEN_SESSIONS[next(iter(_OPEN_SESSIONS))]


def tracked_session(session_id: str) -> SessionModels | None:
    """The models of a session that is still open, if it ever trained."""
    with _OPEN_LOCK:
        return _OPEN_SESSIONS.get(session_id)


def end_session(session_id: str | None) -> None:
    """The visitor left: free their models now, including one from a run that is still finishing."""
    with _OPEN_LOCK:
        models = _OPEN_SESSIONS.pop(session_id, None) if session_id else None
    if models is not None:
        models.close()


def free_session(value: Any) -> None:
    """``gr.State`` delete callback (Gradio's own expiry): release the session's models."""
    if isinstance(value, SessionModels):
        value.close()
        with _OPEN_LOCK:
            for session_id in [k for k, v in _OPEN_SESSIONS.items() if v is value]:
                del _OPEN_SESSIONS[session_id]


def model_choices(catalog: ModelCatalog, session: SessionModels | None) -> list[tuple[str, str]]:
    """(label, key) pairs for a model dropdown: this session's models first (newest on top), then pretrained."""
    own = list(reversed([(e.label, e.key) for e in session.entries.values()])) if session else []
    return own + [(e.label, e.key) for e in catalog.entries.values()]


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
        raise gr.Error(f"Unknown model {key!r}." if key else "No model is available yet: train one in the Train tab.")
    return entry


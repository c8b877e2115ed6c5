"""Which models a visitor can choose: the pretrained checkpoints in ``assets/`` and their own.

Pretrained checkpoints are loaded once per process and shared by every visitor (they are
read-only). Models trained in a browser session live in that session's :class:`SessionModels`,
held in a ``gr.State``, so other visitors never see them and Gradio frees them when the tab
closes. Each entry keeps its test-set evaluation once computed, so the Confusion tab is
instant when a visitor switches back to a model.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from mnist_core.checkpoint import Checkpoint, discover_checkpoints
from mnist_core.data import MNISTData
from mnist_core.evaluate import Evaluation, evaluate
from mnist_core.pretrained import choose_default, is_drawing_model


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


def checkpoint_label(ckpt: Checkpoint) -> str:
    """A dropdown label a class can read: model, recipe and test accuracy, e.g. "tiny-vgg · seed004 · 99.12%"."""
    recipe = ckpt.metadata.get("recipe")
    recipe_name = recipe.get("name") if isinstance(recipe, dict) else recipe
    parts = [ckpt.model_name]
    if recipe_name:
        parts.append(str(recipe_name))
    elif ckpt.metadata.get("source"):
        parts.append(str(ckpt.metadata["source"]))
    parts.append(_percent(ckpt.test_accuracy))
    if is_drawing_model(ckpt):
        parts.append("drawing model")
    return " · ".join(parts)


@dataclass
class ModelCatalog:
    """The pretrained checkpoints found in one folder, loaded once, with a sensible default."""

    entries: dict[str, ModelEntry]
    default_key: str | None
    errors: list[str]

    @classmethod
    def from_folder(cls, folder: str | Path) -> ModelCatalog:
        """Load every ``*.pt`` in ``folder``; the default is a drawing model if any, else the most accurate."""
        checkpoints, errors = discover_checkpoints(folder)
        entries: dict[str, ModelEntry] = {}
        for ckpt in checkpoints:
            key = ckpt.path.name if ckpt.path else ckpt.model_name
            entries[key] = ModelEntry(key=key, label=checkpoint_label(ckpt), model_name=ckpt.model_name,
                                      model=ckpt.model, metadata=ckpt.metadata)
        best = choose_default(checkpoints)
        default_key = None if best is None else (best.path.name if best.path else best.model_name)
        return cls(entries=entries, default_key=default_key, errors=errors)


@functools.lru_cache(maxsize=4)
def load_catalog(folder: str) -> ModelCatalog:
    """The catalog of ``folder``, loaded once per process (every visitor shares the read-only models)."""
    return ModelCatalog.from_folder(folder)


class SessionModels:
    """The models trained in one browser session (the value of a ``gr.State``).

    Starts empty; Gradio deep-copies the empty initial value per session, so each visitor
    gets their own. ``add`` is called by the training handler of that session only.
    """

    def __init__(self) -> None:
        self.entries: dict[str, ModelEntry] = {}
        self._counter = 0

    def add(self, model_name: str, model: nn.Module, metadata: dict[str, Any],
            evaluation: Evaluation | None = None) -> ModelEntry:
        """Register a freshly trained model under a new key ("session-1", ...) and return its entry.

        ``evaluation``, if the caller already has it, is kept so the Confusion tab need not redo it.
        """
        self._counter += 1
        key = f"session-{self._counter}"
        status = metadata.get("status", "")
        epochs = metadata.get("epochs_trained", metadata.get("epochs", 0))
        label = (f"★ trained here #{self._counter}: {model_name} · {metadata.get('recipe_name', '')} · "
                 f"{epochs:g} epoch{'' if epochs == 1 else 's'}{' (stopped)' if status == 'stopped' else ''} · "
                 f"{_percent(metadata.get('test_accuracy'))}")
        entry = ModelEntry(key=key, label=label, model_name=model_name, model=model, metadata=metadata,
                           evaluation=evaluation)
        self.entries[key] = entry
        return entry

    def clear(self) -> None:
        """Drop every model (called when the session ends, so their memory is freed)."""
        self.entries.clear()


def free_session(value: Any) -> None:
    """``gr.State`` delete callback: release a closed session's models."""
    if isinstance(value, SessionModels):
        value.clear()


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


"""The checkpoints shipped in ``assets/`` and which one to use when nobody says.

The default is a drawing model when one is shipped (it is trained to read sketchpad
drawings), the one that learnt from the most kinds of handwriting, else the most
accurate checkpoint. The app's model selector and the CLI both use this choice. The Draw
tab also sets it beside the drawing model trained on MNIST alone
(:func:`choose_mnist_only`), to show what a model learns from whom.
"""

from __future__ import annotations

import os
from pathlib import Path

from mnist_core.checkpoint import Checkpoint, CheckpointError, discover_checkpoints
from mnist_core.paths import ASSETS_DIR


def is_drawing_model(ckpt: Checkpoint) -> bool:
    """True for a checkpoint meant for hand drawings: metadata ``"drawing": true`` or "draw" in its name."""
    recipe = ckpt.metadata.get("recipe")
    recipe_name = recipe.get("name", "") if isinstance(recipe, dict) else str(recipe or "")
    stem = ckpt.path.stem if ckpt.path else ""
    return bool(ckpt.metadata.get("drawing")) or "draw" in stem.lower() or "draw" in recipe_name.lower()


def trained_on(ckpt: Checkpoint) -> tuple[str, ...]:
    """The data sets a checkpoint learnt from: its metadata's ``trained_on``, else MNIST alone."""
    sources = ckpt.metadata.get("trained_on")
    if isinstance(sources, (list, tuple)) and all(isinstance(s, str) for s in sources) and sources:
        return tuple(sources)
    return ("mnist",)


def _accuracy(ckpt: Checkpoint) -> float:
    acc = ckpt.test_accuracy
    return float(acc) if isinstance(acc, (int, float)) else -1.0


def choose_default(checkpoints: list[Checkpoint]) -> Checkpoint | None:
    """A drawing model if there is one (the one trained on the most data sets), else the most accurate.

    ``None`` for an empty list.
    """
    def rank(ckpt: Checkpoint) -> tuple[bool, int, float]:
        return is_drawing_model(ckpt), len(trained_on(ckpt)), _accuracy(ckpt)

    return max(checkpoints, key=rank) if checkpoints else None


def choose_mnist_only(checkpoints: list[Checkpoint]) -> Checkpoint | None:
    """The most accurate drawing model trained on MNIST alone, or ``None``: the Draw tab's point of comparison."""
    candidates = [c for c in checkpoints if is_drawing_model(c) and trained_on(c) == ("mnist",)]
    return max(candidates, key=_accuracy) if candidates else None


def default_checkpoint_path(folder: str | os.PathLike[str] = ASSETS_DIR) -> Path:
    """The path of the default checkpoint in ``folder``; :class:`CheckpointError` if there is none."""
    checkpoints, errors = discover_checkpoints(folder)
    best = choose_default(checkpoints)
    if best is None or best.path is None:
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise CheckpointError(f"{folder}: no usable checkpoint{detail}")
    return best.path

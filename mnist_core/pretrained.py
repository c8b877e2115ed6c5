"""The checkpoints shipped in ``assets/`` and which one to use when nobody says.

The default is the drawing model when one is shipped (it is trained to read sketchpad
drawings), else the most accurate checkpoint. The app's model selector and the CLI
both use this choice.
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


def choose_default(checkpoints: list[Checkpoint]) -> Checkpoint | None:
    """A drawing model if there is one, else the most accurate; ``None`` for an empty list."""
    def rank(ckpt: Checkpoint) -> tuple[bool, float]:
        acc = ckpt.test_accuracy
        return is_drawing_model(ckpt), acc if isinstance(acc, (int, float)) else -1.0

    return max(checkpoints, key=rank) if checkpoints else None


def default_checkpoint_path(folder: str | os.PathLike[str] = ASSETS_DIR) -> Path:
    """The path of the default checkpoint in ``folder``; :class:`CheckpointError` if there is none."""
    checkpoints, errors = discover_checkpoints(folder)
    best = choose_default(checkpoints)
    if best is None or best.path is None:
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise CheckpointError(f"{folder}: no usable checkpoint{detail}")
    return best.path

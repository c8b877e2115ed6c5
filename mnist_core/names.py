"""What a model is called, for people: one name, made from its checkpoint metadata, used wherever it is shown.

A class meets the same model in a model list, a row of chips, the lesson, the Model tab and a
downloaded file; each place shows the name :func:`human_name` gives (a list may add the test
accuracy after it), and :func:`file_name` turns it into the download's file name. The name says
what the model is, from what its metadata records:

- a drawing model, by whose handwriting it learnt from: "drawing model (MNIST only)",
  "drawing model (MNIST + European)";
- a model trained in the app (metadata :data:`TRAINED_HERE`): "tiny-vgg trained here (fast)";
- any other, by its network and recipe: "tiny-vgg (seed004)";
- a taught one, by what it was taught: "drawing model (MNIST + European), taught on 3 examples".

The metadata travels in the checkpoint, so a model downloaded and uploaded again keeps its name.
Any field may be missing or of the wrong type (an uploaded file says what it likes): the name
then says less, never fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Metadata flag of a model trained in the app's Train tab (the CLI's runs do not set it).
TRAINED_HERE = "trained_here"
#: Handwriting sources (``mnist_core.handwriting``) written by European writers: Spanish and Swiss.
EUROPEAN = frozenset({"ujipenchars2", "numbers"})


def _text(value: Any, limit: int = 40) -> str:
    """``value`` as a short one-line text, or "" if it is not text."""
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def recipe_name(metadata: Mapping[str, Any]) -> str:
    """The recipe a model was trained with, from its metadata ("" if unknown)."""
    recipe = metadata.get("recipe")
    return _text(recipe.get("name")) if isinstance(recipe, Mapping) else _text(recipe)


def learnt_from(metadata: Mapping[str, Any]) -> str:
    """Whose handwriting a model learnt from, in words: "MNIST only", "MNIST + European", "MNIST + x"."""
    sources = metadata.get("trained_on")
    others = [s for s in sources if isinstance(s, str) and s != "mnist"] if isinstance(sources, list | tuple) else []
    if not others:
        return "MNIST only"
    if set(others) <= EUROPEAN:
        return "MNIST + European"
    return "MNIST + " + " + ".join(_text(s, 20) for s in others)


def _made(metadata: Mapping[str, Any], model_name: str) -> str:
    """The name of the model before any teaching."""
    recipe = recipe_name(metadata)
    if metadata.get(TRAINED_HERE) is True:
        stopped = ", stopped" if metadata.get("status") == "stopped" else ""
        return f"{model_name} trained here ({recipe or 'own settings'}{stopped})"
    if metadata.get("drawing") is True:
        return f"drawing model ({learnt_from(metadata)})"
    if metadata.get("source") == "plain state_dict":
        return f"{model_name} (plain state_dict)"
    return f"{model_name} ({recipe})" if recipe else model_name


def taught_examples(metadata: Mapping[str, Any]) -> int | None:
    """How many examples a taught model was taught (``None``: it was not taught)."""
    taught = metadata.get("taught")
    if not isinstance(taught, Mapping):
        return None
    count = taught.get("examples")
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else 0


def human_name(metadata: Mapping[str, Any], model_name: str) -> str:
    """A model's one name for people, from its checkpoint metadata and network (``model_name``).

    E.g. "drawing model (MNIST only)", "tiny-vgg trained here (fast)",
    "drawing model (MNIST + European), taught on 3 examples".
    """
    name = _made(metadata, model_name)
    count = taught_examples(metadata)
    if count is not None:
        name += f", taught on {count} example{'' if count == 1 else 's'}"
    return name


def file_name(name: str) -> str:
    """The file a model named ``name`` downloads as: its words in lower case joined by hyphens, e.g.
    ``drawing-model-mnist-european-taught-on-3-examples.pt`` (letters, digits, ``.``, ``_`` and ``-`` only)."""
    words = re.sub(r"[^a-z0-9._]+", "-", name.lower()).strip("-.")
    return f"{words or 'model'}.pt"

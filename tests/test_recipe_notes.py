"""The Train tab shows each recipe's description under the recipe list: a teacher reads its first sentence, so that
sentence says in plain words what the recipe is for; the settings follow it for whoever wants them."""

from __future__ import annotations

import re

import pytest

from mnist_core.recipes import RECIPES

#: Words a teacher new to deep learning would have to look up.
JARGON = ("sgd", "adam", "adadelta", "steplr", "one-cycle", "onecycle", "label smoothing", "channels-last",
          "lr ", "batch", "cross-entropy", "epoch", "calibrat", "held-out", "augment", "1e-3")


@pytest.mark.parametrize("name", list(RECIPES))
def test_a_recipe_note_begins_with_a_plain_sentence(name: str) -> None:
    description = RECIPES[name].description
    first = re.split(r"(?<=[.!?])\s", description, maxsplit=1)[0]
    assert first[:1].isupper() and first.endswith("."), f"{name}: no plain first sentence: {description!r}"
    assert not [word for word in JARGON if word in first.lower()], f"{name}: jargon in {first!r}"
    assert len(first.split()) >= 6 and first != description, f"{name}: {first!r} then the settings"

"""Run a model in eval mode for a moment and give it back in the mode it was in.

Prediction, evaluation, saliency and the layer table all need eval mode (dropout off, batch
norm on its running statistics) but may be handed a model in the middle of training: each
must leave it as it found it. A model already in eval mode, such as a pretrained model that
every visitor's thread shares, is not touched at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``with eval_mode(model):`` the model is in eval mode inside, and in its former mode after (even on error)."""
    was_training = model.training
    if was_training:
        model.eval()
    try:
        yield model
    finally:
        if was_training:
            model.train()

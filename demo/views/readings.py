"""The Draw tab's row of every model's reading: what each available model reads for the same drawing.

Under the main answer, one line of small chips, "tiny-vgg (seed004) · 7 · 97%", one per model a visitor
can choose (this session's own first, then the pretrained ones, as in the model list). It is
where a class sees that models disagree, and, hovering a chip for its test accuracy and size,
why a bigger or better-trained one wins. The chosen model's chip is marked "▸"; a chip whose
digit differs from the chosen model's says "differs" as well as changing colour, so the
difference never rests on colour alone. The probabilities come from
:func:`mnist_core.predict.probabilities_by_model`; this module only writes the HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import torch

from demo.server.language import N_, _, number, percent
from demo.server.models_state import ModelCatalog, ModelEntry, SessionModels, find_entry, model_choices
from demo.views.assets import asset
from mnist_core.models import count_parameters
from mnist_core.predict import CONFIDENT

IDLE = N_("Every model available will read your drawing too.")
HEADING = N_("Every model:")


def available_entries(catalog: ModelCatalog, session: SessionModels | None) -> list[ModelEntry]:
    """Every model this visitor can choose, in the model list's order (this session's newest first)."""
    return [e for _, key in model_choices(catalog, session) if (e := find_entry(catalog, session, key)) is not None]


def _parameters(model: torch.nn.Module) -> str:
    count = count_parameters(model)
    if count >= 1e6:
        # TRANSLATORS: a number of parameters in millions, short ("1.2M").
        return _("{number}M", number=number(count / 1e6, digits=1))
    if count >= 1e3:
        # TRANSLATORS: a number of parameters in thousands, short ("45k").
        return _("{number}k", number=number(count / 1e3, digits=0))
    return str(count)


def _chip(entry: ModelEntry, probabilities: torch.Tensor, main_digit: int | None, is_main: bool) -> str:
    confidence, digit = (float(v) for v in probabilities.max(0))  # (10,) -> the top probability and its digit
    digit = int(digit)
    differs = main_digit is not None and digit != main_digit
    css = "reading-chip" + (" reading-main" if is_main else "") + (" reading-differ" if differs else "")
    shown = f"{digit}" if confidence >= CONFIDENT else f"{digit}?"
    size = _parameters(entry.model)
    # TRANSLATORS: a model chip's tooltip: {model} is the model's name and test accuracy, {parameters} "1.2M".
    title = _("{model} · {parameters} parameters", model=entry.label, parameters=size)
    if is_main:
        # TRANSLATORS: the chosen model's chip's tooltip: {model} its name and test accuracy, {parameters} "1.2M".
        title = _("{model} · {parameters} parameters · the chosen model", model=entry.label, parameters=size)
    mark = "▸ " if is_main else ""
    tag = ""
    if differs:
        # TRANSLATORS: on a model's chip whose digit is not the chosen model's. One short word.
        tag = ' <span class="reading-tag">' + html.escape(_("differs")) + "</span>"
    return (f'<span class="{css}" title="{html.escape(title)}">{mark}{html.escape(entry.name)} · '
            f'<b class="reading-digit">{shown}</b> · {percent(confidence, digits=0)}{tag}</span>')


def readings_html(entries: Sequence[ModelEntry], probabilities: Mapping[str, torch.Tensor] | None,
                  main_key: str | None) -> str:
    """One chip per entry, with its (10,) ``probabilities[entry.key]``, the ``main_key`` one marked and every chip
    whose digit differs from the main model's flagged. ``None`` (nothing drawn yet): a one-line prompt.
    Fewer than two models: nothing (there is nothing to compare)."""
    if len(entries) < 2:
        return ""
    if probabilities is None:
        return f'<div class="readings readings-idle">{html.escape(_(IDLE))}</div>'
    main = probabilities.get(main_key) if main_key is not None else None
    main_digit = int(main.argmax()) if main is not None else None
    chips = "".join(_chip(e, probabilities[e.key], main_digit, e.key == main_key)
                    for e in entries if e.key in probabilities)
    return f'<div class="readings"><span class="readings-heading">{html.escape(_(HEADING))}</span>{chips}</div>'


CSS = asset("readings.css")

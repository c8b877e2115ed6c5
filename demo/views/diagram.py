"""The Model tab's diagram: a box per step of the model, with the shape of what it outputs, as HTML.

HTML rather than a plotly figure: a figure's fixed rows of boxes shrink on a phone until their
text overlaps, and keep their text 13 px on a projector however wide the screen. As HTML
the boxes wrap like words: as many to a row as the screen holds, their text in the theme's
sizes (which grow on a projector), and an arrow before every box but the first.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from demo.server.language import N_, _, n_
from demo.views.assets import asset
from demo.views.pictures import shape_text
from mnist_core.introspect import DiagramBox

#: Box colours, by kind of step (see ``mnist_core.introspect.category``).
DIAGRAM_COLOURS = {
    "input": "#e9ecef", "conv": "#a5c8ff", "norm": "#d0ebff", "activation": "#fff3bf", "pool": "#b2f2bb",
    "dropout": "#f1f3f5", "reshape": "#ffe8cc", "linear": "#e5dbff", "output": "#ffc9c9", "other": "#f8f9fa",
}

#: Styles of the diagram (added to the app's CSS). On a projector the boxes' type is one size larger.
#: The layer table below it scrolls inside itself on a phone (its four columns made the page 750 px wide):
#: ``contain: inline-size`` stops its width from widening the columns around it.
CSS = asset("diagram.css")


def _box(box: DiagramBox) -> str:
    if box.category == "input":  # the one box whose words are not a layer's name and settings (mnist_core's English)
        # TRANSLATORS: the first box of the model's diagram ("Input", then what it is): the picture the model is given.
        kind = html.escape(_("Input grey image"))
    else:
        kind = html.escape(box.kind + (f" {box.detail}" if box.detail else ""))
    params = ""
    if box.parameters:
        # TRANSLATORS: the number of learnt numbers (parameters) in one layer's box, short.
        params = "<span>" + html.escape(n_("{count} param", "{count} params", box.parameters)) + "</span>"
    colour = DIAGRAM_COLOURS.get(box.category, DIAGRAM_COLOURS["other"])
    return (f'<div class="diagram-box" style="background: {colour}"><span><b>{html.escape(box.name)}</b></span>'
            f"<span>{kind}</span><span><b>{shape_text(box.output_shape)}</b></span>{params}</div>")


#: Above the boxes, unless the caller gives its own caption.
CAPTION = N_("The model, step by step: each box is a layer and the shape of what it outputs")


def diagram_html(boxes: Sequence[DiagramBox], caption: str | None = None) -> str:
    """Every step of ``boxes`` (``mnist_core.introspect.diagram``) as a box, in order, with arrows between, under
    ``caption`` (in the visitor's language already; none: :data:`CAPTION`, translated here)."""
    steps = "".join(f'<div class="diagram-step">{"" if i == 0 else "<span class=diagram-arrow>→</span>"}'
                    f"{_box(box)}</div>" for i, box in enumerate(boxes))
    caption = _(CAPTION) if caption is None else caption
    return f'<p class="diagram-caption">{html.escape(caption)}</p><div class="diagram-flow">{steps}</div>'

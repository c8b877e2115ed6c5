"""Model tab: a diagram of the selected model, the shape of the data after each layer, and the parameters.

Both the diagram and the table are read from the model itself (``mnist_core.introspect``), so a
model added to the registry, or trained in this session, is drawn without any per-model code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from demo.server.context import AppContext
from demo.server.language import N_, T, _, number
from demo.server.models_state import SessionModels, require_entry
from demo.views.diagram import diagram_html
from demo.views.pictures import shape_text
from mnist_core.introspect import diagram
from mnist_core.models import MODELS, count_parameters

#: The layer table's column headings. Gradio's browser translation does not reach a table's headers, so the table's
#: value carries them, translated when the tab is filled (:meth:`ModelView.describe`).
HEADERS = (N_("layer"), N_("type"), N_("output shape (per image)"), N_("parameters"))


@dataclass
class ModelView:
    """The Model tab's components, and the handler that fills them (returning ``{component: value}``)."""

    context: AppContext
    header: gr.Markdown
    picture: gr.HTML
    table: gr.Dataframe

    def describe(self, key: str | None, models: SessionModels | None) -> dict[Any, Any]:
        """A header with the model's name and its network, its diagram, and the layer table with the parameter total."""
        entry = require_entry(self.context.catalog, models, key)
        boxes = diagram(entry.model)
        rows = boxes[1:]  # without the input box
        total = count_parameters(entry.model)
        spec = MODELS[entry.model_name]
        # TRANSLATORS: {network} is the network's name (stays English), {count} how many parameters (numbers the model
        # learns) it has, {description} a sentence about it.
        network = _("Network **{network}**, {count} parameters: {description}", network=entry.model_name,
                    count=number(total), description=_(spec.description))
        shapes = _("Input: one grey image, 1 × 28 × 28. Output: 10 scores, one per digit.")
        text = f"## {entry.name or entry.model_name}\n{network}\n\n{shapes}"
        table_rows = [[r.name, r.kind, shape_text(r.output_shape), number(r.parameters) if r.parameters else ""]
                      for r in rows]
        # TRANSLATORS: the last row of the layer table: the number of parameters of all layers together.
        table_rows.append([_("total"), "", "", number(total)])
        table = {"headers": [_(heading) for heading in HEADERS], "data": table_rows}
        return {self.header: text, self.picture: diagram_html(boxes), self.table: table}


def build(context: AppContext, session: gr.State, tab: gr.Tab) -> None:
    """Lay out the Model tab (its model list registers with ``context.pickers``, refreshed after training)."""
    model = context.pickers.new(elem_id="layers-model")
    header = gr.Markdown(elem_id="model-summary")
    picture = gr.HTML(elem_id="model-diagram")
    table = gr.Dataframe(headers=list(HEADERS), datatype="str", interactive=False,
                         label=T("Layers, in the order an image goes through them"),
                         elem_id="layer-table", max_height=800)
    describe = ModelView(context, header, picture, table).describe  # one function for both triggers
    outputs = [header, picture, table]
    tab.select(describe, [model, session], outputs, api_visibility="private")
    model.change(describe, [model, session], outputs, api_visibility="private")

"""Model tab: the layers of the selected model, the shape of the data after each, and the parameters."""

from __future__ import annotations

from typing import Any

import gradio as gr

from demo.context import AppContext
from demo.models_state import SessionModels, find_entry, model_choices
from mnist_core.introspect import layer_summary
from mnist_core.models import MODELS, count_parameters


def shape_text(shape: tuple[int, ...]) -> str:
    """(16, 28, 28) -> "16 × 28 × 28": how the class reads a tensor's shape."""
    return " × ".join(str(s) for s in shape)


def build(context: AppContext, session: gr.State, tab: gr.Tab) -> gr.Dropdown:
    """Lay out the Model tab; return its model dropdown (refreshed after training)."""
    catalog = context.catalog
    model = gr.Dropdown(choices=model_choices(catalog, None), value=catalog.default_key, label="Model",
                        elem_id="layers-model")
    header = gr.Markdown(elem_id="model-summary")
    table = gr.Dataframe(headers=["layer", "type", "output shape (per image)", "parameters"],
                         datatype="str", interactive=False, label="Layers, in the order an image goes through them",
                         elem_id="layer-table", max_height=800)

    def describe(key: str | None, models: SessionModels | None) -> tuple[str, list[list[Any]]]:
        """The layer table and a header naming the model, its architecture and its parameter total."""
        entry = find_entry(catalog, models, key)
        if entry is None:
            raise gr.Error("No model selected (none is available yet: train one in the Train tab).")
        rows = layer_summary(entry.model)
        total = count_parameters(entry.model)
        spec = MODELS[entry.model_name]
        text = (f"## {entry.model_name}: {total:,} parameters\n{spec.description}\n\n"
                f"Input: one grey image, 1 × 28 × 28. Output: 10 scores, one per digit.")
        table_rows = [[r.name, r.kind, shape_text(r.output_shape), f"{r.parameters:,}" if r.parameters else ""]
                      for r in rows]
        table_rows.append(["total", "", "", f"{total:,}"])
        return text, table_rows

    tab.select(describe, [model, session], [header, table], api_visibility="private")
    model.change(describe, [model, session], [header, table], api_visibility="private")
    return model

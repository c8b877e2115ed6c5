"""Dropdowns that show their whole choice, wrapped over as many lines as it takes.

Gradio's dropdown shows the chosen item in an ``<input>``, which keeps to one line: a model's long
name ran on under the arrow ("…99.54% · dra▾", "fast-cnn (29,434 parameters▾") in a narrow column and
lost its end on a phone, and no width fits every name on every screen. The page script
(``static/picker_text.js``) gives each single-choice dropdown a wrapping copy of its text under a
transparent input, so the box grows to the text and Gradio's own input still takes every tap and key.
One hidden block in the page runs it for every dropdown there is or will be.
"""

from __future__ import annotations

import gradio as gr

from demo.views.assets import asset

#: The copy's and the input's places (added to the app's CSS).
CSS = asset("picker_text.css")


def picker_text() -> gr.HTML:
    """The hidden block whose script makes every single-choice dropdown of the page wrap its text."""
    return gr.HTML(value="", html_template="", js_on_load=asset("picker_text.js"), visible="hidden",
                   elem_id="picker-text", apply_default_css=False)

"""Input components that check what a request sends before Gradio or the app use it.

A browser sends what the page allows, but anyone can send anything to the app's endpoints
(``fn_index`` and all): a list where a model name goes, NaN or infinity in a number box,
50 MB of text for a dropdown, a non-image, a truncated PNG or a decompression bomb as a
drawing. Gradio's own preprocessing would turn these into tracebacks ("upstream Gradio app
has raised an exception"), echo the 50 MB back and into the log, or decode the bomb. Each
class here is the Gradio component of the same name with a ``preprocess`` that refuses such
values first, with a short ``gr.Error`` the visitor can read, then lets Gradio do the rest.
Their messages are bounded: nothing a request sends is echoed at length. (Drawings are checked
the same way by :class:`demo.views.drawing_pad.DrawingPad`, and by the API's sketchpad in
:mod:`demo.server.gradio_internals`, which overrides more of Gradio than ``preprocess``.)

The refusals are not logged with a traceback (``print_exception=False``): they are the
visitor's mistakes, shown to the visitor, and a flood of them must not flood the log.
"""

from __future__ import annotations

import math
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from demo.server.language import _, n_, say
from demo.server.log import expected_error
from mnist_core.preprocess import ImageInputError, sketch_to_mnist

#: Longest value a dropdown accepts (the longest real choice is a file name or a key like "session-12").
MAX_CHOICE_CHARS = 200
#: Longest text of a refusal shown to the visitor.
MAX_MESSAGE_CHARS = 300
#: What the messages call a drawing (never the server's temporary path). English: it goes into
#: ``mnist_core``'s messages about images, which are English (the API's sketchpad alone shows them).
DRAWING = "the drawing"


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut, so no request is echoed at length."""
    if len(text) <= limit:
        return text
    # TRANSLATORS: {text} is the start of what a request sent, cut short; {count} how many characters were left out.
    return n_("{text}… ({count} more character)", "{text}… ({count} more characters)", len(text) - limit,
              text=text[:limit])


def label_of(component: gr.components.Component) -> str:
    """What the page calls ``component`` (its label, in the event's language), else its id or its class."""
    label = component.label
    if isinstance(label, I18nData):  # a label the browser translates (demo.server.language.T)
        return _(label.key)
    return label or component.elem_id or type(component).__name__


def refuse(component: gr.components.Component, problem: str) -> gr.Error:
    """A ``gr.Error`` naming the input by its label: "Epochs: must be a finite number, got nan"."""
    # TRANSLATORS: {name} is an input's label ("Epochs"), {problem} what is wrong with its value.
    return expected_error(shorten(_("{name}: {problem}", name=label_of(component), problem=problem)))


def _kind(value: Any) -> str:
    if value is None:
        return _("nothing")
    # TRANSLATORS: the kind of value a request sent where another was expected; {type} is a Python type name
    # ("list", "dict", "str"), kept in English.
    return _("a {type}", type=type(value).__name__)


def checked_preprocess(component: gr.components.Component, preprocess: Any, payload: Any) -> Any:
    """Gradio's own preprocessing of a value already checked here, its errors bounded and made readable."""
    try:
        return preprocess(payload)
    except gr.Error as exc:
        if not exc.print_exception:  # already an expected_error (e.g. from convert_and_format_image): logged once
            raise
        raise expected_error(shorten(str(exc.message))) from None
    except Exception as exc:  # anything Gradio's preprocessing did not foresee: a message, not a traceback
        reason = shorten(str(exc), 100) or type(exc).__name__
        # TRANSLATORS: {reason} is Gradio's own words (English) about why the value failed.
        raise refuse(component, _("this value cannot be used ({reason})", reason=reason)) from None


class Dropdown(gr.Dropdown):
    """A single-choice ``gr.Dropdown`` that refuses anything but one short value before Gradio echoes it."""

    def preprocess(self, payload: Any) -> Any:
        if payload is not None:
            if isinstance(payload, bool) or not isinstance(payload, (str, int, float)):
                # TRANSLATORS: {kind} is what was sent instead, e.g. "a list" or "nothing".
                raise refuse(self, _("expected one of the choices, got {kind}", kind=_kind(payload)))
            if isinstance(payload, str) and len(payload) > MAX_CHOICE_CHARS:
                raise refuse(self, n_("a value of {count} character is not one of the choices",
                                      "a value of {count} characters is not one of the choices", len(payload)))
        return checked_preprocess(self, super().preprocess, payload)


class Number(gr.Number):
    """A ``gr.Number`` that refuses text, lists, NaN and infinity (JSON from outside the page can carry them), and a
    fraction where it counts (``precision=0``: a label, an epoch count, a seed)."""

    def preprocess(self, payload: Any) -> Any:
        if payload is not None:
            if isinstance(payload, bool) or not isinstance(payload, (int, float)):
                # TRANSLATORS: {kind} is what was sent instead, e.g. "a str" or "a list".
                raise refuse(self, _("expected a number, got {kind}", kind=_kind(payload)))
            try:
                finite = math.isfinite(payload)
            except OverflowError:  # an integer too large for a float
                finite = False
            if not finite:
                # TRANSLATORS: {value} is what was sent, e.g. "nan" or "inf".
                raise refuse(self, _("must be a finite number, got {value}", value=shorten(str(payload), 20)))
            if self.precision == 0 and not float(payload).is_integer():  # Gradio would round 3.7 to 4 silently
                raise refuse(self, _("must be a whole number, got {value}", value=format(payload, "g")))
        return checked_preprocess(self, super().preprocess, payload)


class Checkbox(gr.Checkbox):
    """A ``gr.Checkbox`` that accepts only true or false."""

    def preprocess(self, payload: Any) -> Any:
        if payload is not None and not isinstance(payload, bool):
            # TRANSLATORS: {kind} is what was sent instead, e.g. "a str".
            raise refuse(self, _("expected true or false, got {kind}", kind=_kind(payload)))
        return checked_preprocess(self, super().preprocess, payload)


def composite_of(sketch: Any) -> Any:
    """The flattened drawing inside a sketchpad value (a dict from the browser or gradio_client), or None."""
    if sketch is None:
        return None
    if isinstance(sketch, dict):
        return sketch.get("composite")
    return sketch


def sketch_digit(sketch: Any) -> Any:
    """The 28x28 input (a tensor in [0, 1]) of a drawing sent as gr.Sketchpad sends it (the API's endpoints), or
    None for a blank canvas; an image that cannot be read is refused as the visitor's mistake."""
    image = composite_of(sketch)
    try:
        return sketch_to_mnist(image) if image is not None else None
    except ImageInputError as exc:
        raise expected_error(say(exc.args[0])) from None


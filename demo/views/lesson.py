"""The Draw tab's lesson in dataset bias: the same drawing, read by two models taught by different writers.

One model learnt from MNIST alone, whose digits were written in the United States; the
other (the default) also learnt from Spanish and Swiss writers, and saw some MNIST 1s given
the long upstroke those writers use. Both are the same design of network, trained with the
same drawing distortions (the MNIST-only one is narrower, and reads MNIST as well), so when
they disagree, the reason is whose digits they learnt from. Teachers draw a European ``1``
(a long upstroke) and let the class see the first model read a 7. (A ``7`` with a crossbar is no
such lesson: both models read it, MNIST has crossed 7s enough, so the prompt does not suggest it.)
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import torch

from demo.server.language import N_, _, percent
from demo.views.assets import asset
from mnist_core.predict import CONFIDENT

WHY = N_("Why they differ: MNIST was written by US Census Bureau staff and US high-school students, who rarely "
       "give a 1 a long upstroke or a 7 a crossbar. The second model also learnt from Spanish and Swiss writers.")
AGREE = N_("Both agree. Now draw a 1 with a long upstroke from the left, as much of Europe writes it.")
PROMPT = N_("Draw a digit: two models, taught by different writers, read it side by side.")


def _reading(title: str, probabilities: torch.Tensor | None, css: str) -> str:
    if probabilities is None:
        answer = '<div class="lesson-digit">–</div><div class="lesson-conf">&nbsp;</div>'
    else:
        confidence, digit = (float(v) for v in probabilities.max(0))
        shown = f"{int(digit)}" if confidence >= CONFIDENT else f"{int(digit)}?"
        # TRANSLATORS: under a digit a model read; {percent} is how sure it is, e.g. "97%". Short.
        sure = _("{percent} sure", percent=percent(confidence, digits=0))
        answer = f'<div class="lesson-digit">{shown}</div><div class="lesson-conf">{html.escape(sure)}</div>'
    return f'<div class="lesson-card {css}"><div class="lesson-title">{html.escape(title)}</div>{answer}</div>'


def lesson_html(mnist_only: torch.Tensor | None, drawing: torch.Tensor | None, names: Sequence[str]) -> str:
    """Two readings of one drawing side by side, (10,) probabilities each (``None``: nothing drawn yet), each card
    headed by its model's name (``names``: the MNIST-only model's, then the drawing model's), the name every model
    list and chip gives it ("drawing model (MNIST only)": whose handwriting it learnt from is in the name).

    The line under them says why they differ when they do, and what to try when they agree.
    """
    mnist_only_name, drawing_name = names
    if mnist_only is None or drawing is None:
        note, css = PROMPT, "lesson-idle"
    else:
        differ = int(mnist_only.argmax()) != int(drawing.argmax())
        note, css = (WHY, "lesson-differ") if differ else (AGREE, "lesson-agree")
    return (f'<div class="lesson {css}"><div class="lesson-row">'
            f'{_reading(mnist_only_name, mnist_only, "lesson-mnist")}'
            f'{_reading(drawing_name, drawing, "lesson-drawing")}</div>'
            f'<p class="lesson-note">{html.escape(_(note))}</p></div>')


CSS = asset("lesson.css")

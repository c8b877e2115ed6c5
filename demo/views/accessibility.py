"""What every page gets for students who use a screen reader or a keyboard: a visible focus ring, a class for text
only a screen reader reads, and names for Gradio's empty-picture placeholders (``static/accessibility.*``).
``tests/test_accessibility.py`` audits every tab with axe-core."""

from __future__ import annotations

from demo.views.assets import asset

CSS = asset("accessibility.css")
#: For ``launch(head=...)``: runs once as the page loads, before Gradio draws anything.
HEAD = "<script>" + asset("accessibility.js") + "</script>"

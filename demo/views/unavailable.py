"""What every tab says when MNIST is missing: one message, in the Train tab's words.

The Train, Confusion matrix and Dataset tabs all need MNIST, and a class without it should
read the same calm explanation wherever it looks (and never a red "Error" badge): what is
missing, how to fix it (the exception's own message says), and that the Draw tab still works.
"""

from __future__ import annotations

from demo.server.language import _


def mnist_unavailable_markdown(exc: BaseException | str) -> str:
    """Markdown for a tab that needs MNIST: "MNIST is not available", why, and what still works."""
    # TRANSLATORS: Markdown. {reason} says what is missing and how to fix it (stays English: a server message).
    return _("**MNIST is not available:** {reason}\n\nThe Draw tab still works: it needs no data set.", reason=exc)

"""Gradio's internals, which demo/server/gradio_internals.py overrides and reads, are the ones it was checked against.

When Gradio moves (a new pin in requirements.txt), this fails first: re-read each numbered part of that
module's docstring against the new Gradio's source, adjust what changed, then move ``CHECKED_WITH``.
"""

from __future__ import annotations

import gradio as gr

from demo.server.gradio_internals import CHECKED_WITH, version_checked


def test_the_installed_gradio_is_the_one_the_overrides_were_checked_against() -> None:
    assert gr.__version__.startswith(CHECKED_WITH), (
        f"Gradio {gr.__version__} is installed, but demo/server/gradio_internals.py was checked against "
        f"{CHECKED_WITH}x: re-read each of its parts against this Gradio, then update CHECKED_WITH")


def test_the_check_tells_versions_apart() -> None:
    assert version_checked()
    assert version_checked(CHECKED_WITH + "9")
    assert not version_checked("7.0.0") and not version_checked("6.3.1")


def test_the_page_module_the_language_picker_imports_still_exports_change_locale() -> None:
    from demo.server.gradio_internals import locale_switch_module

    module = locale_switch_module()
    assert module is not None, "no assets/core-*.js exports changeLocale: the language picker cannot turn the page"
    assert module.name.startswith("core-")

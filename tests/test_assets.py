"""The page's CSS, JavaScript and HTML live in demo/views/static/, ship with the code, and fill in their values."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from demo.views.assets import STATIC, asset

ROOT = Path(__file__).resolve().parents[1]


def test_a_file_gets_exactly_the_values_it_names() -> None:
    js = asset("heatmap_click.js", PLOT="#some-plot")
    assert "const PLOT = '#some-plot';" in js and "__PLOT__" not in js
    with pytest.raises(ValueError, match="PLOT"):
        asset("heatmap_click.js")  # a placeholder left empty would be a syntax error in the browser
    with pytest.raises(ValueError, match="COLOUR"):
        asset("heatmap_click.js", PLOT="#p", COLOUR="red")  # a value nobody uses: file and caller drifted apart


def test_the_drawing_pad_is_filled_with_the_canvas_the_models_are_trained_on() -> None:
    from demo.views import drawing_pad
    from mnist_core.strokes import SKETCHPAD_BRUSH_RADIUS, SKETCHPAD_CANVAS, SKETCHPAD_COLOURS

    assert f"const SIZE = {SKETCHPAD_CANVAS};" in drawing_pad.JS_ON_LOAD
    assert f"const RADIUS = {SKETCHPAD_BRUSH_RADIUS};" in drawing_pad.JS_ON_LOAD
    assert f'width="{SKETCHPAD_CANVAS}" height="{SKETCHPAD_CANVAS}"' in drawing_pad.TEMPLATE
    assert drawing_pad.TEMPLATE.count('class="pad-colour"') == len(SKETCHPAD_COLOURS)
    # gr.HTML runs its template as a JS template literal: a backtick or ${ would end or inject into it
    assert "`" not in drawing_pad.TEMPLATE and "${" not in drawing_pad.TEMPLATE


def test_every_static_file_is_used_and_shipped() -> None:
    files = sorted(p.name for p in STATIC.iterdir() if p.is_file())
    assert files, STATIC
    code = "\n".join(p.read_text() for p in (ROOT / "demo").rglob("*.py"))
    used = set(re.findall(r'asset\("([^"]+)"', code))
    assert set(files) == used
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", *(str(STATIC / f) for f in files)], cwd=ROOT,
                             capture_output=True, text=True)
    assert ignored.stdout == "", f"ignored by git, so missing from a fresh clone: {ignored.stdout}"

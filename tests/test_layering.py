"""The app's folders are layers: ``demo.tabs`` may import ``demo.views`` and ``demo.server``, ``demo.views`` only
``demo.server``, ``demo.server`` neither, and ``mnist_core`` nothing of ``demo`` or Gradio. So a change low down never
needs to know about the page above it, and nothing imports in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Each package, with the packages it may import from this project (besides itself).
ALLOWED = {
    "mnist_core": set(),
    "demo.server": {"mnist_core"},
    "demo.views": {"mnist_core", "demo.server"},
    "demo.tabs": {"mnist_core", "demo.server", "demo.views"},
}


def imports_of(path: Path) -> set[str]:
    """The modules ``path`` imports (absolute names; a ``from demo import x`` counts as ``demo.x``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def layer_of(module: str) -> str | None:
    return next((layer for layer in sorted(ALLOWED, key=len, reverse=True)
                 if module == layer or module.startswith(layer + ".")), None)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    folder = ROOT / package.replace(".", "/")
    wrong = []
    for path in sorted(folder.rglob("*.py")):
        for name in imports_of(path):
            target = layer_of(name)
            if name.split(".")[0] == "gradio" and package == "mnist_core":
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            elif (name == "demo" or name.startswith("demo.")) and target not in ALLOWED[package] | {package}:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            elif target == "mnist_core" and "mnist_core" not in ALLOWED[package] | {package}:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_demo_has_no_module_outside_its_layers() -> None:
    loose = sorted(p.name for p in (ROOT / "demo").glob("*.py") if p.name not in {"__init__.py", "ui.py"})
    assert not loose, f"put these in demo/tabs, demo/views or demo/server: {loose}"

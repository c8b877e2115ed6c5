"""One name per model (mnist_core.names, demo.server.models_state): the shipped drawing models by whose handwriting
they learnt from, a model trained or taught here by what was done to it, and a downloaded one keeps its name when it
comes back; the download's file name is made from the same name."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.server.context import AppContext
from demo.server.models_state import ModelCatalog, SessionModels, model_choices
from demo.tabs.model_files import download_file_name, upload_checkpoint, write_download
from mnist_core.models import build_model
from mnist_core.names import file_name, human_name
from mnist_core.paths import ASSETS_DIR


@pytest.fixture(scope="module")
def shipped() -> ModelCatalog:
    return ModelCatalog.from_folder(ASSETS_DIR)


def test_the_two_drawing_models_are_named_by_whose_handwriting_they_learnt_from(shipped: ModelCatalog) -> None:
    default, mnist_only = shipped.entries[shipped.default_key], shipped.entries[shipped.mnist_only_key]
    assert default.name == "drawing model (MNIST + European)"
    assert mnist_only.name == "drawing model (MNIST only)"
    assert shipped.entries["tiny-vgg-seed004.pt"].name == "tiny-vgg (seed004)"
    # The list shows the name, then the test accuracy; no two share a name.
    assert default.label == "drawing model (MNIST + European) · 99.54%"
    names = [e.name for e in shipped.entries.values()]
    assert len(set(names)) == len(names) and all(e.label.startswith(e.name) for e in shipped.entries.values())


def test_a_model_trained_here_says_so_with_its_recipe_and_accuracy() -> None:
    models = SessionModels()
    entry = models.add("fast-cnn", build_model("fast-cnn"),
                       {"recipe": {"name": "fast"}, "status": "completed", "test_accuracy": 0.9907})
    assert entry.name == "★ #1 fast-cnn trained here (fast)"
    assert entry.label == "★ #1 fast-cnn trained here (fast) · 99.07%"
    stopped = models.add("fast-cnn", build_model("fast-cnn"), {"recipe": {"name": "fast"}, "status": "stopped"})
    assert stopped.name == "★ #2 fast-cnn trained here (fast, stopped)"


def test_a_taught_model_says_how_many_examples_it_was_taught(shipped: ModelCatalog) -> None:
    base = shipped.entries[shipped.default_key]
    models = SessionModels()
    metadata = {**base.metadata, "test_accuracy": 0.9923, "taught": {"examples": 3}}
    entry = models.add_taught(base.model_name, base.model, metadata)
    assert entry.name == "✎ #1 drawing model (MNIST + European), taught on 3 examples"
    assert entry.label == f"{entry.name} · 99.23%"
    assert download_file_name(entry) == "drawing-model-mnist-european-taught-on-3-examples.pt"
    one = models.add_taught(base.model_name, base.model, {**metadata, "taught": {"examples": 1}})
    assert one.name.endswith("taught on 1 example")


def test_a_downloaded_model_keeps_its_name_when_it_comes_back(shipped: ModelCatalog, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("demo.tabs.model_files.download_folder", lambda: Path(tmp_path))
    context = AppContext(catalog=ModelCatalog(entries={}, default_key=None, errors=[]))
    base = shipped.entries[shipped.default_key]
    models = SessionModels()
    trained = models.add("tiny-vgg", build_model("tiny-vgg"),
                         {"recipe": {"name": "fast"}, "status": "completed", "test_accuracy": 0.9907})
    taught = models.add_taught(base.model_name, base.model,
                               {**base.metadata, "test_accuracy": 0.9923, "taught": {"examples": 3}})
    for entry, number in ((trained, 3), (taught, 4)):
        path = write_download(entry)
        assert path.name == download_file_name(entry) == file_name(entry.name.split(" ", 2)[2])
        _, back = upload_checkpoint(context, str(path), models)
        assert back.name == f"⬆ #{number} " + entry.name.split(" ", 2)[2], back.name
        assert (back.label, back.key) in model_choices(context.catalog, models)
    assert download_file_name(trained) == "tiny-vgg-trained-here-fast.pt"


def test_a_name_is_made_from_whatever_the_metadata_says() -> None:
    assert human_name({}, "tiny-vgg") == "tiny-vgg"
    assert human_name({"source": "plain state_dict"}, "pytorch-example") == "pytorch-example (plain state_dict)"
    assert human_name({"drawing": True, "trained_on": ["mnist", "hebrew"]}, "drawing-cnn") == \
        "drawing model (MNIST + hebrew)"
    # An uploaded file's odd fields make a plainer name, never an error.
    assert human_name({"taught": "yes", "recipe": 7, "trained_on": "mnist", "drawing": "no"}, "tiny-vgg") == \
        "tiny-vgg"
    assert human_name({"taught": {"examples": "many"}}, "tiny-vgg") == "tiny-vgg, taught on 0 examples"
    assert file_name("⬆ #2 a/b\\..c (d)") == "2-a-b-..c-d.pt" and file_name("★") == "model.pt"


def test_the_model_tab_is_headed_with_the_name(shipped: ModelCatalog) -> None:
    from demo.tabs.model import ModelView

    context = AppContext(catalog=shipped)
    view = ModelView(context, header="header", picture="picture", table="table")  # type: ignore[arg-type]
    header = view.describe(shipped.mnist_only_key, None)["header"]
    assert header.startswith("## drawing model (MNIST only)\n") and "drawing-cnn-w24" in header

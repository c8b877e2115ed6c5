"""Take a model home, bring one back (demo.tabs.model_files): the download a run leaves and the checkpoint upload."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr
import pytest
import torch
from PIL import Image

from demo.server.context import AppContext
from demo.server.limits import MAX_UPLOAD_CHECKPOINT_BYTES, MAX_UPLOADED_MODELS
from demo.server.models_state import ModelCatalog, SessionModels, model_choices
from demo.tabs.model_files import download_update, upload_checkpoint
from mnist_core.checkpoint import load_checkpoint, save_checkpoint
from mnist_core.models import build_model
from mnist_core.paths import ASSETS_DIR
from mnist_core.predict import predict_drawing

PRETRAINED = ASSETS_DIR / "tiny-vgg-seed004.pt"


@pytest.fixture
def context() -> AppContext:
    """An app with no pretrained models, so every listed model is one this session added."""
    return AppContext(catalog=ModelCatalog(entries={}, default_key=None, errors=[]))


@pytest.fixture
def home_checkpoint(tmp_path: Path) -> Path:
    """A checkpoint as ``python -m mnist_core train`` writes one at home."""
    model = load_checkpoint(PRETRAINED).model
    return save_checkpoint(tmp_path / "trained-at-home.pt", "tiny-vgg", model,
                           metadata={"recipe": {"name": "fast"}, "test_accuracy": 0.987})


def test_uploaded_checkpoint_joins_the_sessions_model_lists(context: AppContext, home_checkpoint: Path,
                                                            seven: Path) -> None:
    models, entry = upload_checkpoint(context, str(home_checkpoint), SessionModels())
    choices = model_choices(context.catalog, models)
    assert (entry.label, entry.key) in choices
    assert entry.label == "⬆ #1 tiny-vgg (fast) · 98.70%"  # what its metadata says it is
    prediction = predict_drawing(models.entries[entry.key].model, Image.open(seven))
    assert prediction is not None and prediction.label == 7
    # Every picker of the app gets the model; the Draw tab's (the follower) selects it.
    follower = context.pickers.new(follows_new_model=True, render=False)
    other = context.pickers.new(render=False)
    updates = context.pickers.updates(models, entry.key)
    assert updates[follower].value == entry.key
    assert (entry.label, entry.key) in updates[other].choices


def _refused(context: AppContext, path: Path, models: SessionModels) -> str:
    with pytest.raises(gr.Error) as caught:
        upload_checkpoint(context, str(path), models)
    assert not models.entries, "a refused file must add nothing"
    message = str(caught.value.message)
    assert str(path.parent) not in message, "the server's temporary path is not the visitor's business"
    return message


def test_text_file_is_refused_in_words(context: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "notes.pt"
    path.write_text("these are my notes, not weights\n" * 10)
    message = _refused(context, path, SessionModels())
    assert "notes.pt" in message and "text file" in message


def test_oversized_file_is_refused_before_reading(context: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "huge.pt"
    with path.open("wb") as fh:
        fh.truncate(MAX_UPLOAD_CHECKPOINT_BYTES + 1)
    assert "too large" in _refused(context, path, SessionModels())


def test_checkpoint_carrying_code_is_refused_and_its_code_never_runs(context: AppContext, tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"state_dict": build_model("tiny-vgg").state_dict(), "extra": Payload()}, path)
    message = _refused(context, path, SessionModels())
    assert "evil.pt" in message and "other than weights" in message
    assert not marker.exists()


def test_a_session_may_upload_only_so_many_models(context: AppContext, home_checkpoint: Path) -> None:
    models = SessionModels()
    for _ in range(MAX_UPLOADED_MODELS):
        upload_checkpoint(context, str(home_checkpoint), models)
    with pytest.raises(gr.Error, match="reload the page"):
        upload_checkpoint(context, str(home_checkpoint), models)
    assert len(models.entries) == MAX_UPLOADED_MODELS


def test_download_loads_back_with_its_metadata_and_predicts_alike(seven: Path) -> None:
    """The file a run leaves is a project checkpoint: same weights, same metadata, same reading of a drawing."""
    trained = load_checkpoint(PRETRAINED).model
    metadata = {"recipe": {"name": "fast", "epochs": 1}, "status": "finished", "epochs_trained": 1.0,
                "test_accuracy": 0.9876, "temperature": 1.25}
    models = SessionModels()
    entry = models.add("tiny-vgg", trained, metadata)
    button = gr.DownloadButton(render=False)
    update = download_update(models, entry, button)
    path = Path(update.value["path"])  # the update holds the file as Gradio sends it
    assert path.name == "tiny-vgg-trained-here-fast.pt" and str(path) in button.keep_in_cache
    back = load_checkpoint(path)
    assert back.model_name == "tiny-vgg"
    assert {k: back.metadata[k] for k in metadata} == metadata
    for key, value in trained.state_dict().items():
        assert torch.equal(back.model.state_dict()[key], value), key
    ours, theirs = predict_drawing(trained, Image.open(seven)), predict_drawing(back.model, Image.open(seven))
    assert theirs.label == 7 and torch.equal(ours.probabilities, theirs.probabilities)

    # The next run replaces the file; the page closing deletes it, and the cleanup may then forget it.
    second = download_update(models, models.add("tiny-vgg", trained, metadata), button)
    second_path = Path(second.value["path"])
    assert not path.exists() and second_path.exists()
    models.close()
    assert not second_path.exists() and not second_path.parent.exists()
    assert not button.keep_in_cache


def test_upload_through_the_api_then_draw_with_it(app_server, session_models, home_checkpoint: Path, seven_sketch,
                                                  tmp_path) -> None:
    """An outside program uploads a checkpoint, gets it selected, predicts with it; a text file is refused."""
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(app_server.url, verbose=False)  # its own session: the model must stay in it
    *pickers, message = client.predict(handle_file(str(home_checkpoint)), api_name="/upload_checkpoint")
    assert any(p.get("value") == "session-1" for p in pickers), pickers  # the Draw tab's list selects it
    assert all(["⬆ #1 tiny-vgg (fast) · 98.70%", "session-1"] in p["choices"]
               for p in pickers)  # and every model list offers it
    assert "trained-at-home.pt" in message
    result = client.predict(seven_sketch, "session-1", api_name="/predict")
    assert result["label"] == "7"
    assert "session-1" in session_models[client.session_hash].entries  # closing the page frees it

    notes = tmp_path / "notes.pt"
    notes.write_text("not weights\n" * 20)
    with pytest.raises(AppError, match="text file"):
        client.predict(handle_file(str(notes)), api_name="/upload_checkpoint")
    assert list(session_models[client.session_hash].entries) == ["session-1"]


@pytest.mark.train
def test_a_stopped_run_offers_its_checkpoint_for_download(app_server, session_models, seven: Path) -> None:
    """Through ``/train`` as the page calls it: the run's last output is a file that loads and reads a 7."""
    from gradio_client import Client

    from tests.runs import train_then_stop

    client = Client(app_server.url, verbose=False)
    final = train_then_stop(client, "tiny-vgg", "fast", 1, 128, 0.003, 1)
    assert final[1].startswith("### Stopped"), final[1]
    offered = final[-1]["value"]  # the download button's update; gradio_client fetched its file
    downloaded = Path(offered if isinstance(offered, str) else offered["path"])
    assert downloaded.name == "tiny-vgg-trained-here-fast-stopped.pt"
    back = load_checkpoint(downloaded)
    entry = next(iter(session_models[client.session_hash].entries.values()))
    assert back.model_name == "tiny-vgg" and back.metadata["status"] == "stopped"
    assert back.metadata["test_accuracy"] == entry.metadata["test_accuracy"]
    ours, theirs = predict_drawing(entry.model, Image.open(seven)), predict_drawing(back.model, Image.open(seven))
    # Same weights; the app's model may have run on another number of threads, so the last bits may differ.
    assert torch.allclose(ours.probabilities, theirs.probabilities, atol=1e-6)

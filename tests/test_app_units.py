"""The app's own helpers, without a server: chart bounds, model lists, checkpoint discovery."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from demo.server.inputs import composite_of
from demo.server.models_state import ModelCatalog, ModelPickers, SessionModels, find_entry, model_choices
from demo.server.sessions import Sessions
from demo.tabs.confusion import worst_cell
from demo.tabs.train import clock
from demo.views.charts import TrainingCurve, confusion_figure, training_figure
from demo.views.lesson import lesson_html
from mnist_core.checkpoint import discover_checkpoints, save_checkpoint
from mnist_core.models import build_model


def test_training_curve_stays_bounded_and_smooth_line_is_exact() -> None:
    curve = TrainingCurve(steps_per_epoch=1000, epochs=50, max_points=100, smoothing=0.9)
    losses = np.linspace(2.0, 0.1, 50_000)
    for step, loss in enumerate(losses, start=1):
        curve.add_loss(step, float(loss))
    assert len(curve.raw_x) < 100 and len(curve.smooth_x) < 100
    assert curve.raw_x == sorted(curve.raw_x) and curve.raw_x[-1] <= 50
    # The EMA of a linear ramp lags it by about smoothing / (1 - smoothing) steps.
    lag = 0.9 / 0.1 * (losses[0] - losses[1])
    assert curve.smooth_y[-1] == pytest.approx(losses[-1 - (50_000 - 1) % curve.stride] + lag, rel=0.05)
    curve.add_accuracy(1, 0.97)
    fig = training_figure(curve)
    assert sum(len(trace.x) for trace in fig.data) == curve.points


def test_the_training_chart_before_its_first_point_is_a_note_without_axes() -> None:
    empty = training_figure(TrainingCurve(epochs=3))
    assert not empty.data and empty.layout.xaxis.visible is False and empty.layout.yaxis.visible is False
    assert "as it learns" in empty.layout.annotations[0].text
    curve = TrainingCurve(epochs=3)
    curve.add_loss(1, 2.3)
    drawn = training_figure(curve)
    assert drawn.layout.yaxis.type == "log" and not drawn.layout.annotations
    assert drawn.layout.height == empty.layout.height  # the page does not jump when the first point comes


def test_confusion_figure_normalises_rows() -> None:
    counts = np.diag(np.full(10, 90)) + 1
    fig = confusion_figure(counts, normalise=True)
    assert fig.data[0].text[0][0] == "91.0%" and fig.data[0].text[0][1] == "1.0%"  # 91 and 1 of 100
    assert confusion_figure(counts).data[0].text[3][3] == "91"


def test_worst_cell_is_the_largest_mistake() -> None:
    confusion = np.eye(10, dtype=int) * 100
    confusion[4, 9] = 7
    confusion[7, 2] = 3
    assert worst_cell(confusion) == (4, 9)
    assert worst_cell(np.eye(10, dtype=int)) == (0, 0)


@pytest.mark.parametrize("payload", ["4,9", [4, 9], {"seq": 1}, {"seq": 1, "true": 10, "predicted": 9},
                                     {"seq": 1, "true": -1, "predicted": 9}, {"seq": 1, "true": 4.0, "predicted": 9},
                                     {"seq": 1, "true": True, "predicted": 9}, {"seq": 1, "true": "4", "predicted": 9}])
def test_a_heatmap_click_is_a_cell_or_refused(payload: object) -> None:
    """The heatmap's click arrives as ``{"seq", "true", "predicted"}``: two digits become the cell, anything a
    script might send instead gets a short message, not an IndexError further on."""
    import gradio as gr

    from demo.views.heatmap_click import CellPicker

    picker = CellPicker("#confusion-heatmap", render=False)
    assert picker.preprocess({"seq": 3, "true": 4, "predicted": 9}) == (4, 9)
    assert picker.preprocess(None) is None
    with pytest.raises(gr.Error, match="confusion matrix"):
        picker.preprocess(payload)


def as_shown(html: str) -> list[np.ndarray]:
    """Each inline ``<img>`` of ``html`` as the page shows it: its picture drawn in its ``width`` x ``height`` box with
    square pixels (``image-rendering: pixelated``: every pixel of the box takes the nearest pixel of the picture)."""
    import base64
    import io

    from PIL import Image

    found = re.findall(r'src="data:image/png;base64,([^"]+)" width="(\d+)" height="(\d+)"', html)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
                       .resize((int(width), int(height)), Image.Resampling.NEAREST)) for data, width, height in found]


def pixelated(picture: np.ndarray, width: int, height: int) -> np.ndarray:
    """``picture`` (uint8, grey or RGB) drawn in a ``width`` x ``height`` box with square pixels, in RGB."""
    from PIL import Image

    return np.asarray(Image.fromarray(picture).convert("RGB").resize((width, height), Image.Resampling.NEAREST))


def test_sketch_value_and_the_model_input_inline() -> None:
    from demo.views.pictures import model_input_html

    assert composite_of(None) is None
    assert composite_of({"background": None, "layers": [], "composite": "x"}) == "x"
    digit = np.eye(28, dtype=np.float32)
    html = model_input_html(digit)
    assert "/file=" not in html  # inline: no file written, none fetched
    [shown] = as_shown(html)
    height, width = shown.shape[:2]
    assert width >= 200 and width == height, f"the model's input is shown {width} x {height} px"
    # Every one of the 784 pixels the model reads is a square of its own grey, the diagonal white on black.
    assert np.array_equal(shown, pixelated((digit * 255).astype(np.uint8), width, height))
    assert "<img" not in model_input_html(None)


def test_clock() -> None:
    assert clock(75) == "1:15" and clock(3725) == "1:02:05" and clock(None) == "–"


def _save(folder: Path, name: str, accuracy: float, **extra: object) -> None:
    torch.manual_seed(0)
    save_checkpoint(folder / name, "tiny-vgg", build_model("tiny-vgg"),
                    metadata={"test_accuracy": accuracy, "recipe": {"name": "fast"}, **extra})


def test_catalog_discovers_checkpoints_and_prefers_a_drawing_model(tmp_path: Path) -> None:
    _save(tmp_path, "a.pt", 0.99)
    _save(tmp_path, "b.pt", 0.98)
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    found, errors = discover_checkpoints(tmp_path)
    assert [c.path.name for c in found] == ["a.pt", "b.pt"]
    assert len(errors) == 1 and "broken.pt" in errors[0]

    catalog = ModelCatalog.from_folder(tmp_path)
    assert catalog.default_key == "a.pt"  # most accurate
    assert "99.00%" in catalog.entries["a.pt"].label and "fast" in catalog.entries["a.pt"].label

    _save(tmp_path, "c.pt", 0.95, drawing=True)
    catalog = ModelCatalog.from_folder(tmp_path)
    assert catalog.default_key == "c.pt"  # a drawing model wins
    assert catalog.mnist_only_key is None  # the default itself learnt from MNIST alone: nothing to compare with

    _save(tmp_path, "d.pt", 0.94, drawing=True, trained_on=["mnist", "ujipenchars2"])
    catalog = ModelCatalog.from_folder(tmp_path)
    assert (catalog.default_key, catalog.mnist_only_key) == ("d.pt", "c.pt")  # the lesson's two models


def test_no_two_models_in_the_catalog_share_a_label_and_a_nan_one_is_not_listed(tmp_path: Path) -> None:
    _save(tmp_path, "a.pt", 0.99)
    _save(tmp_path, "copy-of-a.pt", 0.99)  # the same model, recipe and claimed accuracy
    model = build_model("tiny-vgg")
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    save_checkpoint(tmp_path / "nan.pt", "tiny-vgg", model, metadata={"test_accuracy": 0.99,
                                                                      "recipe": {"name": "fast"}})
    catalog = ModelCatalog.from_folder(tmp_path)
    labels = [entry.label for entry in catalog.entries.values()]
    assert sorted(catalog.entries) == ["a.pt", "copy-of-a.pt"] and len(set(labels)) == 2, labels
    assert len(catalog.errors) == 1 and "nan.pt" in catalog.errors[0] and "NaN" in catalog.errors[0]


def test_the_lesson_says_why_two_models_differ_and_what_to_try_when_they_agree() -> None:
    seven, one = torch.zeros(10), torch.zeros(10)
    seven[7], seven[1], one[1] = 0.71, 0.29, 0.97
    names = ["drawing model (MNIST only)", "drawing model (MNIST + European)"]
    differ = lesson_html(seven, one, names)
    assert "lesson-differ" in differ and "US Census Bureau" in differ
    assert re.findall(r'lesson-title">([^<]+)<', differ) == names  # each card headed by its model's one name
    assert re.findall(r'lesson-digit">([^<]+)<', differ) == ["7?", "1"]  # 71% is below "sure"
    assert "71% sure" in differ and "97% sure" in differ
    agree = lesson_html(one, one, names)
    assert "lesson-agree" in agree and "long upstroke" in agree and "US Census" not in agree
    assert "lesson-idle" in lesson_html(None, None, names)


def test_missing_assets_folder_gives_an_empty_catalog(tmp_path: Path) -> None:
    catalog = ModelCatalog.from_folder(tmp_path / "nowhere")
    assert catalog.entries == {} and catalog.default_key is None and catalog.errors == []


def test_session_models_are_private_and_listed_first(tmp_path: Path) -> None:
    _save(tmp_path, "a.pt", 0.99)
    catalog = ModelCatalog.from_folder(tmp_path)
    mine, theirs = SessionModels(), SessionModels()
    entry = mine.add("tiny-vgg", build_model("tiny-vgg"),
                     {"recipe": {"name": "fast"}, "epochs": 1, "status": "stopped", "test_accuracy": 0.9})
    assert entry.key == "session-1" and "stopped" in entry.label and "90.00%" in entry.label
    assert entry.label == "★ #1 tiny-vgg trained here (fast, stopped) · 90.00%"
    assert [key for _, key in model_choices(catalog, mine)] == ["session-1", "a.pt"]
    assert [key for _, key in model_choices(catalog, theirs)] == ["a.pt"]
    assert find_entry(catalog, mine, "session-1") is entry
    assert find_entry(catalog, theirs, "session-1") is None
    assert find_entry(catalog, theirs, None) is catalog.entries["a.pt"]
    mine.close()  # the visitor left
    assert find_entry(catalog, mine, "session-1") is None
    mine.add("tiny-vgg", build_model("tiny-vgg"), {"status": "stopped"})  # a run that ended after they left
    assert mine.entries == {}


class Flag:
    """A run's stop flag, as ``Sessions`` sees it."""

    def __init__(self) -> None:
        self.stopped = False

    def set(self) -> None:
        self.stopped = True


def test_a_session_that_ends_is_freed_and_one_that_trains_again_keeps_models() -> None:
    sessions = Sessions(capacity=10)
    models, flag = SessionModels(), Flag()
    with sessions.running("visitor-1", models, flag):  # a run starts
        assert sessions.run_of("visitor-1") is flag and sessions.runs_active == 1
        models.add("tiny-vgg", build_model("tiny-vgg"), {"status": "completed"})
        sessions.end("visitor-1")  # the page's unload event, mid-run
        assert flag.stopped and models.closed and models.entries == {} and sessions.snapshot()["sessions"] == 0
    assert sessions.run_of("visitor-1") is None and sessions.runs_active == 0
    with sessions.running("visitor-1", models, Flag()):  # the connection came back and the visitor trains again
        models.add("tiny-vgg", build_model("tiny-vgg"), {"status": "completed"})
    assert len(models.entries) == 1 and not models.closed and sessions.snapshot()["sessions"] == 1
    sessions.end("never-trained")  # a visitor who never trained leaves: nothing to do
    assert not models.closed and sessions.snapshot()["sessions"] == 1
    sessions.end("visitor-1")
    assert models.closed and models.entries == {} and sessions.snapshot()["sessions"] == 0


def test_a_run_whose_page_already_left_ends_the_session_and_keeps_nothing() -> None:
    # Gradio can start a waiting run after its page's unload event ran (the queue's stream is noticed closed later).
    sessions = Sessions(capacity=10)
    sessions.end("gone")  # the unload event: nothing to stop yet
    models, flag = SessionModels(), Flag()
    with sessions.running("gone", models, flag, left=lambda: True):
        assert flag.stopped and models.closed  # it stops before its first step
    assert sessions.snapshot() == {"running": 0, "in_progress": 0, "sessions": 0}
    with sessions.running("here", SessionModels(), Flag(), left=lambda: False):
        pass
    assert sessions.snapshot()["sessions"] == 1


def test_stop_finds_the_sessions_own_run_and_no_other() -> None:
    sessions = Sessions(capacity=10)
    mine, theirs = Flag(), Flag()
    with sessions.running("me", SessionModels(), mine), sessions.running("them", SessionModels(), theirs):
        assert sessions.runs_active == 2
        assert sessions.stop("me") and mine.stopped and not theirs.stopped
        assert not sessions.stop("nobody") and not sessions.stop(None)
    assert sessions.runs_active == 0 and not sessions.stop("me")


def test_at_most_capacity_sessions_are_remembered_and_the_oldest_go_first() -> None:
    sessions = Sessions(capacity=2)
    first, second, third = SessionModels(), SessionModels(), SessionModels()
    sessions.track("a", first)
    sessions.track("b", second)
    sessions.track("a", first)  # a trains again: now the most recent
    sessions.track("c", third)
    assert sessions.snapshot()["sessions"] == 2
    for key in "abc":  # each page's unload event closes the models the registry still remembers
        sessions.end(key)
    assert (first.closed, second.closed, third.closed) == (True, False, True)  # b, the oldest, forgotten: not closed
    sessions.track("d", second)
    sessions.forget(second)  # Gradio's own expiry of d's state
    assert second.closed and sessions.snapshot()["sessions"] == 0


def test_two_apps_share_no_sessions() -> None:
    from demo.server.context import AppContext

    one, two = AppContext.create(), AppContext.create()
    with one.sessions.running("visitor", SessionModels(), Flag()):
        assert one.sessions.runs_active == 1 and two.sessions.runs_active == 0


def test_every_model_picker_gets_the_new_model_and_the_follower_selects_it(tmp_path: Path) -> None:
    _save(tmp_path, "a.pt", 0.99)
    pickers = ModelPickers(ModelCatalog.from_folder(tmp_path))
    plain, follower = pickers.new(), pickers.new(follows_new_model=True)
    assert pickers.pickers == [plain, follower] and plain.value == "a.pt"
    mine = SessionModels()
    entry = mine.add("tiny-vgg", build_model("tiny-vgg"), {"status": "completed"})
    updates = pickers.updates(mine, entry.key)
    assert set(updates) == {plain, follower}
    assert [key for _, key in updates[plain].choices] == [entry.key, "a.pt"]
    # Only the follower changes its selection; the others keep what the visitor chose (no value sent).
    assert updates[follower].constructor_args["value"] == entry.key and "value" not in updates[plain].constructor_args


def test_app_builds_without_mnist_and_says_so(tmp_path: Path) -> None:
    """No data: the app still starts (the Draw tab needs none) and the Train tab says MNIST is missing."""
    from demo.server.context import AppContext
    from demo.ui import build_demo

    empty = tmp_path / "no-data"
    assert not AppContext.create(data_dir=empty).data_available()
    demo = build_demo(data_dir=empty)
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {"sketchpad", "mnist-missing", "start-button"} <= ids
    assert {"saliency-view", "feature-maps-view", "train-probes", "train-filters", "mistakes-gallery",
            "selected-saliency", "model-diagram"} <= ids  # the inside views are there, with or without data
    api_names = {dep.api_name for dep in demo.fns.values()}
    assert {"predict", "explain", "confusion_matrix", "train", "stop"} <= api_names


def test_feature_grid_tiles_every_map_normalised_on_its_own() -> None:
    from demo.views.pictures import SEQUENTIAL_PALETTE, feature_grid, normalize_each

    maps = np.zeros((20, 7, 7), np.float32)
    maps[0, 3, 3] = 0.001  # a weak map still reaches full brightness
    maps[1] = 5.0  # a constant map is shown dark, not as noise
    scaled = normalize_each(maps)
    assert scaled[0].max() == 1.0 and scaled[1].max() == 0.0
    grid = feature_grid(maps)  # at native size: the page enlarges it
    assert grid.dtype == np.uint8 and grid.shape == (3 * (7 + 1) - 1, 8 * (7 + 1) - 1)
    picture = SEQUENTIAL_PALETTE[grid]
    assert tuple(picture[3, 3]) == tuple(SEQUENTIAL_PALETTE[254])  # the bright pixel of map 0, at full brightness
    assert tuple(picture[0, 0]) == tuple(SEQUENTIAL_PALETTE[0])  # the weakest pixel of map 0
    assert tuple(picture[0, 7]) == (255, 255, 255)  # the gap between maps
    assert tuple(picture[0, 8]) == tuple(SEQUENTIAL_PALETTE[0])  # the constant map 1 is dark


def test_feature_maps_are_shown_enlarged_in_their_palette_colours_with_square_pixels() -> None:
    from demo.views.pictures import SEQUENTIAL_PALETTE, feature_grid, feature_maps_html
    from mnist_core.saliency import explain

    digit = np.zeros((28, 28), np.float32)
    digit[5:23, 13:16] = 1.0
    e = explain(build_model("tiny-vgg"), torch.from_numpy(digit))
    shown = as_shown(feature_maps_html(e))
    assert len(shown) == len(e.feature_maps)
    for picture, fm in zip(shown, e.feature_maps, strict=True):
        grid = SEQUENTIAL_PALETTE[feature_grid(fm.maps.numpy())]  # one colour per activation
        height, width = picture.shape[:2]
        assert width > grid.shape[1] and width * grid.shape[0] == height * grid.shape[1]  # larger, not stretched
        assert np.array_equal(picture, pixelated(grid, width, height))


def test_overlay_and_filters_and_png_uri() -> None:
    import base64
    import io

    from PIL import Image

    from demo.views.pictures import filter_grid, overlay, png_uri, zoom_pixels

    digit = np.zeros((28, 28), np.float32)
    heat = np.zeros((28, 28), np.float32)
    heat[10, 10] = 1.0
    picture = overlay(digit, heat, zoom=10)
    assert picture.shape == (280, 280, 3) and picture.dtype == np.uint8
    assert picture[105, 105].sum() > picture[5, 5].sum()  # heat shows where saliency is high
    assert np.array_equal(zoom_pixels(overlay(digit, heat), 10), picture)  # enlarging keeps each pixel a square
    filters = np.stack([np.eye(3), -np.eye(3)]).astype(np.float32)
    grid = filter_grid(filters)
    assert grid[0, 0, 0] > grid[0, 0, 2] and grid.shape[1] > grid.shape[0]  # positive weight red; side by side
    uri = png_uri(picture)
    assert uri.startswith("data:image/png;base64,")
    assert Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).size == (280, 280)


def test_inside_views_for_every_registered_model() -> None:
    from demo.views.diagram import diagram_html
    from demo.views.pictures import feature_maps_html, probe_strip_html, saliency_html
    from mnist_core.introspect import diagram
    from mnist_core.models import MODELS
    from mnist_core.saliency import explain

    digit = np.zeros((28, 28), np.float32)
    digit[5:23, 13:16] = 1.0
    for name in MODELS:
        model = build_model(name)
        e = explain(model, torch.from_numpy(digit))
        maps = feature_maps_html(e)
        assert maps.count("<img") == len(e.feature_maps) >= 1
        assert all(f"<b>{fm.name}</b>" in maps for fm in e.feature_maps)
        assert saliency_html(digit, e).count("<img") == 2
        boxes = diagram(model)
        picture = diagram_html(boxes)
        assert picture.count('class="diagram-box"') == len(boxes)  # one box per step
        assert picture.count("diagram-arrow") == len(boxes) - 1  # arrows between them
    strip = probe_strip_html(np.zeros((10, 28, 28), np.uint8), list(range(10)), np.eye(10)[[0] * 10])
    assert strip.count("probe-right") == 1 and strip.count("probe-wrong") == 9


def test_a_doubtful_prediction_is_headed_not_sure() -> None:
    import torch

    from demo.tabs.draw import label_value
    from mnist_core.predict import Prediction

    sure = Prediction(torch.tensor([0.01] * 7 + [0.91, 0.01, 0.02]), torch.zeros(28, 28))
    doubtful = Prediction(torch.tensor([0.05] * 4 + [0.45, 0.35] + [0.05] * 4), torch.zeros(28, 28))
    assert list(label_value(sure))[:2] == ["7", "9"]
    assert list(label_value(doubtful))[:2] == ["not sure: 4?", "5"]
    assert label_value(doubtful)["not sure: 4?"] == pytest.approx(0.45)


def test_the_api_sketchpad_checks_its_drawing_before_gradio_decodes_it(tmp_path: Path) -> None:
    """Gradio decodes a sketchpad's images before the app's function runs: the pixel limit must hold there, and
    the image editor's upload-ahead function (which keeps whatever it is sent in memory) is closed to requests."""
    import io

    import gradio as gr
    from gradio.components.image_editor import EditorData
    from gradio.data_classes import FileData
    from PIL import Image

    from demo.server.gradio_internals import Sketchpad

    def saved(image: Image.Image, name: str) -> FileData:
        path = io.BytesIO()
        image.save(path, "PNG", optimize=True)
        (target := tmp_path / name).write_bytes(path.getvalue())
        return FileData(path=str(target), orig_name=name)

    pad = Sketchpad(type="pil", image_mode="RGBA")
    bomb = saved(Image.new("1", (6000, 6000), 1), "bomb.png")  # 11 KB, 36 megapixels
    with pytest.raises(gr.Error, match="36.0 megapixels is too large"):
        pad.preprocess(EditorData(background=None, layers=[], composite=bomb))
    small = saved(Image.new("RGBA", (20, 20), "white"), "small.png")
    value = pad.preprocess(EditorData(background=None, layers=[], composite=small))
    assert value["composite"].size == (20, 20)
    assert pad.get_block_name() == "imageeditor"  # drawn by Gradio's image editor, as gr.Sketchpad is
    assert "accept_blobs" not in {fn.__name__ for fn in pad.server_fns}  # the component server answers 404


def test_old_temporary_files_are_deleted_while_requests_add_more(tmp_path: Path) -> None:
    """Gradio's own delete_cache iterates the live set of files while request threads add to it,
    dies on "Set changed size during iteration" and never deletes again; the app's cleanup must keep going."""
    import threading
    import time
    from types import SimpleNamespace

    from demo.server.temp_files import delete_old_files

    files = set()
    for i in range(5_000):  # most listed files are gone already: each costs one lstat
        files.add(str(tmp_path / f"gone-{i}.png"))
    old = [tmp_path / f"old-{i}" / "drawing.png" for i in range(50)]
    for path in old:
        path.parent.mkdir()
        path.write_bytes(b"png")
    files |= {str(p) for p in old}
    demo = SimpleNamespace(blocks={}, temp_file_sets=[files])
    adding = threading.Event()

    def requests_add_files() -> None:
        for i in range(20_000):  # as uploads and outputs do, from other threads, while the cleanup runs
            if adding.is_set():
                return
            files.add(str(tmp_path / f"new-{i}.png"))
            time.sleep(0)  # let the other thread run between additions

    thread = threading.Thread(target=requests_add_files)
    thread.start()
    try:
        for _ in range(2):
            delete_old_files(demo, age=0)  # must not raise "Set changed size during iteration"
    finally:
        adding.set()
        thread.join()
    assert not any(p.exists() or p.parent.exists() for p in old)  # the files and their folders


def test_the_drawing_pad_reads_its_canvas_and_refuses_anything_else() -> None:
    """The Draw tab's canvas sends ``{"seq", "png"}`` with each stroke: a real PNG becomes the image the model
    reads, a blank canvas ``None``; anything a script might send instead gets a short message, and a PNG that
    declares too many pixels is refused before it is decoded."""
    import base64
    import io

    import gradio as gr
    from PIL import Image

    from demo.views.drawing_pad import MAX_DATA_URL_CHARS, PNG_DATA_URL, DrawingPad

    def data_url(image: Image.Image) -> str:
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
        return PNG_DATA_URL + base64.b64encode(out.getvalue()).decode()

    pad = DrawingPad()
    canvas = Image.new("RGBA", (560, 560), "white")
    drawing = pad.preprocess({"seq": 3, "png": data_url(canvas)})
    assert drawing.seq == 3 and drawing.image.size == (560, 560)
    assert pad.preprocess({"seq": 4, "png": None}).image is None
    assert pad.preprocess(None).image is None

    bomb = data_url(Image.new("1", (6000, 6000), 1))  # 11 KB of PNG, 36 megapixels
    truncated = data_url(canvas)[:-40]
    for payload, message in [("<svg>", "expected a drawing"), ({"seq": "1", "png": None}, "expected a drawing"),
                             ({"seq": 1, "png": "data:image/svg+xml;base64,AAAA"}, "expected a PNG"),
                             ({"seq": 1, "png": PNG_DATA_URL + "A" * MAX_DATA_URL_CHARS}, "too large"),
                             ({"seq": 1, "png": PNG_DATA_URL + "not base64!"}, "damaged"),
                             ({"seq": 1, "png": bomb}, "36.0 megapixels is too large"),
                             ({"seq": 1, "png": truncated}, "not a readable image")]:
        with pytest.raises(gr.Error, match=message):
            pad.preprocess(payload)


def test_a_lone_training_run_borrows_every_core_and_a_prediction_takes_them_back() -> None:
    """The app trains with one torch thread so that predictions keep a core; a run alone on the app gets every
    core, and gives them back the moment anyone asks for a prediction, or a second run starts."""
    from demo.server.cores import CoreShare

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        share = CoreShare(quiet_seconds=60, cores=4)
        assert share.update(runs_active=1) == 4 and torch.get_num_threads() == 4
        assert share.update(runs_active=2) == 1  # two runs: one thread each
        assert share.update(runs_active=1) == 4
        share.note_prediction()
        assert torch.get_num_threads() == 1  # taken back before the prediction runs
        assert share.update(runs_active=1) == 1  # and not lent again while visitors draw
        assert share.update(runs_active=1, quiet_seconds=0) == 4  # a teaching run: its visitor now waits for it
        assert share.update(runs_active=2, quiet_seconds=0) == 1
        share.release()
        assert torch.get_num_threads() == 1

        quiet = CoreShare(quiet_seconds=0, cores=4)
        quiet.note_prediction()
        assert quiet.update(runs_active=1) == 4  # the last prediction is long enough ago
        quiet.release()
        assert torch.get_num_threads() == 1 and not quiet.lent
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["two", "1.5", "0", "-3"])
def test_whole_number_settings_refuse_what_they_cannot_use(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every whole-number environment setting goes through env_int: a bad value is refused, by name, never ignored."""
    import app
    from demo.server.limits import max_sessions, temp_cleanup

    readers = {"MNIST_MAX_SESSIONS": max_sessions, "MNIST_TEMP_MAX_AGE": temp_cleanup,
               app.TORCH_THREADS_ENV: app.app_torch_threads,
               "GRADIO_SERVER_PORT": lambda: app.build_parser().parse_args([]).port}
    for name, read in readers.items():
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=f"{name} must be a whole number"):
            read()
        monkeypatch.delenv(name)


def test_whole_number_settings_read_what_they_can(monkeypatch: pytest.MonkeyPatch) -> None:
    import app
    from demo.server.limits import env_int, max_sessions

    monkeypatch.setenv("MNIST_MAX_SESSIONS", " 30 ")
    monkeypatch.setenv(app.TORCH_THREADS_ENV, "3")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7981")
    assert (max_sessions(), app.app_torch_threads(), app.build_parser().parse_args([]).port) == (30, 3, 7981)
    monkeypatch.setenv("GRADIO_SERVER_PORT", "70000")
    with pytest.raises(ValueError, match="from 1 to 65535"):
        app.build_parser()
    assert env_int("MNIST_UNSET_SETTING", 7) == 7


def test_python_app_py_builds_the_app_once_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python app.py --data-dir ... --train-concurrency ...`` builds the app once, with those options."""
    import sys

    import app

    done: list[object] = []

    class Served:
        def launch(self, **options: object) -> None:
            done.append(("launch", options["server_port"]))

    monkeypatch.setattr(app, "build_demo", lambda **settings: done.append(settings) or Served())
    monkeypatch.setattr(sys, "argv", ["app.py", "--data-dir", "elsewhere", "--train-concurrency", "2",
                                      "--torch-threads", str(torch.get_num_threads()), "--port", "7999"])
    app.main()
    assert done == [{"data_dir": "elsewhere", "train_concurrency": 2}, ("launch", 7999)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MNIST_TORCH_THREADS", "GRADIO_SERVER_PORT"])
def test_the_app_stops_on_a_bad_setting_with_one_line_and_no_traceback(name: str) -> None:
    """Whoever starts ``python app.py`` with a bad value reads what is wrong, not a traceback."""
    import os
    import subprocess
    import sys

    from tests.support.clients import free_port

    repo = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "app.py", "--port", str(free_port())] if name != "GRADIO_SERVER_PORT" else
                         [sys.executable, "app.py"], cwd=repo, capture_output=True, text=True, timeout=120,
                         env={**os.environ, name: "zero"})
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [f"error: {name} must be a whole number "
                                              f"{'from 1 to 65535' if name == 'GRADIO_SERVER_PORT' else 'at least 1'}"
                                              ", got 'zero'"], run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("port", ["taken", "99999", "http"])
def test_a_port_the_app_cannot_use_is_one_line_naming_it(port: str) -> None:
    """A port already in use (a second ``python app.py``), out of range or not a number: said in one line, at once."""
    import socket
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = str(taken.getsockname()[1]) if port == "taken" else port
        run = subprocess.run([sys.executable, "app.py", "--port", number], cwd=repo, capture_output=True, text=True,
                             timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(("error:", "python app.py: error:")) and number in last, run.stderr
    if port == "taken":
        assert run.stderr.strip() == last and "already in use" in last


def test_every_queued_event_shares_one_concurrency_limit(tmp_path: Path) -> None:
    """Predictions, explanations and the events without a limit of their own all run EVENT_CONCURRENCY at once."""
    from demo.server.limits import EVENT_CONCURRENCY
    from demo.ui import build_demo

    demo = build_demo(data_dir=tmp_path / "no-data")
    assert demo._queue.default_concurrency_limit == EVENT_CONCURRENCY
    limits = {(dep.concurrency_id, dep.concurrency_limit) for dep in demo.fns.values()
              if dep.concurrency_id in ("predict", "inside")}
    assert limits == {("predict", EVENT_CONCURRENCY), ("inside", EVENT_CONCURRENCY)}


def test_the_readme_names_every_recipe_the_train_tab_offers() -> None:
    from mnist_core.recipes import RECIPES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    listed = re.search(r"\*\*Train\*\*: choose a recipe \(([^)]*)\)", readme)
    assert listed and set(re.findall(r"`([^`]+)`", listed.group(1))) == set(RECIPES)


@pytest.mark.slow
def test_a_drawing_model_trained_in_the_app_carries_its_fitted_temperature(tiny_data, data_dir: Path,
                                                                            tmp_path: Path) -> None:
    """The Train tab's run ends through ``mnist_core.runs.finish_run``, as the CLI's does: a drawing run
    trained in the app comes out calibrated (its "not sure" judged on fitted confidences), not at temperature 1."""
    from demo.tabs.train_run import RunStop, Trained, train_on_device
    from mnist_core.calibration import model_temperature
    from mnist_core.handwriting import HandwrittenDigits
    from mnist_core.recipes import get_recipe
    from mnist_core.runs import TrainingData

    recipe = get_recipe("drawing", epochs=1, batch_size=32).with_overrides(holdout=64)
    g = torch.Generator().manual_seed(1)
    sources = {name: HandwrittenDigits(name, "train", torch.randint(0, 256, (40, 28, 28), generator=g,
                                                                    dtype=torch.uint8),
                                       torch.arange(40) % 10, torch.zeros(40, dtype=torch.int64), ("w",))
               for name, _ in recipe.handwriting}
    events = list(train_on_device(recipe, TrainingData(tiny_data, sources), RunStop(tmp_path), str(data_dir)))
    trained = events[-1]
    assert isinstance(trained, Trained)
    metadata = trained.run.metadata
    assert metadata["drawing"] is True and metadata["temperature"] != 1.0
    assert model_temperature(trained.model) == pytest.approx(metadata["temperature"])


def test_a_session_keeps_its_newest_taught_models_and_frees_everything_when_it_ends(tmp_path: Path) -> None:
    """Each taught model is a whole network in memory: the oldest beyond the limit is forgotten; closing the page
    drops the models, the examples and every download file."""
    from demo.server.limits import MAX_TAUGHT_MODELS
    from mnist_core.examples import Example

    models = SessionModels()
    trained = models.add("tiny-vgg", build_model("tiny-vgg"), {"test_accuracy": 0.99})
    taught = [models.add_taught("tiny-vgg", build_model("tiny-vgg"), {**trained.metadata, "taught": {"examples": 3}})
              for _ in range(MAX_TAUGHT_MODELS + 1)]
    assert taught[-1].name == f"✎ #{MAX_TAUGHT_MODELS + 2} tiny-vgg trained here (own settings), taught on 3 examples"
    assert list(models.entries) == [trained.key, *(e.key for e in taught[1:])]
    models.examples.append(Example(np.zeros((28, 28), np.uint8), 4))
    files = {}
    for kind in ("model", "examples", "taught"):
        folder = tmp_path / kind
        folder.mkdir()
        files[kind] = folder / "file"
        files[kind].write_bytes(b"x")
        models.keep_download(files[kind], kind=kind)
    assert models.downloads["model"][0] == files["model"]
    models.close()
    assert not models.entries and not models.examples and not models.downloads
    assert not any(path.exists() or path.parent.exists() for path in files.values())


def test_a_new_download_of_a_kind_replaces_only_that_kind(tmp_path: Path) -> None:
    models = SessionModels()
    paths = []
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "file")
        paths[-1].write_bytes(b"x")
    models.keep_download(paths[0], kind="examples")
    models.keep_download(paths[1], kind="taught")
    models.keep_download(paths[2], kind="examples")
    assert not paths[0].exists() and paths[1].exists() and paths[2].exists()


def test_a_correction_needs_a_drawing_and_a_page_keeps_a_bounded_number_of_examples() -> None:
    import gradio as gr

    from demo.server.limits import MAX_EXAMPLES_PER_SESSION
    from demo.tabs.teach import add_example

    models = SessionModels()
    with pytest.raises(gr.Error, match="Draw a digit first"):
        add_example(models, None, 3, None)
    digit = np.zeros((28, 28), np.float32)
    digit[8:20, 13:15] = 1.0
    for _ in range(MAX_EXAMPLES_PER_SESSION):
        add_example(models, digit, 1, None)
    assert models.examples[0].digit.max() == 255 and models.examples[0].label == 1
    with pytest.raises(gr.Error, match=f"already holds {MAX_EXAMPLES_PER_SESSION} examples"):
        add_example(models, digit, 1, None)

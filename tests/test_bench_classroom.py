"""The class bench's replay does what a Gradio page does (``bench.page_recording``, ``bench.phones``).

The full bench records a real page in chromium (``tests/test_bench_smoke.py`` runs it); here the
replay is checked against a small Gradio app whose events have the Draw tab's shape (an answer
with a picture file, inside views chained after it), with the page's requests written by hand.
"""

from __future__ import annotations

import os

import gradio as gr
import numpy as np
import pytest

from bench.classroom import drawings_for, run_class, summarize, timeline
from bench.page_recording import PAD_ID, Action, Page, Recording, classify
from bench.phones import Script, carries, file_urls
from tests.support.clients import free_port


def config(deps: list[dict], components: dict[int, str]) -> dict:
    return {"components": [{"id": cid, "props": {"elem_id": e}} for cid, e in components.items()],
            "dependencies": [{"trigger_after": None, "trigger_mode": "once", **d} for d in deps]}


def test_chained_events_wait_for_theirs_and_an_outputs_change_event_for_the_update() -> None:
    page = Page.of(config([
        {"id": 0, "targets": [[1, "change"]], "inputs": [1], "outputs": [2, 3]},
        {"id": 1, "targets": [[None, "then"]], "inputs": [3], "outputs": [4], "trigger_after": 0},
        {"id": 2, "targets": [[4, "change"]], "inputs": [4], "outputs": [5]},  # fired when event 1 updates 4
        {"id": 3, "targets": [[9, "load"]], "inputs": [], "outputs": [5]},
    ], {1: PAD_ID, 2: "prediction"}))
    assert page.parents([0, 1, 2]) == [None, 0, 1]
    assert page.parents([3]) == [None]
    assert page.chain(0) == [0, 1]
    assert page.pad_inputs(0) == [0] and page.output_ids(0, ("prediction",)) == {0: 2}


def test_a_recorded_page_is_sorted_into_events_streams_files_and_held_streams() -> None:
    base = "http://127.0.0.1:1/gradio_api"
    action = classify([("GET", f"{base}/heartbeat/abc", None),
                       ("POST", f"{base}/queue/join?", '{"fn_index": 0, "data": [], "session_hash": "abc"}'),
                       ("GET", f"{base}/queue/data?session_hash=abc", None),
                       ("GET", f"{base}/file=/tmp/gradio/x/image.webp", None),
                       ("POST", f"{base}/run/predict", '{"fn_index": 4, "data": [], "session_hash": "abc"}')], "abc")
    assert [e["fn_index"] for e in action.events] == [0, 4] and action.direct == [None, "/gradio_api/run/predict"]
    assert (action.streams, action.files, action.held) == (1, 1, ["/gradio_api/heartbeat/{session}"])


def test_files_in_outputs_are_found_and_a_skipped_output_shows_nothing() -> None:
    image = {"url": "http://h/gradio_api/file=/tmp/a.webp", "path": "/tmp/a.webp", "meta": {"_type": "gradio.FileData"}}
    html = '<img src="/gradio_api/file=/tmp/b.png"> <img src="data:image/png;base64,AAAA">'
    assert file_urls([image, html, None]) == ["http://h/gradio_api/file=/tmp/a.webp", "/gradio_api/file=/tmp/b.png"]
    assert not carries({"__type__": "update"}) and not carries(None) and not carries([])
    assert carries({"label": "7"}) and carries("<div></div>")


def test_pairs_send_byte_identical_drawings_on_one_timeline_and_other_phones_their_own() -> None:
    own = drawings_for(3, 5, identical=False)
    assert own[0] != own[1] != own[2] and all(d.startswith("data:image/png;base64,") for d in own[0][0])
    pairs = drawings_for(4, 5, identical=True)
    assert pairs[0] == pairs[1] and pairs[2] == pairs[3] and pairs[0] != pairs[2]
    first = list(zip(range(6), timeline(0, pairs[0], clear=False), strict=False))
    again = list(zip(range(6), timeline(0, pairs[1], clear=False), strict=False))
    assert first == again
    times = [t for _, (t, _, _) in first]
    assert times == sorted(times) and np.diff(times).max() <= 1.2 + 4.0  # a stroke, then at most the longest pause


def drawn_app(shape: str) -> gr.Blocks:
    """A Gradio app shaped like the Draw tab, in one of the shapes it has had or may take: "chained" (today's: the
    answer with a picture file, then the inside views in a second event chained after it), "one" (one event with
    everything inline, no file) or "generator" (one event yielding the answer, then the inside views)."""
    picture = np.zeros((28, 28, 3), np.uint8)
    with gr.Blocks() as app:
        pad = gr.JSON(elem_id=PAD_ID)
        answer, stamp, inside = gr.Label(elem_id="prediction"), gr.Textbox(elem_id="answer-for"), \
            gr.HTML(elem_id="saliency-view")
        if shape == "chained":
            seen = gr.Image(elem_id="model-input")
            pad.change(lambda drawing: ({"7": 0.9}, picture + drawing["seq"], str(drawing["seq"])), pad,
                       [answer, seen, stamp]).then(lambda: "<p>inside</p>", None, inside)
        elif shape == "one":
            pad.change(lambda drawing: ({"7": 0.9}, str(drawing["seq"]), "<p>inside</p>"), pad, [answer, stamp, inside])
        else:
            def answer_then_inside(drawing: dict):
                yield {"7": 0.9}, str(drawing["seq"]), gr.skip()
                yield gr.skip(), gr.skip(), "<p>inside</p>"

            pad.change(answer_then_inside, pad, [answer, stamp, inside])
    return app


@pytest.mark.slow
@pytest.mark.parametrize("shape,files", [("chained", 1.0), ("one", 0.0), ("generator", 0.0)])
def test_phones_replay_the_answer_its_picture_and_the_inside_views_whatever_the_events_shape(shape: str,
                                                                                            files: float) -> None:
    import httpx

    app = drawn_app(shape)
    port = free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        page = Page.of(httpx.get(url + "config").json())
        pad = page.component(PAD_ID)
        # What a page sends per stroke: every event the pad's change starts, each chained one after its own.
        events = [{"data": [None] * len(page.deps[fn].inputs), "event_data": None, "fn_index": fn, "trigger_id": pad}
                  for fn in page.chain(next(d.id for d in page.deps.values() if (pad, "change") in d.targets))]
        stroke = Action(events=events, direct=[None] * len(events))
        recording = Recording(Action(held=["/gradio_api/heartbeat/{session}"]), stroke, stroke,
                              {"seq": 1, "png": None}, "", (1280, 800))
        s = summarize(run_class(url, Script(page, recording), os.getpid(), 3, 4.0), idle_rate=0.0)
    finally:
        app.close()
    assert s["strokes"] >= 3 and s["errors"] == 0, s["first_errors"]
    assert s["unanswered"] == 0 and s["file_gets_per_stroke"] == files  # every picture fetched once, whole
    assert s["inside_p50_ms"] is not None and s["inside_p50_ms"] >= s["answer_p50_ms"]

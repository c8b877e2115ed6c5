"""What a script sends that the API cannot use gets a message saying what is wrong, never ``error: null``.

Sent as any HTTP client would (``/gradio_api/call/NAME``), not through ``gradio_client``, which
would check the shape of the values first: the server must not rely on that.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

EDITOR = {"background": None, "layers": []}
MALFORMED = {
    "a string": ["hello", None],
    "a list": [[1, 2, 3], None],
    "a path outside the app": [{**EDITOR, "composite": {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}},
                               None],
    "a bare path": [{**EDITOR, "composite": "/etc/passwd"}, None],
    "a file URL": [{**EDITOR, "composite": {"path": "file:///etc/passwd", "url": "file:///etc/passwd",
                                            "meta": {"_type": "gradio.FileData"}}}, None],
    "too few values": [],
}


def call(url: str, name: str, data: list[Any]) -> tuple[str, Any]:
    """The final event of one call and its data, as the API's two requests give them."""
    started = httpx.post(f"{url}gradio_api/call/{name}", json={"data": data}, timeout=60)
    started.raise_for_status()
    with httpx.stream("GET", f"{url}gradio_api/call/{name}/{started.json()['event_id']}", timeout=60) as stream:
        lines = list(stream.iter_lines())
    event = [line[len("event: "):] for line in lines if line.startswith("event: ")][-1]
    data_line = [line[len("data: "):] for line in lines if line.startswith("data: ")][-1]
    return event, json.loads(data_line)


@pytest.mark.parametrize("name", ["predict", "explain"])
@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_malformed_drawing_is_refused_with_a_message(app_server, name: str, what: str) -> None:
    event, data = call(app_server.url, name, MALFORMED[what])
    assert event == "error" and isinstance(data, dict), (event, data)
    message = data.get("error")
    assert isinstance(message, str) and f"/{name}" in message and "\n" not in message and len(message) < 300, data


def test_an_example_label_must_be_a_whole_digit(app_server) -> None:
    event, data = call(app_server.url, "add_example", [None, 3.7])
    assert event == "error" and "whole number" in (data or {}).get("error", ""), data

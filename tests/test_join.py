"""The address students are told to open: chosen from how the app is served (demo/views/join.py)."""

from __future__ import annotations

import re
import socket
from types import SimpleNamespace
from typing import Any

import pytest

from demo.views import join
from demo.views.join import Join, Served, join_address, join_html

LAN = "192.168.1.23"


def lan() -> str:
    return LAN


def no_lan() -> None:
    return None


def test_listening_on_every_network_gives_the_lan_address_and_port() -> None:
    chosen = join_address(Served("0.0.0.0", 7861), env={}, lan=lan)
    assert chosen.url == "http://192.168.1.23:7861/"
    assert "same network" in chosen.note


def test_listening_on_every_network_without_a_lan_address_says_how_to_find_it() -> None:
    chosen = join_address(Served("0.0.0.0", 7861), env={}, lan=no_lan)
    assert chosen.url is None
    assert ":7861/" in chosen.note and "ipconfig" in chosen.note


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_listening_on_this_computer_only_says_so_and_how_to_open_it(host: str) -> None:
    chosen = join_address(Served(host, 7860), env={}, lan=lan)
    assert chosen.url is None
    assert "only on this computer" in chosen.note and host in chosen.note
    assert "python app.py --host 0.0.0.0" in chosen.note and "python app.py --share" in chosen.note


def test_on_a_space_the_space_address_is_given() -> None:
    chosen = join_address(Served("0.0.0.0", 7860), env={"SPACE_HOST": "teacher-mnist-live.hf.space"}, lan=lan)
    assert chosen.url == "https://teacher-mnist-live.hf.space/"


def test_a_space_with_a_custom_domain_gives_its_hf_space_address() -> None:
    """Spaces set SPACE_HOST to a comma-separated list when a custom domain is used (as Gradio's oauth reads it)."""
    env = {"SPACE_HOST": "teacher-mnist-live.hf.space,mnist.example.org"}
    assert join_address(Served("0.0.0.0", 7860), env=env, lan=lan).url == "https://teacher-mnist-live.hf.space/"


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_the_share_link_wins_when_there_is_one(host: str) -> None:
    env = {"SPACE_HOST": "teacher-mnist-live.hf.space"}
    chosen = join_address(Served(host, 7860, "https://0123abcd.gradio.live"), env=env, lan=lan)
    assert chosen.url == "https://0123abcd.gradio.live"


def test_a_named_address_is_used_as_it_is() -> None:
    assert join_address(Served("10.0.0.5", 8000), env={}, lan=lan).url == "http://10.0.0.5:8000/"
    assert join_address(Served("fd00::5", 8000), env={}, lan=lan).url == "http://[fd00::5]:8000/"


def test_where_a_launched_app_is_served_is_read_from_it() -> None:
    launched = SimpleNamespace(server_name="0.0.0.0", server_port=7862, share_url=None)
    assert join.served_by(launched) == Served("0.0.0.0", 7862, None)
    # In Gradio's SSR mode visitors come through the Node proxy's port, not Python's.
    proxied = SimpleNamespace(server_name="0.0.0.0", server_port=7862, share_url=None, node_port=7863,
                              _node_is_proxy=True)
    assert join.served_by(proxied).port == 7863


class FakeSocket:
    """A UDP socket that records what was asked of it; it has no send method, so any send would fail."""

    def __init__(self, address: str | None, *_: Any) -> None:
        self.address = address
        self.connected: tuple[str, int] | None = None

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *_: Any) -> None:
        pass

    def connect(self, where: tuple[str, int]) -> None:
        if self.address is None:
            raise OSError("Network is unreachable")
        self.connected = where

    def getsockname(self) -> tuple[str, int]:
        return (self.address or "0.0.0.0", 40000)


@pytest.mark.parametrize(("seen", "expected"), [("192.168.1.23", "192.168.1.23"), ("127.0.0.1", None),
                                                 ("169.254.3.4", None), ("0.0.0.0", None), (None, None)])
def test_the_lan_address_is_the_one_the_route_leaves_by(monkeypatch: pytest.MonkeyPatch, seen: str | None,
                                                       expected: str | None) -> None:
    made: list[FakeSocket] = []

    def make(*args: Any) -> FakeSocket:
        made.append(FakeSocket(seen, *args))
        return made[-1]

    monkeypatch.setattr(join.socket, "socket", make)
    assert join.lan_ipv4() == expected
    assert made[0].connected in (None, join.NOWHERE)


def test_the_lan_address_of_this_machine_is_an_ipv4_address_or_none() -> None:
    found = join.lan_ipv4()
    assert found is None or socket.inet_aton(found)


def test_the_box_shows_the_address_as_a_link_beside_its_qr_code() -> None:
    url = "https://0123abcd.gradio.live/?a=1&b=2"
    shown = join_html(Join(url, "A note."))
    assert 'href="https://0123abcd.gradio.live/?a=1&amp;b=2"' in shown  # escaped in HTML
    assert re.search(r'id="join-qr"[^>]*><svg', shown)
    assert "A note." in shown


def test_the_box_without_an_address_shows_the_commands_as_code() -> None:
    shown = join_html(join_address(Served("127.0.0.1", 7860), env={}, lan=lan))
    assert "join-qr" not in shown
    assert "<code>python app.py --host 0.0.0.0</code>" in shown and "<code>python app.py --share</code>" in shown

"""Students join by QR code: the teacher opens "Join this class" and the class scans the address off the screen.

The test app listens on 127.0.0.1 only (traffic stays on loopback); to show the box as it is when
the app listens on every network, :func:`demo.views.join.served_by` is made to answer 0.0.0.0 with the
app's real port. The QR code is read back from a screenshot with zxing-cpp, as a phone would read it.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from demo.views import join
from tests.pages import ARTIFACTS

pytestmark = pytest.mark.browser

#: Used when this machine has no network route of its own (a documentation address, RFC 5737).
NO_ROUTE_LAN = "192.0.2.10"


def open_box(page: Any) -> None:
    page.locator("#join-class > .label-wrap").click()
    page.wait_for_selector("#join-content #join-qr svg, #join-content #join-note")


@pytest.fixture
def every_network(monkeypatch: pytest.MonkeyPatch) -> str:
    """The join box believes the app listens on 0.0.0.0; returns the LAN address it will show."""
    real = join.served_by
    monkeypatch.setattr(join, "served_by", lambda demo: dataclasses.replace(real(demo), host="0.0.0.0"))
    address = join.lan_ipv4() or NO_ROUTE_LAN
    monkeypatch.setattr(join, "lan_ipv4", lambda: address)
    return address


@pytest.fixture
def laptop(open_page: Any, app_server) -> Any:
    return open_page(app_server.url, 1280, 800)


def test_the_qr_code_reads_as_the_lan_address_shown(laptop: Any, app_server, every_network: str) -> None:
    port = app_server.url.rstrip("/").rsplit(":", 1)[1]
    expected = f"http://{every_network}:{port}/"
    assert laptop.locator("#join-qr").count() == 0, "the box is filled only when it is opened"
    open_box(laptop)
    ARTIFACTS.mkdir(exist_ok=True)
    assert laptop.locator("#join-url").inner_text().strip() == expected
    qr = laptop.locator("#join-qr")
    box = qr.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300, "too small to scan off a projector"
    assert box["y"] + box["height"] <= 800 and box["x"] >= 0 and box["x"] + box["width"] <= 1280, "off the screen"
    laptop.screenshot(path=str(ARTIFACTS / "join-laptop.png"))
    picture = Image.open(io.BytesIO(qr.screenshot(path=str(ARTIFACTS / "join-qr.png"))))
    read = [code.text for code in zxingcpp.read_barcodes(picture) if code.format == zxingcpp.BarcodeFormat.QRCode]
    assert read == [expected]


def test_listening_on_this_computer_only_the_box_says_how_to_open_it(laptop: Any) -> None:
    """The test app really listens on 127.0.0.1: no QR code, and the commands that open it to the class."""
    open_box(laptop)
    assert laptop.locator("#join-qr").count() == 0
    note = laptop.locator("#join-note").inner_text()
    laptop.screenshot(path=str(ARTIFACTS / "join-local-only.png"))
    assert "127.0.0.1" in note and "python app.py --host 0.0.0.0" in note and "python app.py --share" in note


def test_on_a_phone_the_box_stays_out_of_the_way(open_page: Any, app_server, every_network: str) -> None:
    """Closed: a small bar in the title's first line, not over its words, nothing of the box's content shown.
    Opened (a teacher with a phone): the QR code fits the phone's screen."""
    page = open_page(app_server.url, 390, 844, phone=True)
    found = page.evaluate("""() => {
      const r = (e) => { const b = e.getBoundingClientRect();
        return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, width: b.width, height: b.height}; };
      const range = document.createRange();
      range.selectNodeContents(document.querySelector('#app-title h1'));
      return {bar: r(document.querySelector('#join-class')), canvas: r(document.querySelector('#sketchpad canvas')),
              lines: Array.from(range.getClientRects()).map((b) => r({getBoundingClientRect: () => b})),
              width: document.documentElement.clientWidth};
    }""")
    page.screenshot(path=str(ARTIFACTS / "join-phone-closed.png"))
    bar = found["bar"]
    assert not page.locator("#join-content").is_visible()
    assert bar["height"] <= 40 and bar["width"] <= 0.4 * found["width"], f"the closed box takes {bar}"
    assert bar["bottom"] <= found["canvas"]["top"], "the box lies over the drawing pad"
    for line in found["lines"]:  # the title's words flow around the bar
        assert line["right"] <= bar["left"] or line["top"] >= bar["bottom"] or line["bottom"] <= bar["top"]
    open_box(page)
    qr = page.locator("#join-qr").bounding_box()
    assert qr["x"] >= 0 and qr["x"] + qr["width"] <= found["width"], "the QR code sticks out of the phone's screen"
    page.screenshot(path=str(ARTIFACTS / "join-phone-open.png"))

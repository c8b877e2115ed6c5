"""How students join: the address they open, as text and as a QR code ("Join this class").

A class joins by pointing thirty phones at one address, and which address that is depends on
how the app was started, which is known only once it is served:

- with ``--share``, Gradio's public link (``demo.share_url``, set by ``launch``);
- on a Hugging Face Space, ``https://$SPACE_HOST`` (the variable Spaces set for the Space's own
  host; with a custom domain it is a comma-separated list whose first entry is the ``hf.space`` one);
- listening on every network (``--host 0.0.0.0``), this computer's LAN address and the port;
- listening on 127.0.0.1 (the default), no address at all: phones cannot reach the app, and the
  box says how to open it to the class instead.

So the box is filled when the teacher opens it (the accordion's ``expand`` event), from what the
running ``gr.Blocks`` knows then: students who never open it cost the server nothing. The QR code
is drawn by ``segno`` as inline SVG on the server: nothing is fetched from anywhere.
"""

from __future__ import annotations

import html
import ipaddress
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import gradio as gr
import segno

from demo.server.gradio_internals import served_address
from demo.server.language import T, _
from demo.views.assets import asset

#: Host names that mean "every network of this computer".
EVERY_NETWORK = {"0.0.0.0", "::", ""}

#: A TEST-NET-1 address (RFC 5737), reserved for documentation: it exists nowhere. Connecting a UDP
#: socket to it sends nothing (a datagram socket's ``connect`` only asks the kernel for a route), and
#: the address the kernel picks for that route is the one this computer shows the rest of the network.
NOWHERE = ("192.0.2.1", 9)

#: The box's look (added to the app's CSS). Closed, it is one short bar beside the title; open, its QR code
#: is as large as the screen allows (up to 420 px: scannable from the back of a room off a projector) and
#: lies over the page instead of pushing the drawing pad down. On a phone the bar is smaller and sits in
#: the title's first line (the title flows around it), so it costs a student's screen no height.
CSS = asset("join.css")


@dataclass(frozen=True)
class Served:
    """Where the app is served: the address it listens on, its port, and Gradio's share link if any."""

    host: str
    port: int
    share_url: str | None = None


@dataclass(frozen=True)
class Join:
    """What the box shows: the address students open (``None`` when phones cannot reach the app) and a line
    saying where that address comes from, or what to do."""

    url: str | None
    note: str


def served_by(demo: gr.Blocks) -> Served:
    """Where ``demo`` is served, as its ``launch`` recorded it: ``server_name``, ``share_url``, and the port
    visitors use (the Node proxy's in Gradio's SSR mode, where Python listens on an inner port)."""
    return Served(*served_address(demo))


def lan_ipv4() -> str | None:
    """This computer's IPv4 address on its network (the one its default route leaves by), or ``None``.

    Nothing is sent: see :data:`NOWHERE`. Without a route (no network) or with only a loopback or
    link-local address there is no address a phone could use, and the answer is ``None``.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(NOWHERE)
            address = probe.getsockname()[0]
    except OSError:
        return None
    ip = ipaddress.ip_address(address)
    return None if ip.is_loopback or ip.is_link_local or ip.is_unspecified else address


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _http(host: str, port: int) -> str:
    if ":" in host:  # an IPv6 literal goes in brackets
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def join_address(served: Served, env: Mapping[str, str] | None = None,
                 lan: Callable[[], str | None] | None = None) -> Join:
    """The address students should open, chosen from how the app is served (see the module's docstring), and its
    note in the visitor's language. Text between backquotes is a command, shown as code (:func:`join_html`).

    ``env`` is the environment (``os.environ`` by default) and ``lan`` finds the LAN address
    (:func:`lan_ipv4` by default); both are parameters so that each case can be tested on any machine.
    """
    env = os.environ if env is None else env
    lan = lan or lan_ipv4
    if served.share_url:
        return Join(served.share_url, _("Gradio's public share link: it works from any network while the app runs."))
    space_host = env.get("SPACE_HOST", "").split(",")[0].strip()
    if space_host:
        return Join(f"https://{space_host}/", _("This Hugging Face Space's address."))
    host = served.host.strip()
    if _is_loopback(host):
        # TRANSLATORS: {host} is an address (127.0.0.1). Keep the commands between backquotes exactly as they are.
        return Join(None, _("This app listens only on this computer ({host}): phones cannot reach it. To open it to "
                            "the class, start it again with `python app.py --host 0.0.0.0` (phones on the same Wi-Fi "
                            "as this computer) or `python app.py --share` (a temporary public link).", host=host))
    if host in EVERY_NETWORK:
        address = lan()
        if address is None:
            # TRANSLATORS: {port} is a port number (7860). ADDRESS stands for the address the teacher finds: translate
            # it, in capitals. Keep the commands between backquotes exactly as they are.
            return Join(None, _("This app listens on every network, but this computer's network address could not "
                                "be found: students open http://ADDRESS:{port}/ with the address that "
                                "`ip addr` (Linux), `ipconfig` (Windows) or the Wi-Fi settings (macOS) show.",
                                port=str(served.port)))
        return Join(_http(address, served.port), _("Phones must be on the same network (Wi-Fi) as this computer."))
    return Join(_http(host, served.port), _("Phones must be able to reach this address."))


@lru_cache(maxsize=8)
def qr_svg(url: str) -> str:
    """``url`` as a QR code in inline SVG: black on white with the standard four-module quiet zone, scaled by CSS."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True,
                           title=url, svgclass="join-qr-code")


def join_html(join: Join) -> str:
    """The box's content: the QR code and the address under "Students open", or the note alone."""
    note = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(join.note))  # commands as code
    if join.url is None:
        return f'<p class="join-note" id="join-note">{note}</p>'
    url = html.escape(join.url)
    # TRANSLATORS: what a screen reader says of the QR code; {url} is the address it holds.
    qr_name = html.escape(_("QR code of {url}", url=join.url))
    # TRANSLATORS: above the address students type or scan (then the address itself, on its own line).
    students_open = html.escape(_("Students open"))
    return (f'<div class="join-box"><div class="join-qr" id="join-qr" role="img" aria-label="{qr_name}">'
            f"{qr_svg(join.url)}</div>"
            f'<div class="join-text"><p>{students_open}</p><p><a class="join-url" id="join-url" href="{url}" '
            f'target="_blank" rel="noopener">{url}</a></p><p class="join-note">{note}</p></div></div>')


def build(demo: gr.Blocks) -> gr.Accordion:
    """The closed "Join this class" accordion, filled from where ``demo`` is served each time it is opened."""
    # TRANSLATORS: the title of the teacher's box that shows the QR code: a short bar beside the page's title.
    with gr.Accordion(T("Join this class"), open=False, elem_id="join-class") as box:
        content = gr.HTML(elem_id="join-content")

    def show() -> str:
        return join_html(join_address(served_by(demo)))

    # Outside the queue: a teacher opening the box during a class does not wait behind thirty phones' strokes.
    box.expand(show, None, content, queue=False, show_progress="hidden", api_visibility="private")
    return box

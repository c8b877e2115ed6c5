"""The MNIST teaching demo: ``python app.py`` (or ``gradio app.py``, or a Hugging Face Space).

The module-level ``demo`` is what ``gradio app.py`` reload mode and Spaces look for. Run
directly, this file also reads command-line options; the ``GRADIO_SERVER_NAME`` and
``GRADIO_SERVER_PORT`` variables are honoured as Gradio documents them, and options given
on the command line win over them.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
from typing import Any

# No telemetry: Gradio reports usage to its makers unless told not to. Set before it is imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue keeps a record of the last 10,000 events for its /monitoring pages even when they are
# off: about 10 MB that only ever grows to its cap. The last 1,000 are plenty for --monitoring.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

from demo.server.limits import SettingError, env_int  # noqa: E402  (reads only os.environ)

try:  # Gradio reads $GRADIO_SERVER_PORT as it is imported and stops with a traceback on a non-number
    env_int("GRADIO_SERVER_PORT", 7860, maximum=65535)
except SettingError as exc:
    raise SystemExit(f"error: {exc}") from None

# On a ZeroGPU Space, `spaces` must patch torch before anything else uses it (imported first, as
# Hugging Face advises); elsewhere importing it changes nothing. See demo/server/zerogpu.py.
import demo.server.zerogpu  # noqa: E402, F401  (must come first, after the setting above)

# isort: split
import gradio as gr  # noqa: E402  (must follow the setting above)
import torch  # noqa: E402

from demo.server.context import TRAIN_CONCURRENCY_ENV
from demo.server.http_guard import middleware
from demo.server.language import gradio_translations
from demo.server.limits import max_sessions
from demo.server.log import log
from demo.server.memory import return_freed_memory_to_the_system
from demo.ui import CSS, HEAD, THEME, build_demo
from mnist_core.files import short_reason
from mnist_core.host import summary as machine_summary
from mnist_core.preprocess import limit_decoded_pixels

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


#: Largest upload accepted (a sketch is a few hundred KB); larger ones are refused by Gradio before any work.
MAX_UPLOAD = "10mb"


def launch_options(monitoring: bool = False) -> dict[str, Any]:
    """What ``demo.launch`` needs besides the address: the look (Gradio 6 takes it
    here), and the limits that keep one visitor from taking the server down.

    - uploads of at most ``MAX_UPLOAD``;
    - the state of at most ``max_sessions()`` sessions in memory (Gradio's default, 10,000, is 2 GB here);
    - :mod:`demo.server.http_guard`: oversized request bodies and unknown functions refused before Gradio reads them;
    - Gradio's ``/monitoring`` pages off unless ``monitoring``: they are open without login and list
      every function and how often it was called;
    - the translations of every fixed label (:func:`demo.server.language.gradio_translations`: call this after the
      app is built), and client-side rendering, where the language picker can turn the page
      (``demo/views/language_picker.py``; Gradio's server-side rendering bundles the page differently).
    """
    return {"theme": THEME, "css": CSS, "head": HEAD, "max_file_size": MAX_UPLOAD,
            "i18n": gradio_translations(), "ssr_mode": False,
            "state_session_capacity": max_sessions(), "enable_monitoring": monitoring,
            "app_kwargs": {"middleware": middleware()}}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Start the MNIST teaching demo (Draw, Train, Confusion matrix, Dataset, Model tabs).")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST,
                        help="address to listen on; 0.0.0.0 for the whole network "
                             f"(default: $GRADIO_SERVER_NAME, else {DEFAULT_HOST})")
    parser.add_argument("--port", type=port_number, default=env_int("GRADIO_SERVER_PORT", DEFAULT_PORT, maximum=65535),
                        help=f"port (default: $GRADIO_SERVER_PORT, else {DEFAULT_PORT})")
    parser.add_argument("--share", action="store_true",
                        help="also publish a temporary public gradio.live link (off by default)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder holding MNIST/raw/ (default: $MNIST_DATA_DIR, else ./data); "
                             "downloaded there on first training if missing")
    parser.add_argument("--torch-threads", type=int, metavar="N", default=None,
                        help=f"threads per torch operation (default: ${TORCH_THREADS_ENV}, else 1, so a "
                             "training run and the visitors' predictions each keep a core)")
    parser.add_argument("--train-concurrency", type=int, metavar="N", default=None,
                        help="training runs allowed at once; later visitors queue "
                             f"(default: ${TRAIN_CONCURRENCY_ENV}, else 1)")
    parser.add_argument("--monitoring", action="store_true",
                        help="turn on Gradio's /monitoring pages (off by default: they need no login)")
    return parser


def port_number(text: str) -> int:
    """``--port``'s value: a whole number from 1 to 65535 (argparse turns the ValueError into one line)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a whole number, not {text[:20]!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, not {port}")
    return port


def port_problem(host: str, port: int) -> str | None:
    """Why the app could not listen on ``host:port`` (one line naming it), or ``None`` if it can."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot listen on {host!r}: {short_reason(exc)}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a port just freed is free
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} is already in use on {host} (is the app already running?): "
                        f"stop the other program or start this one with --port {port + 1 if port < 65535 else 8000}")
            return f"cannot listen on {host}:{port}: {short_reason(exc)}"
    return None


TORCH_THREADS_ENV = "MNIST_TORCH_THREADS"


def app_torch_threads() -> int:
    """Threads per torch operation in the app: ``$MNIST_TORCH_THREADS``, else 1.

    The app serves a training run and many visitors' predictions at once. On 2 cores (a free
    Space, a laptop), two 2-thread workloads fight over the cores and both slow down many times
    over; with one thread each, a training run keeps one core and the predictions the other.
    """
    return env_int(TORCH_THREADS_ENV, 1)


def build(data_dir: str | None = None, train_concurrency: int | None = None,
          torch_threads: int | None = None) -> gr.Blocks:
    """The app, built once its settings are known (each given here wins over the environment's): a bad value in
    the environment stops it with one line saying which, not a traceback; a good start logs the machine it runs
    on (what a Space's CPU side gives, undocumented for ZeroGPU)."""
    try:
        torch.set_num_threads(torch_threads if torch_threads is not None else app_torch_threads())
        built = build_demo(data_dir=data_dir, train_concurrency=train_concurrency)
    except SettingError as exc:
        raise SystemExit(f"error: {exc}") from None
    log.info(machine_summary())
    return built


def main() -> None:
    """``python app.py [options]``: read the command line, build the app with it, and serve it."""
    try:
        args = build_parser().parse_args()
    except SettingError as exc:  # $GRADIO_SERVER_PORT is read as the default of --port
        raise SystemExit(f"error: {exc}") from None
    if args.train_concurrency is not None and args.train_concurrency < 1:
        build_parser().error("--train-concurrency must be at least 1")
    if args.torch_threads is not None and args.torch_threads < 1:
        build_parser().error("--torch-threads must be at least 1")
    problem = port_problem(args.host, args.port)  # said now, before the models load, in one line
    if problem:
        raise SystemExit(f"error: {problem}")
    served = build(data_dir=args.data_dir, train_concurrency=args.train_concurrency, torch_threads=args.torch_threads)
    try:
        served.launch(server_name=args.host, server_port=args.port, share=args.share,
                      **launch_options(monitoring=args.monitoring))
    except OSError as exc:  # taken between the check and the launch: Gradio's own 9-line traceback otherwise
        raise SystemExit(f"error: cannot listen on {args.host}:{args.port}: {short_reason(exc)}") from None


return_freed_memory_to_the_system()  # the app trains again and again: its memory must not creep up
limit_decoded_pixels()  # Gradio decodes uploaded images itself: PIL refuses bombs for it too

if __name__ == "__main__":
    main()
else:  # imported: by `gradio app.py` (reload mode), a Hugging Face Space or a test, which look for `demo`
    demo: gr.Blocks = build()

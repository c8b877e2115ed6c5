"""Delete the app's old temporary files, as Gradio's ``delete_cache`` means to, without its race.

Every upload, every gallery of the Dataset tab and every picture the app shows is a file in
Gradio's temporary folder, listed in the app's sets of temporary files; nothing deletes them
until the server restarts. Gradio's ``delete_cache`` would, but its background task iterates
those live sets while request threads add to them: under load it meets "Set changed size
during iteration", dies silently, and from then on deletes nothing (measured here: 6,235 of
6,283 uploads still there after a burst of uploads). :func:`start_cleanup` does the same work
from Gradio's own lists (read by :func:`demo.server.gradio_internals.temp_files_of`), on a
snapshot of each set, in a thread that survives any error.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import weakref
from pathlib import Path

import gradio as gr

from demo.server.gradio_internals import temp_files_of


def delete_old_files(demo: gr.Blocks, age: float) -> int:
    """Delete the files ``demo`` created more than ``age`` seconds ago (not those it must keep); return how many.

    The folder Gradio made for each file (named by its hash) goes too once it is empty.
    """
    recorded = temp_files_of(demo)
    now, deleted = time.time(), 0
    for files in recorded.sets:
        for name in files.copy():  # a snapshot: request threads add to the set meanwhile
            if name in recorded.keep:
                continue
            try:
                if now - os.lstat(name).st_ctime <= age:
                    continue
                os.remove(name)
                deleted += 1
            except FileNotFoundError:
                pass
            except OSError:  # not ours to delete after all (permissions): leave it listed
                continue
            files.discard(name)
            folder = Path(name).parent
            if folder.resolve() != recorded.folder:  # the file's own folder, never the temporary folder itself
                try:
                    folder.rmdir()
                except OSError:  # not empty, or already gone
                    pass
    return deleted


def start_cleanup(demo: gr.Blocks, every: float, age: float) -> threading.Thread:
    """Every ``every`` seconds, :func:`delete_old_files` of ``demo`` older than ``age``, for as long as it exists."""
    ref = weakref.ref(demo)

    def loop() -> None:
        while True:
            time.sleep(every)
            blocks = ref()
            if blocks is None:
                return
            try:
                delete_old_files(blocks, age)
            except Exception:  # never stop cleaning up: report, and try again next time
                traceback.print_exc()
            del blocks

    thread = threading.Thread(target=loop, name="temp-file-cleanup", daemon=True)
    thread.start()
    return thread

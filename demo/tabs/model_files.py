"""Take a model home, bring one back: the Train tab's download of the model just trained, and a checkpoint upload.

Both use the project's one checkpoint format (:mod:`mnist_core.checkpoint`), so a model trained
here runs with ``python -m mnist_core eval``, and one trained at home with ``python -m mnist_core
train`` can be tried in every tab.

- **Download.** When a run ends, :func:`download_update` writes the model with the metadata
  ``finish_run`` made to a file of its own in Gradio's temporary folder (never ``assets/``). The
  file is kept from the temporary-file cleanup for as long as its session lives (a class may
  download it long after the run), and deleted when the next run replaces it or the page closes.
- **Upload.** :func:`upload_checkpoint` reads the file only through
  :func:`mnist_core.checkpoint.load_checkpoint` (``weights_only``: a file carrying code is refused
  before anything in it runs) and adds the model to the visitor's session like a trained one, so
  every model list offers it; nothing is written to ``assets/`` and other visitors never see it.
  The button sits in the Train tab, beside the download, and under the Draw tab's model list; it is
  wired once every tab has made its model list (:class:`demo.server.models_state.ModelPickers`), because
  its result updates all of them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from demo.server.context import AppContext
from demo.server.language import N_, T, _, number
from demo.server.limits import MAX_UPLOAD_CHECKPOINT_BYTES, MAX_UPLOADED_MODELS
from demo.server.log import expected_error, log
from demo.server.models_state import ModelEntry, SessionModels
from demo.server.sessions import session_id_of
from mnist_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mnist_core.names import file_name, human_name

# TRANSLATORS: a download button's label.
DOWNLOAD_LABEL = N_("⬇ Download the trained model")


def download_file_name(entry: ModelEntry) -> str:
    """The model's name as a file name, e.g. ``tiny-vgg-trained-here-fast.pt`` (without the session's mark and
    number: "★ #1 tiny-vgg trained here (fast)"), so the file says what the model is and comes back with the
    same name (the name is made from the metadata the file carries)."""
    return file_name(human_name(entry.metadata, entry.model_name))


def download_folder() -> Path:
    """A new folder of its own inside Gradio's temporary folder, for one file the page can fetch.

    Written there, Gradio serves the file as it is instead of copying it (one copy on disk).
    """
    root = os.path.abspath(get_upload_folder())  # absolute, as Gradio lists its files (the cleanup's keep set)
    os.makedirs(root, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix="download-"))


def write_download(entry: ModelEntry) -> Path:
    """Save ``entry`` as a checkpoint in a :func:`download_folder`.

    Raises :class:`~mnist_core.checkpoint.CheckpointError` if it cannot be written.
    """
    folder = download_folder()
    try:
        return save_checkpoint(folder / download_file_name(entry), entry.model_name, entry.model,
                               metadata=entry.metadata)
    except CheckpointError:
        folder.rmdir()
        raise


def offer(models: SessionModels, path: Path, button: gr.DownloadButton, kind: str, label: str,
          named: bool = True) -> gr.DownloadButton:
    """``button`` offering ``path`` as the session's ``kind`` of download, labelled with its size (and name).

    ``label`` is the button's English text, marked with ``N_`` where it is written (e.g. :data:`DOWNLOAD_LABEL`):
    it is translated here, in the visitor's language.

    The file is kept from the temporary-file cleanup while the session lives (a class may download
    it long after it was made) and deleted when a newer one of its kind replaces it or the page closes.
    """
    keep = button.keep_in_cache  # the temporary-file cleanup leaves these alone (demo.server.temp_files)
    keep.add(str(path))
    models.keep_download(path, release=lambda p: keep.discard(str(p)), kind=kind)
    size = number(path.stat().st_size / 1024, 0)
    if named:
        # TRANSLATORS: a download button: {label} is its text ("⬇ Download the trained model"), {file} the file's
        # name, {size} its size in kilobytes.
        text = _("{label} ({file}, {size} KB)", label=_(label), file=path.name, size=size)
    else:
        # TRANSLATORS: a download button: {label} is its text ("⬇ Your examples"), {size} the file's size in kilobytes.
        text = _("{label} ({size} KB)", label=_(label), size=size)
    return gr.DownloadButton(value=str(path), label=text, interactive=True)


def download_update(models: SessionModels, entry: ModelEntry, button: gr.DownloadButton, kind: str = "model",
                    label: str = DOWNLOAD_LABEL, named: bool = True) -> gr.DownloadButton:
    """The download button after a run: offering ``entry``'s checkpoint, or saying it could not be made (``label``:
    English, marked with ``N_``; :func:`offer` translates it)."""
    try:
        path = write_download(entry)
    except CheckpointError as exc:  # a full disk must not lose the run: the model stays usable in the app
        log.warning("Could not write the download of %s: %s", entry.key, exc)
        return gr.DownloadButton(value=None, label=_("⬇ The model could not be saved for download"),
                                 interactive=False)
    return offer(models, path, button, kind, label, named)


def _visitor_message(exc: CheckpointError, path: Path, shown_name: str) -> str:
    """The loader's message with the server's temporary path replaced by the name the visitor's file had."""
    return str(exc).replace(str(path), shown_name)


def upload_checkpoint(context: AppContext, file: str | None, models: SessionModels | None,
                      request: Any = None) -> tuple[SessionModels, ModelEntry]:
    """Load an uploaded checkpoint safely and add it to this session; a ``gr.Error`` saying why if refused.

    Refused, with nothing added: no file, more than ``MAX_UPLOAD_CHECKPOINT_BYTES``, more than
    ``MAX_UPLOADED_MODELS`` uploads in one session, or anything ``load_checkpoint`` refuses (a text
    file, an image, a pickle, a file carrying code, weights of no known model).
    """
    models = models if isinstance(models, SessionModels) else SessionModels()
    if not file:
        raise expected_error(_("Choose a checkpoint file (.pt) to upload."))
    path = Path(file)
    name = path.name
    if models.uploads >= MAX_UPLOADED_MODELS:
        raise expected_error(_("This page already holds {count} uploaded models, the most one page may; reload the "
                               "page to start afresh.", count=number(MAX_UPLOADED_MODELS)))
    try:
        size = path.stat().st_size
    except OSError:
        # TRANSLATORS: {file} is the name of the file the visitor uploaded.
        raise expected_error(_("{file}: the upload did not arrive; please try again.", file=name)) from None
    if size > MAX_UPLOAD_CHECKPOINT_BYTES:
        # TRANSLATORS: {file} is the uploaded file's name; {size} and {limit} are sizes in megabytes.
        raise expected_error(_("{file}: {size} MB is too large for an MNIST checkpoint (limit {limit} MB).",
                               file=name, size=number(size / 1e6, 1),
                               limit=number(MAX_UPLOAD_CHECKPOINT_BYTES / 1e6, 1)))
    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as exc:
        # TRANSLATORS: {reason} is why the file was refused (a technical message, in English).
        raise expected_error(_("Not loaded: {reason}", reason=_visitor_message(exc, path, name))) from None
    entry = models.add_uploaded(ckpt)
    context.sessions.track(session_id_of(request), models)  # so closing the page frees it
    return models, entry


# TRANSLATORS: an upload button's label (short: it sits under a model list on a phone).
UPLOAD_LABEL = N_("⬆ Upload a checkpoint (.pt)")


def upload_button(elem_id: str, size: str = "md") -> gr.UploadButton:
    """A checkpoint upload button (laid out here; :func:`wire_upload` once every model list exists)."""
    return gr.UploadButton(T(UPLOAD_LABEL), file_types=[".pt"], file_count="single", type="filepath", size=size,
                           elem_id=elem_id)


def wire_upload(context: AppContext, session: gr.State, upload: gr.UploadButton, message: gr.Markdown,
                api_name: str | None = None) -> None:
    """An upload adds the model to this session and to every model list (the Draw tab selects it) and says so in
    ``message``. Call after every tab has made its model list."""
    pickers = context.pickers

    def on_upload(file: str | None, models: SessionModels | None, request: gr.Request) -> dict[Any, Any]:
        models, entry = upload_checkpoint(context, file, models, request)
        return {session: models, **pickers.updates(models, entry.key),
                # TRANSLATORS: {file} is the uploaded file's name, {model} the model's name (both stay as they are);
                # "Draw" is the Draw tab's name.
                message: _("**Loaded {file}**: “{model}”. It is selected in the **Draw** tab and listed in every "
                           "tab's model list.", file=Path(file or "").name, model=entry.name)}

    upload.upload(on_upload, [upload, session], [session, *pickers.pickers, message], show_progress="minimal",
                  **({"api_name": api_name} if api_name else {"api_visibility": "private"}))


def build(context: AppContext, session: gr.State) -> gr.DownloadButton:
    """Lay out the download and upload buttons and wire the upload; return the download button (a run fills it).

    Call inside the Train tab, after every other tab has made its model list.
    """
    with gr.Group():
        download = gr.DownloadButton(T(DOWNLOAD_LABEL), value=None, interactive=False, size="md",
                                     elem_id="download-model")
        upload = upload_button("upload-model")
    message = gr.Markdown(T("Take the model home with the download, or bring one back: a `.pt` file saved by this "
                            "app or by `python -m mnist_core train` (it stays on this page only)."),
                          elem_id="model-files-status")
    wire_upload(context, session, upload, message, api_name="upload_checkpoint")
    return download

"""The page of ``stylegram web``: style transfer in the browser (Gradio).

The visitor uploads a content image and style images (or loads the bundled
examples), sets the options of :class:`~stylegram.config.StyleConfig` (the form is
generated from its fields), presses Start and watches the preview, the progress bar,
the iteration, the loss terms and the time left; Cancel keeps the image so far. The
result (PNG with the settings in its metadata) and the comparison figure are offered
for download.

Runs go through Gradio's queue: ``WebSettings.concurrency`` of them at a time (one
by default), the others wait and see their place; a visitor who closes the tab frees
their job. Every input is checked against the server's caps
(:class:`~stylegram.web.settings.WebSettings`) and bad input is reported on the page
of that visitor only. Nothing is loaded from the internet: the page's scripts and
fonts are served by Gradio itself.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import shutil
import tempfile
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from PIL import Image, UnidentifiedImageError

from .. import __version__, api, examples
from ..config import StyleConfig
from ..errors import Cancelled, ImageReadError, OptionError, StylegramError
from ..events import ProgressEvent
from ..image import output_size, write_image
from ..image.figure import comparison_figure
from ._gradio import gradio as gr
from .form import MAIN_OPTIONS, MORE_OPTIONS, ConfigForm, label
from .job import JobBoard, stream
from .settings import WebSettings

__all__ = ["build_app", "launch"]

log = logging.getLogger(__name__)


_CSS = """
#progress progress { width: 100%; height: 14px; }
#progress .sg-line { font-variant-numeric: tabular-nums; }
#preview img { width: 100%; height: 100%; object-fit: contain; }
"""


def _error(message: str) -> gr.Error:
    """A message for the visitor's page, shown as text (Gradio renders it as HTML, so
    file names and values are escaped) until the visitor closes it; the server log
    stays free of its traceback."""
    return gr.Error(html.escape(message), duration=None, print_exception=False)


def _readable_upload(image: gr.Image) -> gr.Image:
    """Make an upload that is not an image a clean message on the page.

    Gradio opens the file while preprocessing, before the event runs; by default a
    failure there is shown as a bare "Error". This wraps the instance's method
    (subclassing ``gr.Image`` would make Gradio write a type stub next to this file).
    """
    preprocess = image.preprocess

    def checked(payload: Any) -> Any:
        try:
            return preprocess(payload)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            name = getattr(payload, "orig_name", None) or "the upload"
            raise _error(f"{image.label}: {name} is not an image file, or a format Pillow cannot read") from None

    image.preprocess = checked  # type: ignore[method-assign]
    return image


def _page_message(error: StylegramError) -> str:
    """The error as the visitor should read it: labels for flags, file names for server paths."""
    text = error.render(label)
    path = getattr(error, "path", None)
    return text.replace(path, Path(path).name) if path else text


def _check_pixels(path: str, max_pixels: int) -> None:
    """Refuse an image with more than ``max_pixels`` pixels, reading only its header.

    Raises:
        ImageReadError: The image is too large. An unreadable file passes here:
            :func:`stylegram.api.load_inputs` says what is wrong with it.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return
    if width * height > max_pixels:
        raise ImageReadError(
            f"{Path(path).name}: image is {width}x{height} px ({width * height:,} pixels); "
            f"this server accepts at most {max_pixels:,} pixels",
            path,
        )


def _animated(path: str) -> bool:
    """Whether the image file at ``path`` has more than one frame (an animated GIF,
    PNG or WebP), read from its header; stylegram paints the first frame only."""
    try:
        with Image.open(path) as image:
            return getattr(image, "n_frames", 1) > 1
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def _prepare(
    settings: WebSettings, form: ConfigForm, content: str | None, styles: list[Any] | None, values: tuple[Any, ...]
) -> tuple[StyleConfig, api.Inputs]:
    """The settings and the checked inputs of a job.

    Raises:
        gr.Error: A missing upload, a setting out of range or above the server's
            caps, or an unusable image; the message is shown on the page.
    """
    if content is None:
        raise _error("Upload a content image (or use the example images).")
    if not styles:
        raise _error("Upload at least one style image.")
    style_paths = [item[0] for item in styles]
    try:
        config = form.config(values)
        if config.steps > settings.max_steps:
            raise OptionError(f"{label('steps')}: {config.steps} is above this server's limit of {settings.max_steps}")
        if config.size is not None and config.size > settings.max_size:
            raise OptionError(
                f"{label('size')}: {config.size} px is above this server's limit of {settings.max_size} px"
            )
        for path in (content, *style_paths):
            _check_pixels(path, settings.max_pixels)
            if _animated(path):
                gr.Warning(html.escape(f"{Path(path).name}: an animated image; only its first frame is used."))
        inputs = api.load_inputs(content, style_paths, config)
        if max(inputs.size) > settings.max_size:  # only with an empty size: reduce, do not refuse
            config = config.with_options(size=settings.max_size)
            inputs = replace(inputs, size=output_size(*inputs.content.size, config.size, inputs.content.name))
    except StylegramError as error:
        raise _error(_page_message(error)) from None
    return config, inputs


def _progress_html(event: ProgressEvent | None, note: str) -> str:
    """The progress bar and the line under it; before the first iteration, ``note`` alone."""
    if event is None:
        return f'<div class="sg-progress"><progress></progress><div class="sg-line">{html.escape(note)}</div></div>'
    left = round(event.seconds_left)
    terms = ", ".join(f"{name} {value:.3g}" for name, value in event.losses.items())
    width, height = event.size
    line = (
        f'Iteration <span class="sg-step">{event.step}</span> of {event.total_steps} · {width}×{height} px · '
        f"loss {event.loss:.4g} ({terms}) · {left // 60}:{left % 60:02d} left"
    )
    return (
        f'<div class="sg-progress" data-step="{event.step}"><progress max="{event.total_steps}" '
        f'value="{event.step}"></progress><div class="sg-line">{line}</div></div>'
    )


def _done_html(text: str) -> str:
    return f'<div class="sg-progress sg-done"><div class="sg-line">{html.escape(text)}</div></div>'


def _write_downloads(
    folder: Path, inputs: api.Inputs, config: StyleConfig, image: Image.Image, steps: int, metadata: dict[str, Any]
) -> tuple[str, str]:
    """Write the result PNG and the comparison figure into ``folder``, readable by the
    server's user only (0600); returns their paths."""
    stem = Path(inputs.content.name).stem
    width, height = image.size
    title = (
        f"stylegram {__version__}: {width}x{height} px, {steps} iterations, "
        f"style weight {config.style_weight:g}, {config.optimizer}"
    )
    figure = comparison_figure(inputs.content.rgb, [s.composited() for s in inputs.styles], image, title)
    paths = (
        write_image(folder / f"{stem}-stylegram.png", image, metadata=metadata),
        write_image(folder / f"{stem}-comparison.png", figure),
    )
    for path in paths:
        os.chmod(path, 0o600)
    return str(paths[0]), str(paths[1])


def _kept(folder: Path, inputs: api.Inputs, config: StyleConfig, image: Image.Image, steps: int) -> tuple[str, str]:
    """The downloads of a run that did not finish, with ``finished: false`` metadata."""
    metadata = api.run_metadata(config, steps, image.size, finished=False, inputs=inputs.record)
    return _write_downloads(folder, inputs, config, image, steps, metadata)


def _job(
    settings: WebSettings,
    form: ConfigForm,
    device_slot: threading.BoundedSemaphore,
    stop: threading.Event,
    folder: Path,
    content: str | None,
    styles: list[Any] | None,
    values: tuple[Any, ...],
) -> Iterator[tuple[Any, ...]]:
    """One visitor's run, as the outputs (progress, preview, result file, figure file)
    and whether the job has ended with that update; its downloads are written into ``folder``.

    Raises:
        gr.Error: Bad input, or a failed run (the message is shown on the page).
    """
    skip = gr.skip()
    try:
        config, inputs = _prepare(settings, form, content, styles, values)
    except gr.Error:
        yield _done_html("Nothing is running: the job was refused (see the message)."), skip, skip, skip, True
        raise
    try:
        width, height = inputs.size
        yield _progress_html(None, f"Starting: {width}×{height} px, {config.steps} iterations…"), None, None, None, False
        with closing(stream(inputs, config, stop=stop, device_slot=device_slot)) as updates:
            try:
                for update in updates:
                    if update.result is None:
                        note = "Loading the network / waiting for the device…"
                        preview = update.preview if update.preview is not None else skip
                        yield _progress_html(update.event, note), preview, skip, skip, False
                    else:
                        result = update.result
                        files = _write_downloads(folder, inputs, config, result.image, result.steps, result.metadata())
                        yield _done_html(f"Done: {result.steps} iterations in {result.seconds:.1f} s."), result.image, *files, True
            except Cancelled as error:
                if error.partial is None:
                    yield _done_html("Cancelled before it started."), skip, skip, skip, True
                    return
                files = _kept(folder, inputs, config, error.partial, error.step)
                summary = f"Cancelled after {error.step} of {config.steps} iterations: the image so far is kept."
                yield _done_html(summary), error.partial, *files, True
            except StylegramError as error:
                if error.partial is not None:  # e.g. the loss diverged: keep the last good image
                    files = _kept(folder, inputs, config, error.partial, getattr(error, "step", 0))
                    yield _done_html("Stopped early: the last good image is kept."), error.partial, *files, True
                else:
                    yield _done_html("Nothing is running: the run failed (see the message)."), skip, skip, skip, True
                raise _error(_page_message(error)) from None
    except gr.Error:
        raise
    except Exception as error:  # a bug or a resource problem: fails this visitor's job only
        log.exception("stylegram web: run failed")
        raise _error(f"The run failed ({type(error).__name__}: {error}).") from None


class _Folders:
    """The private folders of the visitors' jobs, under the server's file root.

    Each job gets a fresh 0700 folder; a session's folders are deleted when the
    session ends (:meth:`drop`), and each one at the latest ``keep`` seconds after
    it was made.
    """

    def __init__(self, root: Path, keep: float) -> None:
        self._root, self._keep = root, keep
        self._lock = threading.Lock()
        self._by_session: dict[str, list[Path]] = {}

    def new(self, session: str) -> Path:
        """A new empty folder (mode 0700) for a job of ``session``."""
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self._root))
        with self._lock:
            self._by_session.setdefault(session, []).append(folder)
        timer = threading.Timer(self._keep, shutil.rmtree, (folder,), {"ignore_errors": True})
        timer.daemon = True
        timer.start()
        return folder

    def drop(self, session: str) -> None:
        """Delete every folder of ``session``."""
        with self._lock:
            folders = self._by_session.pop(session, [])
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _cancel_message(running: int, waiting: int) -> str:
    if running:
        return "Cancelling: the run stops after the current iteration and keeps its image."
    if waiting:
        return "Cancelled: the job waiting in the queue will not start."
    return "Nothing to cancel."


def build_app(settings: WebSettings, root: Path | None = None) -> gr.Blocks:
    """The page as a ``gr.Blocks``, not yet queued or launched (see :func:`launch`).

    Args:
        settings: The server's caps and queue size (``host`` and ``port`` are not used here).
        root: The folder, owned by the server's user, where the jobs' files go (in
            folders of their own); it must be Gradio's temp dir (``GRADIO_TEMP_DIR``)
            for the page to serve them. Default: that temp dir.

    The ``gr.Blocks`` returned has the server's :class:`~stylegram.web.job.JobBoard`
    as its ``jobs`` attribute.
    """
    device_slot = threading.BoundedSemaphore(settings.concurrency)
    jobs = JobBoard()
    keep = settings.keep_minutes * 60
    folders = _Folders(root or Path(gr.utils.get_upload_folder()), keep)

    with gr.Blocks(title="stylegram", delete_cache=(max(60, keep // 4), keep)) as page:
        gr.Markdown(
            "# stylegram\nPaint a photo in the style of a painting: neural style transfer "
            "(Gatys, Ecker & Bethge, CVPR 2016). Upload a content image and one or more style "
            "images, set the options and press Start."
        )
        with gr.Row():
            with gr.Column():
                with gr.Row():
                    content = _readable_upload(
                        gr.Image(
                            type="filepath",
                            image_mode=None,  # keep the file as uploaded: stylegram reads every mode
                            sources=["upload", "clipboard"],
                            label="Content image",
                            elem_id="content",
                            height=240,
                        )
                    )
                    styles = gr.Gallery(
                        type="filepath",
                        file_types=["image"],
                        interactive=True,
                        label="Style images",
                        elem_id="styles",
                        columns=3,
                        height=240,
                    )
                use_examples = gr.Button("Use the example images", elem_id="examples")
                form = ConfigForm()
                form.add(MAIN_OPTIONS)
                with gr.Accordion("More options", open=False):
                    form.add(MORE_OPTIONS)
            with gr.Column():
                with gr.Row():
                    start = gr.Button("Start", variant="primary", elem_id="start")
                    cancel = gr.Button("Cancel", variant="stop", elem_id="cancel", interactive=False)
                notice = gr.Markdown(elem_id="notice")
                progress = gr.HTML(_done_html("Ready."), elem_id="progress")
                preview = gr.Image(label="Preview", interactive=False, format="png", elem_id="preview", height=420)
                result_file = gr.File(label="Result (PNG, settings in its metadata)", elem_id="result-file")
                figure_file = gr.File(label="Comparison figure", elem_id="figure-file")

        def enqueue(request: gr.Request) -> tuple[str, str, Any]:
            jobs.submit(request.session_hash)
            return "", _done_html("Waiting in the queue…"), gr.update(interactive=True)

        def cancel_job(request: gr.Request) -> str:
            return _cancel_message(*jobs.cancel(request.session_hash))

        def end_session(request: gr.Request) -> None:
            jobs.forget(request.session_hash)
            folders.drop(request.session_hash)

        def run_job(request: gr.Request, content: str | None, styles: list[Any] | None, *values: Any) -> Iterator[Any]:
            session = request.session_hash
            stop = jobs.begin(session)
            try:
                for *outputs, ended in _job(settings, form, device_slot, stop, folders.new(session), content, styles, values):
                    others = ended and sum(jobs.state(session)) > 1  # a second Start of this page waits
                    yield (*outputs, gr.update(interactive=bool(others)) if ended else gr.skip())
            finally:
                jobs.end(session, stop)

        use_examples.click(
            lambda: (str(examples.CONTENT), [str(examples.STYLE)]), None, [content, styles], queue=False
        )
        start.click(enqueue, None, [notice, progress, cancel], queue=False).then(
            run_job,
            [content, styles, *form.components],
            [progress, preview, result_file, figure_file, cancel],
            concurrency_limit=settings.concurrency,
            concurrency_id="device",
            show_progress="minimal",
        )
        cancel.click(cancel_job, None, notice, queue=False)
        page.unload(end_session)
    page.jobs = jobs  # type: ignore[attr-defined]
    return page


def launch(settings: WebSettings, auth: tuple[str, str] | None = None) -> gr.Blocks:
    """Serve the page in background threads; returns at once.

    Every file of the server (uploads, previews, results) lives under a fresh folder
    that only the server's user can open (``tempfile.mkdtemp``, mode 0700), made
    Gradio's temp dir (``GRADIO_TEMP_DIR`` of this process); files that other
    programs put in the shared ``/tmp/gradio`` are neither served nor accepted. The
    folder is deleted when the process exits.

    The returned ``gr.Blocks`` has the page's address in ``local_url``; stop the
    server with its ``close()``, or wait on it with ``block_thread()`` (until Ctrl+C).

    Args:
        settings: The server's address, caps and queue.
        auth: ``(user, password)`` to require Gradio's login page, or ``None``.

    Raises:
        OSError: The address cannot be listened on (e.g. the port is taken).
    """
    root = Path(tempfile.mkdtemp(prefix="stylegram-web-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    os.environ["GRADIO_TEMP_DIR"] = str(root)  # read by Gradio when the page and its routes are built
    page = build_app(settings, root)
    page.queue(default_concurrency_limit=settings.concurrency)
    page.launch(
        server_name=settings.host,
        server_port=settings.port,
        prevent_thread_lock=True,
        max_file_size=settings.max_upload_bytes,
        allowed_paths=[str(examples.FOLDER)],
        auth=auth,
        quiet=True,
        show_error=False,  # expected errors are gr.Error, shown anyway; others would leak internals
        ssr_mode=False,  # no Node.js server: the page is served by Python alone
        footer_links=[],
        css=_CSS,
    )
    page.files_root = root  # type: ignore[attr-defined]
    return page

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
(:class:`~stylegram.web.settings.WebSettings`) and bad input is reported, as text, on
the page of that visitor only. Nothing is loaded from the internet: the page's
scripts and fonts are served by Gradio itself.

Privacy (docs/web.md): Gradio's cache (uploads and everything the page serves) is a
folder of this server's own, mode 0700, made at start; each job writes its previews,
result and figure 0600 into a 0700 folder of its own inside it, deleted when the
visitor's page closes; the rest goes after ``keep_minutes``. Only files in that
folder (and the bundled examples) are served or accepted as inputs.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import time
import shutil
import tempfile
import threading
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from PIL import Image

from .. import __version__, api, examples
from ..config import StyleConfig
from ..errors import Cancelled, OptionError, StylegramError
from ..events import ProgressEvent
from ..image import output_size, write_image
from ..image.figure import comparison_figure
from ._gradio import gradio as gr
from .checks import check_pixels, check_size, page_error, page_message, readable_upload
from .fast_mode import add_fast_mode
from .form import MAIN_OPTIONS, MORE_OPTIONS, ConfigForm, label
from .job import stream
from .settings import WebSettings

__all__ = ["build_app", "launch"]

log = logging.getLogger(__name__)


_CSS = """
#progress progress { width: 100%; height: 14px; }
#progress .sg-line { font-variant-numeric: tabular-nums; }
#preview img { width: 100%; height: 100%; object-fit: contain; }
"""

def _private_cache() -> Path:
    """Make this server's own Gradio cache: a fresh 0700 folder (in ``$GRADIO_TEMP_DIR``
    if the owner set one, else the system's temporary folder), and point Gradio at it
    for the life of this process. Files other programs leave in the shared
    ``/tmp/gradio`` are then neither served nor accepted as inputs."""
    root = Path(tempfile.mkdtemp(prefix="stylegram-web-", dir=os.environ.get("GRADIO_TEMP_DIR")))
    os.environ["GRADIO_TEMP_DIR"] = str(root)  # Gradio reads it on each request
    atexit.register(shutil.rmtree, root, True)  # nothing of the visitors outlives the server
    return root


@dataclass
class _Job:
    """One press of Start: its stop signal, and whether it has started running."""

    stop: threading.Event = field(default_factory=threading.Event)
    started: bool = False


class _Visitors:
    """Each browser session's jobs (in the order Start was pressed) and job folders.

    Cancel reaches every job of the session, waiting or running (a double Start
    makes two); closing the page cancels them and deletes their folders.
    """

    def __init__(self, root: Path, keep_seconds: float) -> None:
        self.root = root
        self.keep_seconds = keep_seconds
        self.lock = threading.Lock()
        self.jobs: dict[str, list[_Job]] = {}
        self.folders: dict[str, list[Path]] = {}
        self.closed: set[str] = set()  # pages gone: a job of theirs that still runs is stopped at once

    def enqueue(self, session: str) -> None:
        with self.lock:
            self.jobs.setdefault(session, []).append(_Job())

    def claim(self, session: str) -> _Job:
        """The session's oldest job not yet running (a new one if Start was bypassed)."""
        with self.lock:
            jobs = self.jobs.setdefault(session, [])
            job = next((j for j in jobs if not j.started), None)
            if job is None:
                job = _Job()
                jobs.append(job)
            if session in self.closed:
                job.stop.set()
            job.started = True
            return job

    def done(self, session: str, job: _Job) -> None:
        with self.lock:
            jobs = self.jobs.get(session, [])
            if job in jobs:
                jobs.remove(job)

    def cancel(self, session: str) -> str:
        with self.lock:
            jobs = self.jobs.get(session, [])
            for job in jobs:
                job.stop.set()
        if not jobs:
            return "Nothing to cancel."
        if any(job.started for job in jobs):
            return "Cancelling: the run stops after the current iteration and keeps its image."
        return "Cancelled: the job will not start."

    def busy(self, session: str) -> bool:
        """Whether the session has a job waiting or running (Cancel is active)."""
        with self.lock:
            return bool(self.jobs.get(session))

    def folder(self, session: str) -> Path:
        """A new 0700 folder for one job's files; job folders older than the keep
        time (of pages never closed) go first."""
        jobs = self.root / "jobs"
        jobs.mkdir(mode=0o700, exist_ok=True)
        for old in jobs.iterdir():
            try:
                age = time.time() - old.stat().st_mtime
            except FileNotFoundError:  # a closed page's folder, deleted meanwhile by forget()
                continue
            if age > self.keep_seconds:
                shutil.rmtree(old, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(dir=jobs))
        with self.lock:
            self.folders.setdefault(session, []).append(folder)
        return folder

    def forget(self, session: str) -> None:
        """The page closed: stop its jobs and delete their files."""
        self.cancel(session)
        with self.lock:
            self.closed.add(session)
            self.jobs.pop(session, None)
            folders = self.folders.pop(session, [])
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _prepare(
    settings: WebSettings, form: ConfigForm, content: str | None, styles: list[Any] | None, values: tuple[Any, ...]
) -> tuple[StyleConfig, api.Inputs]:
    """The settings and the checked inputs of a job.

    Raises:
        gr.Error: A missing upload, a setting out of range or above the server's
            caps, or an unusable image; the message is shown on the page.
    """
    if content is None:
        raise page_error("Upload a content image (or use the example images).")
    if not styles:
        raise page_error("Upload at least one style image.")
    style_paths = [item[0] for item in styles]
    try:
        config = form.config(values)
        if config.steps > settings.max_steps:
            raise OptionError(f"{label('steps')}: {config.steps} is above this server's limit of {settings.max_steps}")
        check_size(config.size, settings.max_size)
        for path in (content, *style_paths):
            check_pixels(path, settings.max_pixels)
        inputs = api.load_inputs(content, style_paths, config)
        if max(inputs.size) > settings.max_size:  # only with an empty size: reduce, do not refuse
            config = config.with_options(size=settings.max_size)
            inputs = replace(inputs, size=output_size(*inputs.content.size, config.size, inputs.content.name))
    except StylegramError as error:
        raise page_error(page_message(error)) from None
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
    """Write the result PNG and the comparison figure (0600) into the job's ``folder``;
    returns their paths."""
    stem = Path(inputs.content.name).stem
    result = write_image(folder / f"{stem}-stylegram.png", image, metadata=metadata, private=True)
    width, height = image.size
    title = (
        f"stylegram {__version__}: {width}x{height} px, {steps} iterations, "
        f"style weight {config.style_weight:g}, {config.optimizer}"
    )
    figure = comparison_figure(inputs.content.rgb, [s.composited() for s in inputs.styles], image, title)
    return str(result), str(write_image(folder / f"{stem}-comparison.png", figure, private=True))


def _animated(inputs: api.Inputs) -> list[str]:
    """The names of the inputs that are animations (only their first frame is used)."""
    names = []
    for image in (inputs.content, *inputs.styles):
        try:
            with Image.open(image.name) as opened:
                if getattr(opened, "n_frames", 1) > 1:
                    names.append(Path(image.name).name)
        except (OSError, ValueError):
            continue
    return names


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
    """One visitor's run, as the outputs (progress, preview, result file, figure file).

    Every file of the job is written 0600 into ``folder`` (the previews too), so the
    page serves them from there without copies.

    Raises:
        gr.Error: Bad input, or a failed run (the message is shown on the page).
    """
    skip = gr.skip()
    try:
        try:
            config, inputs = _prepare(settings, form, content, styles, values)
        except gr.Error as error:
            yield _done_html("Not started: see the message."), skip, skip, skip
            raise error
        if stop.is_set():  # cancelled while it waited: leave the page's last results as they are
            yield _done_html("Cancelled before it started."), skip, skip, skip
            return
        width, height = inputs.size
        note = f"Starting: {width}×{height} px, {config.steps} iterations…"
        animated = _animated(inputs)
        if animated:
            gr.Warning(html.escape(f"{', '.join(animated)}: animated; only the first frame is used."), duration=None)
            note += f" ({', '.join(animated)}: first frame only)"
        yield _progress_html(None, note), None, None, None
        with closing(stream(inputs, config, stop=stop, device_slot=device_slot)) as updates:
            previews = 0
            try:
                for update in updates:
                    if update.result is None:
                        preview: Any = skip
                        if update.preview is not None and folder.is_dir():
                            previews += 1
                            preview = str(write_image(folder / f"preview-{previews:05d}.png", update.preview, private=True))
                        yield _progress_html(update.event, "Loading the network / waiting for the device…"), preview, skip, skip
                    else:
                        result = update.result
                        files = _write_downloads(folder, inputs, config, result.image, result.steps, result.metadata())
                        yield _done_html(f"Done: {result.steps} iterations in {result.seconds:.1f} s."), files[0], *files
            except Cancelled as error:
                if error.partial is None:
                    yield _done_html("Cancelled before it started."), skip, skip, skip
                    return
                if not folder.is_dir():  # the page was closed: nobody to give it to
                    return
                metadata = api.run_metadata(config, error.step, error.partial.size, finished=False, inputs=inputs.record)
                files = _write_downloads(folder, inputs, config, error.partial, error.step, metadata)
                summary = f"Cancelled after {error.step} of {config.steps} iterations: the image so far is kept."
                yield _done_html(summary), files[0], *files
            except StylegramError as error:
                if error.partial is not None and folder.is_dir():  # e.g. the loss diverged: keep the last good image
                    step = getattr(error, "step", 0)
                    metadata = api.run_metadata(config, step, error.partial.size, finished=False, inputs=inputs.record)
                    files = _write_downloads(folder, inputs, config, error.partial, step, metadata)
                    yield _done_html("Stopped early: the last good image is kept."), files[0], *files
                else:
                    yield _done_html("Stopped: see the message."), skip, skip, skip
                raise page_error(page_message(error)) from None
    except gr.Error:
        raise
    except Exception as error:  # a bug or a resource problem: fails this visitor's job only
        log.exception("stylegram web: run failed")
        raise page_error(f"The run failed ({type(error).__name__}: {error}).") from None


def build_app(settings: WebSettings, root: Path) -> gr.Blocks:
    """The page as a ``gr.Blocks``, not yet queued or launched (see :func:`launch`).

    Args:
        settings: The server's caps, queue size and how long files are kept
            (``host``, ``port`` and the login are not used here).
        root: The server's private Gradio cache (see :func:`launch`); job folders
            are made in it.
    """
    device_slot = threading.BoundedSemaphore(settings.concurrency)
    keep = settings.keep_minutes * 60
    visitors = _Visitors(root, keep)
    # Gradio's clean-up of uploads, previews and downloads: (how often it runs, how
    # old a file must be to go), in seconds.
    with gr.Blocks(title="stylegram", delete_cache=(min(600, max(1, int(keep / 4))), int(keep))) as page:
        gr.Markdown(
            "# stylegram\nPaint a photo in the style of a painting. **Optimization**: upload a content "
            "image and one or more style images, set the options and press Start (Gatys, Ecker & Bethge, "
            "CVPR 2016; minutes). **Fast**: a network trained once on a painting paints the photo in about "
            "a second (Johnson et al. 2016)."
        )
        with gr.Tab("Optimization", id="optimize", elem_id="optimize-tab"):
            with gr.Row():
                with gr.Column():
                    with gr.Row():
                        content = readable_upload(
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

        with gr.Tab("Fast", id="fast", elem_id="fast-tab"):
            add_fast_mode(settings, visitors.folder)

        def enqueue(request: gr.Request) -> tuple[str, str, Any]:
            visitors.enqueue(request.session_hash)
            return "", _done_html("Waiting in the queue…"), gr.Button(interactive=True)

        def cancel_job(request: gr.Request) -> str:
            return visitors.cancel(request.session_hash)

        def forget_session(request: gr.Request) -> None:
            visitors.forget(request.session_hash)

        def run_job(request: gr.Request, content: str | None, styles: list[Any] | None, *values: Any) -> Iterator[Any]:
            session = request.session_hash
            job = visitors.claim(session)
            skip = gr.skip()
            try:
                for outputs in _job(settings, form, device_slot, job.stop, visitors.folder(session), content, styles, values):
                    yield *outputs, skip
            except gr.Error:
                visitors.done(session, job)
                yield skip, skip, skip, skip, gr.Button(interactive=visitors.busy(session))
                raise
            finally:
                visitors.done(session, job)
            yield skip, skip, skip, skip, gr.Button(interactive=visitors.busy(session))

        use_examples.click(
            lambda: (str(examples.CONTENT), [str(examples.STYLE)]), None, [content, styles], queue=False
        )
        # Every press of Start is a job of its own (a double Start queues two), so the
        # job registered by ``enqueue`` is always the one ``run_job`` claims.
        start.click(enqueue, None, [notice, progress, cancel], queue=False, trigger_mode="multiple").then(
            run_job,
            [content, styles, *form.components],
            [progress, preview, result_file, figure_file, cancel],
            concurrency_limit=settings.concurrency,
            concurrency_id="device",
            show_progress="minimal",
            trigger_mode="multiple",
        )
        cancel.click(cancel_job, None, notice, queue=False)
        page.unload(forget_session)
    return page


def launch(settings: WebSettings) -> gr.Blocks:
    """Serve the page in background threads; returns at once.

    The returned ``gr.Blocks`` has the page's address in ``local_url``; stop the
    server with its ``close()``, or wait on it with ``block_thread()`` (until Ctrl+C).

    The server's Gradio cache is a private folder of its own (:func:`_private_cache`);
    with a password (:meth:`WebSettings.password`) the page asks for a login.

    Raises:
        OSError: The address cannot be listened on (e.g. the port is taken).
        OptionError: The password file cannot be read.
    """
    password = settings.password()
    page = build_app(settings, _private_cache())
    page.queue(default_concurrency_limit=settings.concurrency)
    page.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=(settings.user, password) if password else None,
        prevent_thread_lock=True,
        max_file_size=settings.max_upload_bytes,
        allowed_paths=[str(examples.FOLDER)],
        quiet=True,
        show_error=False,  # expected errors are gr.Error, shown anyway; others would leak internals
        ssr_mode=False,  # no Node.js server: the page is served by Python alone
        footer_links=[],
        css=_CSS,
    )
    return page

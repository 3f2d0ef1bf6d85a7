"""The page's fast mode: a trained network paints the photo in one pass.

The network is Johnson et al.'s (ECCV 2016) with instance normalization, trained once
per painting by ``stylegram train`` (:mod:`stylegram.fast`). The visitor picks a
built-in model or uploads a model file of their own, and the result comes back in
about a second on a CPU: no iterations, so no progress bar and no Cancel. The upload
caps of the optimization (bytes, pixels, output size) apply unchanged; the result
is written 0600 into the visitor's job folder, like the optimization's.

Fast jobs have their own queue (``WebSettings.concurrency`` at a time), so a photo
is not kept waiting behind a running optimization of several minutes.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from .. import api, examples, fast
from ..config import DEFAULT_SIZE
from ..errors import OptionError, StylegramError
from ..image import output_size, read_image, write_image
from ._gradio import gradio as gr
from .checks import check_pixels, check_size, page_error, page_message, readable_upload
from .form import label
from .settings import WebSettings

__all__ = ["FastModels", "add_fast_mode", "apply_fast"]


class FastModels:
    """The models a server hands to its visitors' fast jobs.

    Built-in models are read once and shared by every job (a forward pass changes
    nothing in the network); an uploaded model file is read for its own job only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builtins: dict[str, fast.FastModel] = {}

    def get(self, name: str | None, upload: str | None) -> fast.FastModel:
        """The uploaded model file if there is one, else the built-in model ``name``.

        Raises:
            ModelFileError: The upload is not a readable stylegram model file (see
                :func:`stylegram.fast.load_model`; files are read with
                ``torch.load(weights_only=True)``, which runs no code from them).
            OptionError: ``name`` is not a built-in model (a name is never taken as
                a path on the server).
        """
        if upload:
            return fast.load_model(upload)
        builtins = fast.builtin_models()
        if name not in builtins:
            known = ", ".join(builtins) or "none"
            raise OptionError(f"Model: {name} is not a built-in model (built-in: {known})")
        with self._lock:
            if name not in self._builtins:
                self._builtins[name] = fast.load_model(name)
            return self._builtins[name]


def _size(text: Any, photo: str, max_size: int) -> int | None:
    """The long side asked for: ``None`` (empty: the photo's own, at most 512 px) unless
    that exceeds ``max_size``, which it is then reduced to.

    Raises:
        OptionError: Not a whole number, or above ``max_size``.
    """
    text = "" if text is None else str(text).strip()
    if text:
        try:
            size = int(text)
        except ValueError:
            raise OptionError(f"{{size}}: '{text}' is not a whole number", "size") from None
        check_size(size, max_size)
        return size
    if max_size >= DEFAULT_SIZE:  # the automatic size is at most DEFAULT_SIZE: no need to read the photo
        return None
    loaded = read_image(photo)
    return max_size if max(output_size(*loaded.size, None, loaded.name)) > max_size else None


def apply_fast(
    settings: WebSettings,
    models: FastModels,
    folder: Path,
    photo: str | None,
    model_name: str | None,
    model_file: str | None,
    size: Any,
    strength: float,
    preserve_color: bool,
) -> tuple[str, str, str]:
    """One fast job: paint ``photo`` and write the result PNG (0600, with the
    :func:`stylegram.api.apply_metadata` record) into ``folder``.

    Args:
        photo, model_file: Paths of the visitor's uploads (``model_file`` may be
            ``None``: then the built-in ``model_name`` is used).
        size: The size box's text: a long side in pixels, or empty for automatic.
        strength: 0-1, the blend of the painted photo over the photo.

    Returns:
        The line for the page, and the result's path twice (shown, and offered for download).

    Raises:
        gr.Error: No photo, a size above the server's cap, a photo above the pixel
            cap or unreadable, an unreadable model file; shown on the page.
    """
    if photo is None:
        raise page_error("Upload a photo (or use the example photo).")
    try:
        check_pixels(photo, settings.max_pixels)
        long_side = _size(size, photo, settings.max_size)
        model = models.get(model_name, model_file)
        start = time.perf_counter()
        image = fast.stylize(model, photo, size=long_side, strength=strength, preserve_color=preserve_color)
        seconds = time.perf_counter() - start
        metadata = api.apply_metadata(model, photo, image.size, strength=strength, preserve_color=preserve_color)
    except StylegramError as error:
        raise page_error(page_message(error)) from None
    painting = Path(model.record.painting).stem
    target = write_image(folder / f"{Path(photo).stem}-{painting}.png", image, metadata=metadata, private=True)
    width, height = image.size
    line = f"Done in {seconds:.2f} s: {width}×{height} px, {Path(model.path or painting).name} ({model.record.steps} training steps)."
    return line, str(target), str(target)


def add_fast_mode(settings: WebSettings, folder_for: Callable[[str], Path]) -> None:
    """Create the fast mode's inputs, button and result here (in the current Blocks
    context) and wire them; ``folder_for(session)`` makes a new job folder."""
    models = FastModels()
    names = list(fast.builtin_models())
    default = "starry_night" if "starry_night" in names else next(iter(names), None)  # the example painting's
    choices = [(models.get(name, None).record.title or name, name) for name in names]  # shown: the painting
    gr.Markdown(
        "A network trained once on a painting (Johnson et al. 2016, `stylegram train`) paints "
        "the photo in one pass, in about a second. Pick a built-in model or upload one you trained."
    )
    with gr.Row():
        with gr.Column():
            photo = readable_upload(
                gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"], label="Photo",
                         elem_id="fast-photo", height=240)
            )
            use_example = gr.Button("Use the example photo", elem_id="fast-example")
            model_name = gr.Dropdown(choices, value=default, label="Built-in model",
                                     elem_id="fast-model")
            model_file = gr.File(label="Or your own model file (.pt, from stylegram train)", file_types=[".pt"],
                                 elem_id="fast-model-file", height=120)
            size = gr.Textbox("", label=label("size"), placeholder="auto", elem_id="fast-size",
                              info="Long side of the result; empty: the photo's own size, reduced to 512 px if larger.")
            strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength", elem_id="fast-strength",
                                 info="Blend of the painted photo over the photo.")
            preserve_color = gr.Checkbox(False, label="Preserve color", elem_id="fast-preserve-color",
                                         info="Keep the photo's colours (the painted luminance only).")
        with gr.Column():
            apply = gr.Button("Paint", variant="primary", elem_id="fast-apply")
            status = gr.Markdown("Ready.", elem_id="fast-status")
            result = gr.Image(label="Result", interactive=False, format="png", elem_id="fast-result", height=420)
            result_file = gr.File(label="Result (PNG, model and settings in its metadata)", elem_id="fast-result-file")

    def run(request: gr.Request, *values: Any) -> tuple[str, str, str]:
        return apply_fast(settings, models, folder_for(request.session_hash), *values)

    use_example.click(lambda: str(examples.CONTENT), None, photo, queue=False)
    apply.click(
        run,
        [photo, model_name, model_file, size, strength, preserve_color],
        [status, result, result_file],
        concurrency_limit=settings.concurrency,
        concurrency_id="fast",
    )

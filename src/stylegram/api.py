"""The public facade: ``stylize(content, style)`` and ``run(...)`` for front ends.

Inputs may be file paths, PIL images, or ``uint8`` arrays ``(H, W, 3)``; results are
PIL images. Everything a front end (CLI, web app, scripts) needs goes through here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence

import torch
from PIL import Image

from ._device import resolve_device, resolve_precision, seed_generator
from ._version import __version__
from .config import INITS, MIN_SIDE, StyleConfig, suggest
from .errors import Cancelled, ImageReadError, OptionError, OutputPathError, StylegramError
from .events import ProgressCallback
from .image import ImageSource, LoadedImage, output_size, read_image, resize, to_pil
from .models import check_layers, encoder, load_weights
from .resume import RunPlan, checkpoint_path, fingerprint, input_record, partial_path, plan_run

if TYPE_CHECKING:
    from .fast import FastModel

__all__ = [
    "StopSignal",
    "StyleResult",
    "run",
    "stylize",
    "load_inputs",
    "Inputs",
    "run_metadata",
    "apply_metadata",
    "check_output_not_input",
    "RunPlan",
    "plan_run",
    "scale_schedule",
    "scale_steps",
    "partial_path",
    "checkpoint_path",
]

log = logging.getLogger(__name__)


class StopSignal(Protocol):
    """What ``stop=`` of :func:`run` accepts: anything with ``is_set()``, such as
    :class:`threading.Event` (or :class:`multiprocessing.Event` across processes)."""

    def is_set(self) -> bool:
        """``True`` once the run should stop."""
        ...


@dataclass(frozen=True)
class Inputs:
    """The images of a run, read and checked, and the output size.

    Attributes:
        content: The content image (with its alpha, if any).
        styles: The style images.
        init: The starting image for ``init=PATH``, or ``None``.
        size: Output ``(width, height)`` in pixels (:func:`~stylegram.image.output_size`).
        record: Each input's name and SHA-256 (:func:`~stylegram.resume.input_record`),
            for the run metadata.
    """

    content: LoadedImage
    styles: list[LoadedImage]
    init: LoadedImage | None
    size: tuple[int, int]
    record: dict[str, Any] = field(default_factory=dict)

    def finish(self, image: Image.Image) -> Image.Image:
        """``image`` (RGB, any size, e.g. a coarse scale's) as this run's output:
        resized to :attr:`size` with Lanczos if needed, and with the content image's
        alpha, if any, re-attached (``RGBA``)."""
        if image.size != self.size:
            image = resize(image, self.size)
        if self.content.alpha is None:
            return image
        rgba = image.convert("RGBA")
        rgba.putalpha(resize(self.content.alpha, self.size))
        return rgba


@dataclass(frozen=True)
class StyleResult:
    """A finished run.

    Attributes:
        image: The result, ``RGB``, or ``RGBA`` when the content image had alpha
            (its alpha re-attached, resized to the output size).
        size: ``(width, height)`` in pixels.
        losses: The last iteration's weighted loss terms ``content``, ``style``,
            ``tv`` and their ``total``.
        steps: Iterations done over all scales.
        scales: ``(width, height)`` of each coarse-to-fine scale.
        seconds: Wall time of the optimization, in seconds (model loading excluded).
        device: The device used (``"cpu"``, ``"cuda"``...).
        precision: ``"fp32"`` or ``"bf16"``.
        config: The settings used.
        inputs: Each input's name and SHA-256 (:attr:`Inputs.record`).
    """

    image: Image.Image
    size: tuple[int, int]
    losses: dict[str, float]
    steps: int
    scales: list[tuple[int, int]]
    seconds: float
    device: str
    precision: str
    config: StyleConfig
    inputs: dict[str, Any] = field(default_factory=dict)

    def metadata(self, seconds_done: float = 0.0) -> dict[str, Any]:
        """Text metadata for the output file: settings, inputs and version, to reproduce
        it; ``seconds_done`` is the optimization time of the part a resumed run continued
        (:attr:`~stylegram.resume.RunPlan.seconds_done`)."""
        return run_metadata(self.config, self.steps, self.size, inputs=self.inputs, seconds=seconds_done + self.seconds)


def run_metadata(
    config: StyleConfig,
    steps_done: int,
    size: tuple[int, int],
    *,
    finished: bool = True,
    inputs: dict[str, Any] | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    """The PNG text metadata of a result, a partial result or a checkpoint.

    ``{"Software": "stylegram X", "stylegram": {"version", "settings" (``config.to_dict()``),
    "steps_done", "size" [width, height], "finished", "inputs", "seconds"}}``;
    ``finished`` is ``False`` for an image saved before the run's end, which a later
    run may resume (:func:`plan_run`) and which a run from scratch will not overwrite.
    ``inputs`` is :attr:`Inputs.record` (resuming checks the content and style images
    against it); ``seconds`` the optimization time so far over all parts of the run.
    """
    record: dict[str, Any] = {
        "version": __version__,
        "settings": config.to_dict(),
        "steps_done": steps_done,
        "size": list(size),
        "finished": finished,
    }
    if inputs:
        record["inputs"] = inputs
    if seconds is not None:
        record["seconds"] = round(seconds, 3)
    return {"Software": f"stylegram {__version__}", "stylegram": record}


def apply_metadata(model: FastModel, photo: ImageSource, size: tuple[int, int], *, strength: float, preserve_color: bool) -> dict[str, Any]:
    """The PNG text metadata of a fast-method result (:func:`stylegram.fast.stylize`).

    ``{"Software": "stylegram X", "stylegram": {"version", "method": "fast", "model":
    {"name" (its file), "sha256" (of the file), "painting", "steps"}, "inputs": {"content": {"name", "sha256"}}, "size"
    [width, height], "strength", "preserve_color", "finished": true}}``: which network
    painted which photo, to reproduce it; :func:`~stylegram.image.read_metadata` reads it back.

    Raises:
        ImageReadError: ``photo`` or the model's file is missing or cannot be read.
    """
    record: dict[str, Any] = {
        "version": __version__,
        "method": "fast",
        "model": {
            "name": model.path or "<in memory>",
            "sha256": fingerprint(model.path)["sha256"] if model.path else None,
            "painting": model.record.painting,
            "steps": model.record.steps,
        },
        "inputs": {"content": fingerprint(photo)},
        "size": list(size),
        "strength": strength,
        "preserve_color": preserve_color,
        "finished": True,
    }
    return {"Software": f"stylegram {__version__}", "stylegram": record}


def _as_list(styles: ImageSource | Sequence[ImageSource]) -> list[ImageSource]:
    if isinstance(styles, (list, tuple)):
        return list(styles)
    return [styles]  # type: ignore[list-item]


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: through links, ``..`` and, for existing
    files, hard links (same device and inode)."""
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_output_not_input(output: str | os.PathLike[str], *sources: Any) -> None:
    """Refuse an output path that is (or resolves to, through links) one of the inputs.

    Writing the result there would replace the user's photo or painting. Call it
    before any work with every input a run reads (content, styles); sources that
    are not paths (PIL images, arrays) are skipped. A run that continues from its
    own saved output (``init`` = OUT) is not an input in this sense: leave it out.

    Raises:
        OutputPathError: ``output`` is the same file as one of ``sources``.
    """
    target = Path(output)
    for source in sources:
        if isinstance(source, (str, os.PathLike)) and _same_file(target, Path(source)):
            alias = "" if Path(source) == target else f" as {source} (the same file)"
            raise OutputPathError(
                f"{target}: this run also uses that file{alias}, and writing there would replace it; "
                "choose another output file",
                str(target),
            )


def _configure(config: StyleConfig | None, overrides: dict[str, Any]) -> StyleConfig:
    config = config or StyleConfig()
    return config.with_options(**overrides) if overrides else config


def check_init(config: StyleConfig) -> None:
    """Check that ``config.init`` is a start kind or an existing file (a batch checks
    it once, before its jobs).

    ``fast:MODEL`` starts from the fast method's result (:func:`stylegram.fast.stylize`),
    MODEL a model file or a built-in name.

    Raises:
        OptionError: Neither, with the closest kind suggested (``nosie`` -> ``noise``),
            or a ``fast:`` model that is neither a file nor a built-in model.
    """
    if config.init.startswith(FAST_INIT):
        from .fast import ModelFileError, resolve_model

        try:
            resolve_model(config.init[len(FAST_INIT):])
        except ModelFileError as error:
            raise OptionError(f"{{init}}: {error}", "init") from None
        return
    if config.init not in INITS and not os.path.exists(config.init):
        raise OptionError(
            f"{{init}}: '{config.init}' is not {', '.join(INITS)} or an existing image file"
            f"{suggest(config.init, INITS)}",
            "init",
        )


FAST_INIT = "fast:"
"""Prefix of an ``init`` that starts from a fast model's result: ``fast:starry_night``."""


def _init_image(content: ImageSource, config: StyleConfig, size: tuple[int, int]) -> LoadedImage | None:
    """The start image an ``init`` names: a file, a fast model's painting of the
    content at the output size, or ``None`` for content/noise/style."""
    if config.init.startswith(FAST_INIT):
        from . import fast

        model = fast.load_model(config.init[len(FAST_INIT):])
        return read_image(fast.stylize(model, content, size=max(size), preserve_color=config.preserve_color))
    return read_image(config.init) if config.init not in INITS else None


def load_inputs(
    content: ImageSource, styles: ImageSource | Sequence[ImageSource], config: StyleConfig
) -> Inputs:
    """Read and check every input before any model is loaded.

    Front ends call this first so that every mistake a user can make is reported in
    seconds: images (:func:`~stylegram.image.read_image`), the output size
    (:func:`~stylegram.image.output_size`), options, and whether the run fits in the
    memory of the chosen device (:func:`~stylegram.engine.memory.check_memory`).

    Raises:
        ImageReadError: An image is missing, unreadable, truncated, or too small
            (the content for the output size, a style image below ``MIN_SIDE`` px).
        OptionError: Unknown layers, a style-weight count that does not match the
            style images, a ``size`` too small for the image's aspect ratio, an
            ``init`` that is neither a choice nor an existing file (with a "did you
            mean"), or a device that is not available.
        OutOfMemoryError: The output size does not fit in the device's memory; the
            message gives the largest ``size`` that does.
        WeightsNotFoundError: The VGG19 weights asked for are not on this machine.
    """
    from .engine.memory import check_memory

    check_layers([name for name, _ in config.content_layers], "content_layers")
    check_layers([name for name, _ in config.style_layers], "style_layers")
    style_list = _as_list(styles)
    if not style_list:
        raise OptionError("give at least one style image")
    config.check_style_count(len(style_list))
    loaded = read_image(content)
    size = output_size(*loaded.size, config.size, loaded.name)
    style_images = [read_image(s) for s in style_list]
    for style in style_images:
        if min(style.size) < MIN_SIDE:  # also bounds how far a thin style is enlarged
            raise ImageReadError(
                f"{style.name}: style image is {style.size[0]}x{style.size[1]} px; each side must be "
                f"at least {MIN_SIDE} px",
                style.name,
            )
    check_init(config)
    init = _init_image(content, config, size)
    device = resolve_device(config.device)
    check_memory(size, config, device)
    load_weights(config.weights, config.preprocessing)  # cached; a missing file fails here
    return Inputs(loaded, style_images, init, size, input_record(content, style_list, config.init))


def scale_schedule(config: StyleConfig, size: tuple[int, int], steps_done: int = 0) -> list[tuple[int, int]]:
    """``(width, height)`` in pixels of each coarse-to-fine scale a run will optimize,
    coarsest first; the last is the output ``size``
    (:func:`~stylegram.engine.schedule.scale_sizes`, at most one scale per iteration).
    A resumed run (``steps_done`` > 0) runs at the output size only."""
    from .engine import scale_sizes

    return [size] if steps_done else scale_sizes(size, config.scales)[-config.steps :]


def scale_steps(config: StyleConfig, size: tuple[int, int]) -> list[int]:
    """The iterations a fresh run spends at each scale of :func:`scale_schedule`, coarsest
    first (:func:`~stylegram.engine.schedule.split_steps`: halving from each scale to the
    next finer one); they add up to ``config.steps``."""
    from .engine import split_steps

    return split_steps(config.steps, len(scale_schedule(config, size)))


def run(
    content: ImageSource,
    styles: ImageSource | Sequence[ImageSource],
    config: StyleConfig | None = None,
    *,
    callback: ProgressCallback | None = None,
    inputs: Inputs | None = None,
    steps_done: int = 0,
    stop: StopSignal | None = None,
    **overrides: Any,
) -> StyleResult:
    """Paint ``content`` in the style of ``styles`` (Gatys et al., CVPR 2016).

    Args:
        content: The content image: a path, a PIL image, or a ``uint8`` array
            ``(H, W, 3)`` (RGB 0-255). Alpha, if any, is carried to the result.
        styles: One style image or a list (same forms); alpha is composited onto white.
        config: Settings; default :class:`~stylegram.config.StyleConfig()`.
        callback: Called with a :class:`~stylegram.events.ProgressEvent` after every
            iteration (e.g. to draw progress or show a preview).
        inputs: Already loaded inputs from :func:`load_inputs` (front ends read them
            first to reject bad files early); ``content`` and ``styles`` are then ignored.
        steps_done: Resume a stopped run: ``config.init`` is its saved image (a path),
            which already had this many of ``config.steps`` iterations; the rest run at
            the output size only, and ``StyleResult.steps`` counts both parts.
        stop: A cancel signal, e.g. a :class:`threading.Event` set from another
            thread: checked before the run starts, before each scale and after each
            iteration; once ``stop.is_set()`` the run ends with :class:`Cancelled`.
        **overrides: Fields of ``StyleConfig`` to change, e.g. ``steps=100``.

    Returns:
        A :class:`StyleResult`.

    Raises:
        ImageReadError: An input image cannot be used (see :func:`load_inputs`).
        OptionError: A bad setting; the message names the option.
        WeightsNotFoundError: The chosen VGG19 weights are not on this machine.
        OutOfMemoryError: The size does not fit in memory (checked before the model
            loads, or caught during the run; then ``partial`` is the best image so far).
        Interrupted: Ctrl+C (or SIGTERM in the CLI); ``partial`` is the best image so far.
        Cancelled: ``stop`` was set; ``partial`` is the best image so far (``None``
            if it was set before the first iteration).
        NonFiniteLossError: The loss diverged; ``partial`` is the last finite image.
    """
    from .engine import transfer
    from .engine.memory import available_memory, is_out_of_memory, memory_error

    config = _configure(config, overrides)
    inputs = inputs or load_inputs(content, styles, config)
    if stop is not None and stop.is_set():
        raise Cancelled("cancelled before it started", steps_done)
    if steps_done and (inputs.init is None or not 0 < steps_done < config.steps):
        raise OptionError(
            f"{{resume}}: cannot continue after {steps_done} of {config.steps} iterations"
            + ("" if inputs.init else " without the saved image as {init}"),
            "resume",
            "init",
        )
    device = resolve_device(config.device)
    dtype = resolve_precision(config.precision, device)
    generator = seed_generator(config.seed)
    network = encoder(config.weights, config.preprocessing, config.network_layers, config.pooling, str(device))
    log.info("stylizing at %dx%d px on %s (%s)", *inputs.size, device, dtype)
    try:
        result = transfer(
            network,
            config,
            inputs.content.rgb,
            [s.composited() for s in inputs.styles],
            inputs.size,
            device=device,
            autocast=dtype,
            generator=generator,
            init_image=inputs.init.rgb if inputs.init else None,
            callback=callback,
            steps_done=steps_done,
            stop=stop.is_set if stop is not None else None,
        )
    except StylegramError as error:
        if error.partial is not None:
            error.partial = inputs.finish(error.partial)
        raise
    except (MemoryError, RuntimeError) as error:
        # Out of memory outside the iterations (a scale's targets): no image to keep.
        if not is_out_of_memory(error):
            raise
        raise memory_error(inputs.size, config, device, available_memory(device)) from None
    image = inputs.finish(to_pil(result.image))
    return StyleResult(
        image=image,
        size=image.size,
        losses=result.losses,
        steps=result.steps,
        scales=result.sizes,
        seconds=result.seconds,
        device=device.type,
        precision="bf16" if dtype == torch.bfloat16 else "fp32",
        config=config,
        inputs=inputs.record,
    )



def stylize(
    content: ImageSource,
    styles: ImageSource | Sequence[ImageSource],
    config: StyleConfig | None = None,
    *,
    callback: ProgressCallback | None = None,
    stop: StopSignal | None = None,
    **overrides: Any,
) -> Image.Image:
    """Paint ``content`` in the style of ``styles`` and return the picture.

    The same as :func:`run` but returns only the image (``RGB``, or ``RGBA`` if the
    content image had alpha), of the size given by the size rule of
    :func:`~stylegram.image.output_size`.

    >>> from stylegram import stylize                                  # doctest: +SKIP
    >>> stylize("photo.jpg", "painting.jpg", size=256).save("out.png")  # doctest: +SKIP

    Raises:
        The errors of :func:`run`.
    """
    return run(content, styles, config, callback=callback, stop=stop, **overrides).image

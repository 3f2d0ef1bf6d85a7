"""Gatys et al. style transfer, wired: encoder, targets, losses, coarse-to-fine loop.

Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks"
(CVPR 2016); colour preservation and coarse-to-fine from Gatys et al., "Controlling
Perceptual Factors in Neural Style Transfer" (CVPR 2017).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from PIL import Image

from ..config import MIN_SIDE, LossSettings, StyleConfig
from ..errors import Cancelled, Interrupted, NonFiniteLossError, StylegramError
from ..events import ProgressCallback, ProgressEvent
from ..image.color import combine_luminance, luminance_image, match_luminance
from ..image.convert import resize, resize_tensor, to_pil, to_tensor
from ..losses import LossInputs, PerceptualLoss, Term, gatys_terms
from ..models import VGG19
from .estimate import TimeLeft
from .init import initial_image
from .memory import available_memory, is_out_of_memory, memory_error
from .optimize import ScaleStopped, optimize_scale
from .schedule import scale_sizes, split_steps

__all__ = ["GatysLoss", "TransferResult", "transfer"]


class GatysLoss:
    """The loss of one scale: the encoder wired to a :class:`~stylegram.losses.PerceptualLoss`.

    ``total = content_weight * sum_l w_l content_l + style_weight * sum_l w_l style_l
    + tv_weight * TV(image) / TV(content)`` (the terms of :mod:`stylegram.losses`). The
    content features and the (blended) style Gram targets are computed once, here.

    Args:
        encoder: VGG19 returning the needed layers.
        config: The loss's settings (layers and their weights, loss weights).
        content: ``(1, 3, H, W)`` content image 0-1 at this scale.
        styles: Style images ``(1, 3, H_i, W_i)`` 0-1, each already at its size.
        blend: One weight per style image, summing to 1; the targets are the blended
            Gram matrices.
        autocast: dtype of the network's forward (float32 or bfloat16).
        extra_terms: More terms for this scale's loss (e.g. video's temporal term).
    """

    def __init__(
        self,
        encoder: VGG19,
        config: LossSettings,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor],
        blend: Sequence[float],
        autocast: torch.dtype,
        extra_terms: Sequence[Term] = (),
    ) -> None:
        self.encoder = encoder
        self.autocast = autocast
        self.content = content
        with torch.no_grad():
            features = self._features(content)
            self.content_features = {name: features[name].float() for name, _ in config.content_layers}
            self.loss = gatys_terms(config, [self._features(s) for s in styles], blend)
            if extra_terms:
                self.loss = PerceptualLoss([*self.loss.terms, *extra_terms])

    def _features(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        device = image.device.type
        context = (
            torch.autocast(device, dtype=self.autocast)
            if self.autocast != torch.float32
            else contextlib.nullcontext()
        )
        with context:
            return self.encoder(image.contiguous(memory_format=torch.channels_last))

    def __call__(self, image: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(total, {"content", "style", "tv"})`` for a ``(1, 3, H, W)`` image 0-1; float32 scalars."""
        inputs = LossInputs(image, self._features(image), self.content_features, self.content)
        return self.loss(inputs)


@dataclass(frozen=True)
class TransferResult:
    """What a finished run produced.

    Attributes:
        image: ``(1, 3, H, W)`` float32 RGB 0-1 on the CPU, colour preservation applied.
        losses: The last iteration's weighted terms and ``"total"``.
        steps: Iterations done over all scales.
        sizes: ``(width, height)`` of each scale, in pixels.
        seconds: Wall time of the optimization (targets included, model loading not).
    """

    image: torch.Tensor
    losses: dict[str, float]
    steps: int
    sizes: list[tuple[int, int]]
    seconds: float


def transfer(
    encoder: VGG19,
    config: StyleConfig,
    content: Image.Image,
    styles: Sequence[Image.Image],
    size: tuple[int, int],
    *,
    device: torch.device,
    autocast: torch.dtype,
    generator: torch.Generator,
    init_image: Image.Image | None = None,
    callback: ProgressCallback | None = None,
    steps_done: int = 0,
    stop: Callable[[], bool] | None = None,
    extra_terms: Sequence[Term] = (),
) -> TransferResult:
    """Run the coarse-to-fine optimization and return the stylized image.

    Args:
        encoder: VGG19 on ``device`` with the config's layers.
        config: The run's settings.
        content: Content image (RGB, any size; resized per scale with Lanczos).
        styles: Style images (RGB, alpha already composited).
        size: Output ``(width, height)`` in pixels.
        device: Where to optimize.
        autocast: Network dtype (``torch.float32`` or ``torch.bfloat16``).
        generator: Random generator for noise initialization.
        init_image: Starting image for ``init=PATH`` (RGB, any size).
        callback: Receives a :class:`~stylegram.events.ProgressEvent` per iteration.
        steps_done: To resume a run that stopped after this many of ``config.steps``
            iterations from ``init_image`` (its saved result): the remaining iterations
            run at the output size only, numbered from ``steps_done + 1``.
        stop: Checked before each scale and after each iteration; when it returns
            ``True`` the run ends with :class:`~stylegram.errors.Cancelled`.
        extra_terms: Terms added to the loss at the output size (the last scale),
            e.g. video's temporal term, which holds images of that size.

    Raises:
        Interrupted: Ctrl+C or SIGTERM; ``partial`` holds the best image so far (PIL).
        Cancelled: ``stop`` returned ``True``; ``partial`` holds the best image so far
            (``None`` if no iteration had run).
        NonFiniteLossError: The loss became NaN or infinite; ``partial`` holds the
            last finite image.
        OutOfMemoryError: Memory ran out; ``partial`` holds the best image so far.
    """
    if steps_done:
        sizes, counts = [size], [config.steps - steps_done]
    else:
        sizes = scale_sizes(size, config.scales)[-config.steps :]
        counts = split_steps(config.steps, len(sizes))
    time_left = TimeLeft(sizes, counts)
    blend = config.blend_weights(len(styles))
    start = time.perf_counter()
    done, image = steps_done, None
    losses: dict[str, float] = {}

    def setup(scale_size: tuple[int, int], previous: torch.Tensor | None) -> tuple[_Render, torch.Tensor, GatysLoss]:
        """The scale's renderer, starting image (``previous`` upsampled, or the initial
        image at the first scale) and loss with its content and Gram targets."""
        content_t = to_tensor(resize(content, scale_size), device)
        style_ts = [to_tensor(resize(s, _style_size(s, scale_size, config.style_scale)), device) for s in styles]
        colour = content_t
        if config.preserve_color:
            content_t = luminance_image(content_t)
            style_ts = [match_luminance(luminance_image(s), content_t) for s in style_ts]
        if previous is not None:
            start_image = resize_tensor(previous, scale_size)  # already luminance-only if preserving
        else:
            kind = "image" if init_image is not None else config.init
            given = to_tensor(resize(init_image, scale_size), device) if init_image is not None else None
            start_image = initial_image(kind, content_t, style_ts[0], generator, given)
            if config.preserve_color:  # a saved result or --init image is in colour
                start_image = luminance_image(start_image)
        extra = extra_terms if scale_size == size else ()
        loss_fn = GatysLoss(encoder, config, content_t, style_ts, blend, autocast, extra)
        return _Render(colour, config.preserve_color), start_image, loss_fn

    render: _Render | None = None
    for index, (scale_size, count) in enumerate(zip(sizes, counts)):
        setup_start = time.perf_counter()
        try:
            if stop is not None and stop():
                raise Cancelled(f"cancelled after {done} of the iterations", done)
            render, image, loss_fn = setup(scale_size, image)
        except (KeyboardInterrupt, Cancelled, MemoryError, RuntimeError) as error:
            # Stopped while a finer scale's targets were computed: keep the coarser result.
            first_scale = render is None  # no image yet to keep
            if first_scale or (isinstance(error, RuntimeError) and not is_out_of_memory(error)):
                raise
            raise _stopped_error(ScaleStopped(error, image, 0), done, render, size, config, device) from None
        time_left.scale_started(index, time.perf_counter() - setup_start)
        step_start = time.perf_counter()

        def on_step(step: int, total: float, terms: dict[str, float], x: torch.Tensor) -> None:
            nonlocal losses, step_start
            losses = dict(terms, total=total)
            now = time.perf_counter()
            seconds_left, step_start = time_left(step, now - step_start), now
            if callback is None:
                return
            callback(
                ProgressEvent(
                    step=done + step,
                    total_steps=config.steps,
                    scale_index=index,
                    scale_count=len(sizes),
                    size=scale_size,
                    loss=total,
                    losses=terms,
                    elapsed=now - start,
                    seconds_left=seconds_left,
                    image=_Preview(render, x),
                )
            )

        try:
            image = optimize_scale(
                image, loss_fn, optimizer=config.optimizer, steps=count, lr=config.learning_rate, on_step=on_step, stop=stop
            )
        except ScaleStopped as stopped:
            raise _stopped_error(stopped, done, render, size, config, device) from None
        done += count
    assert image is not None and render is not None  # sizes is never empty
    return TransferResult(render.finish(image).cpu(), losses, done, sizes, time.perf_counter() - start)


class _Render:
    """Turns the optimized tensor into the picture the user sees (colour restored)."""

    def __init__(self, colour: torch.Tensor, preserve_color: bool) -> None:
        self.colour = colour
        self.preserve_color = preserve_color

    def finish(self, image: torch.Tensor) -> torch.Tensor:
        """The tensor as shown: with colour preservation, the content's colours on its luminance."""
        if not self.preserve_color:
            return image
        return combine_luminance(image.detach(), self.colour)

    def __call__(self, image: torch.Tensor) -> Image.Image:
        return to_pil(self.finish(image.detach()))


class _Preview:
    """``ProgressEvent.image``: renders the current tensor on call; pickles as the
    rendered picture (a live tensor and its renderer do not cross processes)."""

    def __init__(self, render: _Render, image: torch.Tensor) -> None:
        self.render = render
        self.image = image

    def __call__(self) -> Image.Image:
        return self.render(self.image)

    def __reduce__(self) -> tuple[type, tuple[Image.Image]]:
        return _Rendered, (self(),)


class _Rendered:
    """An already rendered preview: calling it returns the picture (RGB PIL)."""

    def __init__(self, picture: Image.Image) -> None:
        self.picture = picture

    def __call__(self) -> Image.Image:
        return self.picture


def _stopped_error(
    stopped: ScaleStopped,
    done: int,
    render: Callable[[torch.Tensor], Image.Image],
    size: tuple[int, int],
    config: StyleConfig,
    device: torch.device,
) -> StylegramError:
    """The error a stopped scale raises, with ``partial``: the best image, at ``size``."""
    step = done + stopped.steps
    cause = stopped.cause
    error: StylegramError
    if isinstance(cause, NonFiniteLossError):
        lower = "{lr} or the loss weights" if config.optimizer == "adam" else "the loss weights"
        error = NonFiniteLossError(
            f"{cause} at iteration {done + cause.step}; lower {lower} ({{style_weight}}, "
            "{content_weight}, {tv_weight}); the last finite image was kept",
            done + cause.step,
        )
    elif isinstance(cause, KeyboardInterrupt):
        error = Interrupted(f"stopped after {step} of the iterations", step)
    elif isinstance(cause, Cancelled):
        error = Cancelled(f"cancelled after {step} of the iterations", step)
    else:
        error = memory_error(size, config, device, available_memory(device))
    partial = render(stopped.best)
    if partial.size != size:
        partial = partial.resize(size, Image.Resampling.LANCZOS)
    error.partial = partial
    return error


def _style_size(style: Image.Image, scale_size: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """The style image's size at a scale: long side ``style_scale`` x the scale's long side,
    enlarged if needed so that the short side is at least ``MIN_SIDE`` pixels."""
    width, height = style.size
    factor = max(max(scale_size) * style_scale / max(width, height), MIN_SIDE / min(width, height))
    return max(MIN_SIDE, round(width * factor)), max(MIN_SIDE, round(height * factor))

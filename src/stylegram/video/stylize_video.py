"""Stylizing a clip frame by frame with temporal consistency, never losing finished frames.

Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos" (GCPR 2016): the first
frame is stylized as a photo (Gatys et al., the full coarse-to-fine run); each later
frame starts from the previous stylized frame warped along the optical flow (input
frame t to t-1) and adds the temporal loss (:class:`~stylegram.losses.temporal.TemporalTerm`)
on the pixels where the flow passes the forward-backward test, so it needs far fewer
iterations, at the output size only. With ``temporal_weight=0`` every frame is
stylized on its own (the per-frame baseline: the full run from the content).

The ``fast`` method paints each frame in one pass of a trained network (Johnson et
al. 2016, :mod:`stylegram.fast`) and stabilizes it without training: where the flow
is trusted, the previous output warped onto this frame is blended in (weight
``blend``), the rest is the network's own output; ``blend=0`` is per-frame.

Finished frames are written as PNGs to a work folder beside the output
(``OUT.frames/``) as they finish; when the run is stopped, the frames done so far
become a playable ``OUT`` and ``resume=True`` continues from the next frame. The work
folder is removed once the whole clip is written.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from PIL import Image

from .. import api
from ..models import encoder
from .._device import resolve_device, resolve_precision, seed_generator
from .._version import __version__
from ..config import StyleConfig
from ..engine import transfer
from ..errors import Cancelled, Interrupted, OptionError, StylegramError
from ..events import ProgressCallback
from ..image import ImageSource, output_size, resize, to_pil, write_image
from ..image.color import luminance_image
from ..losses.temporal import TemporalTerm
from .flow import consistency_mask, optical_flow, warp
from .frames import DEFAULT_FOLDER_FPS, Clip, probe, read_frames
from .writer import check_video_output, reencodes_audio, write_clip

__all__ = [
    "METHODS",
    "DEFAULT_TEMPORAL_WEIGHT",
    "DEFAULT_BLEND",
    "FrameEvent",
    "VideoResult",
    "stylize_video",
    "work_folder",
    "later_steps_for",
]

METHODS = ("optimize", "fast")
"""Stylization methods for video. ``optimize`` is Gatys et al.'s optimization per frame
with Ruder et al.'s temporal consistency; ``fast`` a trained feed-forward network per
frame with the warped previous output blended in (:data:`DEFAULT_BLEND`)."""

DEFAULT_BLEND = 0.3
"""The fast method's weight of the warped previous output on the pixels where the
flow is trusted (0-1; 0 is per-frame). Chosen by the warping error and the judge's
style distance on the test clips (docs/video.md)."""

DEFAULT_TEMPORAL_WEIGHT = 200.0
"""Weight of the temporal term: with stylegram's relative content and style terms
(content 1, style 10 by default) this keeps the trusted pixels within a few levels of
the warped previous frame (docs/video.md)."""


def later_steps_for(steps: int) -> int:
    """Iterations of each frame after the first: a third of the first frame's (at least
    1), under Ruder et al.'s ratio since each starts from the warped result; fewer
    keep less of the style (docs/video.md).

    >>> later_steps_for(300), later_steps_for(3)
    (100, 1)
    """
    return max(1, steps // 3)


@dataclass(frozen=True)
class FrameEvent:
    """Progress after each finished frame.

    Attributes:
        frame: The frame just finished, 1-based.
        frames: Frames in the clip.
        seconds: Seconds this frame took (flow included).
        seconds_per_frame: Mean seconds of the later frames done in this run (the
            first frame's own time while it is the only one).
        seconds_left: Estimated seconds until the last frame is done.
        steps: Iterations this frame had.
    """

    frame: int
    frames: int
    seconds: float
    seconds_per_frame: float
    seconds_left: float
    steps: int


@dataclass(frozen=True)
class VideoResult:
    """A finished clip.

    Attributes:
        output: The path written.
        frames: Frames written (all of the clip's).
        size: ``(width, height)`` in pixels.
        rate: The source's frame rate, frames per second.
        audio: Whether an audio stream was copied.
        first_steps: Iterations of the first frame.
        later_steps: Iterations of each later frame.
        resumed_from: Frames already done by an earlier run (0 for a fresh run).
        seconds: Wall time of this run's frames, in seconds (encoding included).
        seconds_per_frame: Mean seconds per frame after the first in this run.
        config: The settings used.
        temporal_weight: The temporal term's weight (0: per-frame).
        method: ``optimize`` or ``fast``.
        blend: The fast method's blend weight (0 for ``optimize``).
        audio_reencoded: The sound was re-encoded to Opus (a WebM output of other
            sound) rather than copied.
    """

    output: Path
    frames: int
    size: tuple[int, int]
    rate: Fraction
    audio: bool
    first_steps: int
    later_steps: int
    resumed_from: int
    seconds: float
    seconds_per_frame: float
    config: StyleConfig
    temporal_weight: float
    method: str = "optimize"
    blend: float = 0.0
    audio_reencoded: bool = False


def work_folder(output: str | Path) -> Path:
    """Where a run keeps its finished frames: ``OUT.frames`` beside ``output``."""
    output = Path(output)
    return output.with_name(f"{output.name}.frames")


def _frame_path(work: Path, index: int) -> Path:
    return work / f"frame_{index + 1:06d}.png"


def _done_frames(work: Path, total: int) -> int:
    """Frames finished in ``work``: the unbroken run of frame files from the first."""
    done = 0
    while done < total and _frame_path(work, done).is_file():
        done += 1
    return done


def _record(work: Path) -> dict[str, Any]:
    try:
        return json.loads((work / "run.json").read_text())
    except (OSError, ValueError):
        return {}


def _plan_work(
    work: Path, record: dict[str, Any], clip: Clip, size: tuple[int, int], resume: bool, overwrite: bool
) -> int:
    """Frames already done, after checking the work folder against this run.

    Raises:
        OptionError: Both ``resume`` and ``overwrite``; nothing to resume; a work
            folder of another clip or size; unfinished work a fresh run would lose.
    """
    if resume and overwrite:
        raise OptionError("{resume} and {overwrite}: choose one", "resume", "overwrite")
    if overwrite and work.exists():
        shutil.rmtree(work)
    if not work.exists():
        if resume:
            raise OptionError(f"{{resume}}: {work} does not exist; there is no run to continue", "resume")
        return 0
    if not resume:
        raise OptionError(
            f"{work} holds the finished frames of an unfinished run; continue it with {{resume}}, "
            "or start again with {overwrite}",
            "resume",
            "overwrite",
        )
    if record.get("frames") != clip.frames or record.get("size") != list(size):
        raise OptionError(
            f"{{resume}}: {work} belongs to another run ({record.get('frames')} frames at {record.get('size')}, "
            f"this clip {clip.frames} frames at {list(size)})",
            "resume",
        )
    return _done_frames(work, clip.frames)


def _resized(clip: Clip, size: tuple[int, int]) -> Iterator[Image.Image]:
    for image in read_frames(clip):
        yield resize(image, size)


def _load(work: Path, index: int) -> Image.Image:
    with Image.open(_frame_path(work, index)) as image:
        return image.convert("RGB")


def _saved(work: Path, count: int) -> Iterator[Image.Image]:
    return (_load(work, index) for index in range(count))


def _temporal_start(
    previous_input: np.ndarray, current: np.ndarray, previous_output: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The previous stylized frame warped onto the current frame, and the mask where
    the flow is trusted: ``((H, W, 3) float32 0-1, (H, W) float32 0/1)``. Bicubic: a
    bilinear warp blurs the strokes a little more at every frame (docs/video.md)."""
    back = optical_flow(current, previous_input)
    mask = consistency_mask(back, optical_flow(previous_input, current))
    return warp(previous_output.astype(np.float32) / 255, back, bicubic=True).clip(0, 1), mask


def stylize_video(
    source: str | Path,
    styles: ImageSource | Sequence[ImageSource],
    output: str | Path,
    config: StyleConfig | None = None,
    *,
    method: str = "optimize",
    model: str | None = None,
    blend: float = DEFAULT_BLEND,
    temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT,
    later_steps: int | None = None,
    crf: int | None = None,
    fps: Fraction | float = DEFAULT_FOLDER_FPS,
    resume: bool = False,
    overwrite: bool = False,
    callback: Callable[[FrameEvent], None] | None = None,
    step_callback: ProgressCallback | None = None,
    stop: api.StopSignal | None = None,
    **overrides: Any,
) -> VideoResult:
    """Stylize every frame of a clip and write it with the source's timing and sound.

    Args:
        source: A video file, an animated GIF/APNG/WebP, or a folder of numbered
            frames (:func:`~stylegram.video.frames.probe`).
        styles: One style image or several (blended), as for :func:`stylegram.run`;
            none (``()``) for the fast method, whose model holds its style.
        output: ``.mp4`` / ``.mov`` / ``.mkv`` (H.264), ``.webm`` (VP9), ``.gif``,
            or a new folder for PNG frames (:mod:`~stylegram.video.writer`).
        config: Settings of each frame's run (``size`` by the main command's rule,
            applied to the displayed frame; ``steps`` for the first frame).
        method: One of :data:`METHODS`.
        model: For ``fast``: a model file or built-in name (:func:`stylegram.fast.load_model`).
        blend: For ``fast``: the weight (0-1) of the warped previous output on the
            trusted pixels; 0 stylizes every frame on its own.
        temporal_weight: Weight of the temporal loss; 0 stylizes every frame on its
            own with the full ``steps`` (the per-frame baseline).
        later_steps: Iterations of each frame after the first (default
            :func:`later_steps_for`); ignored when ``temporal_weight`` is 0.
        crf: Encoder quality (:func:`~stylegram.video.writer.write_clip`).
        fps: Frame rate of a folder of frames, frames per second.
        resume: Continue the unfinished run whose frames are in :func:`work_folder`.
        overwrite: Discard such a run and start again.
        callback: Called with a :class:`FrameEvent` after each frame.
        step_callback: Called with each frame's iteration events.
        stop: A cancel signal (see :func:`stylegram.run`), checked every iteration.
        **overrides: Fields of ``StyleConfig`` to change.

    Returns:
        A :class:`VideoResult`.

    Raises:
        VideoReadError: The clip is not a video, has no frames, is truncated or
            corrupt, or its codec is unsupported; checked before anything is written.
        OutputPathError: The output cannot be written (checked first too).
        OptionError: A bad setting, an unknown ``method``, styles and model not as
            the method needs, nothing to resume, or unfinished work in the work
            folder that a fresh run would lose.
        ModelFileError: The fast method's model cannot be loaded.
        Interrupted: Ctrl+C (or SIGTERM in the CLI); the frames done are written to
            ``output`` as a playable clip and kept for ``resume``; the message says so.
        Cancelled: ``stop`` was set; the same as for ``Interrupted``.
        The other errors of :func:`stylegram.run`.
    """
    if method not in METHODS:
        raise OptionError(f"{{method}}: unknown method '{method}'; choose one of {', '.join(METHODS)}", "method")
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    if method == "fast" and (style_list or not model):
        raise OptionError(
            "{model}: the fast method paints with a trained model's style: give {model} and no style image",
            "model",
        )
    if method == "optimize" and model:
        raise OptionError("{model}: a model is for {method} fast only", "model", "method")
    if not 0 <= blend <= 1:
        raise OptionError(f"{{blend}}: must be from 0 to 1, got {blend}", "blend")
    if temporal_weight < 0 or not np.isfinite(temporal_weight):
        raise OptionError(f"{{temporal_weight}}: must be a number >= 0, got {temporal_weight}", "temporal_weight")
    if later_steps is not None and later_steps < 1:
        raise OptionError(f"{{later_steps}}: must be at least 1, got {later_steps}", "later_steps")
    config = config or StyleConfig()
    config = config.with_options(**overrides) if overrides else config
    output = Path(output)
    api.check_output_not_input(output, source, *style_list)
    clip = probe(source, fps=fps)
    check_video_output(output)
    size = output_size(*clip.size, config.size, str(clip.path))  # a size error names the clip, not "<image>"
    device = resolve_device(config.device)
    if method == "fast":  # every input checked (the model read) before the work folder is made
        from .. import fast

        fast_model = fast.load_model(model or "")
        consistent, first_steps, later = blend > 0, 0, 0
    else:
        inputs = api.load_inputs(next(read_frames(clip)), style_list, config)
        size, consistent, first_steps = inputs.size, temporal_weight > 0, config.steps
        later = (later_steps or later_steps_for(config.steps)) if consistent else config.steps
    work = work_folder(output)
    done = _plan_work(work, _record(work), clip, size, resume, overwrite)
    work.mkdir(exist_ok=True)
    record = {
        "version": __version__,
        "source": str(source),
        "frames": clip.frames,
        "size": list(size),
        "method": method,
        "model": model,
        "blend": blend if method == "fast" else None,
        "settings": config.to_dict(),
        "temporal_weight": temporal_weight,
        "later_steps": later,
        "crf": crf,
    }
    (work / "run.json").write_text(json.dumps(record))
    if method == "fast":
        paint = _fast_painter(fast_model, device, blend, config.preserve_color)
    else:
        paint = _optimize_painter(inputs, config, device, temporal_weight, later, step_callback, stop)

    start, later_seconds = time.perf_counter(), []
    previous: tuple[np.ndarray, np.ndarray] | None = None  # (input, output) of the last frame, uint8
    try:
        for index, frame in enumerate(_resized(clip, size)):
            if index < done:
                if index == done - 1:
                    previous = (np.asarray(frame), np.asarray(_load(work, index)))
                continue
            frame_start = time.perf_counter()
            stylized, steps = paint(frame, previous if consistent else None)
            write_image(_frame_path(work, index), stylized)
            previous = (np.asarray(frame), np.asarray(stylized))
            seconds = time.perf_counter() - frame_start
            if index > 0:
                later_seconds.append(seconds)
            if callback is not None:
                # from the first frame alone, a later one costs its share of iterations (fast: the same)
                per_frame = float(np.mean(later_seconds)) if later_seconds else seconds * (later / first_steps if first_steps else 1)
                callback(FrameEvent(index + 1, clip.frames, seconds, per_frame, per_frame * (clip.frames - index - 1), steps))
    except (KeyboardInterrupt, Interrupted, Cancelled) as error:
        raise _stopped(error, output, clip, work, crf) from None
    write_clip(output, clip, _saved(work, clip.frames), clip.frames, crf=crf)
    shutil.rmtree(work)
    return VideoResult(
        output=output,
        frames=clip.frames,
        size=size,
        rate=clip.rate,
        audio=clip.audio and output.suffix.lower() in (".mp4", ".mov", ".mkv", ".webm"),
        first_steps=first_steps,
        later_steps=later,
        resumed_from=done,
        seconds=time.perf_counter() - start,
        seconds_per_frame=float(np.mean(later_seconds)) if later_seconds else 0.0,
        config=config,
        temporal_weight=temporal_weight if method == "optimize" else 0.0,
        method=method,
        blend=blend if method == "fast" else 0.0,
        audio_reencoded=reencodes_audio(output, clip),
    )


_Painter = Callable[[Image.Image, "tuple[np.ndarray, np.ndarray] | None"], "tuple[Image.Image, int]"]
"""Paints one frame given the previous frame's (input, output), uint8, or ``None`` for
none (the first frame, or per-frame mode); returns the frame and its iterations."""


def _fast_painter(loaded: Any, device: torch.device, blend: float, preserve_color: bool) -> _Painter:
    """The fast method's frames with ``loaded`` (a :class:`~stylegram.fast.FastModel`,
    moved to ``device``): the network's output, with the previous output warped onto
    the frame blended in by ``blend`` where the flow passes the forward-backward test."""
    from .. import fast

    loaded.net.to(device)

    def paint(frame: Image.Image, previous: tuple[np.ndarray, np.ndarray] | None) -> tuple[Image.Image, int]:
        painted = fast.stylize(loaded, frame, size=max(frame.size), preserve_color=preserve_color).convert("RGB")
        if previous is None:
            return painted, 0
        warped, mask = _temporal_start(previous[0], np.asarray(frame), previous[1])
        weight = blend * mask[..., None]
        mixed = weight * warped + (1 - weight) * (np.asarray(painted, dtype=np.float32) / 255)
        return Image.fromarray((mixed * 255).round().clip(0, 255).astype(np.uint8)), 0

    return paint


def _optimize_painter(
    inputs: api.Inputs,
    config: StyleConfig,
    device: torch.device,
    temporal_weight: float,
    later: int,
    step_callback: ProgressCallback | None,
    stop: api.StopSignal | None,
) -> _Painter:
    """The optimization method's frames (Ruder et al.): the first (or every, per-frame)
    the full run from the content; a later one ``later`` iterations at the output size
    from the warped previous output, with the temporal term on the trusted pixels."""
    dtype = resolve_precision(config.precision, device)
    network = encoder(config.weights, config.preprocessing, config.network_layers, config.pooling, str(device))
    style_images = [s.composited() for s in inputs.styles]
    later_config = config.with_options(steps=later, scales=(max(inputs.size),), init="content")

    def paint(frame: Image.Image, previous: tuple[np.ndarray, np.ndarray] | None) -> tuple[Image.Image, int]:
        frame_config, init, terms = config, None, ()
        if previous is not None:
            warped, mask = _temporal_start(previous[0], np.asarray(frame), previous[1])
            warped_t = torch.from_numpy(warped).permute(2, 0, 1)[None].to(device)
            term = TemporalTerm(
                luminance_image(warped_t) if config.preserve_color else warped_t,
                torch.from_numpy(mask)[None, None].to(device),
                temporal_weight,
            )
            frame_config, init, terms = later_config, to_pil(warped_t), (term,)
        result = transfer(
            network,
            frame_config,
            frame,
            style_images,
            inputs.size,
            device=device,
            autocast=dtype,
            generator=seed_generator(config.seed),
            init_image=init,
            callback=step_callback,
            stop=stop.is_set if stop is not None else None,
            extra_terms=terms,
        )
        return to_pil(result.image), frame_config.steps

    return paint


def _stopped(error: BaseException, output: Path, clip: Clip, work: Path, crf: int | None) -> StylegramError:
    """The error of a stopped run, once the frames done are written to ``output``."""
    done = _done_frames(work, clip.frames)
    if done:
        write_clip(output, clip, _saved(work, done), done, crf=crf)
        kept = f"wrote the {done} frames done to {output}; they are kept in {work} (continue with {{resume}})"
    else:
        kept = "no frame was finished, nothing written"
    message = f"stopped after frame {done} of {clip.frames}; {kept}"
    stopped: StylegramError = Cancelled(message, done) if isinstance(error, Cancelled) else Interrupted(message, done)
    stopped.fields = ("resume",)
    return stopped

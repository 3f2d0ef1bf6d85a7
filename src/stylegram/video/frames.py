"""Reading a clip's frames and timeline: video files (PyAV), animated images (Pillow)
and folders of numbered frames.

A clip is read twice: :func:`probe` decodes every frame once (streamed, nothing kept
but the timestamps) to count them and to find a truncated or corrupt file before any
output exists; :func:`read_frames` then yields the frames one at a time. Memory does
not grow with the clip's length. PyAV is imported here and in :mod:`.writer` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from PIL import Image, ImageSequence, UnidentifiedImageError

from ..errors import ImageReadError

__all__ = ["VideoReadError", "Clip", "probe", "read_frames", "FRAME_SUFFIXES", "ANIMATION_SUFFIXES", "DEFAULT_FOLDER_FPS"]

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
"""Image files a folder of numbered frames may hold."""

ANIMATION_SUFFIXES = (".gif", ".apng", ".webp", ".png")
"""Files read as animated images with Pillow (each frame's own duration kept)."""

DEFAULT_FOLDER_FPS = Fraction(25)
"""Frame rate given to a folder of numbered frames, which carries none, in frames per second."""


class VideoReadError(ImageReadError):
    """An input clip is missing, not a video, has no frames, is truncated or corrupt,
    or uses a codec this FFmpeg cannot decode.

    Attributes:
        path: The offending file or folder (a string).
    """


@dataclass(frozen=True)
class Clip:
    """What :func:`probe` learnt about a clip.

    Attributes:
        path: The clip (file or folder).
        kind: ``"video"`` (PyAV), ``"animation"`` (Pillow) or ``"folder"``.
        size: ``(width, height)`` in pixels as displayed (rotation applied).
        times: Each frame's presentation time in seconds from the clip's start,
            exact fractions, in display order; ``len(times)`` is the frame count.
        last_duration: How long the last frame shows, in seconds.
        rate: The nominal frame rate in frames per second (the average for a
            variable-rate clip).
        time_base: The unit of the source's timestamps, in seconds.
        rotation: Degrees the stored frames are turned (counter-clockwise) to display
            them; 0, 90, 180 or 270.
        audio: Whether the clip has an audio stream (copied into the output).
    """

    path: Path
    kind: str
    size: tuple[int, int]
    times: tuple[Fraction, ...]
    last_duration: Fraction
    rate: Fraction
    time_base: Fraction
    rotation: int
    audio: bool

    @property
    def frames(self) -> int:
        """The number of frames."""
        return len(self.times)

    @property
    def durations(self) -> tuple[Fraction, ...]:
        """How long each frame shows, in seconds (the gap to the next frame)."""
        gaps = [b - a for a, b in zip(self.times, self.times[1:])]
        return (*gaps, self.last_duration)


def _numbered(folder: Path) -> list[Path]:
    """The folder's frame files, ordered by the last number in each name."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES]

    def key(p: Path) -> tuple[int, str]:
        numbers = re.findall(r"\d+", p.stem)
        return (int(numbers[-1]) if numbers else -1, p.name)

    return sorted(files, key=key)


def _is_animation(path: Path) -> bool:
    if path.suffix.lower() not in ANIMATION_SUFFIXES:
        return False
    try:
        with Image.open(path) as image:
            return path.suffix.lower() == ".gif" or getattr(image, "is_animated", False)
    except (UnidentifiedImageError, OSError):
        return False


def _rotation(frame: object) -> int:
    """The frame's display rotation in degrees counter-clockwise, snapped to 0/90/180/270."""
    degrees = getattr(frame, "rotation", 0) or 0
    return int(round(degrees / 90)) % 4 * 90


def _turn(image: Image.Image, rotation: int) -> Image.Image:
    """``image`` turned ``rotation`` degrees counter-clockwise (as displayed)."""
    if rotation == 0:
        return image
    return image.rotate(rotation, expand=True)


def _fail(path: Path, problem: str) -> VideoReadError:
    return VideoReadError(f"{path}: {problem}", str(path))


def probe(path: str | Path, *, fps: Fraction | float = DEFAULT_FOLDER_FPS) -> Clip:
    """Read a clip's timeline and check that every frame decodes.

    Args:
        path: A video file FFmpeg reads (mp4, mov, webm, mkv, avi...), an animated
            GIF/APNG/WebP, or a folder of numbered frames (``frame_0001.png``...,
            ordered by the number).
        fps: The frame rate of a folder of frames, in frames per second (a folder
            carries none); ignored for files.

    Returns:
        A :class:`Clip`.

    Raises:
        VideoReadError: The path is missing, not a video, has zero frames, is
            truncated or corrupt, or needs a codec this FFmpeg lacks; frames of a
            folder differ in size.
    """
    path = Path(path)
    if path.is_dir():
        return _probe_folder(path, Fraction(fps))
    if not path.is_file():
        raise _fail(path, "no such file or folder")
    if _is_animation(path):
        return _probe_animation(path)
    return _probe_video(path)


def _probe_folder(folder: Path, fps: Fraction) -> Clip:
    files = _numbered(folder)
    if not files:
        raise _fail(folder, f"folder holds no frames ({', '.join(FRAME_SUFFIXES)} files)")
    size = None
    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
                if size is None:
                    size = image.size
                elif image.size != size:
                    raise _fail(file, f"frame is {image.size[0]}x{image.size[1]} px, the first frame {size[0]}x{size[1]} px")
        except (UnidentifiedImageError, OSError) as error:
            if isinstance(error, VideoReadError):
                raise
            raise _fail(file, f"cannot read this frame ({error})") from None
    assert size is not None
    step = 1 / fps
    return Clip(folder, "folder", size, tuple(i * step for i in range(len(files))), step, fps, step, 0, False)


def _probe_animation(path: Path) -> Clip:
    times: list[Fraction] = []
    elapsed = Fraction(0)
    duration = Fraction(1, 10)
    try:
        with Image.open(path) as image:
            size = image.size
            for frame in ImageSequence.Iterator(image):
                frame.load()
                times.append(elapsed)
                # GIF's unit is 10 ms; a missing or 0 delay shows as 100 ms in browsers.
                ms = frame.info.get("duration") or 100
                duration = Fraction(round(ms), 1000)
                elapsed += duration
    except (UnidentifiedImageError, OSError, EOFError) as error:
        raise _fail(path, f"cannot read this animated image ({error}); it may be truncated") from None
    if not times:
        raise _fail(path, "animated image has no frames")
    rate = len(times) / elapsed if elapsed else Fraction(10)
    return Clip(path, "animation", size, tuple(times), duration, Fraction(rate), Fraction(1, 1000), 0, False)


def _open_video(path: Path):  # -> av.container.InputContainer
    import av

    try:
        container = av.open(str(path))
    except av.error.FFmpegError as error:
        raise _fail(path, f"not a video FFmpeg can read, or a truncated one ({error.strerror or error})") from None
    if not container.streams.video:
        container.close()
        raise _fail(path, "has no video stream")
    return container


def _probe_video(path: Path) -> Clip:
    import av

    container = _open_video(path)
    with container:
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise _fail(path, "its video codec is not supported by this FFmpeg (no decoder)")
        base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1000)
        stamps: list[int] = []
        size, rotation, last = None, 0, None
        try:
            for index, frame in enumerate(container.decode(stream)):
                if size is None:
                    rotation = _rotation(frame)
                    size = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
                # A frame without a timestamp follows the previous one by a frame.
                stamps.append(frame.pts if frame.pts is not None else (stamps[-1] + 1 if stamps else 0))
                last = frame.duration
        except av.error.FFmpegError as error:
            raise _fail(path, f"cannot decode frame {len(stamps) + 1} ({error.strerror or error}); the file may be truncated or corrupt") from None
        if not stamps:
            raise _fail(path, f"video stream ({stream.codec_context.name}) has zero frames, or none that decode")
        declared = stream.frames
        if declared and len(stamps) < declared:
            raise _fail(path, f"file is truncated: its header lists {declared} frames, only {len(stamps)} decode")
        rate = Fraction(stream.average_rate) if stream.average_rate else Fraction(25)
        order = sorted(stamps)
        start = order[0]
        times = tuple((s - start) * base for s in order)
        last_duration = last * base if last else 1 / rate
        audio = bool(container.streams.audio)
    assert size is not None
    return Clip(path, "video", size, times, last_duration, rate, base, rotation, audio)


def read_frames(clip: Clip) -> Iterator[Image.Image]:
    """Yield the clip's frames in display order as ``RGB`` PIL images at ``clip.size``
    (rotation applied), one at a time.

    Raises:
        VideoReadError: A frame no longer decodes (the file changed since :func:`probe`).
    """
    if clip.kind == "folder":
        for file in _numbered(clip.path):
            with Image.open(file) as image:
                yield image.convert("RGB")
        return
    if clip.kind == "animation":
        with Image.open(clip.path) as image:
            for frame in ImageSequence.Iterator(image):
                yield frame.convert("RGB")
        return
    import av

    container = _open_video(clip.path)
    with container:
        try:
            for frame in container.decode(container.streams.video[0]):
                yield _turn(frame.to_image(), clip.rotation)
        except av.error.FFmpegError as error:
            raise _fail(clip.path, f"cannot decode a frame ({error.strerror or error})") from None

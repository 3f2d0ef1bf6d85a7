"""Writing a clip by the output's extension, with the source's timeline and sound.

``.mp4`` / ``.mov`` / ``.mkv``: H.264 (libx264), ``yuv420p`` so that every player
shows it; a frame size with an odd side cannot be subsampled 4:2:0, so it is written
``yuv444p`` instead (exact size kept; a few hardware players refuse 4:4:4).
``.webm``: VP9 ``yuv420p`` (odd sizes allowed). ``.gif``: FFmpeg's GIF encoder, frame
by frame, each frame with its own 256-colour palette (Pillow's median cut) and its
timestamp kept to GIF's 10 ms unit. Anything without one of these suffixes is a
folder of numbered PNG frames.

Each frame keeps its source timestamp (variable frame rates survive); the audio
stream's packets are copied untouched (remuxed, never re-encoded), interleaved with
the video as it is written so that memory does not grow with the clip's length. A
WebM holds only Opus or Vorbis, so other sound (AAC, MP3...) going into a ``.webm``
is the one case re-encoded: to Opus at 48 kHz (libopus), the source's channel layout
kept.
Files appear atomically: written beside the target under a temporary name, then
renamed.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

from PIL import Image

from ..errors import OutputPathError
from .frames import Clip

__all__ = ["CONTAINERS", "DEFAULT_CRF", "output_kind", "check_video_output", "reencodes_audio", "write_clip"]

CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
"""Video file suffixes and their FFmpeg muxers."""

DEFAULT_CRF = {"libx264": 18, "libvpx-vp9": 31}
"""Constant-rate-factor quality per encoder when none is given (lower is better)."""

_WEBM_AUDIO = ("opus", "vorbis")


def output_kind(path: str | Path) -> str:
    """``"video"``, ``"gif"`` or ``"folder"`` for an output path, by its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in CONTAINERS:
        return "video"
    if suffix == ".gif":
        return "gif"
    return "folder"


def reencodes_audio(path: str | Path, clip: Clip) -> bool:
    """Whether writing ``clip`` to ``path`` re-encodes its sound (to Opus: a ``.webm``
    output of a source whose audio is neither Opus nor Vorbis) instead of copying it."""
    if not clip.audio or Path(path).suffix.lower() != ".webm":
        return False
    import av

    with av.open(str(clip.path)) as container:
        return _needs_opus(".webm", container.streams.audio[0].codec_context.name)


def _needs_opus(suffix: str, codec: str) -> bool:
    return suffix == ".webm" and codec not in _WEBM_AUDIO


def check_video_output(path: str | Path) -> Path:
    """Check, before any work, that a clip can be written at ``path``.

    Raises:
        OutputPathError: Missing or read-only folder; a frames folder that already
            holds files; an existing folder where a file would go.
    """
    target = Path(path)
    kind = output_kind(target)
    parent = target.parent
    if not parent.is_dir():
        raise OutputPathError(f"{target}: folder {parent} does not exist", str(target))
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"{target}: folder {parent} is not writable", str(target))
    if kind == "folder":
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise OutputPathError(
                f"{target}: exists and is not an empty folder; a frames output needs a new folder "
                f"(or give a file name ending in {', '.join(sorted([*CONTAINERS, '.gif']))})",
                str(target),
            )
    elif target.is_dir():
        raise OutputPathError(f"{target}: is a folder, not a file name", str(target))
    return target


def _temporary(target: Path) -> Path:
    return target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"


def write_clip(
    path: str | Path, clip: Clip, frames: Iterable[Image.Image], count: int, *, crf: int | None = None
) -> Path:
    """Write ``count`` frames with the timestamps of the clip's first ``count`` frames.

    Args:
        path: The output (kind by extension, see the module notes). Replaced
            atomically if it exists.
        clip: The source: its timestamps, durations and audio stream.
        frames: ``RGB`` images of one size (odd sides allowed), in order; only the
            first ``count`` are read.
        count: How many frames to write, from 1 to ``clip.frames``; the audio is cut
            where the last of them ends (all of it for the whole clip).
        crf: Encoder quality (constant rate factor, lower is better), default
            :data:`DEFAULT_CRF`; ignored for GIF and frames.

    Returns:
        The path written.

    Raises:
        OutputPathError: The write failed; nothing is left at ``path`` from this call.
    """
    target = Path(path)
    kind = output_kind(target)
    temporary = _temporary(target)
    taken = _first(frames, count)
    try:
        if kind == "folder":
            temporary.mkdir()
            for index, image in enumerate(taken, 1):
                image.save(temporary / f"frame_{index:06d}.png")
            if target.is_dir():
                target.rmdir()  # empty: checked before the run
        elif kind == "gif":
            _write_gif(temporary, clip, taken)
        else:
            _write_video(temporary, target.suffix.lower(), clip, taken, count, crf)
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise OutputPathError(f"{target}: could not write the video ({error.strerror or error})", str(target)) from None
    except BaseException:
        _remove(temporary)
        raise
    return target


def _first(frames: Iterable[Image.Image], count: int) -> Iterator[Image.Image]:
    for index, image in enumerate(frames):
        if index == count:
            return
        yield image


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_gif(path: Path, clip: Clip, frames: Iterable[Image.Image]) -> None:
    """Stream ``frames`` into an endlessly looping GIF: each frame quantized to its own
    palette, shown from its source timestamp (in GIF's centiseconds, never two frames
    on one) until the next frame's, the last for its own duration."""
    import av
    import numpy as np

    images = iter(frames)
    image = next(images, None)
    if image is None:
        raise OutputPathError(f"{path}: no frames to write", str(path))
    with av.open(str(path), "w", format="gif") as output:
        stream = output.add_stream("gif", rate=100)
        stream.width, stream.height = image.size
        stream.pix_fmt = "pal8"
        stream.time_base = Fraction(1, 100)
        start = round(clip.times[0] * 100)
        shown = [-1]  # the last frame's start, in centiseconds

        def put(index: int, image: Image.Image) -> None:
            pts = max(round(clip.times[index] * 100) - start, shown[0] + 1)
            end = max(round((clip.times[index] + clip.durations[index]) * 100) - start, pts + 1)
            indexed = image.quantize(256)
            colours = np.asarray(indexed.getpalette()[: 3 * 256], np.uint8).reshape(-1, 3)
            palette = np.zeros((256, 4), np.uint8)  # ARGB
            palette[:, 0] = 255
            palette[: len(colours), 1:] = colours
            frame = av.VideoFrame.from_ndarray((np.asarray(indexed), palette), format="pal8")
            frame.pts, frame.time_base = pts, stream.time_base
            for packet in stream.encode(frame):
                packet.duration = end - pts
                output.mux(packet)
            shown[0] = pts

        put(0, image)
        for index, image in enumerate(images, 1):  # rebinding ``image``: no frame kept after its turn
            put(index, image)
        for packet in stream.encode(None):
            output.mux(packet)


def _write_video(
    path: Path, suffix: str, clip: Clip, frames: Iterable[Image.Image], count: int, crf: int | None
) -> None:
    import av

    codec = "libvpx-vp9" if suffix == ".webm" else "libx264"
    quality = DEFAULT_CRF[codec] if crf is None else crf
    end = clip.times[count - 1] + clip.durations[count - 1] if count < clip.frames else None
    images = iter(frames)
    first = next(images, None)
    if first is None:
        raise OutputPathError(f"{path}: no frames to write", str(path))
    source = av.open(str(clip.path)) if clip.audio else None
    try:
        with av.open(str(path), "w", format=CONTAINERS[suffix]) as output:
            video = _video_stream(output, codec, first.size, clip, quality)  # stream 0, audio after it
            audio = None
            if source is not None:
                reencode = _needs_opus(suffix, source.streams.audio[0].codec_context.name)
                audio = (_AudioToOpus if reencode else _AudioCopy)(source, output, end)
            for index, image in enumerate(itertools.chain([first], images)):
                frame = av.VideoFrame.from_image(image)
                frame.pts = round(clip.times[index] / video.time_base)
                frame.time_base = video.time_base
                packets = video.encode(frame)
                if audio is not None:
                    audio.until(clip.times[index])
                for packet in packets:
                    output.mux(packet)
            for packet in video.encode(None):
                output.mux(packet)
            if audio is not None:
                audio.until(end)
                audio.finish()
    finally:
        if source is not None:
            source.close()


def _video_stream(output, codec: str, size: tuple[int, int], clip: Clip, crf: int):  # -> av.VideoStream
    width, height = size
    odd = width % 2 or height % 2
    pixel_format = "yuv444p" if codec == "libx264" and odd else "yuv420p"
    options = {"crf": str(crf)}
    if codec == "libvpx-vp9":
        options["b"] = "0"  # constant quality
    rate = clip.rate.limit_denominator(1001000)
    stream = output.add_stream(codec, rate=rate, options=options)
    stream.width, stream.height, stream.pix_fmt = width, height, pixel_format
    stream.time_base = clip.time_base
    return stream


class _AudioCopy:
    """Copies the source's first audio stream's packets into ``output``, up to a time."""

    def __init__(self, source, output, end: Fraction | None) -> None:
        self.output = output
        self.end = end
        stream = source.streams.audio[0]
        self.stream = self._add_stream(stream)
        self.base = Fraction(stream.time_base)
        self.start = Fraction(stream.start_time or 0) * self.base
        self.packets = (p for p in source.demux(stream) if p.dts is not None)
        self.pending = None

    def until(self, time: Fraction | None) -> None:
        """Mux the packets that start before ``time`` seconds (``None``: to the end),
        never past the output's end."""
        while True:
            packet = self.pending or next(self.packets, None)
            self.pending = None
            if packet is None:
                return
            start = (Fraction(packet.pts if packet.pts is not None else packet.dts) * self.base) - self.start
            if self.end is not None and start >= self.end:
                return
            if time is not None and start > time:
                self.pending = packet
                return
            self._put(packet)

    def _add_stream(self, source_stream):  # -> the output's audio stream
        return self.output.add_stream_from_template(source_stream)

    def _put(self, packet) -> None:
        packet.stream = self.stream
        self.output.mux(packet)

    def finish(self) -> None:
        """Write what is still held back (nothing, for a copy)."""


class _AudioToOpus(_AudioCopy):
    """Re-encodes the source's first audio stream to Opus at 48 kHz (for WebM), in the
    encoder's frame size (20 ms), packet by packet as :class:`_AudioCopy` copies."""

    def _add_stream(self, source_stream):
        import av

        layout = source_stream.layout.name
        self.resampler = av.AudioResampler(format="s16", layout=layout, rate=48000)
        self.fifo = av.AudioFifo()
        return self.output.add_stream("libopus", rate=48000, layout=layout)

    def _put(self, packet) -> None:
        for frame in packet.decode():
            self._encode(self.resampler.resample(frame))

    def _encode(self, frames, flush: bool = False) -> None:
        for frame in frames:
            self.fifo.write(frame)
        size = self.stream.codec_context.frame_size or 960
        while self.fifo.samples >= size or (flush and self.fifo.samples):
            for packet in self.stream.encode(self.fifo.read(min(size, self.fifo.samples))):
                self.output.mux(packet)

    def finish(self) -> None:
        """Encode the samples still in the resampler and the FIFO, then flush the encoder."""
        self._encode(self.resampler.resample(None), flush=True)
        for packet in self.stream.encode(None):
            self.output.mux(packet)

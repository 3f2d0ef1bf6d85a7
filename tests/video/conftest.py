"""Clips made in the test with PyAV: a moving pattern with a sound track."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")

WIDTH, HEIGHT, FRAMES, RATE = 64, 48, 6, 12


def pattern(index: int, width: int = WIDTH, height: int = HEIGHT, shift: int = 2) -> np.ndarray:
    """A smooth colour pattern moved ``shift`` px right per frame: ``(H, W, 3)`` uint8."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x = x - shift * index
    red = 127 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    green = 127 + 100 * np.cos(x / 9.0 + y / 11.0)
    blue = 127 + 90 * np.sin((x + y) / 6.0)
    return np.stack([red, green, blue], axis=-1).clip(0, 255).astype(np.uint8)


def make_clip(
    path: Path, *, width: int = WIDTH, height: int = HEIGHT, frames: int = FRAMES, rate: int = RATE, audio: bool = True
) -> Path:
    """Write an H.264 clip of the moving pattern, with a 440 Hz AAC tone when ``audio``."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height = width + width % 2, height + height % 2
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, rate)
        sound = out.add_stream("aac", rate=8000, layout="mono") if audio else None
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(pattern(i, video.width, video.height), format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if sound is not None:
            samples = int(8000 * frames / rate)
            t = np.arange(samples, dtype=np.float32) / 8000
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024]
                chunk = np.pad(chunk, (0, 1024 - len(chunk)))[None, :]
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 8000, start
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return path


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "clip.mp4")

"""Time left in a coarse-to-fine run, from what its iterations have cost so far."""

from __future__ import annotations

from typing import Sequence

__all__ = ["TimeLeft"]


class TimeLeft:
    """Estimates the seconds left from measured iteration times.

    A scale's first iteration is slow (buffers and kernels are set up for the new
    size) and computing its targets costs time before it, so averaging the whole
    elapsed time over the work done overestimates at the start, most of all in a
    resumed run. Instead: the current scale's iterations cost what its latest
    iteration took; a later scale costs that per pixel times its area; setting up a
    later scale costs what this one's set-up cost per pixel.

    Args:
        sizes: ``(width, height)`` of each scale, in pixels.
        counts: Iterations to run at each scale.
    """

    def __init__(self, sizes: Sequence[tuple[int, int]], counts: Sequence[int]) -> None:
        self.pixels = [w * h for w, h in sizes]
        self.counts = list(counts)
        self.scale = 0
        self.setup_seconds = 0.0

    def scale_started(self, index: int, setup_seconds: float) -> None:
        """Scale ``index`` is ready after ``setup_seconds`` of set-up (targets)."""
        self.scale, self.setup_seconds = index, setup_seconds

    def __call__(self, step: int, step_seconds: float) -> float:
        """Seconds left after iteration ``step`` (1-based, within the current scale)
        that took ``step_seconds``."""
        index = self.scale
        per_pixel = step_seconds / self.pixels[index]
        setup_per_pixel = self.setup_seconds / self.pixels[index]
        left = (self.counts[index] - step) * step_seconds
        for pixels, count in zip(self.pixels[index + 1 :], self.counts[index + 1 :]):
            left += pixels * (count * per_pixel + setup_per_pixel)
        return left

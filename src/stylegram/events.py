"""Progress events: the seam between the optimization engine and its front ends.

The engine never prints; it calls a callback with a :class:`ProgressEvent` after
every iteration. The CLI draws a progress bar from them, the web app streams them.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["ProgressEvent", "ProgressCallback"]


@dataclass(frozen=True)
class ProgressEvent:
    """The state of a run after one optimizer iteration.

    Attributes:
        step: Iterations done so far over all scales (1-based).
        total_steps: Iterations the whole run will do over all scales.
        scale_index: Index of the current scale in the coarse-to-fine schedule (0-based).
        scale_count: Number of scales in the schedule.
        size: The current scale's image size as ``(width, height)`` in pixels.
        loss: The total weighted loss (float, unitless).
        losses: The weighted terms: ``{"content": .., "style": .., "tv": ..}``.
        elapsed: Seconds since the run started (model loading excluded).
        seconds_left: Estimated seconds to the end; the engine weighs the remaining
            iterations by their image area, since a full-size iteration costs more
            than a coarse one.
        image: A callable returning the current image as a ``PIL.Image.Image`` (RGB,
            at the current scale's size); rendering costs a copy, so front ends call
            it only when they show a preview.
    """

    step: int
    total_steps: int
    scale_index: int
    scale_count: int
    size: tuple[int, int]
    loss: float
    losses: dict[str, float]
    elapsed: float
    seconds_left: float
    image: Callable[[], Any] = field(repr=False, compare=False)


ProgressCallback = Callable[[ProgressEvent], None]

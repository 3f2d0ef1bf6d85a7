"""The coarse-to-fine schedule: which sizes to optimize at, and for how many steps.

Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer" (CVPR 2017),
section 6: optimizing first at low resolution and using the upsampled result to start
the next, larger scale converges much faster than starting at full size, since
each low-resolution iteration is cheap and fixes the picture's large structures.
"""

from __future__ import annotations

from ..config import MIN_SIDE
from ..image.convert import fit_long_side

__all__ = ["COARSEST", "default_scales", "scale_sizes", "split_steps"]

COARSEST = 256
"""Smallest long side in pixels of a coarse scale in the default schedule."""


def default_scales(long_side: int) -> tuple[int, ...]:
    """Long sides for an output of ``long_side`` px: half the output, then the output
    (``512 -> (256, 512)``); a single scale when half would be below :data:`COARSEST`.

    Two scales, not a longer pyramid: at 512 px output, after 100 iterations at the
    coarse scale(s) and 30 at 512 px, starting at 256 px gave a content error of 0.86
    where starting at 128 px (128, 256, 512) gave 0.98 and a grayscale SSIM to the
    content of 0.19 instead of 0.32 (``docs/performance.md``): the structure lost at
    128 px takes many costly full-size iterations to come back.

    No coarse scale below 256 px, so outputs under 512 px run at one scale (issue
    #14: at 256 px the 128 px start wiped out faces and buildings). Judged on five
    pairs at 256 px (``benchmarks/balance.py``), one scale with 80 iterations, in
    about the time of the old (128, 256) schedule's 150, kept the style distance
    (0.30 vs 0.29) with a lower content error (0.95 vs 1.12) and a grayscale SSIM of
    0.41 instead of 0.24.

    >>> default_scales(512), default_scales(700), default_scales(400)
    ((256, 512), (350, 700), (400,))
    """
    half = (long_side + 1) // 2
    return (half, long_side) if half >= COARSEST else (long_side,)


def scale_sizes(size: tuple[int, int], scales: tuple[int, ...] | None) -> list[tuple[int, int]]:
    """``(width, height)`` of each scale for an output of ``size``; the last is ``size``.

    Args:
        size: Output ``(width, height)`` in pixels.
        scales: Long sides in pixels, or ``None`` for :func:`default_scales`. Entries
            at or above the output's long side are dropped: the last scale is the output.
            So are coarse scales whose short side would be below ``MIN_SIDE`` pixels.
    """
    width, height = size
    long_side = max(size)
    chosen = default_scales(long_side) if scales is None else scales
    coarse = [fit_long_side(width, height, s) for s in sorted(chosen) if s < long_side]
    # A panorama's coarse scales can fall below what VGG19's pooling needs: skip them.
    return [s for s in coarse if min(s) >= MIN_SIDE] + [size]


def split_steps(steps: int, count: int) -> list[int]:
    """Share ``steps`` among ``count`` scales, halving from each scale to the next
    finer one (a finer iteration costs about 4x more); every scale gets at least 1.

    >>> split_steps(300, 2)
    [200, 100]
    """
    shares = [2.0 ** (count - 1 - i) for i in range(count)]
    total = sum(shares)
    counts = [max(1, int(steps * share / total)) for share in shares]
    counts[0] += steps - sum(counts)
    return counts

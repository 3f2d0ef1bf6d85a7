"""The coarse-to-fine schedule: which sizes to optimize at, and for how many steps.

Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer" (CVPR 2017),
section 6: optimizing first at low resolution and using the upsampled result to start
the next, larger scale converges much faster than starting at full size, since
each low-resolution iteration is cheap and fixes the picture's large structures.
"""

from __future__ import annotations

from ..image.convert import fit_long_side

__all__ = ["COARSEST", "default_scales", "scale_sizes", "split_steps"]

COARSEST = 128
"""Long side in pixels of the first scale of the default schedule. An iteration at
128 px costs about 1/14 of one at 512 px on a CPU, and the finer scales restore the
content's structure (measured in ``docs/performance.md``)."""


def default_scales(long_side: int) -> tuple[int, ...]:
    """Long sides for an output of ``long_side`` px: from :data:`COARSEST` doubling up to
    the output, the first step shorter if needed (``512 -> (128, 256, 512)``,
    ``700 -> (128, 175, 350, 700)``); a single scale at or below ``COARSEST``.

    >>> default_scales(512), default_scales(700), default_scales(100)
    ((128, 256, 512), (128, 175, 350, 700), (100,))
    """
    scales = [long_side]
    while scales[0] > COARSEST:
        scales.insert(0, max(COARSEST, (scales[0] + 1) // 2))
    return tuple(scales)


def scale_sizes(size: tuple[int, int], scales: tuple[int, ...] | None) -> list[tuple[int, int]]:
    """``(width, height)`` of each scale for an output of ``size``; the last is ``size``.

    Args:
        size: Output ``(width, height)`` in pixels.
        scales: Long sides in pixels, or ``None`` for :func:`default_scales`. Entries
            at or above the output's long side are dropped: the last scale is the output.
    """
    width, height = size
    long_side = max(size)
    chosen = default_scales(long_side) if scales is None else scales
    sizes = [fit_long_side(width, height, s) for s in sorted(chosen) if s < long_side]
    return sizes + [size]


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

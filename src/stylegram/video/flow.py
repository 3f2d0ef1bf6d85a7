"""Optical flow between frames, warping along it, and where it can be trusted.

The flow is OpenCV's DIS (Kroeger et al., "Fast Optical Flow using Dense Inverse
Search", ECCV 2016), computed on the grayscale frames. The occlusion mask is the
forward-backward test of Ruder, Dosovitskiy & Brox, "Artistic style transfer for
videos" (GCPR 2016), section 3.2. OpenCV is imported here only.

Convention: ``flow[y, x] = (dx, dy)`` maps a pixel of frame ``a`` to where it is in
frame ``b`` (``a(p) ~ b(p + flow(p))``), in pixels. ``warp(b_image, flow)`` then
shows ``b``'s content at ``a``'s positions.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

__all__ = ["optical_flow", "warp", "consistency_mask", "warping_error"]


def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)


def optical_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from frame ``a`` to frame ``b`` (DIS, OpenCV's medium preset).

    Args:
        a: ``(H, W, 3)`` uint8 RGB frame.
        b: ``(H, W, 3)`` uint8 RGB frame of the same size.

    Returns:
        ``(H, W, 2)`` float32 ``(dx, dy)`` in pixels: ``a(p) ~ b(p + flow(p))``.
    """
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(_gray(a), _gray(b), None)


def _sample_grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height, width = flow.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return x + flow[..., 0], y + flow[..., 1]


def warp(image: np.ndarray, flow: np.ndarray, *, bicubic: bool = False) -> np.ndarray:
    """``image`` sampled at ``p + flow(p)`` (bilinear, or bicubic; edge pixels repeat outside).

    Args:
        image: ``(H, W, C)`` float32 or uint8 image (frame ``b``).
        flow: ``(H, W, 2)`` flow from frame ``a`` to frame ``b`` (:func:`optical_flow`).
        bicubic: Sample with OpenCV's bicubic kernel instead of bilinear: less blur
            when a result is warped again and again (the video's frame-to-frame
            start), but it may overshoot the input's range, so clip float images.
            The warping error (:func:`warping_error`, as Lai et al.) stays bilinear.

    Returns:
        ``(H, W, C)`` image of ``image``'s dtype: ``b`` moved onto ``a``'s pixels.

    >>> image = np.arange(12, dtype=np.float32).reshape(3, 4, 1)
    >>> flow = np.zeros((3, 4, 2), np.float32); flow[..., 0] = 1  # everything moved 1 px right
    >>> warp(image, flow)[..., 0].tolist()[0]
    [1.0, 2.0, 3.0, 3.0]
    """
    import cv2

    map_x, map_y = _sample_grid(flow)
    kernel = cv2.INTER_CUBIC if bicubic else cv2.INTER_LINEAR
    warped = cv2.remap(image, map_x, map_y, kernel, borderMode=cv2.BORDER_REPLICATE)
    return warped.reshape(image.shape)


def consistency_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Where the flow ``forward`` (``a`` to ``b``) can be trusted: 1, else 0.

    Ruder et al. 2016, section 3.2, with their constants: with ``w = forward`` and
    ``w~(p) = backward(p + w(p))`` (the way back, read where ``p`` lands), a pixel is
    occluded (disoccluded in ``b``) when ``|w + w~|^2 > 0.01 (|w|^2 + |w~|^2) + 0.5``,
    on a motion boundary when ``|grad w_x|^2 + |grad w_y|^2 > 0.01 |w|^2 + 0.002``,
    and also untrusted when ``p + w(p)`` leaves the frame.

    Args:
        forward: ``(H, W, 2)`` flow from ``a`` to ``b``.
        backward: ``(H, W, 2)`` flow from ``b`` to ``a``.

    Returns:
        ``(H, W)`` float32 mask of 0 and 1, at ``a``'s pixels.

    >>> still = np.zeros((4, 5, 2), np.float32)
    >>> consistency_mask(still, still).sum()  # no motion: every pixel trusted
    np.float32(20.0)
    """
    height, width = forward.shape[:2]
    back = warp(backward, forward)
    round_trip = ((forward + back) ** 2).sum(-1)
    size = (forward**2).sum(-1) + (back**2).sum(-1)
    occluded = round_trip > 0.01 * size + 0.5
    dy_x, dx_x = np.gradient(forward[..., 0])
    dy_y, dx_y = np.gradient(forward[..., 1])
    boundary = dx_x**2 + dy_x**2 + dx_y**2 + dy_y**2 > 0.01 * (forward**2).sum(-1) + 0.002
    map_x, map_y = _sample_grid(forward)
    outside = (map_x < 0) | (map_x > width - 1) | (map_y < 0) | (map_y > height - 1)
    return (~(occluded | boundary | outside)).astype(np.float32)


def warping_error(outputs: Iterable[np.ndarray], inputs: Iterable[np.ndarray]) -> float:
    """The warping error E_warp of Lai et al., "Learning Blind Video Temporal
    Consistency" (ECCV 2018), eq. 9: the mean over ``t >= 2`` of
    ``sum_p M_t(p) ||O_t(p) - warp(O_{t-1})(p)||^2 / sum_p M_t(p)``, RGB in 0-1.

    The flow from frame ``t`` to ``t - 1`` and the mask ``M_t`` come from the *input*
    frames (DIS and :func:`consistency_mask`, where Lai et al. use FlowNet2). Frames
    are read in pairs, so memory does not grow with the clip's length.

    Args:
        outputs: The stylized frames, ``(H, W, 3)`` uint8 RGB each.
        inputs: The input frames at the same size, ``(H, W, 3)`` uint8 RGB each.

    Returns:
        E_warp (unitless, 0 for a perfectly consistent clip); ``nan`` with fewer than
        two frames.

    Raises:
        ValueError: ``outputs`` and ``inputs`` differ in length or frame size.
    """
    errors: list[float] = []
    previous = None
    for output, source in zip(outputs, inputs, strict=True):
        if output.shape != source.shape:
            raise ValueError(f"output frame {output.shape} and input frame {source.shape} differ in size")
        if previous is not None:
            before_output, before_source = previous
            back = optical_flow(source, before_source)
            mask = consistency_mask(back, optical_flow(before_source, source))
            warped = warp(before_output.astype(np.float32) / 255, back)
            squared = ((output.astype(np.float32) / 255 - warped) ** 2).sum(-1)
            if mask.sum() > 0:
                errors.append(float((mask * squared).sum() / mask.sum()))
        previous = (output, source)
    return float(np.mean(errors)) if errors else float("nan")

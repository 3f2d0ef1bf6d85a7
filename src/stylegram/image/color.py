"""Colour preservation by luminance-only transfer.

Gatys, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in Neural Style
Transfer" (CVPR 2017), section 5.1: the style is transferred between the luminance
channels only (the style's luminance first matched to the content's mean and
standard deviation), then the result's luminance is combined with the content's
colour channels. We use the YIQ colour space, as the paper does.
"""

from __future__ import annotations

import torch

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "luminance_image", "match_luminance", "combine_luminance"]

_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.5959, -0.2746, -0.3213], [0.2115, -0.5227, 0.3112]]
)


def rgb_to_yiq(rgb: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB in 0-1 to YIQ (Y in 0-1, I about ±0.6, Q about ±0.52)."""
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ.to(rgb), rgb)


def yiq_to_rgb(yiq: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_yiq`; the result is not clamped."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ).to(yiq), yiq)


def luminance_image(rgb: torch.Tensor) -> torch.Tensor:
    """The luminance Y of ``(B, 3, H, W)`` RGB 0-1 repeated to 3 channels (a gray RGB image)."""
    return rgb_to_yiq(rgb)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Shift and scale the style's luminance to the content's mean and standard deviation.

    Both are gray ``(1, 3, H, W)`` images from :func:`luminance_image`; a flat style
    image (standard deviation 0) is only shifted. Result clamped to 0-1.
    """
    s_mean, s_std = style.mean(), style.std()
    c_mean, c_std = content.mean(), content.std()
    scale = c_std / s_std if s_std > 1e-6 else torch.ones_like(s_std)
    return ((style - s_mean) * scale + c_mean).clamp(0, 1)


def combine_luminance(luminance: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """Y of ``luminance`` with I and Q of ``colour`` (both ``(B, 3, H, W)`` RGB 0-1), as RGB 0-1."""
    yiq = rgb_to_yiq(colour)
    yiq[:, :1] = rgb_to_yiq(luminance)[:, :1]
    return yiq_to_rgb(yiq).clamp(0, 1)

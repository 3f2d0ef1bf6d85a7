"""Sizes, resizing and PIL <-> tensor conversion.

Tensors at this boundary are ``(1, 3, H, W)`` float32 RGB in 0-1. The size rule is
stated once here (:func:`fit_long_side`) and used by the CLI, API and web app.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..config import DEFAULT_SIZE, MIN_SIDE
from ..errors import ImageReadError, OptionError

__all__ = [
    "fit_long_side",
    "output_size",
    "resize",
    "to_tensor",
    "to_pil",
    "resize_tensor",
]


def fit_long_side(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The ``(width, height)`` whose long side is ``long_side`` pixels, aspect ratio kept.

    The short side is ``floor(short * long_side / long + 0.5)`` (rounded half up),
    at least 1. Example: 414x274 at 300 gives 300x199.

    >>> fit_long_side(414, 274, 300)
    (300, 199)
    """
    if width >= height:
        return long_side, max(1, int(height * long_side / width + 0.5))
    return max(1, int(width * long_side / height + 0.5)), long_side


def output_size(width: int, height: int, size: int | None, name: str = "<image>") -> tuple[int, int]:
    """The output size for a content image of ``width`` x ``height`` pixels.

    With ``size`` given, the long side becomes ``size`` (see :func:`fit_long_side`);
    without it the image keeps its own size, reduced to a long side of
    :data:`~stylegram.config.DEFAULT_SIZE` if larger (never upscaled).

    Raises:
        OptionError: ``size`` makes the short side smaller than ``MIN_SIDE`` pixels.
        ImageReadError: The image itself is smaller than ``MIN_SIDE`` pixels (or
            its aspect ratio is so extreme that the short side falls below it).
    """
    long_side = size if size is not None else min(max(width, height), DEFAULT_SIZE)
    fitted = fit_long_side(width, height, long_side)
    if min(fitted) < MIN_SIDE:
        # the short side rounds half up, so it reaches MIN_SIDE from MIN_SIDE - 0.5
        smallest = max(MIN_SIDE, math.floor((MIN_SIDE - 0.5) * max(width, height) / min(width, height)))
        while min(fit_long_side(width, height, smallest)) < MIN_SIDE:
            smallest += 1
        problem = (
            f"{name}: image is {width}x{height} px, which gives {fitted[0]}x{fitted[1]} px at "
            f"a long side of {long_side} px; each side must be at least {MIN_SIDE} px "
            f"(VGG19 halves the image four times); use {{size}} {smallest} or larger"
        )
        if size is not None:
            raise OptionError(f"{{size}}: {problem}", "size")
        raise ImageReadError(problem, name)
    return fitted


def resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resize a PIL image to ``(width, height)`` pixels with Lanczos filtering."""
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS)


def to_tensor(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """A ``RGB`` or ``L`` PIL image as a ``(1, C, H, W)`` float32 tensor in 0-1."""
    array = np.asarray(image, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """A ``(1, 3, H, W)`` tensor in 0-1 as an ``RGB`` PIL image.

    Values are clamped to 0-1 before rounding to 8 bits (never wrapped); NaN becomes 0.
    """
    array = tensor.detach()[0].float().nan_to_num(0.0).clamp(0, 1).mul(255).round()
    return Image.fromarray(array.to(torch.uint8).permute(1, 2, 0).cpu().numpy(), "RGB")


def resize_tensor(tensor: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a ``(B, C, H, W)`` tensor to ``(width, height)`` pixels (bicubic, antialiased
    when shrinking), clamped to 0-1."""
    width, height = size
    if tensor.shape[-2:] == (height, width):
        return tensor
    out = F.interpolate(tensor, size=(height, width), mode="bicubic", align_corners=False, antialias=True)
    return out.clamp(0, 1)

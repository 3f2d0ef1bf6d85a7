"""Applying a trained network: one forward pass per photo (PIL in, PIL out)."""

from __future__ import annotations

import math

import torch
from PIL import Image

from ..errors import OptionError
from ..image import ImageSource, output_size, read_image, resize, to_pil, to_tensor
from ..image.color import combine_luminance
from .model_file import FastModel

__all__ = ["stylize"]


def stylize(
    model: FastModel,
    photo: ImageSource,
    *,
    size: int | None = None,
    strength: float = 1.0,
    preserve_color: bool = False,
) -> Image.Image:
    """Paint ``photo`` with ``model`` in one pass of its network.

    Args:
        model: A loaded model (:func:`~stylegram.fast.load_model`); runs where its
            network is (the CPU unless moved), in fp32.
        photo: A path, PIL image or ``uint8`` array ``(H, W, 3)``.
        size: Long side of the result in pixels; default the photo's own size,
            reduced to 512 if larger (:func:`~stylegram.image.output_size`).
        strength: 0-1: the result is ``strength * stylized + (1 - strength) * photo``.
        preserve_color: Keep the photo's colours: the stylized luminance on the
            photo's chroma (YIQ, as in Gatys et al. 2017's luminance transfer).

    Returns:
        ``RGB`` (or ``RGBA``, the photo's alpha re-attached) of exactly the output size.

    Raises:
        ImageReadError: The photo cannot be read or is too small.
        OptionError: ``strength`` outside 0-1, or a ``size`` too small.
    """
    if not (math.isfinite(strength) and 0 <= strength <= 1):
        raise OptionError(f"{{strength}}: must be from 0 to 1, got {strength}", "strength")
    loaded = read_image(photo)
    target = output_size(*loaded.size, size, loaded.name)
    parameter = next(model.net.parameters())
    x = to_tensor(resize(loaded.composited(), target), parameter.device)
    with torch.no_grad():
        y = model.net(x)
        if preserve_color:
            y = combine_luminance(y, x)
        y = strength * y + (1 - strength) * x
    image = to_pil(y)
    if loaded.alpha is None:
        return image
    rgba = image.convert("RGBA")
    rgba.putalpha(resize(loaded.alpha, target))
    return rgba

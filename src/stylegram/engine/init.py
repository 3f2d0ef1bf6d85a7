"""The image the optimization starts from."""

from __future__ import annotations

import torch

from ..errors import OptionError

__all__ = ["initial_image"]


def initial_image(
    kind: str, content: torch.Tensor, style: torch.Tensor, generator: torch.Generator, image: torch.Tensor | None = None
) -> torch.Tensor:
    """The starting image, ``(1, 3, H, W)`` float32 RGB 0-1 on ``content``'s device.

    Args:
        kind: ``"content"`` (a copy of the content image; converges fastest and keeps
            the most structure), ``"noise"`` (uniform white noise, as in Gatys et al.
            2016; drawn from ``generator``, so a seed fixes it), ``"style"`` (the first
            style image stretched to the content's size), or ``"image"`` (``image``,
            e.g. a saved partial result to continue from).
        content: ``(1, 3, H, W)`` content image 0-1.
        style: A ``(1, 3, H', W')`` style image 0-1.
        generator: CPU random generator for the noise.
        image: The starting image for ``kind="image"``, already at ``(H, W)``.

    Raises:
        OptionError: An unknown ``kind``, or ``kind="image"`` without ``image``.
    """
    if kind == "noise":
        noise = torch.rand(content.shape, generator=generator, dtype=torch.float32)
        return noise.to(content.device)
    if kind == "style":
        from ..image.convert import resize_tensor

        return resize_tensor(style, (content.shape[-1], content.shape[-2])).clone()
    if kind == "image":
        if image is None:
            raise OptionError("{init}: a starting image was asked for but none was given", "init")
        return image.clone()
    if kind != "content":
        raise OptionError(f"{{init}}: unknown starting image '{kind}'; choose content, noise, style or a path", "init")
    return content.clone()

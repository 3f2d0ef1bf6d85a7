"""Input normalizations that travel with VGG19 weights.

Callers always give RGB images in 0-1; the encoder applies the preprocessing its
weights were trained with as its first layer.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import OptionError

__all__ = ["CaffePreprocessing", "TorchvisionPreprocessing", "preprocessing"]


class CaffePreprocessing(nn.Module):
    """RGB 0-1 to Caffe's VGG input: BGR, 0-255, ImageNet mean pixel subtracted.

    Mean pixel (B, G, R) = (103.939, 116.779, 123.68), from Simonyan & Zisserman's
    released Caffe model. Input ``(B, 3, H, W)`` float RGB 0-1; output the same shape.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1), persistent=False)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return rgb.flip(1) * 255.0 - self.mean


class TorchvisionPreprocessing(nn.Module):
    """RGB 0-1 to torchvision's ImageNet input: ``(x - mean) / std`` per channel.

    mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225). Input and output
    ``(B, 3, H, W)`` float.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return (rgb - self.mean) / self.std


def preprocessing(kind: str) -> nn.Module:
    """The preprocessing module for ``kind`` (``"caffe"`` or ``"torchvision"``).

    Raises:
        OptionError: Any other ``kind``.
    """
    kinds = {"caffe": CaffePreprocessing, "torchvision": TorchvisionPreprocessing}
    if kind not in kinds:
        raise OptionError(f"{{preprocessing}}: unknown value '{kind}'; choose one of caffe, torchvision", "preprocessing")
    return kinds[kind]()

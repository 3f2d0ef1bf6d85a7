"""The image transformation network of Johnson et al. with instance normalization.

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution" (ECCV 2016), supplementary table 1: a 9x9 convolution, two
stride-2 3x3 convolutions down, five residual blocks, two upsampling stages and a
9x9 convolution back to RGB. Normalization is instance normalization (Ulyanov,
Vedaldi & Lempitsky, "Instance Normalization: The Missing Ingredient for Fast
Stylization", 2016) instead of batch normalization.

Departures from the paper, each for a stated reason:

- Every convolution pads by reflection (as in Ulyanov et al. and most later code)
  instead of zero padding, which leaves dark borders.
- Upsampling is a nearest-neighbour resize followed by a 3x3 convolution, not a
  transposed convolution (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard
  Artifacts", Distill 2016). Each resize goes to the exact size of the matching
  feature map on the way down, so the output has exactly the input's size for any
  height and width (odd and prime included) without padding or cropping.
- The ``half`` width has half the channels in every layer (16/32/64): a quarter of
  the parameters and arithmetic, for speed and a model file under 1 MB in fp16.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import OptionError

__all__ = ["TransformerNet", "WIDTHS", "MIN_INPUT_SIDE"]

WIDTHS = {"full": 32, "half": 16}
"""Channels of the first layer by width name; the deeper layers have 2x and 4x as many."""

MIN_INPUT_SIDE = 8
"""Smallest input side in pixels: the 9x9 layers pad 4 pixels by reflection, which
needs at least 5, and the third level (a quarter of the side) needs at least 2."""

RESIDUAL_BLOCKS = 5


class _ConvLayer(nn.Sequential):
    """Reflection padding, convolution, then (unless ``last``) instance norm and ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, last: bool = False) -> None:
        layers: list[nn.Module] = [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(cin, cout, kernel, stride)]
        if not last:
            layers += [nn.InstanceNorm2d(cout, affine=True), nn.ReLU(inplace=True)]
        super().__init__(*layers)


class _ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))`` with 3x3 convolutions (He et al. 2016; Johnson et al. fig. 1)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _ConvLayer(channels, channels, 3),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network, fully convolutional.

    Args:
        width: ``"full"`` (32/64/128 channels, 1.68 M parameters, as in the paper)
            or ``"half"`` (16/32/64, 0.42 M).

    Input of :meth:`forward`: ``(B, 3, H, W)`` float RGB in 0-1, each side at least
    :data:`MIN_INPUT_SIDE` pixels. Output: ``(B, 3, H, W)`` float RGB in 0-1 (a scaled
    tanh, as in the paper), exactly the input's size.

    Raises:
        OptionError: An unknown ``width``; from :meth:`forward`, a side below
            :data:`MIN_INPUT_SIDE`.

    >>> net = TransformerNet("half")
    >>> net(torch.rand(1, 3, 13, 17)).shape
    torch.Size([1, 3, 13, 17])
    """

    def __init__(self, width: str = "full") -> None:
        super().__init__()
        if width not in WIDTHS:
            raise OptionError(f"{{width}}: unknown value '{width}'; choose one of {', '.join(WIDTHS)}", "width")
        self.width = width
        c = WIDTHS[width]
        self.down1 = _ConvLayer(3, c, 9)
        self.down2 = _ConvLayer(c, 2 * c, 3, stride=2)
        self.down3 = _ConvLayer(2 * c, 4 * c, 3, stride=2)
        self.residuals = nn.Sequential(*[_ResidualBlock(4 * c) for _ in range(RESIDUAL_BLOCKS)])
        self.up2 = _ConvLayer(4 * c, 2 * c, 3)
        self.up1 = _ConvLayer(2 * c, c, 3)
        self.out = _ConvLayer(c, 3, 9, last=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        if not torch.jit.is_tracing() and min(height, width) < MIN_INPUT_SIDE:
            raise OptionError(
                f"{{size}}: the image is {width}x{height} px; each side must be at least {MIN_INPUT_SIDE} px",
                "size",
            )
        a = self.down1(x)
        b = self.down2(a)
        y = self.residuals(self.down3(b))
        y = self.up2(F.interpolate(y, size=b.shape[-2:], mode="nearest"))
        y = self.up1(F.interpolate(y, size=a.shape[-2:], mode="nearest"))
        return (torch.tanh(self.out(y)) + 1) / 2

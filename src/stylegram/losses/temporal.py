"""The temporal loss of Ruder, Dosovitskiy & Brox, "Artistic style transfer for
videos" (GCPR 2016), eq. 6: the stylized frame stays close to the previous stylized
frame warped along the optical flow, wherever that flow can be trusted.

The warped frame and the mask are computed by the caller (:mod:`stylegram.video`
has the flow); this room never sees a flow field, only images.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .perceptual import LossInputs

__all__ = ["temporal_loss", "TemporalTerm"]


def temporal_loss(image: torch.Tensor, warped: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``sum_p c(p) ||x(p) - w(p)||^2 / D`` per image, ``D = 3 H W`` (Ruder et al. eq. 6).

    Args:
        image: ``(B, 3, H, W)`` float RGB 0-1, the frame being stylized.
        warped: ``(B, 3, H, W)`` or ``(1, 3, H, W)``: the previous stylized frame
            warped onto this frame's pixels.
        mask: ``(B, 1, H, W)`` or ``(1, 1, H, W)`` weights in 0-1: 1 where the flow is
            trusted, 0 at occlusions and motion boundaries.

    Returns:
        ``(B,)`` float32 values; 0 when the image equals the warped frame on the mask.

    >>> x = torch.zeros(1, 3, 2, 2); w = torch.ones(1, 3, 2, 2)
    >>> m = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])  # one trusted pixel of four
    >>> temporal_loss(x, w, m)  # 3 channels x 1 pixel x 1^2 / (3 * 4)
    tensor([0.2500])
    """
    difference = (image.float() - warped.float()) ** 2 * mask.float()
    return difference.flatten(1).sum(1) / image[0].numel()


@dataclass(frozen=True)
class TemporalTerm:
    """A :class:`~stylegram.losses.Term` holding one frame's warped previous result and mask.

    Args:
        warped: ``(1, 3, H, W)`` float RGB 0-1 at the frame's size (and device).
        mask: ``(1, 1, H, W)`` weights 0-1 (:func:`temporal_loss`).
        weight: The term's weight in the total.

    Raises:
        ValueError: From the call, when the image's size is not the warped frame's.
    """

    warped: torch.Tensor
    mask: torch.Tensor
    weight: float
    name: str = "temporal"
    layers: tuple[str, ...] = ()

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        if inputs.image.shape[-2:] != self.warped.shape[-2:]:
            raise ValueError(
                f"temporal term is for {tuple(self.warped.shape[-2:])} frames, got an image of {tuple(inputs.image.shape[-2:])}"
            )
        return temporal_loss(inputs.image, self.warped, self.mask)

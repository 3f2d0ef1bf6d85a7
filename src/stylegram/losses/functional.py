"""The losses of neural style transfer as pure tensor functions.

Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks"
(CVPR 2016). Features are ``(B, C, H, W)`` activations of one VGG19 layer; the losses
are float32 ``(B,)``, one value per image of the batch, whatever the input dtype (bf16
features are summed in float32), so a trainer can average them and an optimizer of
one image reads its single value.

Normalization, and how it departs from the paper: Gatys et al. weight each layer's
squared error by constants (``1/2`` for content, ``1/(4 N^2 M^2)`` for style) that
leave the layers' losses orders of magnitude apart and tie the weights to the
network's input scale (0-255 Caffe vs 0-1 torchvision). We divide each layer's
squared error by the squared norm of its target instead (a *relative* squared
error), so every layer starts near 1, the per-layer weights mean what they say, and
the same weights work for every weight source and image size.
"""

from __future__ import annotations

import torch

__all__ = ["gram_matrix", "content_loss", "style_loss", "total_variation", "relative_total_variation"]

_EPS = 1e-8


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of a layer's feature maps, divided by the number of positions.

    ``G[b, i, j] = sum_k F[b, i, k] F[b, j, k] / (H * W)`` for features ``F`` of shape
    ``(B, C, H, W)`` flattened to ``(B, C, H*W)``. Dividing by ``H * W`` (the paper's
    ``M_l``) makes Gram matrices of images of different sizes comparable, which the
    style image (resized by ``--style-scale``) and coarse-to-fine scales rely on.

    Returns:
        ``(B, C, C)`` float32.

    >>> gram_matrix(torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]]))
    tensor([[[ 2.5000,  5.5000],
             [ 5.5000, 12.5000]]])
    """
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w).float()
    return torch.bmm(flat, flat.transpose(1, 2)) / (h * w)


def _relative_squared_error(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``||x_b - t_b||^2 / ||t_b||^2`` per batch element ``b``: ``(B,)`` float32."""
    x, target = x.float().flatten(1), target.float().flatten(1)
    return (x - target).pow(2).sum(1) / (target.pow(2).sum(1) + _EPS)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared error between feature maps: ``||F - P||^2 / ||P||^2``.

    Args:
        features: ``(B, C, H, W)`` features of the image being optimized.
        target: Features of the content image, same shape.

    Returns:
        ``(B,)`` float32, 0 when equal, 1 for all-zero features.
    """
    return _relative_squared_error(features, target)


def style_loss(gram: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared Frobenius error between Gram matrices: ``||G - A||^2 / ||A||^2``.

    Args:
        gram: ``(B, C, C)`` Gram matrix of the image being optimized (:func:`gram_matrix`).
        target: The style's Gram matrix (or a blend of several), ``(1, C, C)`` or same shape.

    Returns:
        ``(B,)`` float32, 0 when the Gram matrices are equal.
    """
    return _relative_squared_error(gram, target.expand_as(gram))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (total variation, beta = 2).

    Mahendran & Vedaldi, "Understanding Deep Image Representations by Inverting Them"
    (CVPR 2015). Horizontal and vertical differences are each averaged, then summed.

    Args:
        image: ``(B, C, H, W)`` float, RGB 0-1.

    Returns:
        ``(B,)`` float32 in squared pixel units (0-1 scale); 0 for a flat image.
    """
    image = image.float()
    dx = (image[..., :, 1:] - image[..., :, :-1]).pow(2).flatten(1).mean(1)
    dy = (image[..., 1:, :] - image[..., :-1, :]).pow(2).flatten(1).mean(1)
    return dx + dy


def relative_total_variation(image: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Total variation of ``image`` relative to that of ``reference``: ``TV(x_b) / TV(r_b)``.

    Unitless, like the relative content and style losses: 1 means as rough as the
    reference (the content photo), 0 a flat image, so a TV weight compares with the
    content and style weights. A flat reference counts as a TV of 1/255^2 (one grey
    level between neighbours), not 0.

    Args:
        image: ``(B, C, H, W)`` RGB 0-1.
        reference: ``(B, C, H, W)`` or ``(1, C, H', W')`` RGB 0-1.

    Returns:
        ``(B,)`` float32.
    """
    return total_variation(image) / total_variation(reference).clamp_min(1 / 255**2)

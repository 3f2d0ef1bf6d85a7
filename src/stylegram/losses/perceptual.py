"""The perceptual loss as a weighted sum of pluggable terms.

One object serves every method: Gatys et al. (CVPR 2016) optimize one image against
it; Johnson et al. (ECCV 2016) and Ulyanov et al. (2016) train a feed-forward network
with the same terms over batches; video (Ruder et al., GCPR 2016) adds a temporal
term. A term reads what it needs from :class:`LossInputs` (the image, its features,
the content targets of this batch) and returns one unweighted value per batch
element; :class:`PerceptualLoss` weights, sums and averages them.

The terms never see a network: they take feature tensors, so this module does not
import :mod:`stylegram.models` (the caller runs the encoder). Style Gram targets are
computed once per style when a :class:`StyleTerm` is built and then kept; content
targets come with each call, so a trainer supplies them per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol, Sequence

import torch

from ..config import LossSettings
from .functional import content_loss, gram_matrix, relative_total_variation, style_loss

__all__ = ["LossInputs", "Term", "ContentTerm", "StyleTerm", "TotalVariationTerm", "PerceptualLoss", "gatys_terms"]

Layers = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class LossInputs:
    """What the terms of one loss evaluation see.

    Attributes:
        image: ``(B, 3, H, W)`` float RGB 0-1: the image being optimized, or a
            network's output batch.
        features: Its encoder features by layer name, ``(B, C, h, w)`` each.
        content_features: The content targets by layer name, ``(B, C, h, w)``
            (or ``(1, C, h, w)``, broadcast), for :class:`ContentTerm`.
        content_image: ``(B, 3, H, W)`` RGB 0-1 content images, for
            :class:`TotalVariationTerm`'s reference.
    """

    image: torch.Tensor
    features: Mapping[str, torch.Tensor]
    content_features: Mapping[str, torch.Tensor] = field(default_factory=dict)
    content_image: torch.Tensor | None = None


class Term(Protocol):
    """One term of a :class:`PerceptualLoss`.

    Attributes:
        name: The key of its value in the loss's terms (``"content"``, ``"style"``...).
        weight: Its weight in the total.
        layers: The encoder layers it reads from :attr:`LossInputs.features`.
    """

    name: str
    weight: float
    layers: tuple[str, ...]

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        """The unweighted term, ``(B,)`` float32."""
        ...


def _layer_names(layers: Layers) -> tuple[str, ...]:
    return tuple(name for name, _ in layers)


@dataclass(frozen=True)
class ContentTerm:
    """Feature reconstruction: ``sum_l w_l ||F_l - P_l||^2 / ||P_l||^2`` (relative, per image).

    Gatys et al. 2016 eq. 1 with the relative normalization of
    :func:`~stylegram.losses.functional.content_loss`; targets from
    :attr:`LossInputs.content_features`.

    Args:
        content_layers: ``(layer, weight)`` pairs, e.g. ``(("conv4_2", 1.0),)``.
        weight: The term's weight.
    """

    content_layers: Layers
    weight: float
    name: str = "content"

    @property
    def layers(self) -> tuple[str, ...]:
        return _layer_names(self.content_layers)

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        targets = inputs.content_features
        return sum(
            w * content_loss(inputs.features[n], targets[n].expand_as(inputs.features[n]))
            for n, w in self.content_layers
        )  # type: ignore[return-value]


class StyleTerm:
    """Gram matrix matching: ``sum_l w_l ||G_l - A_l||^2 / ||A_l||^2`` (relative, per image).

    Gatys et al. 2016 eq. 4-5 with :func:`~stylegram.losses.functional.style_loss`.
    The targets ``A_l`` (``(1, C, C)`` float32) are fixed when the term is built;
    :meth:`from_features` computes them once per style, blending several.

    Args:
        style_layers: ``(layer, weight)`` pairs.
        targets: ``A_l`` by layer name.
        weight: The term's weight.
    """

    name = "style"

    def __init__(self, style_layers: Layers, targets: Mapping[str, torch.Tensor], weight: float) -> None:
        missing = [n for n, _ in style_layers if n not in targets]
        if missing:
            raise ValueError(f"no Gram target for layers {missing}")
        self.style_layers = tuple(style_layers)
        self.targets = dict(targets)
        self.weight = weight

    @classmethod
    def from_features(
        cls, style_layers: Layers, features: Sequence[Mapping[str, torch.Tensor]], blend: Sequence[float], weight: float
    ) -> "StyleTerm":
        """The term for one or several style images, from their encoder features.

        Args:
            style_layers: ``(layer, weight)`` pairs.
            features: One feature dict per style image (``(1, C, h, w)`` each).
            blend: One weight per style image, summing to 1: the target is the
                blended Gram matrix ``sum_i b_i G_l(style_i)``.
            weight: The term's weight.
        """
        targets: dict[str, torch.Tensor] = {}
        for name, _ in style_layers:
            targets[name] = sum(b * gram_matrix(f[name]).detach() for f, b in zip(features, blend))  # type: ignore[assignment]
        return cls(style_layers, targets, weight)

    @property
    def layers(self) -> tuple[str, ...]:
        return _layer_names(self.style_layers)

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        return sum(
            w * style_loss(gram_matrix(inputs.features[n]), self.targets[n]) for n, w in self.style_layers
        )  # type: ignore[return-value]


@dataclass(frozen=True)
class TotalVariationTerm:
    """Smoothness: the image's total variation relative to the content image's.

    :func:`~stylegram.losses.functional.relative_total_variation`: unitless, 1 when
    the image is exactly as rough as the photo, so its weight compares with the
    content and style weights (a raw mean squared pixel difference is about 100x
    smaller than they are and its weight meant little).

    Args:
        weight: The term's weight.
    """

    weight: float
    name: str = "tv"
    layers: tuple[str, ...] = ()

    def __call__(self, inputs: LossInputs) -> torch.Tensor:
        if inputs.content_image is None:
            raise ValueError("the total variation term needs LossInputs.content_image")
        return relative_total_variation(inputs.image, inputs.content_image)


class PerceptualLoss:
    """``total = mean_b sum_t weight_t term_t(b)`` over pluggable terms.

    Args:
        terms: The terms, each with a distinct ``name``. A term of weight 0 is kept
            (its value is still reported) but costs a pass only if another needs it.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        names = [t.name for t in terms]
        if len(set(names)) != len(names):
            raise ValueError(f"term names must be distinct, got {names}")
        self.terms = tuple(terms)

    @property
    def layers(self) -> tuple[str, ...]:
        """Every encoder layer a term reads, in first-use order."""
        return tuple(dict.fromkeys(name for term in self.terms for name in term.layers))

    def __call__(self, inputs: LossInputs) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(total, {name: weighted term})``: float32 scalars, each the batch mean."""
        weighted = {t.name: t.weight * t(inputs).mean() for t in self.terms}
        return sum(weighted.values()), weighted  # type: ignore[return-value]


def gatys_terms(
    settings: LossSettings, style_features: Sequence[Mapping[str, torch.Tensor]], blend: Sequence[float]
) -> PerceptualLoss:
    """The loss of Gatys et al. (CVPR 2016) from ``settings``: content, style (Gram
    targets of the blended styles, computed here once) and relative total variation.

    The one place the settings become terms: the Gatys optimizer builds its loss
    here, and a feed-forward trainer can build the same loss once per style.

    Args:
        settings: Layers and weights (a :class:`~stylegram.config.StyleConfig` will do).
        style_features: For each style image, its encoder features by layer name,
            ``(1, C, h, w)`` each.
        blend: One weight per style image, summing to 1.
    """
    return PerceptualLoss(
        [
            ContentTerm(settings.content_layers, settings.content_weight),
            StyleTerm.from_features(settings.style_layers, style_features, blend, settings.style_weight),
            TotalVariationTerm(settings.tv_weight),
        ]
    )

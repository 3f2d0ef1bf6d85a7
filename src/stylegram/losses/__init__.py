"""Losses: Gram matrix, content, style and total variation as pure tensor functions,
and the perceptual loss built from them as pluggable weighted terms."""

from .functional import content_loss, gram_matrix, relative_total_variation, style_loss, total_variation
from .perceptual import ContentTerm, LossInputs, PerceptualLoss, StyleTerm, Term, TotalVariationTerm, gatys_terms

__all__ = [
    "ContentTerm",
    "LossInputs",
    "PerceptualLoss",
    "StyleTerm",
    "Term",
    "TotalVariationTerm",
    "content_loss",
    "gatys_terms",
    "gram_matrix",
    "relative_total_variation",
    "style_loss",
    "total_variation",
]

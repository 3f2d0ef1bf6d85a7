"""Losses: Gram matrix, content, style and total variation, as pure tensor functions."""

from .functional import content_loss, gram_matrix, style_loss, total_variation

__all__ = ["content_loss", "gram_matrix", "style_loss", "total_variation"]

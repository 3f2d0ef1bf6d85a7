"""The frozen VGG19 encoder a loss reads, built once per process and setting."""

from __future__ import annotations

import functools

import torch

from .preprocessing import preprocessing
from .vgg import VGG19
from .weights import load_weights

__all__ = ["encoder"]


@functools.lru_cache(maxsize=4)
def encoder(weights: str, prep: str, layers: tuple[str, ...], pooling: str, device: str) -> VGG19:
    """VGG19 from weight source ``weights`` (with ``prep``, see :func:`load_weights`),
    truncated after the deepest of ``layers``, on ``device``, channels-last; frozen
    (no parameter requires grad), so the optimizer, a trainer and several threads can
    share it. Cached: the same arguments return the same module.

    Raises:
        WeightsNotFoundError, OptionError: As :func:`load_weights` and :class:`VGG19`.
    """
    state, kind = load_weights(weights, prep)
    return VGG19(state, preprocessing(kind), layers, pooling).to(device, memory_format=torch.channels_last)

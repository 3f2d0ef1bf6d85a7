"""stylegram: neural style transfer (Gatys et al., CVPR 2016) from Python, the CLI and the web.

>>> from stylegram import stylize, StyleConfig                      # doctest: +SKIP
>>> stylize("photo.jpg", "painting.jpg", size=512).save("out.png")  # doctest: +SKIP

Importing stylegram loads torch lazily: only :func:`stylize` and :func:`run` need it.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .config import StyleConfig
from .errors import (
    Cancelled,
    ImageReadError,
    Interrupted,
    NonFiniteLossError,
    OptionError,
    OutOfMemoryError,
    OutputPathError,
    StylegramError,
    WeightsNotFoundError,
)
from .events import ProgressEvent

__all__ = [
    "Cancelled",
    "ImageReadError",
    "Interrupted",
    "NonFiniteLossError",
    "OptionError",
    "OutOfMemoryError",
    "OutputPathError",
    "ProgressEvent",
    "StyleConfig",
    "StyleResult",
    "StylegramError",
    "WeightsNotFoundError",
    "__version__",
    "run",
    "stylize",
]


def __getattr__(name: str) -> Any:
    if name in ("stylize", "run", "StyleResult"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'stylegram' has no attribute {name!r}")

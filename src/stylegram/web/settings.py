"""The server owner's settings for ``stylegram web``: address, queue and caps.

One frozen dataclass, the single home of these defaults: the ``stylegram web``
options are generated from its fields like the run options from
:class:`~stylegram.config.StyleConfig`. Standard library only, so
``stylegram --help`` does not import gradio.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import MIN_SIDE, option_field
from ..errors import OptionError

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """How the page is served and what one visitor may ask of the server.

    Raises:
        OptionError: From ``__post_init__``, for a value out of range; the message
            names the option as ``stylegram web`` spells it.
    """

    host: str = option_field(
        "127.0.0.1",
        "Address to listen on. The default (loopback) serves this machine only; "
        "0.0.0.0 serves every network interface.",
        "ADDRESS",
    )
    port: int = option_field(7860, "TCP port to listen on.", "PORT")
    max_upload_mb: float = option_field(20.0, "Largest upload accepted, in MB (2^20 bytes) per file.", "MB")
    max_pixels: int = option_field(
        50_000_000, "Largest input image accepted, in pixels (width x height), checked before decoding.", "N"
    )
    max_size: int = option_field(
        1024,
        "Largest output long side, in pixels. When the size is left empty, images "
        "whose automatic size is larger are reduced to it.",
        "PIXELS",
    )
    max_steps: int = option_field(1000, "Most iterations one run may ask for.", "N")
    concurrency: int = option_field(
        1, "Optimizations that run at the same time on the device; further jobs wait in the queue.", "N"
    )

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise OptionError(f"{{port}}: must be 1-65535, got {self.port}", "port")
        if not self.max_upload_mb > 0:
            raise OptionError(f"{{max_upload_mb}}: must be greater than 0, got {self.max_upload_mb}", "max_upload_mb")
        minimums = {"max_pixels": MIN_SIDE * MIN_SIDE, "max_size": MIN_SIDE, "max_steps": 1, "concurrency": 1}
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                raise OptionError(
                    f"{{{name}}}: must be at least {minimum}, got {getattr(self, name)}", name
                )

    @property
    def max_upload_bytes(self) -> int:
        """The upload cap in bytes."""
        return int(self.max_upload_mb * 2**20)


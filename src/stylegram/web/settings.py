"""The server owner's settings for ``stylegram web``: address, queue and caps.

One frozen dataclass, the single home of these defaults: the ``stylegram web``
options are generated from its fields like the run options from
:class:`~stylegram.config.StyleConfig`. Standard library only, so
``stylegram --help`` does not import gradio.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from ..config import MIN_SIDE, option_field
from ..errors import OptionError

__all__ = ["WebSettings", "PASSWORD_VARIABLE"]

PASSWORD_VARIABLE = "STYLEGRAM_WEB_PASSWORD"
"""The environment variable that holds the page's password (see ``WebSettings.password``)."""


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
    keep_minutes: float = option_field(
        60.0,
        "Minutes a visitor's files (uploads, previews, results) are kept at most; a job's "
        "results go as soon as its page is closed.",
        "MIN",
    )
    user: str = option_field("stylegram", "User name of the page's login (when a password is set).", "NAME")
    password_file: str = option_field(
        "",
        f"File whose first line is the page's password (or set ${PASSWORD_VARIABLE}). With a "
        "password the page asks for a login.",
        "PATH",
    )
    allow_unauthenticated: bool = option_field(
        False, "Serve beyond this machine (a --host other than loopback) without a password."
    )

    @property
    def loopback(self) -> bool:
        """Whether ``host`` serves this machine only."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def password(self) -> str | None:
        """The page's password: the first line of ``password_file``, else
        ``$STYLEGRAM_WEB_PASSWORD``, else ``None`` (no login). Never a command-line value,
        so it does not show in the process list or the shell history.

        Raises:
            OptionError: The file cannot be read or its first line is empty.
        """
        if self.password_file:
            try:
                lines = Path(self.password_file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                raise OptionError(f"{{password_file}}: cannot read {self.password_file} ({error})", "password_file") from None
            if not lines or not lines[0]:
                raise OptionError(f"{{password_file}}: the first line of {self.password_file} is empty", "password_file")
            return lines[0]
        return os.environ.get(PASSWORD_VARIABLE) or None

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise OptionError(f"{{port}}: must be 1-65535, got {self.port}", "port")
        if not self.max_upload_mb > 0:
            raise OptionError(f"{{max_upload_mb}}: must be greater than 0, got {self.max_upload_mb}", "max_upload_mb")
        if not self.keep_minutes > 0:
            raise OptionError(f"{{keep_minutes}}: must be greater than 0, got {self.keep_minutes}", "keep_minutes")
        if not self.loopback and not self.allow_unauthenticated and self.password() is None:
            raise OptionError(
                f"{{host}}: {self.host} serves the page beyond this machine; set a password "
                f"(${PASSWORD_VARIABLE} or {{password_file}}) or pass {{allow_unauthenticated}}",
                "host",
                "password_file",
                "allow_unauthenticated",
            )
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


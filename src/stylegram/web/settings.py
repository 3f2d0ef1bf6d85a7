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
from typing import Mapping

from ..config import MIN_SIDE, option_field
from ..errors import OptionError

__all__ = ["PASSWORD_VARIABLE", "WebSettings"]

PASSWORD_VARIABLE = "STYLEGRAM_WEB_PASSWORD"
"""The environment variable that may hold the password of ``--user``."""


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

    keep_minutes: int = option_field(
        60,
        "Minutes a visitor's files (uploads, previews, results) are kept at most; "
        "a job's results go as soon as the visitor's page is closed.",
        "MINUTES",
    )
    user: str = option_field(
        "",
        "Require a login with this user name (Gradio's login page). The password is read "
        f"from --password-file or the environment variable {PASSWORD_VARIABLE}, never from the command line.",
        "NAME",
    )
    password_file: str = option_field("", "File whose first line is the password of --user.", "PATH")
    allow_unauthenticated: bool = option_field(
        False, "Serve beyond loopback (--host) without a password: anyone who can reach the port may use the page.", ""
    )

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise OptionError(f"{{port}}: must be 1-65535, got {self.port}", "port")
        if not self.max_upload_mb > 0:
            raise OptionError(f"{{max_upload_mb}}: must be greater than 0, got {self.max_upload_mb}", "max_upload_mb")
        minimums = {"keep_minutes": 1, "max_pixels": MIN_SIDE * MIN_SIDE, "max_size": MIN_SIDE, "max_steps": 1, "concurrency": 1}
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                raise OptionError(
                    f"{{{name}}}: must be at least {minimum}, got {getattr(self, name)}", name
                )

    @property
    def max_upload_bytes(self) -> int:
        """The upload cap in bytes."""
        return int(self.max_upload_mb * 2**20)


    @property
    def loopback(self) -> bool:
        """Whether ``host`` serves this machine only."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: it may resolve to any interface
            return False

    def credentials(self, environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
        """``(user, password)`` for the login page, or ``None`` when no ``user`` is set.

        The password is the first line of ``password_file``, else the environment
        variable :data:`PASSWORD_VARIABLE`.

        Raises:
            OptionError: No password for the user, an unreadable or empty password
                file, a password file without a user, or no login on a non-loopback
                ``host`` without ``allow_unauthenticated``.
        """
        if not self.user:
            if self.password_file:
                raise OptionError("{password_file}: give the user name with {user}", "password_file", "user")
            if not (self.loopback or self.allow_unauthenticated):
                raise OptionError(
                    f"{{host}}: {self.host} serves beyond this machine; require a login with {{user}} "
                    f"(password in {{password_file}} or {PASSWORD_VARIABLE}), or pass {{allow_unauthenticated}}",
                    "host", "user", "password_file", "allow_unauthenticated",
                )
            return None
        if self.password_file:
            try:
                lines = Path(self.password_file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                raise OptionError(f"{{password_file}}: cannot read {self.password_file} ({error})", "password_file") from None
            password = lines[0] if lines else ""
            if not password:
                raise OptionError(f"{{password_file}}: {self.password_file} is empty", "password_file")
        else:
            password = environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise OptionError(
                    f"{{user}}: no password; put it in a file given with {{password_file}} or in {PASSWORD_VARIABLE}",
                    "user", "password_file",
                )
        return self.user, password

"""The exception hierarchy of stylegram.

Every error a user can cause is a :class:`StylegramError`, and each subclass is also
a subclass of the matching built-in exception, so callers may catch either
(``except OSError`` catches an unreadable image). Messages are one line that names
the file or option and the problem. The CLI maps these classes to exit codes in
one place (``stylegram.cli.main``): every :class:`StylegramError` exits with its
``exit_code`` (2 unless stated).
"""

from __future__ import annotations

__all__ = [
    "StylegramError",
    "ImageReadError",
    "OutputPathError",
    "OptionError",
    "WeightsNotFoundError",
    "OutOfMemoryError",
    "NonFiniteLossError",
    "Interrupted",
    "Cancelled",
]


class StylegramError(Exception):
    """Base class of all errors raised by stylegram for bad input or resources.

    Attributes:
        exit_code: The CLI exit status for this error (2: bad input or usage).
    """

    exit_code = 2
    partial = None
    """For errors raised during a run: the best image so far (``PIL.Image.Image``), if any."""


class _FileError(StylegramError, OSError):
    """An error about one file: OSError's ``str`` would prefix an errno, so keep the message."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0])


class ImageReadError(_FileError):
    """An input image is missing, unreadable, truncated, corrupt or unusable.

    Attributes:
        path: The offending file (a string), or ``None`` for an in-memory image.
    """


class OutputPathError(_FileError):
    """The output path cannot be written (missing or read-only folder, unknown format).

    Attributes:
        path: The offending output path.
    """


class OptionError(StylegramError, ValueError):
    """An option has a value out of range, of the wrong form, or an unknown choice.

    Attributes:
        option: The option's name as the user wrote it (``--style-weight``) or ``None``.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class WeightsNotFoundError(StylegramError, FileNotFoundError):
    """The network weights asked for are not on this machine.

    The message says which file was looked for, where, and where to put it.
    """


class OutOfMemoryError(StylegramError, MemoryError):
    """The requested image size does not fit in the memory of the chosen device."""


class NonFiniteLossError(StylegramError, FloatingPointError):
    """The loss became NaN or infinite during the optimization.

    Attributes:
        step: The iteration (1-based, counted over all scales) at which it happened.
    """

    def __init__(self, message: str, step: int = 0) -> None:
        super().__init__(message)
        self.step = step


class Interrupted(StylegramError):
    """The run was stopped by Ctrl+C (SIGINT) or SIGTERM; ``partial`` holds the best image so far.

    Attributes:
        step: Iterations done (over all scales) when it stopped.
    """

    exit_code = 130

    def __init__(self, message: str, step: int = 0) -> None:
        super().__init__(message)
        self.step = step


class Cancelled(StylegramError):
    """The run was cancelled through its stop signal (``stop=`` of
    :func:`stylegram.api.run`, e.g. a web visitor's Cancel); ``partial`` holds the best
    image so far, or ``None`` when it was cancelled before the first iteration.

    Distinct from :class:`Interrupted`, which is Ctrl+C or SIGTERM: a front end that
    cancels a job never has to raise ``KeyboardInterrupt`` in a worker thread.

    Attributes:
        step: Iterations done (over all scales) when it stopped.
    """

    exit_code = 130

    def __init__(self, message: str, step: int = 0) -> None:
        super().__init__(message)
        self.step = step

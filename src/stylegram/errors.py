"""The exception hierarchy of stylegram.

Every error a user can cause is a :class:`StylegramError`, and each subclass is also
a subclass of the matching built-in exception, so callers may catch either
(``except OSError`` catches an unreadable image). Messages are one line that names
the file or option and the problem. The CLI maps these classes to exit codes in
one place (``stylegram.cli.main``): every :class:`StylegramError` exits with its
``exit_code`` (2 unless stated).

The library does not speak in any front end's words: a message names a setting by
a ``{field}`` placeholder (a :class:`~stylegram.config.StyleConfig` field name, or
another setting's name such as ``resume``), listed in the error's ``fields``.
``str(error)`` shows the bare names; :meth:`StylegramError.render` lets each front
end show its own spelling (the CLI ``--style-weight``, the web page its label).
"""

from __future__ import annotations

from typing import Callable

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
    fields: tuple[str, ...] = ()
    """The settings the message names by ``{name}`` placeholders."""

    def render(self, name: Callable[[str], str] = str) -> str:
        """The message with each ``{field}`` placeholder spelt by ``name``.

        >>> OptionError("{steps}: must be at least 1", "steps").render(lambda n: "--" + n)
        '--steps: must be at least 1'
        """
        text = str(self.args[0]) if self.args else ""
        for field in self.fields:
            text = text.replace("{" + field + "}", name(field))
        return text

    def __str__(self) -> str:
        return self.render()


class _FileError(StylegramError, OSError):
    """An error about one file: OSError's ``str`` would prefix an errno, so keep the message."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ImageReadError(_FileError):
    """An input image is missing, unreadable, truncated, corrupt or unusable.

    Attributes:
        path: The offending file (a string), or ``None`` for an in-memory image.
    """

    fields = ("size",)  # a too-small or too-thin image suggests a {size} that works


class OutputPathError(_FileError):
    """The output path cannot be written (missing or read-only folder, unknown format).

    Attributes:
        path: The offending output path.
    """


class OptionError(StylegramError, ValueError):
    """An option has a value out of range, of the wrong form, or an unknown choice.

    ``OptionError("{scales}: 3 scales need at least 3 {steps}", "scales", "steps")``:
    the first name is the offending setting, the others are settings the message
    also names; each appears in the message as a ``{name}`` placeholder.

    Attributes:
        field: The offending setting's name (``style_weight``), or ``None``.
        fields: Every setting the message names (the placeholders to render).
    """

    def __init__(self, message: str, field: str | None = None, *others: str) -> None:
        super().__init__(message)
        self.field = field
        self.fields = tuple(name for name in (field, *others) if name)


class WeightsNotFoundError(StylegramError, FileNotFoundError):
    """The network weights asked for are not on this machine.

    The message says which file was looked for, where, and where to put it.
    """

    fields = ("weights",)


class OutOfMemoryError(StylegramError, MemoryError):
    """The requested image size does not fit in the memory of the chosen device.

    Its message names the ``{size}`` that would fit (``fields == ("size",)``).
    """

    fields = ("size",)


class NonFiniteLossError(StylegramError, FloatingPointError):
    """The loss became NaN or infinite during the optimization.

    Its message may name the settings to lower (``{lr}``, ``{style_weight}``, ...).

    Attributes:
        step: The iteration (1-based, counted over all scales) at which it happened.
    """

    fields = ("lr", "style_weight", "content_weight", "tv_weight")

    def __init__(self, message: str, step: int = 0) -> None:
        super().__init__(message)
        self.step = step


class _Stopped(StylegramError):
    """A run that stopped before its end (exit 130); ``step``: iterations done."""

    exit_code = 130

    def __init__(self, message: str, step: int = 0) -> None:
        super().__init__(message)
        self.step = step


class Interrupted(_Stopped):
    """The run was stopped by Ctrl+C (SIGINT) or SIGTERM; ``partial`` holds the best image so far.

    Attributes:
        step: Iterations done (over all scales) when it stopped.
    """


class Cancelled(_Stopped):
    """The run was cancelled through its stop signal (``stop=`` of
    :func:`stylegram.api.run`, e.g. a web visitor's Cancel); ``partial`` holds the best
    image so far, or ``None`` when it was cancelled before the first iteration.

    Distinct from :class:`Interrupted`, which is Ctrl+C or SIGTERM: a front end that
    cancels a job never has to raise ``KeyboardInterrupt`` in a worker thread.

    Attributes:
        step: Iterations done (over all scales) when it stopped.
    """

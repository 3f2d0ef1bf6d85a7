"""What the page's modes share about a visitor's input: messages shown as text, uploads
that are not images, and the pixel cap read from the file header."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ..errors import ImageReadError, OptionError, StylegramError
from ._gradio import gradio as gr
from .form import label

__all__ = ["check_pixels", "check_size", "page_error", "page_message", "readable_upload"]


def page_error(message: str) -> gr.Error:
    """A message for the visitor's page, shown as text (Gradio would render HTML in
    it: a file named ``<b>x</b>.jpg``), kept on screen until closed; the server log
    stays free of its traceback."""
    return gr.Error(html.escape(message), duration=None, print_exception=False)


def readable_upload(image: gr.Image) -> gr.Image:
    """Make an upload that is not an image a clean message on the page.

    Gradio opens the file while preprocessing, before the event runs; by default a
    failure there is shown as a bare "Error". This wraps the instance's method
    (subclassing ``gr.Image`` would make Gradio write a type stub next to this file).
    """
    preprocess = image.preprocess

    def checked(payload: Any) -> Any:
        try:
            return preprocess(payload)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            name = getattr(payload, "orig_name", None) or "the upload"
            raise page_error(f"{image.label}: {name} is not an image file, or a format Pillow cannot read") from None

    image.preprocess = checked  # type: ignore[method-assign]
    return image


def page_message(error: StylegramError) -> str:
    """The error as the visitor should read it: labels for flags, file names for server paths."""
    text = error.render(label)
    path = getattr(error, "path", None)
    return text.replace(path, Path(path).name) if path else text


def check_pixels(path: str, max_pixels: int) -> None:
    """Refuse an image with more than ``max_pixels`` pixels, reading only its header.

    Raises:
        ImageReadError: The image is too large. An unreadable file passes here: the
            reader that decodes it says what is wrong with it.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return
    if width * height > max_pixels:
        raise ImageReadError(
            f"{Path(path).name}: image is {width}x{height} px ({width * height:,} pixels); "
            f"this server accepts at most {max_pixels:,} pixels",
            path,
        )


def check_size(size: int | None, max_size: int) -> None:
    """Refuse an output long side (``size`` px; ``None``: automatic) above the server's ``max_size``.

    Raises:
        OptionError: ``size`` is above ``max_size``; the message names the page's size input.
    """
    if size is not None and size > max_size:
        raise OptionError(f"{{size}}: {size} px is above this server's limit of {max_size} px", "size")

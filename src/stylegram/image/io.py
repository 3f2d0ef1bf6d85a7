"""Reading any image a user has, and writing results so that no work is ever lost.

Reading turns a path, a ``PIL.Image.Image`` or a ``numpy`` array into an upright
8-bit sRGB image plus its alpha channel, whatever the file held: EXIF orientation
is applied, palette/grayscale/CMYK/16-bit/float modes are converted (16-bit values
divided by 257, not clipped), an embedded ICC profile is converted to sRGB with
Pillow's ImageCms, animated files give their first frame with a warning.

Writing is atomic: the image goes to a temporary file in the target folder, is
flushed to disk, then renamed over the target, so a reader never sees a half-written
file and an existing file is only replaced by a complete one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np
from PIL import Image, ImageCms, ImageOps, PngImagePlugin, UnidentifiedImageError

from ..errors import ImageReadError, OutputPathError

__all__ = [
    "ImageSource",
    "LoadedImage",
    "read_image",
    "check_output_path",
    "write_image",
    "flatten_alpha",
    "OUTPUT_FORMATS",
    "BACKGROUND",
    "MAX_PIXELS",
]

ImageSource = Union[str, os.PathLike, Image.Image, np.ndarray]

OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
"""Output formats, chosen by the file extension (case-insensitive)."""

BACKGROUND = (255, 255, 255)
"""The background (white, RGB 0-255) that a style image's alpha, and a content image's
alpha in a JPEG output, are composited onto."""

MAX_PIXELS = int(os.environ.get("STYLEGRAM_MAX_PIXELS", 200_000_000))
"""Decompression-bomb limit: images with more pixels are refused before decoding.
Set the environment variable ``STYLEGRAM_MAX_PIXELS`` or pass ``max_pixels``."""

_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class LoadedImage:
    """An input image, upright, 8-bit sRGB.

    Attributes:
        rgb: Mode ``RGB`` image; fully transparent pixels keep their stored colour.
        alpha: Mode ``L`` alpha channel (0 transparent to 255 opaque), or ``None``
            when the image has no transparency.
        name: The file path as given, or ``"<image>"`` for in-memory images; used in
            error messages.
    """

    rgb: Image.Image
    alpha: Image.Image | None
    name: str

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.rgb.size

    def composited(self, background: tuple[int, int, int] = BACKGROUND) -> Image.Image:
        """The RGB image with its alpha composited onto ``background`` (RGB 0-255)."""
        return flatten_alpha(self.rgb, self.alpha, background)


def flatten_alpha(
    rgb: Image.Image, alpha: Image.Image | None, background: tuple[int, int, int] = BACKGROUND
) -> Image.Image:
    """Composite an RGB image with an ``L`` alpha onto a solid background colour (0-255)."""
    if alpha is None:
        return rgb
    return Image.composite(rgb, Image.new("RGB", rgb.size, background), alpha)


def read_image(source: ImageSource, *, max_pixels: int | None = None) -> LoadedImage:
    """Read an image from a path, a PIL image or an array into upright 8-bit sRGB.

    Args:
        source: A file path (str or ``os.PathLike``; any name, non-ASCII included), a
            ``PIL.Image.Image`` in any mode, or a ``uint8`` array of shape ``(H, W)``,
            ``(H, W, 3)`` or ``(H, W, 4)`` (RGB/RGBA, 0-255).
        max_pixels: Refuse images with more pixels than this (decompression-bomb
            guard); default :data:`MAX_PIXELS`.

    Returns:
        The image as :class:`LoadedImage`.

    Raises:
        ImageReadError: The file is missing, not an image, truncated or corrupt, too
            large, or the array has an unsupported shape or dtype. The message names
            the file.
    """
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Image.Image):
        return _normalize(source, "<image>", limit)
    name = os.fspath(source)
    if not os.path.isfile(name):
        raise ImageReadError(f"file not found: {name}", name)
    try:
        with Image.open(name) as image:
            return _normalize(image, name, limit)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{name}: not an image file, or a format Pillow cannot read", name) from None
    except Image.DecompressionBombError:
        raise ImageReadError(_too_many_pixels(name, limit), name) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"{name}: image file is truncated or corrupt ({error})", name) from None


def _too_many_pixels(name: str, limit: int) -> str:
    return (
        f"{name}: image has more than {limit:,} pixels (decompression-bomb limit; "
        "raise it with STYLEGRAM_MAX_PIXELS)"
    )


def _normalize(image: Image.Image, name: str, limit: int) -> LoadedImage:
    width, height = image.size
    if width * height > limit:
        raise ImageReadError(_too_many_pixels(name, limit), name)
    if getattr(image, "n_frames", 1) > 1:
        warnings.warn(f"{name}: animated image, using its first frame", stacklevel=3)
        image.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image.load()
    image = ImageOps.exif_transpose(image)
    rgb, alpha = _to_rgb(image)
    if alpha is not None and alpha.getextrema() == (255, 255):
        alpha = None
    return LoadedImage(rgb, alpha, name)


def _to_rgb(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Split any Pillow mode into 8-bit RGB and an optional alpha."""
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        return _high_depth_to_rgb(image), None
    alpha = None
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        alpha = image.getchannel("A")
    elif mode == "L" and "transparency" in image.info:
        image = image.convert("LA")
        alpha = image.getchannel("A")
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            rgb = ImageCms.profileToProfile(image.convert("CMYK" if image.mode == "CMYK" else "RGB"), source, _SRGB, outputMode="RGB")
            return rgb, alpha
        except (ImageCms.PyCMSError, OSError):
            pass  # A broken profile: fall back to Pillow's plain conversion below.
    return image.convert("RGB"), alpha


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit modes: 16-bit ranges are divided by 257; float images in
    0-1 are scaled by 255, others clipped to 0-255."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        scaled = values * 255.0 if values.size and values.max() <= 1.0 else values
    else:
        scaled = values / 257.0 if values.size and values.max() > 255 else values
    gray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(gray, "L").convert("RGB")


def _from_array(array: np.ndarray) -> LoadedImage:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageReadError(
            f"<array>: expected a uint8 array of shape (H, W), (H, W, 3) or (H, W, 4), "
            f"got {array.dtype} {array.shape}"
        )
    image = Image.fromarray(np.ascontiguousarray(array))
    return _normalize(image, "<array>", MAX_PIXELS)


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Check, before any work, that an image can be written at ``path``.

    The extension picks the format (:data:`OUTPUT_FORMATS`); the folder must exist
    and accept a new file (tested by creating and removing a temporary file).

    Raises:
        OutputPathError: Unknown extension, missing folder, a folder at ``path``, or
            a folder that cannot be written.
    """
    target = Path(path)
    if target.suffix.lower() not in OUTPUT_FORMATS:
        known = ", ".join(sorted(OUTPUT_FORMATS))
        raise OutputPathError(f"{target}: unknown output format '{target.suffix}'; use one of {known}", str(target))
    folder = target.parent
    if not folder.is_dir():
        raise OutputPathError(f"{target}: folder {folder} does not exist", str(target))
    if target.is_dir():
        raise OutputPathError(f"{target}: is a folder, not a file name", str(target))
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".stylegram-check-"):
            pass
    except OSError:
        raise OutputPathError(f"{target}: folder {folder} is not writable", str(target)) from None
    return target


def write_image(
    path: str | os.PathLike[str],
    image: Image.Image,
    *,
    metadata: dict[str, Any] | None = None,
    background: tuple[int, int, int] = BACKGROUND,
) -> Path:
    """Write ``image`` atomically, in the format its extension names.

    Args:
        path: Target file; the folder must exist.
        image: ``RGB`` or ``RGBA`` image. An RGBA image written as JPEG is flattened
            onto ``background`` with a warning.
        metadata: Written as PNG text chunks (values JSON-encoded unless strings);
            ignored for other formats.
        background: RGB 0-255 colour behind transparent pixels in JPEG output.

    Returns:
        The path written.

    Raises:
        OutputPathError: Unknown extension, or the write failed (the message says
            why; any existing file is left as it was).
    """
    target = Path(path)
    fmt = OUTPUT_FORMATS.get(target.suffix.lower())
    if fmt is None:
        check_output_path(target)  # raises with the list of formats
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options["quality"] = 95
        if image.mode == "RGBA":
            warnings.warn(f"{target}: JPEG has no alpha; transparent areas flattened onto RGB {background}", stacklevel=2)
            image = flatten_alpha(image.convert("RGB"), image.getchannel("A"), background)
    elif fmt == "WEBP":
        options.update(lossless=False, quality=95)
    elif fmt == "PNG" and metadata:
        info = PngImagePlugin.PngInfo()
        for key, value in metadata.items():
            info.add_text(key, value if isinstance(value, str) else json.dumps(value))
        options["pnginfo"] = info
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            image.save(handle, format=fmt, **options)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise OutputPathError(f"{target}: could not write the image ({error})", str(target)) from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target

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

import contextlib
import io
import json
import os
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np
from PIL import Image, ImageChops, ImageCms, ImageOps, PngImagePlugin, UnidentifiedImageError

from ..config import suggest
from ..errors import ImageReadError, OptionError, OutputPathError

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
    "pixel_limit",
    "read_metadata",
]

ImageSource = Union[str, os.PathLike, Image.Image, np.ndarray, BinaryIO]

OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
"""Output formats, chosen by the file extension (case-insensitive)."""

BACKGROUND = (255, 255, 255)
"""The background (white, RGB 0-255) that a style image's alpha, and a content image's
alpha in a JPEG output, are composited onto."""

MAX_PIXELS = 178_956_970
"""Default decompression-bomb limit in pixels (width x height): larger images are
refused from their header, before any decoding. The environment variable
``STYLEGRAM_MAX_PIXELS`` or the ``max_pixels`` argument of :func:`read_image` changes it.
It equals Pillow's own refusal threshold (twice its default ``Image.MAX_IMAGE_PIXELS``),
so by default Pillow's process-wide setting is left alone; only a limit the user raises
above it raises Pillow's for the process (every decoder in it, a web server's too)."""

_SRGB = ImageCms.createProfile("sRGB")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def pixel_limit() -> int:
    """The decompression-bomb limit in force, in pixels: ``STYLEGRAM_MAX_PIXELS`` if
    set, else :data:`MAX_PIXELS`. Read at each call, so a server can change it.

    Raises:
        OptionError: The variable is set but is not a positive whole number.
    """
    text = os.environ.get("STYLEGRAM_MAX_PIXELS")
    if text is None:
        return MAX_PIXELS
    value = int(text) if text.strip().isdigit() else 0
    if value <= 0:
        raise OptionError(
            f"STYLEGRAM_MAX_PIXELS: '{text}' is not a positive whole number of pixels"
        )
    return value


@dataclass(frozen=True)
class LoadedImage:
    """An input image, upright, 8-bit sRGB.

    Attributes:
        rgb: Mode ``RGB`` image; fully transparent pixels keep their stored colour.
        alpha: Mode ``L`` alpha channel (0 transparent to 255 opaque), or ``None``
            when the image has no transparency.
        name: The file path as given, or ``"<image>"``/``"<array>"`` for in-memory
            images; used in error messages.
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

    Every Pillow mode is converted: ``1``/``L``/``P``/``LA``/``PA``/``RGBA``/``CMYK``/
    ``YCbCr``/``LAB``/``HSV`` by Pillow or ImageCms (CMYK JPEGs are taken as inverted
    only when they carry Adobe's APP14 marker, as Photoshop writes them); ``I;16*``
    divided by 257; ``I`` and ``F`` by their range (see :func:`_high_depth_to_rgb`).
    An embedded ICC profile is converted to sRGB; EXIF orientation is applied; an
    animated file gives its first frame and a warning (``UserWarning``).

    Args:
        source: A file path (str or ``os.PathLike``; any name, non-ASCII included), a
            binary file object (an upload; named by its ``name`` or ``"<stream>"``),
            a ``PIL.Image.Image`` in any mode (not yet loaded: truncation is found
            here), or an array of shape ``(H, W)``,
            ``(H, W, 3)`` or ``(H, W, 4)`` (gray/RGB/RGBA): ``uint8`` 0-255,
            ``uint16`` 0-65535 or float 0-1.
        max_pixels: Refuse images with more pixels than this (decompression-bomb
            guard, checked before decoding); default :func:`pixel_limit`.

    Returns:
        The image as :class:`LoadedImage`.

    Raises:
        ImageReadError: The file is missing, not an image, truncated or corrupt, has
            more pixels than the limit, or the array has an unsupported shape or
            dtype. The message is one line naming the file.
        OptionError: ``STYLEGRAM_MAX_PIXELS`` is malformed.
    """
    limit = pixel_limit() if max_pixels is None else max_pixels
    if isinstance(source, np.ndarray):
        return _normalize(_array_image(source), "<array>", limit)
    if isinstance(source, Image.Image):
        name, opened = "<image>", contextlib.nullcontext(source)  # the caller's image stays open
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if os.path.isdir(name):
            raise ImageReadError(f"{name}: is a folder, not an image file", name)
        if not os.path.isfile(name):
            raise ImageReadError(f"file not found: {name}", name)
        opened = None
    else:  # a binary file object, e.g. an upload
        given = getattr(source, "name", None)
        name, opened = (given if isinstance(given, str) else "<stream>"), None
    if Image.MAX_IMAGE_PIXELS is not None and limit > 2 * Image.MAX_IMAGE_PIXELS:
        # Pillow's own guard (an error above twice MAX_IMAGE_PIXELS) would override a
        # limit the user raised; ours is checked from the header in _normalize. Never
        # reached with the default limit (see MAX_PIXELS).
        Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            # Pillow warns from MAX_IMAGE_PIXELS up, without the file's name; our own
            # limit (checked in _normalize) is the one that applies.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with opened or Image.open(source) as image:
                return _normalize(image, name, limit)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{name}: not an image file, or a format Pillow cannot read", name) from None
    except Image.DecompressionBombError:
        raise ImageReadError(_too_many_pixels(name, limit), name) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        reason = " ".join(str(error).split())
        raise ImageReadError(f"{name}: image file is truncated or corrupt ({reason})", name) from None


def _too_many_pixels(name: str, limit: int) -> str:
    return (
        f"{name}: image has more than {limit:,} pixels (decompression-bomb limit; "
        "raise it with the environment variable STYLEGRAM_MAX_PIXELS)"
    )


def _normalize(image: Image.Image, name: str, limit: int) -> LoadedImage:
    width, height = image.size
    if width * height > limit:
        raise ImageReadError(_too_many_pixels(name, limit), name)
    if getattr(image, "n_frames", 1) > 1:
        warnings.warn(f"{name}: animated image, using its first frame", stacklevel=3)
        image.seek(0)
    source_format = image.format
    image.load()
    if image.mode == "CMYK" and source_format == "JPEG" and "adobe" not in image.info:
        # Pillow decodes every CMYK JPEG as Adobe's inverted CMYK; without the APP14
        # marker the file holds plain CMYK, so undo the inversion.
        image = ImageChops.invert(image)
    image = ImageOps.exif_transpose(image)
    rgb, alpha = _to_rgb(image)
    if alpha is not None and alpha.getextrema() == (255, 255):
        alpha = None
    return LoadedImage(rgb, alpha, name)


def _to_rgb(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Split any Pillow mode into 8-bit sRGB and an optional ``L`` alpha."""
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        return _high_depth_to_rgb(image), None
    alpha = None
    if mode in _ALPHA_MODES or "transparency" in image.info:
        with_alpha = image.convert("LA" if mode in ("L", "La", "LA") else "RGBA")
        alpha = with_alpha.getchannel("A")
        image = with_alpha.convert(with_alpha.mode[:-1])  # LA -> L, RGBA -> RGB
    elif mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")  # 1, P, YCbCr, LAB, HSV, RGBX ...
    icc = image.info.get("icc_profile")
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB"), alpha
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # A broken profile, or one for another colour space: plain conversion.
    return image.convert("RGB"), alpha


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    """16- and 32-bit gray modes to RGB, scaled, never clipped at the top.

    ``I;16*``: divided by 257 (65535 -> 255). ``I`` and ``F``: by their range: a
    maximum of at most 1 (float) means 0-1, at most 255 means 8-bit, at most 65535
    means 16-bit (Pillow opens some 16-bit files as ``I``); beyond that the image is
    scaled by its maximum. Negative values and NaN become 0.
    """
    values = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(values.max()) if values.size else 0.0
    if image.mode.startswith("I;16") or 255 < peak <= 65535:
        values = values / 257.0
    elif image.mode == "F" and peak <= 1.0:
        values = values * 255.0
    elif peak > 65535:
        values = values * (255.0 / peak)
    gray = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(gray, "L").convert("RGB")


def _array_image(array: np.ndarray) -> Image.Image:
    """A gray/RGB/RGBA array (uint8 0-255, uint16 0-65535 or float 0-1) as a PIL image."""
    channels = 1 if array.ndim == 2 else (array.shape[2] if array.ndim == 3 else 0)
    if channels not in (1, 3, 4) or array.dtype.kind not in "uf" or array.dtype.itemsize > 8:
        raise ImageReadError(
            "<array>: expected an array of shape (H, W), (H, W, 3) or (H, W, 4) of uint8, "
            f"uint16 or float 0-1, got {array.dtype} {array.shape}"
        )
    if array.dtype == np.uint16:
        array = np.rint(array / 257.0)
    elif array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ImageReadError("<array>: the float array holds NaN or infinite values")
        array = np.rint(np.clip(array, 0.0, 1.0) * 255.0)
    elif array.dtype != np.uint8:
        raise ImageReadError(f"<array>: unsupported dtype {array.dtype}; use uint8, uint16 or float 0-1")
    return Image.fromarray(np.ascontiguousarray(array.astype(np.uint8)))


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``stylegram`` record written into a PNG output (settings, ``steps_done``...).

    Returns:
        The decoded JSON object, or ``{}`` when the file has none (not a PNG written
        by stylegram).

    Raises:
        ImageReadError: The file is missing or cannot be read as an image.
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise ImageReadError(f"file not found: {name}", name)
    try:
        with Image.open(name) as image:
            text = getattr(image, "text", {}).get("stylegram")
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"{name}: cannot read the image ({error})", name) from None
    try:
        record = json.loads(text) if text else {}
    except ValueError:
        record = {}
    return record if isinstance(record, dict) else {}


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Check, before any work, that an image can be written at ``path``.

    The extension picks the format (:data:`OUTPUT_FORMATS`); the folder must exist
    and accept a new file (tested by creating and removing a temporary file).

    Raises:
        OutputPathError: Unknown extension, missing folder, a folder at ``path``, or
            a folder that cannot be written.
    """
    target = Path(path)
    extension = target.suffix.lower()
    if extension not in OUTPUT_FORMATS:
        known = sorted(OUTPUT_FORMATS)
        # "Did you mean" only for a typo: .bmp is a real format, not a misspelt .webp.
        hint = "" if extension in Image.registered_extensions() else suggest(extension, known)
        raise OutputPathError(
            f"{target}: unknown output format '{target.suffix}'; use one of {', '.join(known)}{hint}",
            str(target),
        )
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


def _temporary_beside(target: Path, mode: int = 0o666) -> tuple[Path, BinaryIO]:
    """A new, exclusive temporary file in ``target``'s folder, opened for writing.

    It is created with ``mode`` (0666 by default), which the kernel reduces by the
    umask, exactly as a plain ``open()`` of ``target`` would; when ``target`` exists it
    takes that file's mode instead. Nothing process-wide (such as ``os.umask``) is changed, so other
    threads (a web server's) never create files with the wrong mode meanwhile.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        name = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(name, flags, mode)
            break
        except FileExistsError:
            continue
    if target.exists():
        os.chmod(name, target.stat().st_mode & 0o777)
    return name, os.fdopen(fd, "wb")


def write_image(
    path: str | os.PathLike[str],
    image: Image.Image,
    *,
    metadata: dict[str, Any] | None = None,
    background: tuple[int, int, int] = BACKGROUND,
    private: bool = False,
) -> Path:
    """Write ``image`` atomically, in the format its extension names.

    Args:
        path: Target file; the folder must exist.
        image: ``RGB`` or ``RGBA`` image. An RGBA image written as JPEG is flattened
            onto ``background`` with a warning.
        metadata: Written as PNG text chunks (values JSON-encoded unless strings);
            ignored for other formats.
        background: RGB 0-255 colour behind transparent pixels in JPEG output.
        private: Create the file readable and writable by its owner only (0600),
            e.g. a web visitor's result on a shared machine.

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
    try:
        name, handle = _temporary_beside(target, 0o600 if private else 0o666)
    except OSError as error:
        raise OutputPathError(f"{target}: could not write the image ({error.strerror or error})", str(target)) from None
    try:
        with handle:
            image.save(handle, format=fmt, **options)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, target)
    except OSError as error:
        name.unlink(missing_ok=True)
        raise OutputPathError(f"{target}: could not write the image ({error.strerror or error})", str(target)) from None
    except BaseException:
        name.unlink(missing_ok=True)
        raise
    return target

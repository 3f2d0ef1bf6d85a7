"""Image I/O: reading any image into RGB + alpha, sizes, tensors, atomic writes."""

from .convert import fit_long_side, output_size, resize, resize_tensor, to_pil, to_tensor
from .io import (
    BACKGROUND,
    MAX_PIXELS,
    OUTPUT_FORMATS,
    ImageSource,
    LoadedImage,
    check_output_path,
    flatten_alpha,
    pixel_limit,
    read_image,
    read_metadata,
    write_image,
)

__all__ = [
    "BACKGROUND",
    "MAX_PIXELS",
    "OUTPUT_FORMATS",
    "ImageSource",
    "LoadedImage",
    "check_output_path",
    "flatten_alpha",
    "fit_long_side",
    "output_size",
    "pixel_limit",
    "read_image",
    "read_metadata",
    "resize",
    "resize_tensor",
    "to_pil",
    "to_tensor",
    "write_image",
]

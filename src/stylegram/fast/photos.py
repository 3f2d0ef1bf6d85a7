"""Training photos: the folder of photos, and random crops, scales and flips of them.

The default set is the twelve Kodak photos shipped in ``stylegram/fast/photos/``
(see its SOURCES.md); ``photos=DIR`` trains on a user's own folder instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from PIL import Image

from ..errors import OptionError
from ..image import read_image, to_tensor

__all__ = ["DEFAULT_PHOTOS", "PHOTO_SUFFIXES", "photo_paths", "PhotoCrops"]

DEFAULT_PHOTOS = Path(__file__).parent / "photos"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_SCALE = 1.5
"""Each crop is taken after resizing the photo so its short side is the crop side
times a random factor from 1 to this, so the network sees each scale of detail."""


def photo_paths(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """The image files in ``folder`` (default :data:`DEFAULT_PHOTOS`), sorted by name.

    Raises:
        OptionError: The folder does not exist or holds no .jpg, .jpeg, .png or .webp file
            (``field`` is ``photos``).
    """
    path = Path(folder) if folder is not None else DEFAULT_PHOTOS
    if not path.is_dir():
        raise OptionError(f"{{photos}}: {path} is not a folder", "photos")
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        raise OptionError(
            f"{{photos}}: {path} holds no photos ({', '.join(PHOTO_SUFFIXES)})", "photos"
        )
    return files


class PhotoCrops:
    """Random square crops of a set of photos, reproducible from a generator.

    Args:
        paths: The photo files (read once, here; alpha composited onto white).
        size: The crop side in pixels.

    Raises:
        ImageReadError: A photo cannot be read.
    """

    def __init__(self, paths: list[Path], size: int) -> None:
        self.size = size
        self.photos = [read_image(p).composited() for p in paths]

    def batch(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """``(count, 3, size, size)`` float32 RGB 0-1: for each, a random photo resized
        (Lanczos) to a short side of ``size`` x U(1, :data:`MAX_SCALE`), a random crop,
        and a horizontal flip with probability 1/2."""
        crops = []
        for _ in range(count):
            index = int(torch.randint(len(self.photos), (1,), generator=generator))
            scale = 1 + (MAX_SCALE - 1) * float(torch.rand((), generator=generator))
            crop = self._crop(self.photos[index], scale, generator)
            if float(torch.rand((), generator=generator)) < 0.5:
                crop = crop.flip(-1)
            crops.append(crop)
        return torch.cat(crops)

    def _crop(self, photo: Image.Image, scale: float, generator: torch.Generator) -> torch.Tensor:
        width, height = photo.size
        factor = self.size * scale / min(width, height)
        size = (max(self.size, round(width * factor)), max(self.size, round(height * factor)))
        resized = photo.resize(size, Image.Resampling.LANCZOS)
        left = int(torch.randint(size[0] - self.size + 1, (1,), generator=generator))
        top = int(torch.randint(size[1] - self.size + 1, (1,), generator=generator))
        return to_tensor(resized.crop((left, top, left + self.size, top + self.size)))

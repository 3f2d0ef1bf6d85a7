"""Batch fixtures: a folder of real photos (one of them corrupt), real style images,
and the tiny settings every batch test runs with (64 px, 2 iterations)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stylegram import StyleConfig

CASES = Path(__file__).resolve().parents[1] / "data" / "cases"
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "stylegram" / "examples"

TINY = StyleConfig(size=64, steps=2)
"""Settings of the test batches: a few seconds per job on a busy 2-core machine."""


@pytest.fixture()
def photos(tmp_path: Path) -> Path:
    """A folder with two real photos and a note that is not an image."""
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(CASES / "base_content_300x200.jpg", folder / "street.jpg")
    shutil.copy(CASES / "c07_content_prime_331x227.png", folder / "prime.png")
    (folder / "notes.txt").write_text("not a photo\n")
    return folder


@pytest.fixture()
def corrupt(photos: Path) -> Path:
    """A truncated JPEG added to the photos folder."""
    path = photos / "broken.jpg"
    shutil.copy(CASES / "c18_truncated.jpg", path)
    return path


@pytest.fixture(scope="session")
def styles(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two real style images: the bundled painting and a case file."""
    folder = tmp_path_factory.mktemp("styles")
    starry = folder / "starry.jpg"
    shutil.copy(EXAMPLES / "starry_night.jpg", starry)
    blocks = folder / "blocks.png"
    shutil.copy(CASES / "base_style_256x256.png", blocks)
    return [starry, blocks]


def leftovers(folder: Path) -> list[str]:
    """Temporary files of interrupted writes in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))

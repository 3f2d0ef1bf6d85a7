"""Never losing work: partial results on Ctrl+C and divergence, resuming, and the
rule that a run from scratch does not overwrite an unfinished run or checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from stylegram.cli import progress
from stylegram.image import read_metadata

RUN = ("--size", "64", "--save-every", "2", "--json")


@pytest.fixture()
def steps_seen(monkeypatch):
    """The iterations the progress bar was shown; ``stop_at`` makes it press Ctrl+C."""
    seen: list[int] = []
    control = {"stop_at": None}
    real = progress.ProgressBar.__call__

    def call(self, event):
        if event.step == control["stop_at"]:
            raise KeyboardInterrupt
        seen.append(event.step)
        real(self, event)

    monkeypatch.setattr(progress.ProgressBar, "__call__", call)
    return seen, control


@pytest.fixture()
def files(cases):
    return cases / "base_content_300x200.jpg", cases / "base_style_256x256.png"


def _interrupted_run(cli, files, out, steps_seen):
    seen, control = steps_seen
    control["stop_at"] = 4
    result = cli(*files, "-o", out, "--steps", 6, *RUN)
    control["stop_at"] = None
    seen.clear()
    return result


def test_ctrl_c_writes_current_image_with_progress_record(cli, files, tmp_path, steps_seen):
    out = tmp_path / "out.png"
    result = _interrupted_run(cli, files, out, steps_seen)
    assert result.exit_code == 130
    assert "\nstylegram: Ctrl+C: stopped after 3 of 6 iterations; wrote the image so far to" in result.stderr
    record = read_metadata(out)
    assert record["finished"] is False and record["steps_done"] == 3 and record["settings"]["steps"] == 6
    assert Image.open(out).size == (64, 43)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "out.step00002.png"]


def test_resume_continues_from_the_saved_iteration(cli, files, tmp_path, steps_seen):
    out = tmp_path / "out.png"
    _interrupted_run(cli, files, out, steps_seen)
    checkpoint = (tmp_path / "out.step00002.png").read_bytes()
    result = cli(*files, "-o", out, "--resume", "--save-every", "2", "--json")
    assert result.exit_code == 0, result.output
    assert steps_seen[0] == [4, 5, 6]  # continued, not restarted
    assert "resuming after 3" in result.stderr
    assert "| 3/6 [" in result.stderr and "| 0/6 [" not in result.stderr  # the bar starts at 3
    assert json.loads(result.stdout)["steps"] == 6
    record = read_metadata(out)
    assert record["finished"] is True and record["steps_done"] == 6
    assert record["settings"]["size"] == 64  # the saved settings were used
    assert (tmp_path / "out.step00002.png").read_bytes() == checkpoint  # old checkpoint kept
    assert (tmp_path / "out.step00004.png").exists() and (tmp_path / "out.step00006.png").exists()
    # A finished run can be extended by raising --steps.
    result = cli(*files, "-o", out, "--resume")
    assert result.exit_code == 2 and "already has 6 of 6 iterations; give a larger --steps" in result.stderr
    assert cli(*files, "-o", out, "--resume", "--steps", 7).exit_code == 0
    assert read_metadata(out)["steps_done"] == 7


def test_run_from_scratch_does_not_overwrite_unfinished_work(cli, files, tmp_path, steps_seen):
    out = tmp_path / "out.png"
    _interrupted_run(cli, files, out, steps_seen)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = cli(*files, "-o", out, "--steps", 6, *RUN)
    assert result.exit_code == 2
    assert "holds an unfinished run (3 iterations); continue it with --resume, or start again with --overwrite" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert cli(*files, "-o", out, "--steps", 2, *RUN, "--overwrite").exit_code == 0
    assert read_metadata(out)["finished"] is True


def test_continuing_by_hand_from_an_unfinished_out_is_allowed(cli, files, tmp_path, steps_seen):
    out = tmp_path / "out.png"
    _interrupted_run(cli, files, out, steps_seen)
    result = cli(*files, "-o", out, "--init", out, "--steps", 2, "--size", 64)
    assert result.exit_code == 0, result.output
    assert read_metadata(out)["finished"] is True


def test_checkpoints_are_not_overwritten_by_a_new_run(cli, files, tmp_path):
    out = tmp_path / "out.png"
    assert cli(*files, "-o", out, "--steps", 2, *RUN).exit_code == 0
    result = cli(*files, "-o", out, "--steps", 2, *RUN)
    assert result.exit_code == 2 and "--save-every: checkpoints of an earlier run exist (out.step00002.png...)" in result.stderr
    assert cli(*files, "-o", out, "--steps", 2, "--size", 64).exit_code == 0  # no checkpoints: allowed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--resume",), "--resume: {out} does not exist; there is no run to continue"),
        (("--resume", "--overwrite"), "--resume and --overwrite: choose one"),
    ],
)
def test_resume_errors(cli, files, tmp_path, args, message):
    out = tmp_path / "out.png"
    result = cli(*files, "-o", out, *args)
    assert result.exit_code == 2 and result.stderr.strip() == f"stylegram: error: {message.format(out=out)}"


def test_resume_needs_a_progress_record(cli, files, tmp_path):
    out = tmp_path / "out.png"
    Image.new("RGB", (64, 43)).save(out)
    result = cli(*files, "-o", out, "--resume")
    assert result.exit_code == 2 and f"has no stylegram progress record (only PNG outputs carry one); continue it with --init {out}" in result.stderr


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_divergence_stops_and_keeps_the_last_finite_image(cli, files, tmp_path, optimizer):
    out = tmp_path / "out.png"
    result = cli(*files, "-o", out, "--size", 64, "--steps", 50, "--style-weight", "1e300", "--optimizer", optimizer)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("stylegram: error: loss became inf at iteration 1; lower ")
    assert "--style-weight" in lines[-1] and ("--lr" in lines[-1]) == (optimizer == "adam")
    assert lines[-1].endswith(f"partial image written to {tmp_path / 'out.partial.png'}")
    assert not out.exists()
    array = np.asarray(Image.open(tmp_path / "out.partial.png"), dtype=float)
    assert array.shape == (43, 64, 3) and array.std() > 5 and array.mean() > 10  # the content, not black
    assert read_metadata(tmp_path / "out.partial.png")["finished"] is False


def test_debug_shows_the_traceback(cli, files, tmp_path):
    result = cli(files[0].with_name("missing.png"), files[1], "-o", tmp_path / "out.png", "--debug")
    assert result.exit_code == 2 and "Traceback" in result.stderr and "file not found" in result.stderr

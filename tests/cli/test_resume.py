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


def _sha256(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_record_their_inputs_and_the_time_over_both_parts(cli, files, tmp_path, steps_seen):
    out, figure = tmp_path / "out.png", tmp_path / "figure.png"
    _interrupted_run(cli, files, out, steps_seen)
    stopped = read_metadata(out)
    content, style = files
    assert stopped["inputs"] == {
        "content": {"name": str(content), "sha256": _sha256(content)},
        "styles": [{"name": str(style), "sha256": _sha256(style)}],
        "init": None,
    }
    assert read_metadata(tmp_path / "out.step00002.png")["inputs"] == stopped["inputs"]
    assert cli(*files, "-o", out, "--resume", "--comparison", figure).exit_code == 0
    finished = read_metadata(out)
    assert finished["seconds"] > stopped["seconds"] > 0  # the earlier part is counted in
    assert finished["inputs"]["content"] == stopped["inputs"]["content"]
    assert finished["inputs"]["init"]["name"] == str(out)  # continued from the saved image
    assert Image.open(figure).text["Title"].endswith(f", {finished['seconds']:.0f} s")


_OTHER_INPUTS = {
    "content": "--resume: {given} is not the content image {out} was made from ({content}, SHA-256 ",
    "style": "--resume: {given} is not the style image {out} was made from ({style}, SHA-256 ",
    "extra style": "--resume: {out} was made with 1 style image, this run gives 2; resume with the same images",
}


@pytest.mark.parametrize("change", list(_OTHER_INPUTS))
def test_resume_refuses_other_input_images(cli, files, tmp_path, cases, change):
    out = tmp_path / "out.png"  # refused before the iterations are compared: a finished run will do
    assert cli(*files, "-o", out, "--size", 48, "--steps", 1, "-q").exit_code == 0
    before = out.read_bytes()
    content, style = files
    other = cases / "c05_style_a_rgb_640x480.jpg"
    given = {"content": (other, style), "style": (content, other), "extra style": (content, style, other)}[change]
    result = cli(*given, "-o", out, "--resume")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    expected = _OTHER_INPUTS[change].format(given=other, out=out, content=content, style=style)
    assert len(lines) == 1 and lines[0].startswith(f"stylegram: error: {expected}")
    assert lines[0].endswith("or start again with --overwrite")
    assert out.read_bytes() == before


def test_resume_accepts_the_same_images_under_other_names(cli, files, tmp_path, steps_seen):
    out = tmp_path / "out.png"
    _interrupted_run(cli, files, out, steps_seen)
    copies = [tmp_path / f"copy{i}{path.suffix}" for i, path in enumerate(files)]
    for path, copy in zip(files, copies):
        copy.write_bytes(path.read_bytes())
    result = cli(*copies, "-o", out, "--resume")
    assert result.exit_code == 0, result.output
    assert read_metadata(out)["inputs"]["content"]["name"] == str(copies[0])


def test_resume_says_which_settings_are_the_saved_ones(cli, files, tmp_path):
    out = tmp_path / "out.png"
    assert cli(*files, "-o", out, "--size", 64, "--scales", "40,48,56,64", "--steps", 4, "-q").exit_code == 0
    result = cli(*files, "-o", out, "--resume", "--steps", 2)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "stylegram: error: --scales: 4 scales need at least as many --steps, got 2 "
        f"(--scales 40,48,56,64: saved in {out}; give --scales to change it)"
    )

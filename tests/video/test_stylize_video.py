"""Stylizing a tiny clip: consistency measured, stop and resume, the CLI's codes and lines."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from stylegram.errors import Cancelled, OptionError
from stylegram.video import probe, read_frames, stylize_video, warping_error, work_folder

from .conftest import HEIGHT, RATE, WIDTH, make_clip

FAST = dict(steps=3, later_steps=1, seed=0)


def _frames(path: Path) -> list[np.ndarray]:
    return [np.asarray(f) for f in read_frames(probe(path))]


def test_consistent_mode_flickers_less_than_per_frame(tmp_path: Path, style_path: Path) -> None:
    source = make_clip(tmp_path / "moving.mp4", frames=3, audio=False)
    out = {}
    for weight in (0.0, 200.0):  # enough iterations that per-frame strokes differ; 42x32 px
        out[weight] = stylize_video(
            source, style_path, tmp_path / f"w{weight:g}.mkv", temporal_weight=weight, steps=8, later_steps=2, size=42
        )
    inputs = [np.asarray(f.resize((42, 32))) for f in read_frames(probe(source))]
    per_frame = warping_error(_frames(out[0.0].output), inputs)
    consistent = warping_error(_frames(out[200.0].output), inputs)
    assert consistent < per_frame / 2
    assert (out[200.0].first_steps, out[200.0].later_steps, out[0.0].later_steps) == (8, 2, 8)


def test_stop_leaves_a_playable_clip_and_resume_finishes_it(tmp_path: Path, style_path: Path) -> None:
    source = make_clip(tmp_path / "clip.mp4", frames=4)
    output = tmp_path / "out.mp4"
    stop = threading.Event()

    def after(event) -> None:
        if event.frame == 2:
            stop.set()

    with pytest.raises(Cancelled, match="stopped after frame 2 of 4") as caught:
        stylize_video(source, style_path, output, callback=after, stop=stop, **FAST)
    assert caught.value.step == 2
    partial = probe(output)
    assert (partial.frames, partial.size, partial.audio) == (2, (WIDTH, HEIGHT), True)
    work = work_folder(output)
    assert sorted(p.name for p in work.glob("*.png")) == ["frame_000001.png", "frame_000002.png"]
    with pytest.raises(OptionError, match="unfinished run"):
        stylize_video(source, style_path, output, **FAST)  # a fresh run would lose the frames
    seen = []
    result = stylize_video(source, style_path, output, resume=True, callback=lambda e: seen.append(e.frame), **FAST)
    assert result.resumed_from == 2 and seen == [3, 4] and not work.exists()
    whole = probe(output)
    assert (whole.frames, whole.rate, whole.audio) == (4, RATE, True)


def test_cli_writes_the_clip_with_sound_and_a_json_summary(cli, tmp_path: Path, style_path: Path) -> None:
    source = make_clip(tmp_path / "clip.mp4", frames=3)
    output = tmp_path / "styled.mp4"
    result = cli("video", str(source), str(style_path), "-o", str(output), "--steps", "2", "--later-steps", "1", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["frames"], summary["size"], summary["fps"], summary["audio"]) == (3, [WIDTH, HEIGHT], RATE, True)
    assert "frame 3 of 3" in result.stderr and "s/frame" in result.stderr
    assert probe(output).frames == 3


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: (d / "notes.mp4").write_text("hello\n" * 40) and d / "notes.mp4", "not a video"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no frames"),
        (lambda d: make_clip(d / "silent.mp4", audio=False).rename(d / "cut.mp4") and _cut(d / "cut.mp4"), "truncated"),
    ],
    ids=["not-a-video", "zero-frames", "truncated"],
)
def test_cli_bad_input_one_line_exit_2_nothing_written(cli, tmp_path: Path, style_path: Path, make, words) -> None:
    source = make(tmp_path)
    output = tmp_path / "out.mp4"
    result = cli("video", str(source), str(style_path), "-o", str(output))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylegram: error: ") and words in lines[0]
    assert not output.exists() and not work_folder(output).exists()


def test_fast_method_with_blend_flickers_less_than_per_frame(tmp_path: Path) -> None:
    source = make_clip(tmp_path / "moving.mp4", frames=4, audio=False)
    # PNG frame folders: the exact pixels, no encoder between the runs
    out = {b: stylize_video(source, (), tmp_path / f"b{b:g}", method="fast", model="starry_night", blend=b) for b in (0.0, 0.6)}
    frames = {b: _frames(result.output) for b, result in out.items()}
    inputs = _frames(source)
    assert warping_error(frames[0.6], inputs) < 0.75 * warping_error(frames[0.0], inputs)
    assert np.array_equal(frames[0.0][0], frames[0.6][0])  # the first frame is the network's own
    assert not np.array_equal(frames[0.0][1], frames[0.6][1])
    assert (out[0.6].frames, out[0.6].size, out[0.6].method, out[0.6].blend) == (4, (WIDTH, HEIGHT), "fast", 0.6)
    assert (out[0.6].first_steps, out[0.6].later_steps) == (0, 0)


def test_cli_fast_method_writes_the_clip_and_refuses_a_style_or_a_missing_model(cli, tmp_path: Path, style_path: Path) -> None:
    source = make_clip(tmp_path / "clip.mp4", frames=3)
    output = tmp_path / "fast.mp4"
    result = cli("video", str(source), "-o", str(output), "--method", "fast", "--model", "starry_night", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["method"], summary["model"], summary["blend"], summary["frames"]) == ("fast", "starry_night", 0.3, 3)
    assert summary["audio"] is True and probe(output).audio
    for args, words in [
        (["--method", "fast"], "--model: the fast method paints with a trained model's style"),
        ([str(style_path), "--method", "fast", "--model", "starry_night"], "--model: the fast method paints with a trained model's style"),
        (["--model", "starry_night", str(style_path)], "--model: a model is for --method fast only"),
        ([], "missing argument 'STYLES...' (or --method fast --model NAME)"),
    ]:
        refused = cli("video", str(source), "-o", str(tmp_path / "o.mp4"), *args)
        assert refused.exit_code == 2 and len(refused.stderr.splitlines()) == 1 and words in refused.stderr, refused.stderr
    assert not (tmp_path / "o.mp4").exists()


def _cut(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path

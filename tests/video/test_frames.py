"""Reading and writing clips: frame count, size, rate, timestamps and sound survive."""

from __future__ import annotations

import gc
import weakref
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylegram.video import VideoReadError, probe, read_frames, write_clip
from stylegram.video.writer import reencodes_audio

from .conftest import FRAMES, HEIGHT, RATE, WIDTH, pattern


def test_probe_reads_the_generated_clip(clip: Path) -> None:
    info = probe(clip)
    assert (info.kind, info.frames, info.size, info.rate, info.audio) == ("video", FRAMES, (WIDTH, HEIGHT), RATE, True)
    assert info.times == tuple(Fraction(i, RATE) for i in range(FRAMES))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_copy_keeps_count_size_rate_times_and_sound(clip: Path, tmp_path: Path, suffix: str) -> None:
    info = probe(clip)
    out = write_clip(tmp_path / f"copy{suffix}", info, read_frames(info), info.frames)
    back = probe(out)
    assert (back.frames, back.size, back.rate, back.audio) == (FRAMES, (WIDTH, HEIGHT), RATE, True)
    assert [round(float(t), 3) for t in back.times] == [round(float(t), 3) for t in info.times]
    first = np.asarray(next(read_frames(back))).astype(int)
    # the picture itself (two 4:2:0 generations), not another frame of the moving pattern
    assert np.abs(first - pattern(0)).mean() < 12 < np.abs(first - pattern(3)).mean()


def test_odd_size_is_kept_exactly(clip: Path, tmp_path: Path) -> None:
    info = probe(clip)
    frames = (image.crop((0, 0, 63, 47)) for image in read_frames(info))
    back = probe(write_clip(tmp_path / "odd.mp4", info, frames, info.frames))
    assert back.size == (63, 47) and back.frames == FRAMES


def test_a_partial_write_is_a_playable_clip_with_its_share_of_sound(clip: Path, tmp_path: Path) -> None:
    import av

    info = probe(clip)

    def audio_seconds(path: Path) -> float:
        with av.open(str(path)) as container:
            audio = container.streams.audio[0]
            return float(sum(p.duration for p in container.demux(audio) if p.duration) * audio.time_base)

    part = write_clip(tmp_path / "part.mp4", info, read_frames(info), 3)
    whole = write_clip(tmp_path / "whole.mp4", info, read_frames(info), info.frames)
    assert probe(part).frames == 3
    # Cut at the third frame's end (0.25 s), to AAC's packet of 1024 samples (0.128 s).
    assert 0.25 <= audio_seconds(part) < audio_seconds(whole) - 0.1


def test_animated_gif_keeps_frame_count_and_durations(tmp_path: Path) -> None:
    durations = [100, 200, 50, 300]
    images = [Image.fromarray(pattern(i)) for i in range(len(durations))]
    source = tmp_path / "anim.gif"
    images[0].save(source, save_all=True, append_images=images[1:], duration=durations, loop=0)
    info = probe(source)
    assert info.kind == "animation" and info.frames == 4
    assert [int(d * 1000) for d in info.durations] == durations
    back = probe(write_clip(tmp_path / "out.gif", info, read_frames(info), info.frames))
    assert back.frames == 4 and [int(d * 1000) for d in back.durations] == durations
    for got, sent in zip(read_frames(back), read_frames(info)):  # fewer than 256 colours: exact
        assert np.array_equal(np.asarray(got), np.asarray(sent))


def test_a_gif_is_written_as_its_frames_come_not_held_in_memory(tmp_path: Path) -> None:
    durations = [40] * 6
    source = tmp_path / "anim.gif"
    images = [Image.fromarray(pattern(i)) for i in range(len(durations))]
    images[0].save(source, save_all=True, append_images=images[1:], duration=durations, loop=0)
    info = probe(source)
    sent: list[weakref.ref] = []

    def frames():
        for image in read_frames(info):
            if len(sent) >= 2:
                gc.collect()
                assert sent[-2]() is None, "a frame written two frames ago is still held"
            sent.append(weakref.ref(image))
            yield image

    back = probe(write_clip(tmp_path / "out.gif", info, frames(), info.frames))
    assert len(sent) == 6 and back.frames == 6


def test_folder_of_numbered_frames_in_number_order(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in (10, 2, 1):  # written out of order, read by number: 1, 2, 10
        Image.fromarray(pattern(i)).save(folder / f"f{i}.png")
    info = probe(folder, fps=10)
    assert info.frames == 3 and info.times == (0, Fraction(1, 10), Fraction(2, 10))
    got = [np.asarray(f).astype(int) for f in read_frames(info)]
    assert np.array_equal(got[2], pattern(10))
    out = write_clip(tmp_path / "out", info, iter(read_frames(info)), 3)
    assert sorted(p.name for p in out.iterdir()) == ["frame_000001.png", "frame_000002.png", "frame_000003.png"]


def test_bad_inputs_raise_one_line_errors(tmp_path: Path, clip: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 50)
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = {text: "not a video", truncated: "truncated", empty: "no frames", tmp_path / "missing.mp4": "no such file"}
    for path, words in cases.items():
        with pytest.raises(VideoReadError, match=words) as caught:
            probe(path)
        assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_webm_output_carries_aac_sound_as_opus_of_the_same_length(clip: Path, tmp_path: Path) -> None:
    import av

    info = probe(clip)  # a 0.5 s 440 Hz AAC tone: WebM cannot hold AAC
    assert reencodes_audio(tmp_path / "out.webm", info) and not reencodes_audio(tmp_path / "out.mkv", info)
    out = write_clip(tmp_path / "out.webm", info, read_frames(info), info.frames)
    back = probe(out)
    assert (back.frames, back.audio) == (FRAMES, True)
    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.rate) == ("opus", 48000)
        sound = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]).astype(float)
    assert 0.5 <= len(sound) / 48000 < 0.5 + 0.1  # the clip's length, plus at most the codecs' padding
    peak = np.abs(np.fft.rfft(sound)).argmax() * 48000 / len(sound)
    assert abs(peak - 440) < 10  # the tone itself, not silence or noise


def test_rotation_metadata_is_applied_to_the_frames(tmp_path: Path) -> None:
    import av

    path = tmp_path / "turned.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=RATE)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.set_display_rotation(90)  # shown turned 90 degrees counter-clockwise
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(pattern(i), format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    info = probe(path)
    assert (info.rotation, info.size) == (90, (HEIGHT, WIDTH))
    first = np.asarray(next(read_frames(info))).astype(int)
    assert np.abs(first - np.rot90(pattern(0), 1)).mean() < 12 < np.abs(first - np.rot90(pattern(0), -1)).mean()

"""The input cases of ``tests/data/cases/README.md`` (from the team's ``shared/cases``), one test (or a few) per row.

Each runs the CLI in-process, and the Python API where the row concerns it, with
fewer iterations than the row's ``--steps 20`` (the properties checked do not depend
on them). C16's read-only folder and C21's Ctrl+C need a real process: they are in
``tests/cli/test_signals.py``; C21's resume is in ``tests/cli/test_resume.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylegram import StyleConfig, api
from stylegram.errors import ImageReadError, OptionError, OutOfMemoryError

STYLE = "base_style_256x256.png"
CONTENT = "base_content_300x200.jpg"
PREVIOUS = b"\x89PNG previous result"
SHALLOW = {"content_layers": "conv1_1", "style_layers": "conv1_1"}
"""For the size, geometry and clipping checks on large images: VGG19 is then built
only up to conv1_1 (one 3x3 convolution, 3 to 64 channels), a small fraction of the
cost of going to conv5_1; what they check does not depend on the layers."""
SHALLOW_ARGS = ("--content-layers", SHALLOW["content_layers"], "--style-layers", SHALLOW["style_layers"])


def ok(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def rejected(result, pattern: str, out: Path | None = None) -> str:
    """Check the REJECT contract: exit 2, one stderr line naming the problem, no
    traceback, and OUT (pre-filled with PREVIOUS by the test) left unchanged."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylegram: error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output
    if out is not None:
        assert out.read_bytes() == PREVIOUS
        assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # nothing else written
    return lines[0]


def previous(path: Path) -> Path:
    path.write_bytes(PREVIOUS)
    return path


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def varied(array: np.ndarray) -> bool:
    """Not black and not one uniform colour."""
    rgb = array[..., :3].astype(float)
    return rgb.std() > 5 and rgb.mean() > 10


# --- C01 alpha ----------------------------------------------------------------


def test_c01_content_alpha_is_kept(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    ok(cli(cases / "c01_content_rgba_300x200.png", cases / STYLE, "-o", out, "--steps", 1))
    with Image.open(out) as image:
        assert image.mode == "RGBA" and image.size == (300, 200)
        alpha = np.asarray(image.getchannel("A"))
    with Image.open(cases / "c01_content_rgba_300x200.png") as source:
        assert np.array_equal(alpha, np.asarray(source.getchannel("A")))
    assert (alpha[:, :100] == 0).all() and (alpha[:, 200:] == 255).all()
    assert varied(pixels(out)[:, 200:])


def test_c01_jpeg_output_flattens_onto_white_with_warning(cases, cli, tmp_path):
    out = tmp_path / "out.jpg"
    result = cli(cases / "c01_content_rgba_300x200.png", cases / STYLE, "-o", out, "--steps", 1, "--size", 96)
    ok(result)
    assert "warning: " in result.stderr and "JPEG has no alpha" in result.stderr
    array = pixels(out)
    assert array.shape == (64, 96, 3)
    assert (array[:, :28] > 235).all()  # the transparent third is the white background


def test_c01_api_returns_rgba(cases):
    image = api.stylize(cases / "c01_content_rgba_300x200.png", cases / STYLE, steps=1, size=96)
    assert image.mode == "RGBA" and image.size == (96, 64)
    assert image.getchannel("A").getpixel((5, 30)) == 0 and image.getchannel("A").getpixel((90, 30)) == 255


# --- C03, C04 grayscale -----------------------------------------------------------


def test_c03_grayscale_content(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    ok(cli(cases / "c03_content_gray_L_199x153.jpg", cases / STYLE, "-o", out, "--steps", 1))
    array = pixels(out)
    assert array.shape == (153, 199, 3) and varied(array)


@pytest.mark.parametrize("extra", [(), ("--preserve-color",)])
def test_c04_grayscale_style(cases, cli, tmp_path, extra):
    out = tmp_path / "out.png"
    result = cli(cases / CONTENT, cases / "c04_style_gray_L_256x256.png", "-o", out, "--size", 64, "--steps", 3, "--json", *extra)
    ok(result)
    summary = json.loads(result.stdout)
    assert all(np.isfinite(v) for v in summary["losses"].values())
    assert varied(pixels(out))


# --- C05 mixed style images -------------------------------------------------------


def test_c05_mixed_styles_with_weights(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    styles = [cases / n for n in ("c05_style_a_rgb_640x480.jpg", "c05_style_b_rgba_200x300.png", "c05_style_c_gray_97x333.png")]
    ok(cli(cases / CONTENT, *styles, "-o", out, "--style-blend-weights", "0.5,0.3,0.2", "--steps", 1))
    assert pixels(out).shape == (200, 300, 3)


def test_c05_weight_count_mismatch_rejected(cases, cli, tmp_path):
    out = previous(tmp_path / "out.png")
    styles = [cases / n for n in ("c05_style_a_rgb_640x480.jpg", "c05_style_b_rgba_200x300.png", "c05_style_c_gray_97x333.png")]
    result = cli(cases / CONTENT, *styles, "-o", out, "--style-blend-weights", "0.5,0.3")
    rejected(result, r"--style-blend-weights: 3 style images but 2 weights", out)
    with pytest.raises(OptionError, match="3 style images but 2 weights"):
        api.load_inputs(cases / CONTENT, styles, StyleConfig(style_blend_weights=(0.5, 0.3)))


# --- C07, C08, C12 sizes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "size"),
    [((), (331, 227)), (("--size", "129"), (129, 88)), (("--preserve-color",), (331, 227))],
)
def test_c07_prime_sizes_are_exact(cases, cli, tmp_path, extra, size):
    out = tmp_path / "out.png"
    ok(cli(cases / "c07_content_prime_331x227.png", cases / STYLE, "-o", out, "--steps", 1, *extra))
    assert Image.open(out).size == size


@pytest.mark.parametrize(("extra", "size"), [((), (414, 274)), (("--size", "300"), (300, 199))])
def test_c08_no_silent_upscaling_and_size_printed(cases, cli, tmp_path, extra, size):
    out = tmp_path / "out.png"
    result = cli(cases / "c08_content_414x274.png", cases / STYLE, "-o", out, "--steps", 1, *extra)
    ok(result)
    assert Image.open(out).size == size
    assert f"output {size[0]}x{size[1]} px" in result.stderr


@pytest.mark.parametrize(("size", "expected"), [(850, (850, 272)), (512, (512, 164))])
def test_c12_wide_panorama(cases, cli, tmp_path, size, expected):
    out = tmp_path / "out.png"
    ok(cli(cases / "c12_content_wide_850x272.png", cases / STYLE, "-o", out, "--size", size, "--steps", 1, *SHALLOW_ARGS))
    assert Image.open(out).size == expected


def test_c12_narrower_panoramas_skip_coarse_scales_that_vgg_cannot_take():
    from stylegram.engine import scale_sizes

    assert scale_sizes((850, 272), None) == [(425, 136), (850, 272)]
    assert scale_sizes((850, 272), (100, 425)) == [(100, 32), (425, 136), (850, 272)]  # 32 px is enough
    assert scale_sizes((850, 200), (100, 425)) == [(425, 100), (850, 200)]  # 100x24 skipped
    assert scale_sizes((600, 33), None) == [(600, 33)]  # 256x14 would not survive 4 poolings
    content = Image.fromarray(np.random.default_rng(0).integers(0, 256, (33, 600, 3), np.uint8))
    assert api.stylize(content, content, steps=2, size=600).size == (600, 33)


# --- C09 video frames ---------------------------------------------------------------


def _disc_centre(array: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(array[..., :3].min(axis=2) > 180)
    return xs.mean(), ys.mean()


def test_c09_frames_keep_size_and_position(cases):
    frames = sorted((cases / "c09_frames_640x338").glob("frame_*.png"))
    assert len(frames) == 3
    for frame in frames:
        image = api.stylize(frame, cases / STYLE, steps=1, size=640, **SHALLOW)
        assert image.size == (640, 338)
        (x0, y0), (x1, y1) = _disc_centre(pixels(frame)), _disc_centre(np.asarray(image))
        assert abs(x0 - x1) <= 2 and abs(y0 - y1) <= 2


# --- C10 tiny image -----------------------------------------------------------------


def test_c10_tiny_image_rejected_with_minimum(cases, cli, tmp_path):
    out = previous(tmp_path / "out.png")
    rejected(cli(cases / "c10_tiny_7x7.png", cases / STYLE, "-o", out, "--size", 7), r"--size: 7 px is below the minimum of 32 px", out)
    rejected(cli(cases / "c10_tiny_7x7.png", cases / STYLE, "-o", out), r"c10_tiny_7x7.png: image is 7x7 px.*at least 32 px", out)
    with pytest.raises(ImageReadError, match="at least 32 px"):
        api.load_inputs(cases / "c10_tiny_7x7.png", cases / STYLE, StyleConfig())


def test_c10_tiny_style_image_rejected(cases, cli, tmp_path):
    out = previous(tmp_path / "out.png")
    line = rejected(cli(cases / CONTENT, cases / "c10_tiny_7x7.png", "-o", out), r"c10_tiny_7x7.png: style image is 7x7 px", out)
    assert "at least 32 px" in line
    thin = Image.new("RGB", (4000, 20))
    with pytest.raises(ImageReadError, match=r"<image>: style image is 4000x20 px"):
        api.load_inputs(cases / CONTENT, thin, StyleConfig())


# --- C13 large image, memory ----------------------------------------------------------


def test_c13_large_image_downscaled_to_working_size(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    result = cli(cases / "c13_large_8000x6000.png", cases / STYLE, "-o", out, "--steps", 1, *SHALLOW_ARGS)
    ok(result)
    assert Image.open(out).size == (512, 384) and "output 512x384 px (from 8000x6000)" in result.stderr


def test_c13_size_that_cannot_fit_rejected_before_the_run(cases, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGRAM_MEMORY_LIMIT", "16G")
    monkeypatch.setattr(api, "encoder", lambda *a: pytest.fail("the model must not load"))
    out = previous(tmp_path / "out.png")
    result = cli(cases / "c13_large_8000x6000.png", cases / STYLE, "-o", out, "--size", 8000)
    line = rejected(result, r"out of memory: 8000x6000 px needs about \d+\.\d GiB on cpu, 16\.0 GiB available; use --size \d+ or smaller", out)
    with pytest.raises(OutOfMemoryError, match=line.removeprefix("stylegram: error: ").split("GiB")[0]):
        api.load_inputs(cases / "c13_large_8000x6000.png", cases / STYLE, StyleConfig(size=8000))


# --- C15 clamping --------------------------------------------------------------------


def test_c15_the_run_pushes_saturated_pixels_out_of_range(cases):
    """The premise of the clipping test below: on these blocks with this style the
    iterates really leave 0-1 (the raw image has no bounds under L-BFGS), so the result
    is in range because the engine keeps it there; the 8-bit conversion's own clamp is
    tested by hand in tests/image/test_convert.py."""
    from stylegram.models import encoder as _encoder
    from stylegram.engine import GatysLoss
    from stylegram.engine.optimize import optimize_scale
    from stylegram.image import to_tensor

    config = StyleConfig(**SHALLOW)
    encoder = _encoder("caffe", "auto", config.network_layers, "max", "cpu")
    blocks = to_tensor(Image.open(cases / "c15_content_saturated_blocks_256x128.png").convert("RGB"))
    style = to_tensor(Image.open(cases / STYLE).convert("RGB"))
    loss = GatysLoss(encoder, config, blocks, [style], [1.0], torch.float32)
    extremes = []
    optimize_scale(blocks, loss, optimizer="lbfgs", steps=10, lr=1.0,
                   on_step=lambda step, total, terms, x: extremes.append((float(x.detach().min()), float(x.detach().max()))))
    assert min(low for low, _ in extremes) < 0 or max(high for _, high in extremes) > 1


def test_c15_saturated_blocks_are_clipped_not_wrapped(cases, cli, tmp_path):
    blocks = cases / "c15_content_saturated_blocks_256x128.png"
    out = tmp_path / "out.png"
    # Two scales: at 256 px alone L-BFGS overshoots in its first 10 iterations (loss above
    # the start's), and the run then rightly keeps the photo unchanged.
    ok(cli(blocks, cases / STYLE, "-o", out, "--init", "content", "--steps", 10, "--scales", "128,256", *SHALLOW_ARGS))
    source, result = pixels(blocks)[..., :3].astype(float), pixels(out).astype(float)
    assert np.abs(result - source).mean() > 2  # the style moved the pixels
    for y in (0, 64):
        for x in range(0, 256, 64):
            expected = source[y + 32, x + 32]
            cell = result[y + 8 : y + 56, x + 8 : x + 56]
            assert np.abs(cell.mean(axis=(0, 1)) - expected).max() <= 20
            if expected.min() == 255:
                assert cell.min() >= 128
            if expected.max() == 0:
                assert cell.max() <= 128


def test_c15_no_isolated_opposite_extremes(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    ok(cli(cases / "c15_content_saturated_blocks_256x128.png", cases / STYLE, "-o", out, "--steps", 8, *SHALLOW_ARGS))
    array = pixels(out).astype(int)
    centre = array[1:-1, 1:-1]
    neighbours = np.stack([array[:-2, 1:-1], array[2:, 1:-1], array[1:-1, :-2], array[1:-1, 2:]])
    dark_among_bright = (centre <= 15) & (neighbours >= 240).all(axis=0)
    bright_among_dark = (centre >= 240) & (neighbours <= 15).all(axis=0)
    assert not dark_among_bright.any() and not bright_among_dark.any()


# --- C16 output folder -----------------------------------------------------------------


def test_c16_missing_output_folder_rejected_before_the_model_loads(cases, cli, tmp_path, monkeypatch):
    monkeypatch.setattr(api, "encoder", lambda *a: pytest.fail("the model must not load"))
    started = time.perf_counter()
    result = cli(cases / CONTENT, cases / STYLE, "-o", tmp_path / "no_such_dir" / "out.png")
    rejected(result, r"no_such_dir/out\.png: folder .*no_such_dir does not exist")
    assert time.perf_counter() - started < 5
    assert list(tmp_path.iterdir()) == []


def test_c16_unknown_extension_rejected(cases, cli, tmp_path):
    rejected(cli(cases / CONTENT, cases / STYLE, "-o", tmp_path / "out.jpj"), r"unknown output format '\.jpj'.*did you mean '\.jpg'")


# --- C18 truncated files ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["c18_truncated.jpg", "c18_truncated.png"])
@pytest.mark.parametrize("role", ["content", "style"])
def test_c18_truncated_rejected(cases, cli, tmp_path, name, role):
    out = previous(tmp_path / "out.png")
    content, style = (cases / name, cases / STYLE) if role == "content" else (cases / CONTENT, cases / name)
    rejected(cli(content, style, "-o", out), rf"{name}: image file is truncated or corrupt", out)
    with pytest.raises(ImageReadError, match="truncated"):
        api.load_inputs(content, style, StyleConfig())


# --- C20 non-ASCII paths -------------------------------------------------------------------


def test_c20_non_ascii_paths(cases, cli, tmp_path):
    source = next((cases).glob("c20_*"))
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    out = folder / "出力 ☃.png"
    ok(cli(folder / "cöntent_图 1.png", cases / STYLE, "-o", out, "--size", 64, "--steps", 1))
    assert sorted(p.name for p in folder.iterdir()) == ["cöntent_图 1.png", "出力 ☃.png"]
    missing = folder / "missing.png"
    rejected(cli(missing, cases / STYLE, "-o", tmp_path / "x.png"), rf"^stylegram: error: file not found: {re.escape(str(missing))}$")


# --- C23 EXIF orientation ------------------------------------------------------------------


def _upright(array: np.ndarray) -> bool:
    top = array[:10, :, :3].astype(int)
    return bool((top[..., 0] > top[..., 1] + 40).mean() > 0.8)


def test_c23_exif_orientation(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    ok(cli(cases / "c23_exif_orientation6.jpg", cases / STYLE, "-o", out, "--steps", 1))
    with Image.open(out) as image:
        assert image.size == (200, 300)
        assert image.getexif().get(0x0112, 1) == 1
        assert _upright(np.asarray(image))
    image = api.stylize(cases / "c23_exif_orientation6.jpg", cases / STYLE, steps=1, size=96)
    assert image.size == (64, 96) and _upright(np.asarray(image))


# --- C25 16-bit grayscale -------------------------------------------------------------------


def test_c25_16_bit_gray_scaled(cases, cli, tmp_path):
    out = tmp_path / "out.png"
    ok(cli(cases / "c25_gray16_256x256.png", cases / STYLE, "-o", out, "--steps", 1, "--init", "content"))
    gray = pixels(out)[..., :3].astype(float).mean(axis=2)
    assert (gray >= 250).mean() < 0.5
    assert gray[:, :16].mean() < 60 and gray[:, -16:].mean() > 190
    # The centre square is inverted: its column-matched ramp values differ strongly.
    assert abs(gray[120:136, 100:110].mean() - gray[20:36, 100:110].mean()) > 40

"""The command line, driven in-process with an argument list (click's CliRunner)."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from stylegram.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_writes_image_of_requested_size_with_settings(tmp_path, content_path, style_path):
    out = tmp_path / "out.png"
    figure = tmp_path / "figure.png"
    result = invoke(content_path, style_path, "-o", out, "--size", 64, "--steps", 4, "--json", "--comparison", figure)
    assert result.exit_code == 0, result.output
    image = Image.open(out)
    assert image.size == (64, 48) and image.mode == "RGB"
    settings = json.loads(image.text["stylegram"])["settings"]
    assert settings["steps"] == 4 and settings["size"] == 64
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["size"] == [64, 48] and summary["output"] == str(out)
    assert "output 64x48 px" in result.stderr
    assert Image.open(figure).width > 3 * 64


def test_python_dash_m_runs_the_same_command(tmp_path, small_content, small_style):
    out = tmp_path / "out.jpg"
    done = subprocess.run(
        [sys.executable, "-m", "stylegram", str(small_content), str(small_style), "-o", str(out), "--steps", "2", "-q"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and Image.open(out).size == (96, 72)


def test_save_every_writes_checkpoints(tmp_path, small_content, small_style):
    out = tmp_path / "out.png"
    result = invoke(small_content, small_style, "-o", out, "--steps", 4, "--save-every", 2, "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "out.step00002.png", "out.step00004.png"]


def test_missing_weights_file_fails_before_any_output(tmp_path, small_content, small_style):
    result = invoke(small_content, small_style, "-o", tmp_path / "out.png", "--weights", tmp_path / "nothere.pth")
    assert result.exit_code == 2
    assert result.stderr == f"stylegram: error: weights file not found: {tmp_path / 'nothere.pth'}\n"


def test_checkpoints_have_the_output_size_and_the_content_alpha(tmp_path, small_content, small_style):
    content = Image.open(small_content).convert("RGBA")
    alpha = Image.linear_gradient("L").resize(content.size)
    content.putalpha(alpha)
    content.save(tmp_path / "content.png")
    out = tmp_path / "out.png"
    args = ("--steps", 3, "--scales", "48,96", "--save-every", 1, "-q")
    result = invoke(tmp_path / "content.png", small_style, "-o", out, *args)
    assert result.exit_code == 0, result.output
    first = Image.open(tmp_path / "out.step00001.png")  # made at the 48x36 scale
    assert first.size == (96, 72) and first.mode == "RGBA"
    assert np.array_equal(np.asarray(first)[..., 3], np.asarray(alpha))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--optimizer", "lbgfs"], "--optimizer: unknown value 'lbgfs'; choose one of lbfgs, adam (did you mean 'lbfgs'?)"),
        (["--style-layers", "conv1_1,conv6_1"], "--style-layers: unknown VGG19 layer 'conv6_1'"),
        (["--style-weight", "-3"], "--style-weight: must be a finite number >= 0"),
        (["--style-blend-weights", "1,2"], "--style-blend-weights: 1 style image but 2 weights"),
        (["--init", "nosie"], "--init: 'nosie' is not content, noise, style or an existing image file (did you mean 'noise'?)"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, small_content, small_style, extra, message):
    out = tmp_path / "out.png"
    result = invoke(small_content, small_style, "-o", out, *extra)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylegram: error: ") and message in lines[0]
    assert not out.exists()


def test_missing_input_and_bad_output_exit_2(tmp_path, small_content, small_style):
    missing = invoke(tmp_path / "nope.jpg", small_style, "-o", tmp_path / "o.png")
    assert missing.exit_code == 2 and f"file not found: {tmp_path / 'nope.jpg'}" in missing.stderr
    bad_format = invoke(small_content, small_style, "-o", tmp_path / "o.gif")
    assert bad_format.exit_code == 2 and "unknown output format '.gif'" in bad_format.stderr
    no_folder = invoke(small_content, small_style, "-o", tmp_path / "no" / "o.png")
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr


def test_help_lists_config_options_with_defaults():
    result = invoke("run", "--help")
    assert result.exit_code == 0
    for text in ("--content-layers", "[default: conv4_2:1]", "--preserve-color", "--style-weight"):
        assert text in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["photo.jpg"], "stylegram: error: missing argument 'STYLES...'; see 'stylegram run --help'"),
        (["photo.jpg", "painting.jpg"], "stylegram: error: missing option '-o' / '--output'; see 'stylegram run --help'"),
        (["a.jpg", "b.jpg", "-o", "o.png", "--stepz", "3"], "stylegram: error: no such option '--stepz' (did you mean one of: "),
        (["batch", "photos/"], "stylegram: error: missing option '-o' / '--output'; see 'stylegram batch --help'"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(cli, args, expected):
    result = cli(*args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(expected)


@pytest.mark.parametrize("which", ["content", "style", "link to content", "comparison"])
def test_output_that_is_an_input_is_refused_and_the_input_kept(cli, tmp_path, small_content, small_style, which):
    content, style = tmp_path / "photo.png", tmp_path / "painting.png"
    content.write_bytes(small_content.read_bytes())
    style.write_bytes(small_style.read_bytes())
    before = {p: p.read_bytes() for p in (content, style)}
    args = [content, style, "-o", tmp_path / "out.png", "--steps", 1, "--size", 32]
    if which == "content":
        args[3] = content
    elif which == "style":
        args[3] = style
    elif which == "link to content":
        (tmp_path / "link.png").symlink_to(content)
        args[3] = tmp_path / "link.png"
    else:
        args += ["--comparison", tmp_path / "out.png"]
    result = cli(*args)
    assert result.exit_code == 2
    assert "this run also uses that file" in result.stderr and "choose another output file" in result.stderr
    assert ("the same file)" in result.stderr) == (which == "link to content")  # named only when it differs
    assert len(result.stderr.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in (content, style)} == before
    assert not (tmp_path / "out.png").exists()


def test_the_command_restores_the_warning_hook(cli, tmp_path, small_content, small_style):
    import warnings

    before = warnings.showwarning
    assert cli(small_content, small_style, "-o", tmp_path / "o.png", "--steps", 1, "--size", 48).exit_code == 0
    assert warnings.showwarning is before


@pytest.mark.parametrize(
    ("name", "hint"),
    [("o.bmp", ""), ("o.pgn", " (did you mean '.png'?)"), ("o.jpgg", " (did you mean '.jpg'?)")],
)
def test_unknown_output_format_suggests_only_for_a_typo(tmp_path, small_content, small_style, name, hint):
    result = invoke(small_content, small_style, "-o", tmp_path / name)
    expected = f"unknown output format '{name[1:]}'; use one of .jpeg, .jpg, .png, .webp{hint}"
    assert result.exit_code == 2 and result.stderr == f"stylegram: error: {tmp_path / name}: {expected}\n"


def test_the_size_line_names_the_scales_that_run_and_those_left_out(cli, tmp_path, cases):
    files = cases / "base_content_300x200.jpg", cases / "base_style_256x256.png"
    result = cli(*files, "-o", tmp_path / "o.png", "--size", 64, "--scales", "32,48,64,128", "--steps", 4)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "stylegram: output 64x43 px (from 300x200), 4 iterations: 3 at 48x32, then 1 at 64x43 px; left out of "
        "--scales: 32 (its short side would be under 32 px), 128 (larger than the output)"
    )
    single = cli(*files, "-o", tmp_path / "o.png", "--size", 48, "--steps", 1)
    assert single.stderr.splitlines()[0] == "stylegram: output 48x32 px (from 300x200), 1 iteration at 48x32 px"


def test_the_figure_title_names_the_settings_that_shape_the_picture(cli, tmp_path, small_content, small_style, cases):
    figure = tmp_path / "figure.png"
    styles = small_style, cases / "c05_style_a_rgb_640x480.jpg"
    args = ("--size", 48, "--steps", 1, "--preserve-color", "--style-blend-weights", "3,1", "--comparison", figure)
    assert cli(small_content, *styles, "-o", tmp_path / "o.png", *args).exit_code == 0
    title = Image.open(figure).text["Title"]
    assert title.startswith("stylegram ") and ": 48x36 px, 1 iteration, style weight 10, lbfgs, " in title
    assert ", blend 0.75:0.25, colour preserved, " in title and title.endswith(" s")


def test_main_help_shows_the_web_line_whole():
    result = invoke("--help")
    assert result.exit_code == 0
    # the command column is as wide as the longest name (batch)
    assert re.search(r"\n  web +Serve the style transfer page in the browser \(needs the web extra\)\.\n", result.output)

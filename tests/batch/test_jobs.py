"""Jobs from photos x styles and from a manifest: expansion, names, settings, errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stylegram import OptionError, StyleConfig
from stylegram.batch import Job, expand_paths, plan_jobs, read_manifest

from .conftest import TINY


def test_a_folder_gives_its_images_sorted_and_a_file_is_taken_as_it_is(photos: Path):
    found = expand_paths([photos, photos / "notes.txt"], "photos")
    assert [Path(p).name for p in found] == ["prime.png", "street.jpg", "notes.txt"]
    assert all(os.path.isabs(p) for p in found)


def test_a_pattern_gives_its_matches_and_a_file_named_twice_counts_once(photos: Path):
    found = expand_paths([str(photos / "*.jpg"), photos / "street.jpg", str(photos / "**" / "*.png")], "photos")
    assert [Path(p).name for p in found] == ["street.jpg", "prime.png"]


@pytest.mark.parametrize(
    "argument, message",
    [("missing.jpg", "missing.jpg does not exist"), ("*.nothing", "pattern"), ("empty", "holds no images")],
)
def test_a_path_that_names_no_image_is_refused_naming_it(tmp_path: Path, argument: str, message: str):
    (tmp_path / "empty").mkdir()
    with pytest.raises(OptionError, match=message) as caught:
        expand_paths([str(tmp_path / argument)], "photos")
    assert caught.value.field == "photos"
    assert caught.value.render(lambda n: n.upper()).startswith("PHOTOS: ")


def test_every_photo_in_every_style_with_predictable_names(photos: Path, styles: list[Path], tmp_path: Path):
    jobs = plan_jobs([photos], styles, tmp_path / "out", TINY)
    names = [Path(j.output).name for j in jobs]
    assert names == ["prime_starry.png", "prime_blocks.png", "street_starry.png", "street_blocks.png"]
    assert all(j.config == TINY and j.method == "optimize" and len(j.styles) == 1 for j in jobs)
    assert {Path(j.output).parent for j in jobs} == {tmp_path / "out"}


def test_two_photos_with_one_name_are_refused_naming_both(photos: Path, styles: list[Path], tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(photos / "street.jpg", other / "street.png")
    with pytest.raises(OptionError, match=r"street_starry\.png: two jobs would write it .*street\.jpg and .*street\.png"):
        plan_jobs([photos / "street.jpg", other / "street.png"], styles[:1], tmp_path / "out")


def test_fast_jobs_paint_every_photo_with_every_model(photos: Path, styles: list[Path], tmp_path: Path):
    from stylegram.fast import builtin_models

    copy = tmp_path / "mine.pt"
    copy.write_bytes(builtin_models()["starry_night"].read_bytes())
    jobs = plan_jobs([photos], [], tmp_path / "out", TINY, method="fast", models=["starry_night", str(copy)])
    assert [(Path(j.content).name, j.model, Path(j.output).name) for j in jobs] == [
        ("prime.png", "starry_night", "prime_starry_night.png"),
        ("prime.png", str(copy), "prime_mine.png"),
        ("street.jpg", "starry_night", "street_starry_night.png"),
        ("street.jpg", str(copy), "street_mine.png"),
    ]
    assert all(j.method == "fast" and j.styles == () for j in jobs)


@pytest.mark.parametrize(
    "method, style, models, field, message",
    [
        ("fast", True, ["starry_night"], "style", "the fast method paints in its model's style"),
        ("fast", False, [], "model", "the fast method needs a trained model"),
        ("fast", False, ["starry_nite"], "model", "starry_nite: no such model file or built-in model (built-in models: "),
        ("optimize", True, ["starry_night"], "model", "models are for method fast only"),
        ("fasst", True, [], "method", "unknown value 'fasst'; choose one of optimize, fast"),
    ],
)
def test_styles_and_models_must_fit_the_method(photos: Path, styles: list[Path], tmp_path: Path, method, style, models, field, message):
    with pytest.raises(OptionError, match=re.escape(message)) as caught:
        plan_jobs([photos], styles[:1] if style else [], tmp_path, method=method, models=models)
    assert caught.value.field == field


def test_a_job_writes_png_only(tmp_path: Path):
    with pytest.raises(OptionError, match=r"out\.jpg: batch outputs are PNG"):
        Job("a.jpg", ("b.jpg",), str(tmp_path / "out.jpg"), TINY)


def _manifest(folder: Path, text: str) -> Path:
    path = folder / "jobs.csv"
    path.write_text(text)
    return path


def test_a_manifest_row_is_a_job_with_its_own_options_over_the_batch_settings(photos: Path, styles: list[Path], tmp_path: Path):
    shutil.copy(styles[0], photos / "starry.jpg")
    shutil.copy(styles[1], photos / "blocks.png")
    manifest = _manifest(
        photos,
        "content,style,style-weight,style_blend_weights,output\n"
        "street.jpg,starry.jpg,,,\n"
        "prime.png,starry.jpg;blocks.png,30,\"0.7,0.3\",\n"
        "street.jpg,blocks.png,5,,street-soft.png\n",
    )
    jobs = read_manifest(manifest, tmp_path / "out", TINY)
    assert [Path(j.output).name for j in jobs] == ["street_starry.png", "prime_starry+blocks.png", "street-soft.png"]
    assert jobs[0].config == TINY
    assert jobs[1].styles == (str(photos / "starry.jpg"), str(photos / "blocks.png"))
    assert jobs[1].config == TINY.with_options(style_weight=30.0, style_blend_weights=(0.7, 0.3))
    assert jobs[2].config.style_weight == 5.0 and jobs[2].config.size == 64


@pytest.mark.parametrize(
    "text, message",
    [
        ("content,style,style_wieght\na.jpg,b.jpg,3\n", r"unknown column 'style_wieght' \(did you mean 'style_weight'\?\)"),
        ("content,steps\na.jpg,3\n", "no 'style' column"),
        ("content,style\n", "has no jobs"),
        ("content,style,steps\na.jpg,b.jpg,3\na.jpg,b.jpg,0\n", r"jobs\.csv:3: steps: must be at least 1"),
        ("content,style\na.jpg,\n", r"jobs\.csv:2: .*needs a content and a style"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_file_and_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(OptionError, match=message):
        read_manifest(_manifest(tmp_path, text), tmp_path / "out", StyleConfig())


def test_a_bad_value_in_a_manifest_row_renders_its_setting(tmp_path: Path):
    with pytest.raises(OptionError) as caught:
        read_manifest(_manifest(tmp_path, "content,style,steps\na.jpg,b.jpg,0\n"), tmp_path, StyleConfig())
    assert caught.value.field == "steps"
    assert caught.value.render(lambda n: "--" + n).endswith("jobs.csv:2: --steps: must be at least 1, got 0")


def test_importing_the_batch_room_loads_neither_ray_nor_torch():
    code = "import sys, stylegram.batch\nprint(sorted(m for m in ('ray', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

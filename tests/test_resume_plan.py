"""Planning a run over an output (stylegram.resume): new, resumed, or refused; without the engine."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from stylegram import OptionError, StyleConfig
from stylegram.api import run_metadata
from stylegram.image import write_image
from stylegram.resume import checkpoint_path, checkpoints, input_record, partial_path, plan_run


@pytest.fixture()
def saved(tmp_path, small_content, small_style):
    """An output stopped after 3 of 6 iterations, made from the small example images."""
    out = tmp_path / "out.png"
    record = input_record(small_content, [small_style])
    metadata = run_metadata(StyleConfig(steps=6, size=64), 3, (64, 48), finished=False, inputs=record, seconds=2.5)
    write_image(out, Image.new("RGB", (64, 48)), metadata=metadata)
    return out


def test_paths_beside_the_output(tmp_path):
    out = tmp_path / "a.b.png"
    assert partial_path(out) == tmp_path / "a.b.partial.png"
    assert checkpoint_path(out, 42) == tmp_path / "a.b.step00042.png"
    for step in (10, 2):
        checkpoint_path(out, step).touch()
    (tmp_path / "a.b.stepxx.png").touch()
    assert checkpoints(out) == [checkpoint_path(out, 2), checkpoint_path(out, 10)]


def test_input_record_hashes_files_and_in_memory_images(small_content, small_style):
    record = input_record(small_content, [small_style, small_style], init="noise")
    assert record["content"] == {"name": str(small_content), "sha256": hashlib.sha256(small_content.read_bytes()).hexdigest()}
    assert record["styles"][0] == record["styles"][1] and record["init"] is None
    array = np.zeros((4, 5, 3), np.uint8)
    # sha256(b"uint8 (4, 5, 3)" + 60 zero bytes), computed by hand with hashlib
    expected = hashlib.sha256(b"uint8 (4, 5, 3)" + bytes(60)).hexdigest()
    assert input_record(array, [])["content"] == {"name": "<array>", "sha256": expected}
    image = Image.open(small_content)
    assert input_record(image, [])["content"]["sha256"] == input_record(image.copy(), [])["content"]["sha256"]
    stream = io.BytesIO(small_content.read_bytes())
    stream.seek(5)
    assert input_record(stream, [])["content"]["sha256"] == record["content"]["sha256"] and stream.tell() == 5


def test_resume_takes_the_saved_settings_steps_and_seconds(saved, small_content, small_style):
    plan = plan_run(saved, {"style_weight": "20", "size": None}, content=small_content, styles=[small_style], resume=True)
    assert (plan.steps_done, plan.seconds_done) == (3, 2.5)
    assert plan.config == StyleConfig(steps=6, size=64, style_weight=20, init=str(saved))


def test_resume_with_another_image_is_refused_by_field_names(saved, small_content, small_style):
    with pytest.raises(OptionError) as caught:
        plan_run(saved, {}, content=small_style, styles=[small_style], resume=True)
    assert caught.value.field == "resume" and caught.value.fields == ("resume", "overwrite")
    assert str(caught.value).startswith(f"resume: {small_style} is not the content image {saved} was made from")
    assert str(caught.value).endswith("or start again with overwrite")


def test_a_record_without_inputs_resumes_with_a_warning(tmp_path, small_content, small_style):
    out = tmp_path / "old.png"
    write_image(out, Image.new("RGB", (64, 48)), metadata=run_metadata(StyleConfig(steps=6), 3, (64, 48), finished=False))
    with pytest.warns(UserWarning, match="does not record its input images"):
        plan = plan_run(out, {}, content=small_content, styles=[small_style], resume=True)
    assert plan.steps_done == 3 and plan.seconds_done == 0.0


def test_a_new_run_does_not_replace_unfinished_work(saved):
    with pytest.raises(OptionError, match=r"holds an unfinished run \(3 iterations\); continue it with resume"):
        plan_run(saved, {"steps": 2})
    assert plan_run(saved, {"steps": 2}, overwrite=True).config == StyleConfig(steps=2)
    assert plan_run(saved, {"init": str(saved)}).config.init == str(saved)  # continuing it by hand


def test_one_iteration_is_singular(tmp_path):
    out = tmp_path / "out.png"
    write_image(out, Image.new("RGB", (64, 48)), metadata=run_metadata(StyleConfig(), 1, (64, 48), finished=False))
    with pytest.raises(OptionError, match=r"holds an unfinished run \(1 iteration\);"):
        plan_run(out, {})

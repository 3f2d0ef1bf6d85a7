"""The built-in models: load by name, have their records, and paint toward their paintings."""

from pathlib import Path

import pytest

from stylegram.examples import CONTENT, FOLDER
from stylegram.fast import builtin_models, load_model, stylize
from stylegram.image import read_image, resize, to_tensor

PAINTINGS = (FOLDER, Path(__file__).parents[2] / "benchmarks" / "images" / "style")
"""Where the built-in models' paintings are in a checkout: the examples, the benchmark's paintings."""


def test_every_built_in_has_a_full_record():
    assert "starry_night" in builtin_models() and len(builtin_models()) >= 6
    for name, path in builtin_models().items():
        record = load_model(name).record
        assert record.painting == f"{name}.jpg" and record.steps > 0 and record.seconds > 0
        assert record.command.startswith("stylegram train ") and record.machine and record.title
        assert path.stat().st_size <= 2 * 1024 * 1024


@pytest.mark.parametrize("name", sorted(builtin_models()))
def test_a_built_in_moves_an_unseen_photo_toward_its_painting(name, judge):
    # The bundled Tübingen photo is not among the training photos (Kodak 01-12). The
    # judge's style distance: 0 the painting, 1 the photo. Measured at 192 px on
    # 2026-12-04: 0.28 to 0.47 for the built-ins, SSIM 0.15 to 0.29.
    model = load_model(name)
    photo = read_image(CONTENT).rgb
    out = stylize(model, photo, size=192)
    small = resize(photo, out.size)
    assert float((to_tensor(small) - to_tensor(out)).abs().mean()) > 0.05  # visibly changed
    painting = next(folder / model.record.painting for folder in PAINTINGS if (folder / model.record.painting).is_file())
    scores = judge.Judge(small, read_image(painting).rgb).score(out)
    assert scores.style_distance < 0.6, scores
    assert scores.ssim > 0.1, scores  # the photo still shows


def test_init_fast_starts_the_optimization_from_the_models_painting(photo_dir, painting):
    import numpy as np

    from stylegram import OptionError, StyleConfig, api, run

    photo = photo_dir / "tubingen.png"
    config = StyleConfig(size=64, steps=2, init="fast:starry_night")
    start = api.load_inputs(photo, painting, config).init
    expected = stylize(load_model("starry_night"), photo, size=64)
    assert start.size == (64, 48) and np.array_equal(np.asarray(start.rgb), np.asarray(expected))
    assert run(photo, painting, config).image.size == (64, 48)
    with pytest.raises(OptionError, match=r"nope: no such model file or built-in model \(built-in models: [a-z_, ]*starry_night") as caught:
        api.load_inputs(photo, painting, config.with_options(init="fast:nope"))
    assert caught.value.field == "init"

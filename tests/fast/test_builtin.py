"""The built-in models: load by name, have their records, and paint toward their paintings."""

from pathlib import Path

import pytest
import torch

from stylegram.config import LossSettings
from stylegram.examples import CONTENT, FOLDER
from stylegram.fast import builtin_models, load_model, stylize
from stylegram.image import fit_long_side, read_image, resize, to_tensor
from stylegram.losses import gram_matrix, style_loss
from stylegram.models import VGG19, load_weights, preprocessing

PAINTINGS = (FOLDER, Path(__file__).parents[2] / "benchmarks" / "images" / "style")
"""Where the built-in models' paintings are in a checkout: the examples, the benchmark's paintings."""


def test_every_built_in_has_a_full_record():
    assert "starry_night" in builtin_models() and len(builtin_models()) >= 3
    for name, path in builtin_models().items():
        record = load_model(name).record
        assert record.painting == f"{name}.jpg" and record.steps > 0 and record.seconds > 0
        assert record.command.startswith("stylegram train ") and record.machine
        assert path.stat().st_size <= 2 * 1024 * 1024


@pytest.mark.parametrize("name", sorted(builtin_models()))
def test_a_built_in_moves_an_unseen_photo_toward_its_painting(name):
    # The bundled Tübingen photo is not among the training photos (Kodak 01-12).
    model = load_model(name)
    photo = read_image(CONTENT).rgb
    out = stylize(model, photo, size=192)
    x, y = to_tensor(resize(photo, out.size)), to_tensor(out)
    assert float((x - y).abs().mean()) > 0.05  # visibly changed
    loss = LossSettings()
    state, kind = load_weights(loss.weights, loss.preprocessing)
    encoder = VGG19(state, preprocessing(kind), [n for n, _ in loss.style_layers])
    painting_file = next(folder / model.record.painting for folder in PAINTINGS if (folder / model.record.painting).is_file())
    painting = read_image(painting_file).rgb
    target = to_tensor(resize(painting, fit_long_side(*painting.size, 192)))
    with torch.no_grad():
        grams = {n: gram_matrix(f) for n, f in encoder(target).items()}

        def distance(image):
            return sum(float(style_loss(gram_matrix(f), grams[n])) for n, f in encoder(image).items())

        before, after = distance(x), distance(y)
    assert after < 0.7 * before, (before, after)


def test_init_fast_starts_the_optimization_from_the_models_painting(photo_dir, painting):
    import numpy as np
    import pytest

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

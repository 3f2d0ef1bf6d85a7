"""The optimization, tested by its properties on small images with the real weights."""

import numpy as np
import pytest

from stylegram import run
from stylegram.engine import GatysLoss
from stylegram.errors import Interrupted, OutOfMemoryError
from stylegram.engine import default_scales, scale_sizes, split_steps


def test_short_run_lowers_the_loss(small_content, small_style):
    events = []
    result = run(small_content, small_style, steps=12, callback=events.append)
    assert [e.step for e in events] == list(range(1, 13))
    assert events[-1].loss < 0.5 * events[1].loss
    assert result.image.size == (96, 72) and result.image.mode == "RGB"
    assert events[-1].seconds_left == 0


def test_same_seed_same_image(small_content, small_style):
    first = run(small_content, small_style, steps=4, init="noise", seed=7).image
    again = run(small_content, small_style, steps=4, init="noise", seed=7).image
    other = run(small_content, small_style, steps=4, init="noise", seed=8).image
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_coarse_to_fine_runs_each_scale(small_content, small_style):
    events = []
    result = run(small_content, small_style, steps=6, scales=(48, 96), callback=events.append)
    assert result.scales == [(48, 36), (96, 72)]
    assert [e.size for e in events] == [(48, 36)] * 4 + [(96, 72)] * 2
    assert result.image.size == (96, 72)


@pytest.mark.parametrize(
    "cause, kind",
    [(KeyboardInterrupt(), Interrupted), (RuntimeError("DefaultCPUAllocator: can't allocate memory"), OutOfMemoryError)],
)
def test_stopped_between_scales_keeps_the_coarse_result(small_content, small_style, monkeypatch, cause, kind):
    """Ctrl+C or running out of memory while the fine scale's targets are computed
    still hands back the coarse scale's result, at the output size."""
    real, calls = GatysLoss.__init__, []

    def second_scale_fails(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise cause
        real(self, *args, **kwargs)

    monkeypatch.setattr(GatysLoss, "__init__", second_scale_fails)
    with pytest.raises(kind) as caught:
        run(small_content, small_style, steps=6, scales=(48, 96))
    assert caught.value.partial.size == (96, 72)
    # Interrupted counts the 4 coarse iterations; an out-of-memory error has no count.
    assert getattr(caught.value, "step", None) == (4 if kind is Interrupted else None)


def test_adam_and_several_styles(small_content, small_style, content_path):
    result = run(small_content, [small_style, content_path], steps=5, optimizer="adam", lr=0.05, style_blend_weights="3,1")
    assert result.image.size == (96, 72) and np.isfinite(result.losses["total"])


def test_preserve_color_keeps_the_content_colours(small_content, small_style):
    from PIL import Image

    content = np.asarray(Image.open(small_content).convert("YCbCr")).astype(float)
    plain = np.asarray(run(small_content, small_style, steps=8).image.convert("YCbCr")).astype(float)
    kept = np.asarray(run(small_content, small_style, steps=8, preserve_color=True).image.convert("YCbCr")).astype(float)
    chroma_error = lambda image: np.abs(image[..., 1:] - content[..., 1:]).mean()  # noqa: E731
    assert chroma_error(kept) < 2.0 < chroma_error(plain)


def test_default_schedule():
    assert default_scales(200) == (200,)
    assert default_scales(256) == (256,) and default_scales(510) == (510,)  # no coarse scale under 256 px
    assert default_scales(511) == (256, 511)
    assert default_scales(512) == (256, 512)
    assert default_scales(700) == (350, 700)
    assert default_scales(1024) == (512, 1024)
    assert scale_sizes((512, 384), None) == [(256, 192), (512, 384)]
    assert scale_sizes((300, 200), (128, 300, 1000)) == [(128, 85), (300, 200)]
    assert split_steps(300, 2) == [200, 100] and split_steps(7, 3) == [4, 2, 1]


def test_layer_names_checked_before_work(small_content, small_style):
    from stylegram import OptionError

    with pytest.raises(OptionError, match=r"^style_layers: unknown VGG19 layer 'conv9_1'"):
        run(small_content, small_style, style_layers="conv1_1,conv9_1")


def test_a_run_leaves_the_global_random_generators_alone(small_content, small_style):
    import random

    import torch

    import stylegram

    random.seed(123)
    torch.manual_seed(123)
    expected = (random.random(), torch.rand(1).item())
    random.seed(123)
    torch.manual_seed(123)
    stylegram.run(small_content, small_style, steps=1, size=48, init="noise", seed=5)
    assert (random.random(), torch.rand(1).item()) == expected

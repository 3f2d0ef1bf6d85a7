"""The size rule: no silent upscaling, ``--size`` sets the long side, round half up."""

from __future__ import annotations

import pytest
import torch

from stylegram.config import DEFAULT_SIZE, MIN_SIDE
from stylegram.errors import ImageReadError, OptionError
from stylegram.image import fit_long_side, output_size, to_pil


@pytest.mark.parametrize(
    ("image", "size", "expected"),
    [
        ((414, 274), None, (414, 274)),  # kept, never upscaled
        ((414, 274), 300, (300, 199)),  # 274 * 300 / 414 = 198.55 -> 199
        ((331, 227), None, (331, 227)),  # primes kept exactly
        ((331, 227), 129, (129, 88)),  # 227 * 129 / 331 = 88.47 -> 88
        ((850, 272), 512, (512, 164)),  # 163.84 -> 164
        ((640, 338), 640, (640, 338)),
        ((8000, 6000), None, (DEFAULT_SIZE, 384)),  # reduced to the default working size
        ((200, 300), None, (200, 300)),  # portrait
        ((200, 300), 100, (67, 100)),  # 66.67 -> 67
        ((7, 7), 64, (64, 64)),  # upscaling only when asked
        ((99, 33), 100, (100, 33)),  # 33.33 -> 33
    ],
)
def test_output_size(image, size, expected):
    assert output_size(*image, size) == expected


def test_half_rounds_up():
    assert fit_long_side(400, 101, 200) == (200, 51)  # 50.5 -> 51
    assert fit_long_side(101, 400, 200) == (51, 200)


def test_every_odd_and_prime_size_is_exact():
    for width in range(32, 140, 7):
        for height in (33, 47, 97, 131):
            assert output_size(width, height, None) == (width, height)
            w, h = output_size(width, height, 200)
            assert max(w, h) == 200 and min(w, h) >= MIN_SIDE


def test_tiny_image_rejected_with_minimum():
    with pytest.raises(ImageReadError, match=rf"tiny.png: image is 7x7 px.*at least {MIN_SIDE} px.*size 32 or larger"):
        output_size(7, 7, None, "tiny.png")


def test_extreme_aspect_ratio_rejected_with_size_that_works():
    with pytest.raises(ImageReadError, match=r"2000x40 px, which gives 512x10 px.*use size 1575 or larger"):
        output_size(2000, 40, None, "strip.png")
    with pytest.raises(OptionError, match=r"^size: .*use size 1575 or larger") as info:
        output_size(2000, 40, 800, "strip.png")
    assert info.value.field == "size"
    assert output_size(2000, 40, 1575) == (1575, 32)  # 31.5 rounds half up


@pytest.mark.parametrize(("width", "height", "smallest"), [(400, 300, 42), (300, 400, 42), (640, 427, 48)])
def test_suggested_size_is_the_smallest_that_works(width, height, smallest):
    """The suggestion is exact: it works and one pixel less does not (4:3 needs 42: 42x32)."""
    with pytest.raises(OptionError, match=rf"use size {smallest} or larger"):
        output_size(width, height, 20)
    assert min(output_size(width, height, smallest)) == MIN_SIDE
    with pytest.raises(OptionError):
        output_size(width, height, smallest - 1)


def test_to_pil_clamps_never_wraps_and_removes_nan():
    tensor = torch.tensor([1.5, -0.5, float("nan")]).view(1, 3, 1, 1)
    assert to_pil(tensor).getpixel((0, 0)) == (255, 0, 0)


def test_tensor_round_trip():
    from PIL import Image

    from stylegram.image import to_tensor

    image = Image.new("RGB", (5, 3), (10, 200, 255))
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 3, 5) and tensor.dtype == torch.float32
    assert to_pil(tensor).tobytes() == image.tobytes()

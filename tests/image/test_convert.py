import pytest
import torch
from PIL import Image

from stylegram.errors import ImageReadError, OptionError
from stylegram.image import fit_long_side, output_size, to_pil, to_tensor


@pytest.mark.parametrize(
    "size, long_side, expected",
    [((414, 274), 300, (300, 199)), ((850, 272), 512, (512, 164)), ((227, 331), 129, (88, 129)), ((64, 64), 32, (32, 32))],
)
def test_fit_long_side_rounds_half_up(size, long_side, expected):
    assert fit_long_side(*size, long_side) == expected


def test_output_size_never_upscales_silently():
    assert output_size(414, 274, None) == (414, 274)
    assert output_size(1024, 768, None) == (512, 384)
    assert output_size(414, 274, 600) == (600, 397)  # asked for explicitly


def test_output_size_rejects_too_small():
    with pytest.raises(OptionError, match="--size: .* at least 32 px"):
        output_size(1024, 205, 128)
    with pytest.raises(ImageReadError, match=r"tiny.png: image is 7x7 px.*at least 32 px"):
        output_size(7, 7, None, "tiny.png")


def test_tensor_round_trip_and_clamping():
    image = Image.new("RGB", (5, 3), (10, 200, 255))
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 3, 5) and tensor.dtype == torch.float32
    assert to_pil(tensor).tobytes() == image.tobytes()
    wild = torch.tensor([-0.5, 1.7, float("nan")]).view(1, 3, 1, 1)
    assert to_pil(wild).getpixel((0, 0)) == (0, 255, 0)

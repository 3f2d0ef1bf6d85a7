"""The transformation network: exact output sizes, range, widths, errors."""

import pytest
import torch

from stylegram.errors import OptionError
from stylegram.fast.network import MIN_INPUT_SIDE, TransformerNet


@pytest.mark.parametrize("height,width", [(8, 8), (13, 17), (31, 97), (64, 61), (101, 33)])
def test_output_has_exactly_the_input_size(height, width):
    net = TransformerNet("half").eval()
    out = net(torch.rand(2, 3, height, width))
    assert out.shape == (2, 3, height, width)
    assert 0 <= float(out.detach().min()) and float(out.detach().max()) <= 1


def test_parameter_counts_of_the_two_widths():
    # Johnson et al.'s network: 1,679,235 parameters with instance-norm scales and shifts;
    # half width has each layer's channels halved (about a quarter of the parameters).
    counts = {w: sum(p.numel() for p in TransformerNet(w).parameters()) for w in ("full", "half")}
    assert counts == {"full": 1679235, "half": 424899}


def test_fully_convolutional_translation():
    # No global operation but instance norm: a crop's output differs from the full image's
    # only through the statistics, so both inputs must give finite, same-size results.
    net = TransformerNet("half").eval()
    x = torch.rand(1, 3, 40, 40)
    assert net(x[..., :32, :24]).shape == (1, 3, 32, 24)


def test_too_small_input_and_unknown_width_are_option_errors():
    with pytest.raises(OptionError, match=f"at least {MIN_INPUT_SIDE} px"):
        TransformerNet("half")(torch.rand(1, 3, 7, 30))
    with pytest.raises(OptionError, match="width: unknown value 'wide'") as error:
        TransformerNet("wide")
    assert error.value.field == "width"

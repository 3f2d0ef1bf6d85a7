"""Colour preservation optimizes luminance only, whatever the run starts from."""

import pytest
import torch

from stylegram import run
from stylegram.engine import GatysLoss


@pytest.mark.parametrize("start", ["content", "image", "noise"])
def test_the_first_evaluated_image_is_gray(small_content, small_style, monkeypatch, start):
    real, seen = GatysLoss.__call__, []

    def recording(self, image):
        seen.append(image.detach().clone())
        return real(self, image)

    monkeypatch.setattr(GatysLoss, "__call__", recording)
    # --init PATH with a colour photo, as a resumed run starts from its colour output.
    init = str(small_style) if start == "image" else start
    result = run(small_content, small_style, steps=2, preserve_color=True, init=init)
    first = seen[0]
    assert torch.allclose(first[:, 0], first[:, 1]) and torch.allclose(first[:, 1], first[:, 2])
    assert result.image.mode == "RGB"

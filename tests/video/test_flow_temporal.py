"""Flow, mask, warping error and the temporal term, by values that could fail."""

from __future__ import annotations

import numpy as np
import torch

from stylegram.losses import LossInputs, PerceptualLoss
from stylegram.losses.temporal import TemporalTerm, temporal_loss
from stylegram.video import consistency_mask, optical_flow, warp, warping_error

from .conftest import pattern


def test_flow_finds_a_known_shift_and_warping_undoes_it() -> None:
    a, b = pattern(0), pattern(1)  # b is a moved 2 px right
    flow = optical_flow(a, b)
    inner = flow[8:-8, 8:-8]
    assert abs(np.median(inner[..., 0]) - 2) < 0.3 and abs(np.median(inner[..., 1])) < 0.3
    back = optical_flow(b, a)
    warped = warp(a.astype(np.float32), back)  # a's content at b's pixels
    assert np.abs(warped[8:-8, 8:-8] - b[8:-8, 8:-8]).mean() < 3


def test_bicubic_warps_blur_less_than_bilinear_when_repeated() -> None:
    """A video's later frames each start from the one before, warped: ten half-pixel
    moves there and back soften a texture less with the bicubic kernel."""
    rng = np.random.default_rng(0)
    texture = rng.random((48, 48, 3), dtype=np.float32)
    half = np.zeros((48, 48, 2), np.float32)
    half[..., 0] = 0.5

    def detail(bicubic: bool) -> float:
        image = texture
        for _ in range(10):
            image = warp(warp(image, half, bicubic=bicubic), -half, bicubic=bicubic)
        return float(np.abs(np.diff(image[8:-8, 8:-8], axis=1)).mean())

    assert detail(bicubic=True) > 1.3 * detail(bicubic=False)


def test_mask_flags_pixels_whose_flow_does_not_come_back() -> None:
    forward = np.zeros((10, 10, 2), np.float32)
    forward[..., 0] = 1  # everything moves 1 px right
    backward = -forward.copy()
    backward[:, :5] = 0  # the way back disagrees on the left half of b
    mask = consistency_mask(forward, backward)
    assert mask[:, 6:9].all() and not mask[:, :4].any()  # p + 1 lands in b's left half for p < 4
    assert not mask[:, 9].any()  # the last column moves out of the frame


def test_warping_error_zero_for_the_input_itself_and_positive_for_flicker() -> None:
    frames = [pattern(i) for i in range(4)]
    rng = np.random.default_rng(0)
    flicker = [np.clip(f.astype(int) + rng.integers(-40, 40, f.shape), 0, 255).astype(np.uint8) for f in frames]
    steady = warping_error(frames, frames)
    assert steady < 0.002 < warping_error(flicker, frames)


def test_temporal_loss_by_hand_and_as_a_term() -> None:
    image = torch.zeros(1, 3, 2, 2, requires_grad=True)
    warped = torch.full((1, 3, 2, 2), 0.5)
    mask = torch.tensor([[[[1.0, 1.0], [0.0, 1.0]]]])
    # 3 trusted pixels x 3 channels x 0.25 / (3 * 4) = 0.1875
    assert torch.allclose(temporal_loss(image, warped, mask), torch.tensor([0.1875]))
    loss = PerceptualLoss([TemporalTerm(warped, mask, weight=2.0)])
    total, terms = loss(LossInputs(image, {}))
    assert torch.allclose(total, torch.tensor(0.375)) and set(terms) == {"temporal"}
    total.backward()
    assert image.grad[0, :, 1, 0].abs().sum() == 0 and image.grad[0, 0, 0, 0] < 0  # masked pixel gets no pull

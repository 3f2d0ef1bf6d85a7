import pytest
import torch

from stylegram.losses import content_loss, gram_matrix, style_loss, total_variation


def test_gram_matrix_by_hand():
    # Two channels over 2x2 positions: F = [[1, 2, 3, 4], [0, 1, 0, 1]].
    # F F^T = [[30, 6], [6, 2]], divided by H*W = 4.
    features = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])
    expected = torch.tensor([[[7.5, 1.5], [1.5, 0.5]]])
    assert torch.allclose(gram_matrix(features), expected)


def test_gram_matrix_is_float32_for_bf16_features():
    features = torch.rand(2, 3, 4, 5).bfloat16()
    gram = gram_matrix(features)
    assert gram.dtype == torch.float32 and gram.shape == (2, 3, 3)


def test_gram_matrix_does_not_depend_on_image_size():
    # Tiling an image 2x2 keeps every channel statistic, so the normalized Gram is equal.
    features = torch.rand(1, 4, 3, 5)
    tiled = features.repeat(1, 1, 2, 2)
    assert torch.allclose(gram_matrix(features), gram_matrix(tiled), atol=1e-6)


def test_style_loss_zero_between_image_and_itself():
    gram = gram_matrix(torch.rand(1, 8, 6, 6))
    assert style_loss(gram, gram).item() == 0.0


def test_style_loss_is_relative_squared_error():
    target = torch.tensor([[[2.0, 0.0], [0.0, 2.0]]])
    gram = torch.tensor([[[3.0, 0.0], [0.0, 2.0]]])
    # ||G - A||^2 = 1, ||A||^2 = 8
    assert style_loss(gram, target).item() == pytest.approx(1 / 8)


def test_content_loss_relative_and_zero_for_equal_features():
    target = torch.full((1, 2, 2, 2), 2.0)  # ||P||^2 = 32
    assert content_loss(target, target).item() == 0.0
    assert content_loss(target + 1, target).item() == pytest.approx(8 / 32)


def test_total_variation_by_hand():
    image = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    # horizontal differences: 1, 1 -> mean 1; vertical: 0, 0 -> mean 0
    assert total_variation(image).item() == pytest.approx(1.0)
    assert total_variation(torch.full((1, 3, 5, 5), 0.3)).item() == 0.0

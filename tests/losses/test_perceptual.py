"""The perceptual loss object: pluggable terms, batched, with cached Gram targets."""

import pytest
import torch

from stylegram.config import LossSettings
from stylegram.losses import (
    ContentTerm,
    LossInputs,
    PerceptualLoss,
    StyleTerm,
    TotalVariationTerm,
    gatys_terms,
    gram_matrix,
    relative_total_variation,
    total_variation,
)


def _features(seed, batch=1):
    generator = torch.Generator().manual_seed(seed)
    return {
        "a": torch.rand(batch, 4, 6, 6, generator=generator),
        "b": torch.rand(batch, 8, 3, 3, generator=generator),
    }


def test_a_batch_scores_the_mean_of_its_images():
    style = StyleTerm.from_features([("a", 1.0), ("b", 0.5)], [_features(0)], [1.0], weight=10.0)
    loss = PerceptualLoss([ContentTerm([("b", 1.0)], 2.0), style, TotalVariationTerm(0.1)])
    images = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(3))
    contents = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    features, targets = _features(1, batch=2), _features(2, batch=2)
    total, terms = loss(LossInputs(images, features, targets, contents))
    singles = [
        loss(LossInputs(images[i : i + 1], {k: v[i : i + 1] for k, v in features.items()},
                        {k: v[i : i + 1] for k, v in targets.items()}, contents[i : i + 1]))[0]
        for i in range(2)
    ]
    assert total.item() == pytest.approx((singles[0].item() + singles[1].item()) / 2, rel=1e-5)
    assert set(terms) == {"content", "style", "tv"}
    assert total.item() == pytest.approx(sum(t.item() for t in terms.values()), rel=1e-6)
    assert loss.layers == ("b", "a")


def test_style_targets_are_the_blended_gram_matrices_fixed_at_build_time():
    first, second = _features(5), _features(6)
    term = StyleTerm.from_features([("a", 1.0)], [first, second], [0.75, 0.25], weight=1.0)
    expected = 0.75 * gram_matrix(first["a"]) + 0.25 * gram_matrix(second["a"])
    first["a"].mul_(3)  # later changes to the features do not move the target
    assert torch.allclose(term.targets["a"], expected)
    assert term(LossInputs(torch.zeros(1, 3, 2, 2), {"a": first["a"] / 3})).item() > 0


def test_relative_total_variation_by_hand():
    image = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])  # TV 1 (see test_functional)
    reference = torch.tensor([[[[0.0, 0.5], [0.0, 0.5]]]])  # TV 0.25
    assert relative_total_variation(image, reference).item() == pytest.approx(4.0)
    assert relative_total_variation(reference, reference).item() == pytest.approx(1.0)
    flat = torch.full((1, 1, 2, 2), 0.3)
    assert relative_total_variation(image, flat).item() == pytest.approx(255**2)
    assert total_variation(torch.stack([image[0], reference[0]])).tolist() == pytest.approx([1.0, 0.25])


def test_a_new_term_plugs_in_by_name():
    class Brightness:
        name, weight, layers = "brightness", 2.0, ()

        def __call__(self, inputs):
            return inputs.image.flatten(1).mean(1)

    loss = PerceptualLoss([Brightness()])
    total, terms = loss(LossInputs(torch.full((2, 3, 4, 4), 0.25), {}))
    assert total.item() == pytest.approx(0.5) and list(terms) == ["brightness"]


def test_term_names_must_be_distinct():
    with pytest.raises(ValueError, match="distinct"):
        PerceptualLoss([TotalVariationTerm(1.0), TotalVariationTerm(2.0)])


def test_gatys_terms_come_from_the_loss_settings_alone():
    settings = LossSettings(
        content_layers="b", style_layers="a:1,b:0.5", content_weight=2, style_weight=10, tv_weight=0.1
    )
    loss = gatys_terms(settings, [_features(0)], [1.0])
    assert [t.name for t in loss.terms] == ["content", "style", "tv"]
    assert [t.weight for t in loss.terms] == [2.0, 10.0, 0.1]
    assert loss.layers == ("b", "a")
    same = PerceptualLoss(
        [
            ContentTerm([("b", 1.0)], 2.0),
            StyleTerm.from_features([("a", 1.0), ("b", 0.5)], [_features(0)], [1.0], weight=10.0),
            TotalVariationTerm(0.1),
        ]
    )
    images = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(3))
    inputs = LossInputs(images, _features(1, batch=2), _features(2, batch=2), torch.rand(2, 3, 8, 8))
    assert float(loss(inputs)[0]) == pytest.approx(float(same(inputs)[0]), rel=1e-6)

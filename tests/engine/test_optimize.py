"""The one-scale loop returns the best image it evaluated."""

import pytest
import torch

from stylegram.engine.optimize import optimize_scale


@pytest.mark.parametrize("optimizer, lr", [("lbfgs", 1.0), ("adam", 0.1)])
def test_returns_the_evaluated_image_with_the_lowest_loss(optimizer, lr):
    target = torch.linspace(0.1, 0.9, 12).reshape(1, 3, 2, 2)
    evaluated = []

    def loss_fn(x):
        total = (x - target).pow(2).sum() + 0.3 * x.sin().sum()
        evaluated.append((total.item(), x.detach().clone()))
        return total, {"content": total}

    start = torch.full((1, 3, 2, 2), 0.5)
    result = optimize_scale(start, loss_fn, optimizer=optimizer, steps=5, lr=lr, on_step=lambda *a: None)
    best = min(evaluated, key=lambda pair: pair[0])[1]
    assert len(evaluated) == 5
    assert torch.equal(result, best.clamp(0, 1))


def test_lbfgs_uses_the_learning_rate():
    target = torch.full((1, 3, 2, 2), 0.8)

    def loss_fn(x):
        total = (x - target).pow(2).sum()
        return total, {"content": total}

    def run(lr):
        seen = []
        optimize_scale(
            torch.zeros(1, 3, 2, 2), loss_fn, optimizer="lbfgs", steps=2, lr=lr,
            on_step=lambda step, total, terms, x: seen.append(x.detach().clone()),
        )
        return seen[0]

    # L-BFGS's first step is the gradient scaled to unit length (times lr) at most 1.
    assert torch.allclose(run(0.5).sum(), run(1.0).sum() / 2)

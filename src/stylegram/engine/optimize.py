"""One scale of the optimization: L-BFGS or Adam on the image's pixels.

The network's weights stay fixed; the loss is backpropagated into the image
(Gatys et al., CVPR 2016). The loop emits one call of ``on_step`` per iteration and
keeps the best (lowest-loss) image it has evaluated, which it returns at the end
(an optimizer step moves the image past the last evaluated point) and hands back
if the run is stopped or cancelled, the loss stops being finite, or memory runs out.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from ..errors import Cancelled, NonFiniteLossError
from .memory import is_out_of_memory

__all__ = ["optimize_scale", "ScaleStopped", "LossFunction"]

LossFunction = Callable[[torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]


class ScaleStopped(Exception):
    """Internal: the scale was stopped; ``best`` is the best image so far, ``steps`` done."""

    def __init__(self, cause: BaseException, best: torch.Tensor, steps: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.best = best
        self.steps = steps


def _make_optimizer(name: str, image: torch.Tensor, lr: float) -> torch.optim.Optimizer:
    if name == "lbfgs":
        # One function evaluation per iteration; lr scales L-BFGS's own step.
        return torch.optim.LBFGS([image], lr=lr, max_iter=1, history_size=50, tolerance_grad=0, tolerance_change=0)
    return torch.optim.Adam([image], lr=lr)


def optimize_scale(
    image: torch.Tensor,
    loss_fn: LossFunction,
    *,
    optimizer: str,
    steps: int,
    lr: float,
    on_step: Callable[[int, float, dict[str, float], torch.Tensor], None],
    stop: Callable[[], bool] | None = None,
) -> torch.Tensor:
    """Optimize ``image`` for ``steps`` iterations at one scale.

    Args:
        image: ``(1, 3, H, W)`` float32 RGB 0-1, the starting point (not modified).
        loss_fn: Maps the image to ``(total, {"content":.., "style":.., "tv":..})``.
        optimizer: ``"lbfgs"`` or ``"adam"`` (Adam clamps the image to 0-1 after each step).
        steps: Iterations (each one loss evaluation, plus backward).
        lr: Adam's learning rate in image units per step; for L-BFGS a factor on
            its step (1 is the plain quasi-Newton step).
        on_step: Called after each iteration with ``(iteration, total, terms, image)``.
        stop: Checked after each iteration; when it returns ``True`` the scale
            ends with :class:`~stylegram.errors.Cancelled`.

    Returns:
        The evaluated image with the lowest loss, clamped to 0-1.

    Raises:
        ScaleStopped: Wrapping ``KeyboardInterrupt``, :class:`~stylegram.errors.Cancelled`,
            :class:`NonFiniteLossError` or an out-of-memory error (see
            :func:`~stylegram.engine.memory.is_out_of_memory`), with the best image so far.
    """
    x = image.detach().clone().requires_grad_(True)
    opt = _make_optimizer(optimizer, x, lr)
    best, best_loss = x.detach().clone(), math.inf
    last_total, last_terms = math.nan, {}

    def closure() -> torch.Tensor:
        nonlocal best, best_loss, last_total, last_terms
        opt.zero_grad(set_to_none=True)
        total, terms = loss_fn(x)
        total.backward()
        # One device-to-host copy per iteration for the total and its terms (on CUDA each
        # float() would be a separate synchronization; L-BFGS needs the value anyway).
        values = torch.stack([total.detach(), *(v.detach() for v in terms.values())]).tolist()
        last_total, last_terms = values[0], dict(zip(terms, values[1:]))
        if last_total < best_loss:
            best, best_loss = x.detach().clone(), last_total
        return total

    done = 0  # iterations finished, callback included
    try:
        for step in range(1, steps + 1):
            opt.step(closure)
            if not math.isfinite(last_total):
                raise NonFiniteLossError(f"loss became {last_total}", step)
            if optimizer == "adam":
                with torch.no_grad():
                    x.clamp_(0, 1)
            on_step(step, last_total, last_terms, x)
            done = step
            if stop is not None and stop():
                raise Cancelled("cancelled", done)
    except (KeyboardInterrupt, Cancelled, NonFiniteLossError, MemoryError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and not is_out_of_memory(error):
            raise
        raise ScaleStopped(error, best.clamp(0, 1), done) from None
    return best.clamp(0, 1)

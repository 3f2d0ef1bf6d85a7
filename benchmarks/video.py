"""Flicker of per-frame vs temporally consistent video stylization (issue 12).

E_warp of Lai et al. 2018 (:func:`stylegram.video.warping_error`) on two clips: a
photo panned and zoomed (known motion, generated here) and the first seconds of Big
Buck Bunny ((c) copyright 2008, Blender Foundation / www.bigbuckbunny.org, CC BY 3.0;
/work/shared/data/video/SOURCES.md), for ``temporal_weight=0`` (each frame on its
own, full iterations) and the default consistent mode; with ``--method fast``, the
built-in ``starry_night`` network with each ``--blends`` weight (0: per-frame). Beside
it, so that consistency is not bought by washing the style out: the judge's style
distance per frame (``benchmarks/judge.py``: |P(out) - P(painting)| / |P(in) -
P(painting)| in Ghiasi et al.'s embedding, each frame against its own input frame,
mean over frames; no tool optimizes it) and the Gatys style loss per frame (what the
optimization method minimizes: it flatters that method), and seconds per frame.
Results are rewritten to the JSON file after every row.

    nice -n 10 python benchmarks/video.py --out docs/video-benchmark.json [--later-steps 10] [--temporal-weights 50,100]
    python benchmarks/video.py --method fast --size 512 --frames 24 --out docs/video-fast-benchmark.json

``--figure PATH`` also saves, for the last clip, its first, middle and last frames:
the input, then each mode's output, a line each, labelled (a JPEG for the docs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge  # noqa: E402  (the judge sits next to this script)
from compare import _machine  # noqa: E402

from stylegram import StyleConfig
from stylegram.models import encoder
from stylegram.examples import CONTENT, STYLE
from stylegram.image import fit_long_side, resize, to_tensor
from stylegram.losses import LossInputs, gatys_terms
from stylegram.video import DEFAULT_TEMPORAL_WEIGHT, probe, read_frames, stylize_video, warping_error, write_clip

BUNNY = Path("/work/shared/data/video/bigbuckbunny.mp4")
ATTRIBUTION = (
    '"Big Buck Bunny" (c) copyright 2008, Blender Foundation / www.bigbuckbunny.org, '
    "licensed under Creative Commons Attribution 3.0 (CC BY 3.0)"
)


def pan_zoom_clip(folder: Path, frames: int, size: tuple[int, int]) -> Path:
    """A folder of frames: the example photo panned right 3 px and zoomed 1 % per frame."""
    photo = Image.open(CONTENT).convert("RGB")
    width, height = size
    out = folder / "panzoom"
    out.mkdir()
    for i in range(frames):
        scale = 1.6 * (1 + 0.01 * i)
        crop_w, crop_h = photo.width / scale, photo.height / scale * (photo.width / photo.height) * height / width
        left = 40 + 3 * i * crop_w / width
        top = (photo.height - crop_h) / 2
        frame = photo.resize(size, Image.Resampling.LANCZOS, box=(left, top, left + crop_w, top + crop_h))
        frame.save(out / f"frame_{i + 1:04d}.png")
    return out


def bunny_clip(folder: Path, frames: int, start: int) -> Path:
    """The Big Buck Bunny frames ``start`` to ``start + frames`` as a short clip with its sound."""
    clip = probe(BUNNY)
    images = (image for index, image in enumerate(read_frames(clip)) if index >= start)
    # Re-time the frames from 0 with the clip's own timeline (first frames' stamps).
    return write_clip(folder / "bunny.mp4", clip, images, frames)


def style_distance(config: StyleConfig, frames: list[np.ndarray]) -> float:
    """Mean over frames of the unweighted Gatys style loss against the painting
    (resized to the frames' long side, as the engine does at style scale 1)."""
    network = encoder(config.weights, config.preprocessing, config.network_layers, config.pooling, "cpu")
    style = Image.open(STYLE).convert("RGB")
    height, width = frames[0].shape[:2]
    style = resize(style, fit_long_side(*style.size, max(width, height)))
    with torch.no_grad():
        loss = gatys_terms(config.with_options(style_weight=1.0), [network(to_tensor(style))], [1.0])
        term = next(t for t in loss.terms if t.name == "style")
        values = []
        for frame in frames:
            image = to_tensor(Image.fromarray(frame))
            values.append(float(term(LossInputs(image, network(image)))))
    return float(np.mean(values))


def judged_style_distance(scorer: judge.Judge, outputs: list[np.ndarray], inputs: list[np.ndarray]) -> float:
    """Mean over frames of the judge's style distance, each output frame against its
    own input frame and the painting (both at the frame's long side)."""
    height, width = outputs[0].shape[:2]
    painting = scorer.embed(resize(scorer.painting, fit_long_side(*scorer.painting.size, max(width, height))))
    values = []
    for out, frame in zip(outputs, inputs):
        photo = float(np.linalg.norm(scorer.embed(Image.fromarray(frame)) - painting))
        values.append(float(np.linalg.norm(scorer.embed(Image.fromarray(out)) - painting)) / photo)
    return float(np.mean(values))


def _wrapped(draw, text: str, font, width: int) -> list[str]:
    """``text`` broken into lines that fit ``width`` pixels."""
    lines, line = [], ""
    for word in text.split():
        if line and draw.textlength(f"{line} {word}", font=font) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def figure(lines: list[tuple[str, list[np.ndarray]]], path: Path, caption: str) -> None:
    """Three frames (first, middle, last) per line, each line labelled, with ``caption``
    below (wrapped: the clip's attribution is shown whole)."""
    from PIL import ImageDraw, ImageFont

    height, width = lines[0][1][0].shape[:2]
    label, pad = 150, 4
    picks = [0, len(lines[0][1]) // 2, len(lines[0][1]) - 1]
    small = ImageFont.load_default(size=11)
    total = label + 3 * (width + pad)
    notes = _wrapped(ImageDraw.Draw(Image.new("RGB", (1, 1))), caption, small, total - 8)
    canvas = Image.new("RGB", (total, len(lines) * (height + pad) + 14 * len(notes) + 8), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=13)
    for row, (name, frames) in enumerate(lines):
        y = row * (height + pad)
        text = "\n".join(part for chunk in name.split("\n") for part in _wrapped(draw, chunk, font, label - 8))
        draw.multiline_text((4, y + 4), text, fill="black", font=font)
        for column, index in enumerate(picks):
            canvas.paste(Image.fromarray(frames[index]), (label + column * (width + pad), y))
    for number, note in enumerate(notes):
        draw.text((4, len(lines) * (height + pad) + 4 + 14 * number), note, fill="black", font=small)
    canvas.save(path, quality=85, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/video-benchmark.json"))
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--method", choices=("optimize", "fast"), default="optimize")
    parser.add_argument("--blends", default="0,0.3,0.6,0.8", help="For --method fast: blend weights, comma separated.")
    parser.add_argument("--later-steps", default="", help="For --method optimize: later-frame iterations to try beside the default, comma separated.")
    parser.add_argument("--temporal-weights", default="", help="For --method optimize: temporal weights to try beside the default, comma separated.")
    parser.add_argument("--figure", type=Path, default=None, help="Save frames of the last clip here (JPEG).")
    args = parser.parse_args()
    torch.set_num_threads(2)
    config = StyleConfig(size=args.size, steps=args.steps, device="cpu")
    report = {
        "machine": _machine(2),
        "threads": torch.get_num_threads(),
        "size": args.size,
        "frames": args.frames,
        "first_steps": args.steps,
        "method": args.method,
        "attribution": ATTRIBUTION,
        "rows": [],
    }
    if args.method == "fast":
        modes = [(f"blend {b:g}", {"method": "fast", "model": "starry_night", "blend": b}) for b in map(float, args.blends.split(","))]
        styles: object = ()
    else:
        modes = [("per-frame", {"temporal_weight": 0.0}), ("consistent", {"temporal_weight": DEFAULT_TEMPORAL_WEIGHT})]
        for weight in [DEFAULT_TEMPORAL_WEIGHT, *map(float, filter(None, args.temporal_weights.split(",")))]:
            for later in [None, *map(int, filter(None, args.later_steps.split(",")))]:
                if (weight, later) != (DEFAULT_TEMPORAL_WEIGHT, None):
                    name = f"consistent, weight {weight:g}" + (f", {later} later" if later else "")
                    modes.append((name, {"temporal_weight": weight, "later_steps": later}))
        styles = STYLE
    scorer = judge.Judge(Image.open(CONTENT), Image.open(STYLE), threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = {"pan-zoom photo": pan_zoom_clip(folder, args.frames, (args.size, args.size * 2 // 3))}
        if BUNNY.is_file():
            clips["Big Buck Bunny (frames 50-)"] = bunny_clip(folder, args.frames, 50)
        for name, source in clips.items():
            lines: list[tuple[str, list[np.ndarray]]] = []
            for mode, options in modes:
                output = folder / f"{len(report['rows'])}"  # PNG frames: no encoder between the modes
                start = time.perf_counter()
                result = stylize_video(source, styles, output, config, **options)
                seconds = time.perf_counter() - start
                outputs = [np.asarray(f) for f in read_frames(probe(output))]
                inputs = [np.asarray(resize(f, result.size)) for f in read_frames(probe(source))]
                report["rows"].append(
                    {
                        "clip": name,
                        "mode": mode,
                        "temporal_weight": result.temporal_weight,
                        "blend": result.blend,
                        "later_steps": result.later_steps,
                        "e_warp": warping_error(outputs, inputs),
                        "judge_style_distance": judged_style_distance(scorer, outputs, inputs),
                        "gatys_style_loss": style_distance(config, outputs),
                        "seconds": round(seconds, 1),
                        "seconds_per_later_frame": round(result.seconds_per_frame, 2),
                        "size": list(result.size),
                    }
                )
                args.out.write_text(json.dumps(report, indent=1))
                print(json.dumps(report["rows"][-1]), flush=True)
                row = report["rows"][-1]
                lines.append((f"{mode}\nE_warp {row['e_warp']:.4f}\nstyle d {row['judge_style_distance']:.2f}", outputs))
            lines.insert(0, ("input frames\n(first, middle, last)", inputs))
        if args.figure is not None:
            figure(lines, args.figure, f"{name}: " + (ATTRIBUTION if "Bunny" in name else "the bundled Tübingen photo, panned and zoomed"))


if __name__ == "__main__":
    main()

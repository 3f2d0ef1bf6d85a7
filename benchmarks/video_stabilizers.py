"""Training-free stabilizers for the fast method's video, side by side (issue 12).

What ``stylegram video --method fast`` does (``pixel``: the warped previous *output*
blended into the trusted pixels with weight ``a``; ``a = 0`` is per-frame), against
blending in the network's own feature space (``feature``: the residual blocks'
output, at a quarter of the frame's size, blended with the previous frame's blended
features warped by the flow, then decoded, so the decoder draws its strokes afresh
from steadier features) and both at once (``feature+pixel``: features at ``a``,
then pixels at 0.3). Clips, flow, mask, E_warp (Lai et al. 2018) and the judge's
style distance as in ``benchmarks/video.py`` (the Big Buck Bunny clip: (c) copyright
2008, Blender Foundation / www.bigbuckbunny.org, CC BY 3.0).

    python benchmarks/video_stabilizers.py --model starry_night --frames 24 \\
        --out docs/video-stabilizers-2026-12-04.json --figure docs/figures/video-stabilizers-2026-12-04.jpg

The figure: the Big Buck Bunny clip's first, middle and last frames, one line per
variant, labelled.
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
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge  # noqa: E402  (the judge sits next to this script)
from compare import _machine  # noqa: E402
from video import ATTRIBUTION, bunny_clip, figure, judged_style_distance, pan_zoom_clip  # noqa: E402

from stylegram.examples import CONTENT  # noqa: E402
from stylegram.fast import load_model  # noqa: E402
from stylegram.image import fit_long_side, resize, to_pil, to_tensor  # noqa: E402
from stylegram.video import consistency_mask, optical_flow, probe, read_frames, warp, warping_error  # noqa: E402

VARIANTS = [("pixel", 0.0), ("pixel", 0.3), ("feature", 0.7), ("feature", 0.85), ("feature", 0.95), ("feature+pixel", 0.85)]
PAINTINGS = Path("/work/shared/data/images/style")


def encode(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The transformation network's features after its residual blocks: ``(1, C, H/4, W/4)``."""
    return net.residuals(net.down3(net.down2(net.down1(x))))


def decode(net: torch.nn.Module, y: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The network's upsampling half, as its ``forward``: RGB ``(1, 3, *size)`` in 0-1."""
    height, width = size
    y = net.up2(F.interpolate(y, size=((height + 1) // 2, (width + 1) // 2), mode="nearest"))
    y = net.up1(F.interpolate(y, size=size, mode="nearest"))
    return (torch.tanh(net.out(y)) + 1) / 2


def warp_features(features: torch.Tensor, flow: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``features`` (at a fraction of the frame's size) warped by the frame's ``flow``,
    and the trusted share of each feature pixel (the frame's mask averaged over it)."""
    import cv2

    height, width = features.shape[-2:]
    small = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA)
    small[..., 0] *= width / flow.shape[1]
    small[..., 1] *= height / flow.shape[0]
    moved = warp(features[0].permute(1, 2, 0).numpy(), small)
    share = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(moved).permute(2, 0, 1)[None], torch.from_numpy(share)[None, None]


def stylize(net: torch.nn.Module, frames: list[np.ndarray], variant: str, a: float) -> list[np.ndarray]:
    """The clip's frames painted by ``net`` with one stabilizer; uint8 RGB each."""
    outputs: list[np.ndarray] = []
    previous: tuple[np.ndarray, np.ndarray, torch.Tensor] | None = None  # input, output, features
    for frame in frames:
        with torch.no_grad():
            features = encode(net, to_tensor(Image.fromarray(frame)))
            if previous is not None and a > 0:
                back = optical_flow(frame, previous[0])
                mask = consistency_mask(back, optical_flow(previous[0], frame))
                pixel_weight = a if variant == "pixel" else 0.3 if variant == "feature+pixel" else 0.0
                if variant != "pixel":
                    moved, share = warp_features(previous[2], back, mask)
                    features = a * share * moved + (1 - a * share) * features
                painted = decode(net, features, frame.shape[:2])
                if pixel_weight:
                    warped = warp(previous[1].astype(np.float32) / 255, back, bicubic=True).clip(0, 1)
                    weight = pixel_weight * torch.from_numpy(mask)[None, None]
                    painted = weight * torch.from_numpy(warped).permute(2, 0, 1)[None] + (1 - weight) * painted
            else:
                painted = decode(net, features, frame.shape[:2])
        outputs.append(np.asarray(to_pil(painted.clamp(0, 1))))
        previous = (frame, outputs[-1], features)
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night", help="A built-in model name (its painting is the judge's).")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--out", type=Path, default=Path("docs/video-stabilizers.json"))
    parser.add_argument("--figure", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_model(args.model)
    net = model.net.eval()
    scorer = judge.Judge(Image.open(CONTENT), Image.open(PAINTINGS / model.record.painting), threads=2)
    report = {"machine": _machine(2), "model": args.model, "frames": args.frames, "size": args.size,
              "attribution": ATTRIBUTION, "argv": sys.argv, "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = {"pan-zoom photo": pan_zoom_clip(folder, args.frames, (args.size, args.size * 2 // 3)),
                 "Big Buck Bunny (frames 50-)": bunny_clip(folder, args.frames, 50)}
        for name, source in clips.items():
            frames = [np.asarray(resize(f.convert("RGB"), fit_long_side(*f.size, args.size))) for f in read_frames(probe(source))]
            lines: list[tuple[str, list[np.ndarray]]] = [("input frames\n(first, middle, last)", frames)]
            for variant, a in VARIANTS:
                start = time.perf_counter()
                outputs = stylize(net, frames, variant, a)
                row = {"clip": name, "variant": variant, "a": a, "e_warp": warping_error(outputs, frames),
                       "judge_style_distance": judged_style_distance(scorer, outputs, frames),
                       "seconds_per_frame": round((time.perf_counter() - start) / len(frames), 3)}
                report["rows"].append(row)
                args.out.write_text(json.dumps(report, indent=1))
                print(json.dumps(row), flush=True)
                lines.append((f"{variant} {a:g}\nE_warp {row['e_warp']:.4f}\nstyle d {row['judge_style_distance']:.2f}", outputs))
        if args.figure is not None:
            figure(lines, args.figure, f"{name}: {ATTRIBUTION}")


if __name__ == "__main__":
    main()

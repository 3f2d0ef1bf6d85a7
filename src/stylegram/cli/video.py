"""``stylegram video IN PAINTING -o OUT``: a clip stylized with temporal consistency
(``stylegram video IN --method fast --model NAME -o OUT``: by a trained network).

Exit codes as the main command: bad input or options 2 (one line, nothing written),
Ctrl+C 130 and SIGTERM 143 once the frames done are written as a playable OUT.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from .._version import __version__
from ..config import flag
from .options import config_from, config_options

__all__ = ["video_command"]


@click.command("video", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("styles", nargs=-1, type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Output: .mp4/.mov/.mkv (H.264), .webm (VP9), .gif, or a new folder for PNG frames.")
@click.option("--method", type=click.Choice(["optimize", "fast"]), default="optimize", show_default=True, help="optimize: Gatys et al. per frame with Ruder et al.'s temporal loss; fast: one pass of a trained network per frame (--model, no STYLE), stabilized by --blend.")
@click.option("--model", default=None, metavar="MODEL", help="For --method fast: a model file or built-in name (see: stylegram models).")
@click.option("--blend", type=click.FloatRange(min=0, max=1), default=None, metavar="0..1", help="For --method fast: weight of the previous output warped along the optical flow, where the flow is trusted; 0 paints every frame on its own.  [default: 0.3]")
@click.option("--temporal-weight", type=click.FloatRange(min=0), default=None, metavar="W", help="Weight of the temporal loss (Ruder et al. 2016); 0 stylizes every frame on its own.  [default: 200]")
@click.option("--later-steps", type=click.IntRange(min=1), default=None, metavar="N", help="Iterations of each frame after the first.  [default: a third of --steps]")
@click.option("--crf", type=click.IntRange(min=0, max=63), default=None, metavar="N", help="Encoder quality, lower is better (H.264 0-51, default 18; VP9 0-63, default 31).")
@click.option("--fps", type=click.FloatRange(min=0, min_open=True), default=25.0, show_default=True, help="Frame rate of a folder of frames (files carry their own).")
@click.option("--resume", is_flag=True, help="Continue the stopped run whose finished frames are in OUT.frames/.")
@click.option("--overwrite", is_flag=True, help="Discard the finished frames of a stopped run in OUT.frames/ and start again.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary of the run on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages (errors still shown).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@config_options
def video_command(
    source: Path,
    styles: tuple[str, ...],
    output: Path,
    method: str,
    model: str | None,
    blend: float | None,
    temporal_weight: float | None,
    later_steps: int | None,
    crf: int | None,
    fps: float,
    resume: bool,
    overwrite: bool,
    as_json: bool,
    quiet: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Paint every frame of SOURCE (a video, an animated GIF or a folder of
    numbered frames) in the style of STYLE, without flicker, keeping the timing
    and the sound.

    Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos" (GCPR 2016):
    each frame after the first starts from the previous result warped along the
    optical flow, with a temporal loss (--method fast --model NAME: a trained
    network per frame, no STYLE). Finished frames are kept in OUT.frames/;
    Ctrl+C writes the frames done as a playable OUT, and --resume continues.
    See docs/video.md.
    """
    from .main import _EXIT_CODES, _stopped_by, _stopping

    with _stopping(debug):
        from ..errors import Interrupted
        from ..video import DEFAULT_BLEND, DEFAULT_TEMPORAL_WEIGHT, stylize_video
        from tqdm import tqdm

        if method == "optimize" and not styles:
            raise click.UsageError("missing argument 'STYLES...' (or --method fast --model NAME)")
        config = config_from(options)
        bar = tqdm(total=None, disable=True)  # replaced by the real bar at the first frame

        def on_frame(event: Any) -> None:
            nonlocal bar
            if bar.disable and not quiet:
                bar_format = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
                bar = tqdm(total=event.frames, unit="frame", dynamic_ncols=True, bar_format=bar_format)
            left = int(event.seconds_left)
            bar.set_postfix_str(
                f"frame {event.frame} of {event.frames}, {event.seconds_per_frame:.2g} s/frame, {left // 60}:{left % 60:02d} left",
                refresh=False,
            )
            bar.update(event.frame - bar.n)

        try:
            result = stylize_video(
                source,
                list(styles),
                output,
                config,
                method=method,
                model=model,
                blend=DEFAULT_BLEND if blend is None else blend,
                temporal_weight=DEFAULT_TEMPORAL_WEIGHT if temporal_weight is None else temporal_weight,
                later_steps=later_steps,
                crf=crf,
                fps=Fraction(fps).limit_denominator(1001),
                resume=resume,
                overwrite=overwrite,
                callback=on_frame,
            )
        except Interrupted as error:
            bar.close()
            sig = _stopped_by[0]
            click.echo(f"stylegram: {sig}: {error.render(flag)}", err=True)
            sys.exit(_EXIT_CODES[sig])
        finally:
            bar.close()
        if not quiet:
            sound = (", sound re-encoded to Opus" if result.audio_reencoded else ", sound copied") if result.audio else ""
            click.echo(f"stylegram: wrote {output} ({result.frames} frames, {result.size[0]}x{result.size[1]} px{sound}) in {result.seconds:.1f} s", err=True)
        if as_json:
            summary = {
                "source": str(source),
                "styles": styles,
                "output": str(output),
                "method": method,
                "model": model,
                "blend": result.blend,
                "frames": result.frames,
                "size": list(result.size),
                "fps": float(result.rate),
                "audio": result.audio,
                "first_steps": result.first_steps,
                "later_steps": result.later_steps,
                "temporal_weight": result.temporal_weight,
                "resumed_from": result.resumed_from,
                "seconds": round(result.seconds, 3),
                "seconds_per_frame": round(result.seconds_per_frame, 3),
                "settings": result.config.to_dict(),
                "version": __version__,
            }
            click.echo(json.dumps(summary))

"""The ``stylegram batch`` command: many photos in many styles, here or on Ray.

``stylegram batch PHOTOS... --style P [--style P ...] -o OUT_DIR`` paints every photo
in every style (``--method fast --model NAME [--model ...]``: with every trained
model; ``--manifest jobs.csv`` instead: one job per row), skipping jobs
whose output is already done. The style options are the main command's, generated
from the config fields. Exit codes: 0 every job done, 3 some jobs failed (listed at
the end and in the summary file), 2 bad input or options before any job ran, 130
Ctrl+C and 143 SIGTERM (the jobs in progress are abandoned, nothing half-written).
See docs/batch.md.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click

from .. import api
from ..batch.jobs import METHODS
from ..batch.runner import ENGINES
from ..errors import OptionError, StylegramError
from ..config import flag
from .options import config_from, config_options

__all__ = ["batch_command", "FAILED_EXIT_CODE", "SUMMARY_NAME"]

FAILED_EXIT_CODE = 3
"""Exit status of a batch that ran to its end with some jobs failed."""

SUMMARY_NAME = "batch-summary.jsonl"
"""The summary file's name in OUT_DIR unless ``--summary`` says otherwise."""

_STOP_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
_STOP_NAMES = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM"}


def _name(field: str) -> str:
    """How the command spells a setting named in a message."""
    return "PHOTOS" if field == "photos" else flag(field)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _progress_line(event: Any) -> None:
    outcome = event.outcome
    line = f"stylegram: [{event.done}/{event.total}] {outcome.status} {Path(outcome.job.output).name}"
    if outcome.status != "skipped":
        line += f" ({outcome.seconds:.1f} s)"
    if event.failed:
        line += f"; {event.failed} failed"
    if event.seconds_left is not None and event.done < event.total:
        line += f"; about {_duration(event.seconds_left)} left"
    click.echo(line, err=True)


@click.command(
    "batch",
    context_settings={"help_option_names": ["-h", "--help"]},
    short_help="Paint many photos in many styles, here or on a Ray cluster.",
)
@click.argument("photos", nargs=-1, type=str)
@click.option("--style", "styles", multiple=True, metavar="IMAGE", help="A style image, folder or glob; each is its own job for every photo (repeat for more).")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder of the outputs (created): PHOTO-stem_STYLE-stem.png.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None, help="A CSV of jobs instead of PHOTOS x --style: columns content, style (';' between blended styles), optional output, method and any option (style_weight...).")
@click.option("--method", type=click.Choice(METHODS), default="optimize", show_default=True, help="optimize: Gatys et al.'s optimization per photo; fast: one pass of a trained network per photo (--model).")
@click.option("--model", "models", multiple=True, metavar="MODEL", help="For --method fast: a model file or built-in name (see: stylegram models); each is its own job for every photo (repeat for more).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True, help="local: one job after another here; ray: spread over a Ray cluster's workers.")
@click.option("--address", default=None, metavar="ADDR", help="For --engine ray: the cluster (auto, HOST:6379, ray://HOST:10001). Default: a local Ray instance.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N", help="For --engine ray: workers. Default: one per GPU, else one per CPU.")
@click.option("--summary", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE", help=f"The JSON-lines summary of every job. Default: OUT_DIR/{SUMMARY_NAME}.")
@click.option("--overwrite", is_flag=True, help="Run every job again, even those whose output is done.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines (failures and the result line still shown).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@config_options
def batch_command(debug: bool, **arguments: Any) -> None:
    """Paint every photo of PHOTOS (files, folders, globs) in every --style.

    Outputs already done with the same settings and inputs are skipped, so a
    stopped batch continues where it was. Summary file, exit codes and running on
    a Ray cluster: docs/batch.md.
    """
    stopped_by = [signal.SIGINT]

    def on_signal(signum: int, frame: Any) -> None:
        stopped_by[0] = signal.Signals(signum)
        raise KeyboardInterrupt

    handlers = {sig: signal.signal(sig, on_signal) for sig in _STOP_CODES}
    try:
        result = _run(**arguments)
    except KeyboardInterrupt:
        click.echo("stylegram: stopped before any job ran", err=True)
        sys.exit(_STOP_CODES[stopped_by[0]])
    except StylegramError as error:
        if debug:
            import traceback

            traceback.print_exception(error)
        click.echo(f"stylegram: error: {' '.join(error.render(_name).splitlines())}", err=True)
        sys.exit(error.exit_code)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    for outcome in result.failed:
        message = " ".join(outcome.error.render(_name).splitlines())
        named = message.startswith(f"{outcome.job.output}:")  # the error names the output already
        click.echo(f"stylegram: failed: {message if named else f'{outcome.job.output}: {message}'}", err=True)
    written, skipped = len(result.having("ok")), len(result.having("skipped"))
    line = (
        f"stylegram: {written + skipped} of {len(result.outcomes)} jobs done ({written} written, {skipped} skipped), "
        f"{len(result.failed)} failed, in {_duration(result.seconds)}"
    )
    if result.path is not None:
        line += f"; summary: {result.path}"
    click.echo(line, err=True)
    if result.stopped:
        click.echo(f"stylegram: {_STOP_NAMES[stopped_by[0]]}: stopped; run the same command to continue", err=True)
        sys.exit(_STOP_CODES[stopped_by[0]])
    if result.failed:
        sys.exit(FAILED_EXIT_CODE)


def _run(
    photos: tuple[str, ...],
    styles: tuple[str, ...],
    out_dir: Path,
    manifest: Path | None,
    method: str,
    models: tuple[str, ...],
    engine: str,
    address: str | None,
    workers: int | None,
    summary: Path | None,
    overwrite: bool,
    quiet: bool,
    **options: Any,
) -> Any:
    """The batch of the command's arguments (``options``: the run options), run."""
    from ..batch import plan_jobs, read_manifest, run_batch

    config = config_from(options)
    api.check_init(config)  # once, not as a failure of every job
    if manifest is not None:
        if photos or styles or models:
            raise OptionError("{manifest}: give either a manifest or PHOTOS and --style (or --model), not both", "manifest")
        jobs = read_manifest(manifest, out_dir, config, method)
    else:
        if not photos:
            raise OptionError("{photos}: give the photos to paint (files, folders or globs), or --manifest", "photos")
        if not styles and method == "optimize":
            raise OptionError("{style}: give at least one style image", "style")
        jobs = plan_jobs(photos, styles, out_dir, config, method, models)
    return run_batch(
        jobs,
        engine=engine,
        address=address,
        workers=workers,
        summary=summary if summary is not None else out_dir / SUMMARY_NAME,
        callback=None if quiet else _progress_line,
        overwrite=overwrite,
    )

"""The ``stylegram`` command.

``stylegram CONTENT STYLE [STYLE ...] -o OUT`` runs a style transfer (the default
command, also ``stylegram run``); ``stylegram web`` serves the browser page (gradio is
imported only when it starts). Errors map to exit codes here and only here: bad input
or options 2 (one line on stderr, no traceback unless ``--debug``), Ctrl+C 130 and
SIGTERM 143 after the current image is written.
"""

from __future__ import annotations

import json
import signal
import sys
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

import click

from .._version import __version__
from ..config import flag
from ..errors import Interrupted, StylegramError
from ..web.settings import WebSettings
from .options import config_from, config_options

__all__ = ["main"]


class _DefaultGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, goes to ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stylegram")
def main() -> None:
    """Neural style transfer: paint a photo in the style of a painting.

    stylegram CONTENT STYLE [STYLE ...] -o OUT.png   (see: stylegram run --help)
    """


def _warning_line(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    click.echo(f"stylegram: warning: {message}", err=True)


def _fail(error: BaseException, debug: bool) -> NoReturn:
    if debug:
        import traceback

        traceback.print_exception(error)
    click.echo(f"stylegram: error: {error}", err=True)
    sys.exit(getattr(error, "exit_code", 2))


def _partial_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.partial{output.suffix}")


_EXIT_CODES = {"Ctrl+C": 130, "SIGTERM": 143}
_stopped_by = ["Ctrl+C"]


def _on_sigterm(signum: int, frame: Any) -> None:
    _stopped_by[0] = "SIGTERM"
    raise KeyboardInterrupt


@main.command("run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("content", type=click.Path(dir_okay=False, path_type=str))
@click.argument("styles", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output image (.png, .jpg, .webp).")
@click.option("--save-every", type=click.IntRange(min=1), default=None, metavar="N", help="Also write the image every N iterations, as OUT-stem.stepNNNNN.ext.")
@click.option("--comparison", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FIGURE", help="Also write a content | style | result figure here.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary of the run on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages (errors still shown).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@config_options
def run_command(
    content: str,
    styles: tuple[str, ...],
    output: Path,
    save_every: int | None,
    comparison: Path | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Paint CONTENT in the style of STYLE (several STYLEs are blended).

    Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks"
    (CVPR 2016), with coarse-to-fine optimization and optional colour preservation
    (Gatys et al. 2017).
    """
    warnings.showwarning = _warning_line
    try:
        _run(content, list(styles), output, save_every, comparison, as_json, quiet, options)
    except Interrupted as error:
        sig = _stopped_by[0]
        if error.partial is not None:
            _write(output, error.partial, {"stylegram": {"steps_done": error.step, "interrupted": True}})
            click.echo(
                f"stylegram: {sig}: stopped after {error.step} iterations; wrote the image so far to {output} "
                f"(continue with --init {output})",
                err=True,
            )
        sys.exit(_EXIT_CODES[sig])
    except KeyboardInterrupt:
        click.echo(f"stylegram: {_stopped_by[0]}: stopped before the optimization started; nothing written", err=True)
        sys.exit(_EXIT_CODES[_stopped_by[0]])
    except StylegramError as error:
        if error.partial is not None:
            partial = _partial_path(output)
            _write(partial, error.partial, None)
            error.args = (f"{error}; partial image written to {partial}",)
        _fail(error, debug)


def _write(path: Path, image: Any, metadata: dict[str, Any] | None) -> None:
    from ..image import write_image

    write_image(path, image, metadata=metadata)


def _run(
    content: str,
    styles: list[str],
    output: Path,
    save_every: int | None,
    comparison: Path | None,
    as_json: bool,
    quiet: bool,
    options: dict[str, Any],
) -> None:
    config = config_from(options)
    from .. import api
    from ..image import check_output_path
    from .progress import ProgressBar

    check_output_path(output)
    if comparison is not None:
        check_output_path(comparison)
    inputs = api.load_inputs(content, styles, config)
    width, height = inputs.size
    if not quiet:
        own = "the content image's own size" if inputs.size == inputs.content.size else f"from {inputs.content.size[0]}x{inputs.content.size[1]}"
        click.echo(f"stylegram: output {width}x{height} px ({own}), {config.steps} iterations", err=True)

    signal.signal(signal.SIGTERM, _on_sigterm)
    with ProgressBar(config.steps, enabled=not quiet) as bar:

        def on_event(event: Any) -> None:
            bar(event)
            if save_every and event.step % save_every == 0:
                _write(output.with_name(f"{output.stem}.step{event.step:05d}{output.suffix}"), event.image(), None)

        result = api.run(content, styles, config, callback=on_event, inputs=inputs)
    _write(output, result.image, result.metadata())
    if comparison is not None:
        from ..image.figure import comparison_figure

        title = (
            f"stylegram {__version__}: {width}x{height} px, {result.steps} iterations, "
            f"style weight {config.style_weight:g}, {config.optimizer}, {result.seconds:.0f} s"
        )
        figure = comparison_figure(inputs.content.rgb, [s.composited() for s in inputs.styles], result.image, title)
        _write(comparison, figure, None)
    if not quiet:
        click.echo(f"stylegram: wrote {output} in {result.seconds:.1f} s", err=True)
    if as_json:
        summary = {
            "content": content,
            "styles": styles,
            "output": str(output),
            "comparison": str(comparison) if comparison else None,
            "size": list(result.size),
            "scales": [list(s) for s in result.scales],
            "steps": result.steps,
            "losses": result.losses,
            "seconds": round(result.seconds, 3),
            "device": result.device,
            "precision": result.precision,
            "settings": config.to_dict(),
            "version": __version__,
        }
        click.echo(json.dumps(summary))


def _web_options(command: Any) -> Any:
    """Decorate a click command with one option per ``WebSettings`` field."""
    for f in reversed(fields(WebSettings)):
        option = click.option(
            flag(f.name),
            f.name,
            type=type(f.default),
            default=f.default,
            show_default=True,
            metavar=f.metadata["metavar"],
            help=f.metadata["help"],
        )
        command = option(command)
    return command


@main.command("web", context_settings={"help_option_names": ["-h", "--help"]})
@_web_options
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def web_command(debug: bool, **settings: Any) -> None:
    """Serve the style transfer page in the browser (needs the web extra:
    pip install 'stylegram[web]').

    Jobs are queued (--concurrency at a time) and every upload and setting is
    checked against the caps below. Stop the server with Ctrl+C.
    """
    try:
        web_settings = WebSettings(**settings)
        try:
            from ..web.app import launch
        except ModuleNotFoundError as error:
            if error.name != "gradio":
                raise
            raise StylegramError("stylegram web needs gradio: pip install 'stylegram[web]'") from None
        try:
            page = launch(web_settings)
        except OSError as error:
            raise StylegramError(f"cannot serve on {web_settings.host}:{web_settings.port} ({error})") from None
    except StylegramError as error:
        _fail(error, debug)
    click.echo(f"stylegram: serving the page at {page.local_url} (Ctrl+C to stop)", err=True)
    page.block_thread()

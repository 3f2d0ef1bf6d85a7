"""The ``stylegram`` command.

``stylegram CONTENT STYLE [STYLE ...] -o OUT`` runs a style transfer (the default
command, also ``stylegram run``); ``stylegram web`` serves the browser page (gradio is
imported only when it starts). Errors map to exit codes here and only here: bad input
or options 2 (one line on stderr, no traceback unless ``--debug``), Ctrl+C 130 and
SIGTERM 143 after the current image is written.
"""

from __future__ import annotations

import contextlib
import glob
import json
import signal
import sys
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, Iterator, NoReturn

import click

from .._version import __version__
from ..config import StyleConfig, flag
from ..errors import ImageReadError, OptionError, StylegramError
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
    text = error.render(flag) if isinstance(error, StylegramError) else str(error)
    message = " ".join(text.splitlines())
    click.echo(f"stylegram: error: {message}", err=True)
    sys.exit(getattr(error, "exit_code", 2))


def _partial_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.partial{output.suffix}")


def _checkpoint_path(output: Path, step: int) -> Path:
    return output.with_name(f"{output.stem}.step{step:05d}{output.suffix}")


_EXIT_CODES = {"Ctrl+C": 130, "SIGTERM": 143}
_stopped_by = ["Ctrl+C"]


def _on_signal(signum: int, frame: Any) -> None:
    _stopped_by[0] = "SIGTERM" if signum == signal.SIGTERM else "Ctrl+C"
    raise KeyboardInterrupt


@main.command("run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("content", type=click.Path(dir_okay=False, path_type=str))
@click.argument("styles", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output image (.png, .jpg, .webp).")
@click.option("--save-every", type=click.IntRange(min=1), default=None, metavar="N", help="Also write the image every N iterations, as OUT-stem.stepNNNNN.ext.")
@click.option("--resume", is_flag=True, help="Continue the unfinished run saved in OUT (a PNG written on Ctrl+C) with its settings, for the iterations it has left; options given here override them.")
@click.option("--overwrite", is_flag=True, help="Start from scratch even over an unfinished run in OUT or OUT's --save-every checkpoints.")
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
    resume: bool,
    overwrite: bool,
    comparison: Path | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Paint CONTENT in the style of STYLE (several STYLEs are blended).

    Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks"
    (CVPR 2016), with coarse-to-fine optimization and optional colour preservation
    (Gatys et al. 2017). Inputs, sizes, partial files, resuming and exit codes:
    docs/inputs.md.
    """
    with _stopping(debug):
        from .. import api
        from ..errors import Interrupted
        from ..image import check_output_path
        from .progress import ProgressBar

        check_output_path(output)
        api.check_output_not_input(output, content, *styles)
        if comparison is not None:
            check_output_path(comparison)
            api.check_output_not_input(comparison, content, *styles, output)
        config, done = _plan(output, save_every, resume, overwrite, options)
        inputs = api.load_inputs(content, styles, config)
        width, height = inputs.size
        if not quiet:
            own = "the content image's own size" if inputs.size == inputs.content.size else f"from {inputs.content.size[0]}x{inputs.content.size[1]}"
            resumed = f", resuming after {done}" if done else ""
            click.echo(f"stylegram: output {width}x{height} px ({own}), {config.steps} iterations{resumed}", err=True)

        with ProgressBar(config.steps, done, enabled=not quiet) as bar:

            def on_event(event: Any) -> None:
                bar(event)
                if save_every and event.step % save_every == 0:
                    metadata = api.run_metadata(config, event.step, inputs.size, finished=False)
                    _write(_checkpoint_path(output, event.step), inputs.finish(event.image()), metadata)

            try:
                result = api.run(content, styles, config, callback=on_event, inputs=inputs, steps_done=done)
            except Interrupted as error:
                bar.close()  # the message below goes on its own line
                sig = _stopped_by[0]
                _write(output, error.partial, api.run_metadata(config, error.step, inputs.size, finished=False))
                click.echo(
                    f"stylegram: {sig}: stopped after {error.step} of {config.steps} iterations; wrote the image "
                    f"so far to {output} (continue with: the same command and --resume)",
                    err=True,
                )
                sys.exit(_EXIT_CODES[sig])
            except StylegramError as error:
                if error.partial is not None:
                    partial = _partial_path(output)
                    steps = getattr(error, "step", 0)
                    _write(partial, error.partial, api.run_metadata(config, steps, inputs.size, finished=False))
                    error.args = (f"{error.args[0]}; partial image written to {partial}",)
                raise
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


@contextlib.contextmanager
def _stopping(debug: bool) -> Iterator[None]:
    """Within the block, Ctrl+C and SIGTERM stop the run (exit 130 and 143 once the
    block has written what it keeps) and a :class:`StylegramError` exits with its
    code and a one-line message."""
    _stopped_by[0] = "Ctrl+C"
    shown, warnings.showwarning = warnings.showwarning, _warning_line
    handlers = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"stylegram: {_stopped_by[0]}: stopped before any image was written", err=True)
        sys.exit(_EXIT_CODES[_stopped_by[0]])
    except StylegramError as error:
        _fail(error, debug)
    finally:
        warnings.showwarning = shown
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _write(path: Path, image: Any, metadata: dict[str, Any] | None) -> None:
    from ..image import write_image

    write_image(path, image, metadata=metadata)


def _plan(
    output: Path, save_every: int | None, resume: bool, overwrite: bool, options: dict[str, Any]
) -> tuple[StyleConfig, int]:
    """The config and the iterations already done: a new run, or the one saved in OUT.

    A run from scratch never replaces an unfinished run saved in OUT (unless it
    starts from it: ``--init OUT``), nor (with ``--save-every``) OUT's checkpoints,
    unless ``--overwrite`` is given.

    Raises:
        OptionError: Nothing to resume, or work that a new run would overwrite.
    """
    from ..image import read_metadata

    if resume and overwrite:
        raise OptionError("--resume and --overwrite: choose one", "--resume")
    try:
        record = read_metadata(output) if output.is_file() else {}
    except ImageReadError:
        record = {}  # not an image: nothing to resume or to protect
    if resume:
        if not output.is_file():
            raise OptionError(f"--resume: {output} does not exist; there is no run to continue", "--resume")
        if "settings" not in record or "steps_done" not in record:
            raise OptionError(
                f"--resume: {output} has no stylegram progress record (only PNG outputs carry one); "
                f"continue it with --init {output} --steps N",
                "--resume",
            )
        given = {k: v for k, v in options.items() if v is not None}
        config = StyleConfig.from_dict(record["settings"]).with_options(**{**given, "init": str(output)})
        done = int(record["steps_done"])
        if done >= config.steps:
            raise OptionError(
                f"--resume: {output} already has {done} of {config.steps} iterations; give a larger --steps to continue it",
                "--steps",
            )
        return config, done
    config = config_from(options)
    if not overwrite:
        continued = Path(config.init).is_file() and Path(config.init).resolve() == output.resolve()
        if record.get("finished") is False and not continued:
            raise OptionError(
                f"{output} holds an unfinished run ({record.get('steps_done')} iterations); continue it with "
                "--resume, or start again with --overwrite",
                "--output",
            )
        checkpoints = sorted(output.parent.glob(f"{glob.escape(output.stem)}.step[0-9]*{glob.escape(output.suffix)}"))
        if save_every and checkpoints:
            raise OptionError(
                f"--save-every: checkpoints of an earlier run exist ({checkpoints[0].name}...); continue it with "
                "--resume, start again with --overwrite, or choose another -o",
                "--save-every",
            )
    return config, 0


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


from .fast import register as _register_fast  # noqa: E402  (its commands use this module's helpers)

_register_fast(main)

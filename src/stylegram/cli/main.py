"""The ``stylegram`` command.

``stylegram CONTENT STYLE [STYLE ...] -o OUT`` runs a style transfer (the default
command, also ``stylegram run``); ``stylegram web`` serves the browser page (gradio is
imported only when it starts). Errors map to exit codes here and only here: bad input
or options 2 (one line on stderr, no traceback unless ``--debug``), Ctrl+C 130 and
SIGTERM 143 after the current image is written.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, Iterator, NoReturn

import click

from .._version import __version__
from ..config import MIN_SIDE, StyleConfig, flag
from ..errors import StylegramError
from ..web.settings import WebSettings
from .options import config_options

__all__ = ["main"]


class _DefaultGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, goes to ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command; a usage error (missing argument, unknown option) is one line, exit 2."""
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            where = f"; see '{error.ctx.command_path} --help'" if error.ctx else ""
            message = error.format_message().rstrip(".").replace(". (Did you mean", " (did you mean")
            click.echo(f"stylegram: error: {message[:1].lower()}{message[1:]}{where}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort as error:  # click's wrapping of Ctrl+C (or end of input at a prompt)
            interrupted = isinstance(error.__cause__, KeyboardInterrupt)
            click.echo("stylegram: stopped (Ctrl+C)" if interrupted else "stylegram: aborted", err=True)
            sys.exit(130 if interrupted else 1)


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
        plan = api.plan_run(
            output, options, content=content, styles=styles, resume=resume, overwrite=overwrite, save_every=save_every
        )
        config, done = plan.config, plan.steps_done
        inputs = api.load_inputs(content, styles, config)
        width, height = inputs.size
        if not quiet:
            click.echo(f"stylegram: {_size_line(inputs, config, done)}", err=True)
        elapsed = [0.0]  # this run's optimization seconds at the latest event

        def metadata(step: int) -> dict[str, Any]:
            """The record of an image saved before the end, after ``step`` iterations."""
            seconds = plan.seconds_done + elapsed[0]
            return api.run_metadata(config, step, inputs.size, finished=False, inputs=inputs.record, seconds=seconds)

        with ProgressBar(config.steps, done, enabled=not quiet) as bar:

            def on_event(event: Any) -> None:
                bar(event)
                elapsed[0] = event.elapsed
                if save_every and event.step % save_every == 0:
                    _write(api.checkpoint_path(output, event.step), inputs.finish(event.image()), metadata(event.step))

            try:
                result = api.run(content, styles, config, callback=on_event, inputs=inputs, steps_done=done)
            except Interrupted as error:
                bar.close()  # the message below goes on its own line
                sig = _stopped_by[0]
                _write(output, error.partial, metadata(error.step))
                click.echo(
                    f"stylegram: {sig}: stopped after {error.step} of {config.steps} iterations; wrote the image "
                    f"so far to {output} (continue with: the same command and --resume)",
                    err=True,
                )
                sys.exit(_EXIT_CODES[sig])
            except StylegramError as error:
                if error.partial is not None:
                    partial = api.partial_path(output)
                    _write(partial, error.partial, metadata(getattr(error, "step", 0)))
                    error.args = (f"{error.args[0]}; partial image written to {partial}",)
                raise
        _write(output, result.image, result.metadata(plan.seconds_done))
        total = plan.seconds_done + result.seconds
        if comparison is not None:
            from ..image.figure import comparison_figure

            title = _figure_title(config, result.size, result.steps, len(inputs.styles), total)
            figure = comparison_figure(inputs.content.rgb, [s.composited() for s in inputs.styles], result.image, title)
            _write(comparison, figure, {"Title": title, "Software": f"stylegram {__version__}"})
        if not quiet:
            earlier = f" ({total:.1f} s with the part before --resume)" if done else ""
            click.echo(f"stylegram: wrote {output} in {result.seconds:.1f} s{earlier}", err=True)
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


def _size_line(inputs: Any, config: StyleConfig, done: int) -> str:
    """The first line a run prints: the output size and where it came from, the
    iterations, the scales that will run and any ``--scales`` left out (and why)."""
    from .. import api

    width, height = inputs.size
    own = "the content image's own size" if inputs.size == inputs.content.size else "from {}x{}".format(*inputs.content.size)
    line = f"output {width}x{height} px ({own}), {_plural(config.steps, 'iteration')}"
    if done:
        return f"{line}, resuming after {done} at the output size"
    sizes = api.scale_schedule(config, inputs.size)
    if len(sizes) == 1:
        line += " at {}x{} px".format(*sizes[0])
    else:
        counts = api.scale_steps(config, inputs.size)
        line += ": " + ", then ".join(f"{n} at {w}x{h}" for n, (w, h) in zip(counts, sizes)) + " px"
    run = {max(size) for size in sizes}
    left = [s for s in config.scales or () if s not in run]
    if left:
        too_thin = f"its short side would be under {MIN_SIDE} px"
        reasons = [f"{s} ({'larger than the output' if s > max(inputs.size) else too_thin})" for s in left]
        line += f"; left out of --scales: {', '.join(reasons)}"
    return line


def _figure_title(config: StyleConfig, size: tuple[int, int], steps: int, styles: int, seconds: float) -> str:
    """The comparison figure's title: the settings that shape the picture and the
    total optimization time (both parts of a resumed run)."""
    parts = [
        f"stylegram {__version__}: {size[0]}x{size[1]} px",
        _plural(steps, "iteration"),
        f"style weight {config.style_weight:g}",
        config.optimizer,
    ]
    if styles > 1:
        parts.append("blend " + ":".join(f"{w:.2g}" for w in config.blend_weights(styles)))
    if config.preserve_color:
        parts.append("colour preserved")
    parts.append(f"{seconds:.0f} s")
    return ", ".join(parts)


def _plural(count: int, noun: str) -> str:
    """``1 iteration``, ``2 iterations``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _web_options(command: Any) -> Any:
    """Decorate a click command with one option per ``WebSettings`` field."""
    for f in reversed(fields(WebSettings)):
        if isinstance(f.default, bool):
            option = click.option(flag(f.name), f.name, is_flag=True, default=f.default, help=f.metadata["help"])
        else:
            option = click.option(
                flag(f.name),
                f.name,
                type=type(f.default),
                default=f.default,
                show_default=bool(f.default),
                metavar=f.metadata["metavar"],
                help=f.metadata["help"],
            )
        command = option(command)
    return command


@main.command(
    "web",
    context_settings={"help_option_names": ["-h", "--help"]},
    short_help="Serve the style transfer page in the browser (needs the web extra).",
)
@_web_options
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def web_command(debug: bool, **settings: Any) -> None:
    """Serve the style transfer page in the browser (needs the web extra:
    pip install 'stylegram[web]').

    Jobs are queued (--concurrency at a time) and every upload and setting is
    checked against the caps below. A --host beyond loopback needs a password
    ($STYLEGRAM_WEB_PASSWORD or --password-file) or --allow-unauthenticated.
    Stop the server with Ctrl+C.
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
    host = web_settings.host
    where = (
        f"on every interface, port {web_settings.port} (http://<this machine's address>:{web_settings.port})"
        if host in ("0.0.0.0", "::")
        else f"at http://{f'[{host}]' if ':' in host else host}:{web_settings.port}"
    )
    if web_settings.password():
        login = f"with a login (user {web_settings.user})"
    elif web_settings.loopback:
        login = "for this machine only, no password"
    else:
        login = "to anyone who can reach it, WITHOUT a password (--allow-unauthenticated)"
    signal.signal(signal.SIGTERM, _on_signal)
    try:  # not gradio's block_thread(), which swallows Ctrl+C and exits 0
        click.echo(f"stylegram: serving the page {where}, {login} (Ctrl+C to stop)", err=True)
        while page.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        page.close()
        click.echo(f"stylegram: stopped serving the page ({_stopped_by[0]})", err=True)
        sys.exit(_EXIT_CODES[_stopped_by[0]])


from .batch import batch_command  # noqa: E402 - the batch command's module registers here

main.add_command(batch_command)

from .video import video_command  # noqa: E402  (cli/video.py reads _stopping from here when it runs)

main.add_command(video_command)

from .fast import register as _register_fast  # noqa: E402  (its commands use this module's helpers)

_register_fast(main)

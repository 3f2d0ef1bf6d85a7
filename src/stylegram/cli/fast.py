"""The fast-method commands: ``stylegram train``, ``apply``, ``models`` and ``export``.

``train`` learns a painting once (Johnson et al., ECCV 2016); ``apply`` paints
photos with a trained or built-in model in one pass each; ``models`` lists the
built-in models with their records; ``export`` writes a model as ONNX. torch and
the fast room are imported only when a command runs. Errors map to exit codes as
in the main command (:func:`stylegram.cli.main._stopping`): bad input 2, Ctrl+C 130
and SIGTERM 143 after the checkpoint is written.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable

import click

from ..config import TRAIN_LOSS, LossSettings, flag
from ..errors import OptionError, OutputPathError

__all__ = ["register"]

_HELP = {"help_option_names": ["-h", "--help"]}
_TRAIN_LOSS_FIELDS = [f for f in fields(LossSettings) if f.name != "preserve_color"]


def _loss_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One option per :class:`~stylegram.config.LossSettings` field (the main command's
    loss options) with :data:`~stylegram.config.TRAIN_LOSS`'s values as defaults,
    colour preservation aside (``apply --preserve-color`` does it)."""
    for f in reversed(_TRAIN_LOSS_FIELDS):
        default = getattr(TRAIN_LOSS, f.name)
        shown = ",".join(f"{n}:{w:g}" for n, w in default) if isinstance(default, tuple) else default
        help_text = f.metadata["help"] + (f" One of: {', '.join(f.metadata['choices'])}." if f.metadata["choices"] else "")
        option = click.option(
            flag(f.name), f.name, default=None, metavar=f.metadata["metavar"] or "VALUE",
            help=f"{help_text}  [default: {'auto' if shown is None else shown}]",
        )
        command = option(command)
    return command


def _model_output(path: Path) -> None:
    """Check before training that a model file can be written at ``path``."""
    if not path.parent.is_dir():
        raise OutputPathError(f"{path}: folder {path.parent} does not exist", str(path))
    if path.is_dir():
        raise OutputPathError(f"{path}: is a folder, not a file name", str(path))


@click.command("train", context_settings=_HELP)
@click.argument("painting", type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The model file to write (.pt).")
@click.option("--photos", type=click.Path(path_type=str), default=None, metavar="DIR", help="Folder of training photos.  [default: the 12 Kodak photos shipped with stylegram]")
@click.option("--size", type=int, default=256, show_default=True, metavar="PIXELS", help="Side of the square training crops.")
@click.option("--steps", type=int, default=1000, show_default=True, metavar="N", help="Training steps (Adam).")
@click.option("--batch", type=int, default=4, show_default=True, metavar="N", help="Crops per step.")
@click.option("--width", type=click.Choice(["full", "half"]), default="half", show_default=True, help="Network width: full is Johnson et al.'s; half has a quarter of the arithmetic.")
@click.option("--lr", type=float, default=1e-3, show_default=True, metavar="LR", help="Adam's learning rate.")
@click.option("--seed", type=int, default=0, show_default=True, metavar="N", help="Seeds the initial weights and the crops: the same seed gives the same model on the same machine.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto", show_default=True, help="Device.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True, help="Autocast dtype of the VGG19 loss network.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=100, show_default=True, metavar="N", help="Write OUT-stem.ckpt every N steps (and on Ctrl+C).")
@click.option("--preview-every", type=click.IntRange(min=0), default=100, show_default=True, metavar="N", help="Write OUT-stem.preview.png (the first photo, stylized) every N steps; 0: never.")
@click.option("--resume", is_flag=True, help="Continue from OUT-stem.ckpt with the same settings.")
@click.option("--title", default="", metavar="TEXT", help="The painting's artist, title and year, kept in the model's record (shown by: stylegram models).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages (errors still shown).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@_loss_options
def train_command(
    painting: str,
    output: Path,
    photos: str | None,
    size: int,
    steps: int,
    batch: int,
    width: str,
    lr: float,
    seed: int,
    device: str,
    precision: str,
    checkpoint_every: int,
    preview_every: int,
    resume: bool,
    title: str,
    quiet: bool,
    debug: bool,
    **loss_options: Any,
) -> None:
    """Train a network that paints any photo in the style of PAINTING.

    Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer"
    (ECCV 2016), with instance normalization (Ulyanov et al. 2016) and stylegram's
    own perceptual loss. See docs/fast.md for recipes and times.
    """
    from .main import _EXIT_CODES, _stopped_by, _stopping

    with _stopping(debug):
        from .. import fast
        from ..errors import Interrupted
        from ..image import read_image, write_image
        from .progress import ProgressBar

        _model_output(output)
        fast.photo_paths(photos)  # a missing or empty folder fails before the progress bar
        read_image(painting)
        loss = replace(TRAIN_LOSS, **{k: v for k, v in loss_options.items() if v is not None})
        settings = fast.TrainSettings(size=size, steps=steps, batch=batch, width=width, lr=lr, seed=seed, device=device, precision=precision)
        checkpoint = fast.checkpoint_path(output)
        if not resume and checkpoint.exists():
            raise OptionError(
                f"{checkpoint} holds the checkpoint of an earlier run; continue it with --resume, or remove it",
                "--resume",
            )
        preview = output.with_name(f"{output.stem}.preview.png")
        command = shlex.join(["stylegram", "train", *sys.argv[2:]]) if sys.argv[1:2] == ["train"] else ""
        with ProgressBar(steps, enabled=not quiet) as bar:

            def on_event(event: Any) -> None:
                bar(event)
                if preview_every and event.step % preview_every == 0:
                    write_image(preview, event.image())

            try:
                model = fast.train(
                    painting, settings, loss, photos=photos, callback=on_event, checkpoint=checkpoint,
                    checkpoint_every=checkpoint_every, resume=resume, command=command, title=title,
                )
            except Interrupted as error:
                bar.close()
                sig = _stopped_by[0]
                click.echo(
                    f"stylegram: {sig}: stopped after {error.step} of {steps} steps; the checkpoint is in "
                    f"{checkpoint} (continue with: the same command and --resume)",
                    err=True,
                )
                sys.exit(_EXIT_CODES[sig])
        fast.save_model(output, model.net, model.record)
        if not quiet:
            click.echo(f"stylegram: wrote {output} after {model.record.seconds:.0f} s of training", err=True)


@click.command("apply", context_settings=_HELP)
@click.argument("model")
@click.argument("photos", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The output image; with several photos, a folder (PHOTO-stem.png each).")
@click.option("--size", type=int, default=None, metavar="PIXELS", help="Long side of the output.  [default: the photo's own size, reduced to 512 if larger]")
@click.option("--strength", type=float, default=1.0, show_default=True, metavar="0..1", help="Blend of the stylized image over the photo.")
@click.option("--preserve-color", is_flag=True, help="Keep the photo's colours (the stylized luminance only).")
@click.option("-q", "--quiet", is_flag=True, help="No messages (errors still shown).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def apply_command(
    model: str, photos: tuple[str, ...], output: Path, size: int | None, strength: float, preserve_color: bool, quiet: bool, debug: bool
) -> None:
    """Paint each PHOTO with MODEL (a model file or a built-in name, see: stylegram models)."""
    from .main import _stopping

    with _stopping(debug):
        from .. import api, fast
        from ..image import check_output_path, write_image

        if len(photos) > 1:
            if not output.is_dir():
                raise OutputPathError(f"{output}: with several photos, -o must be an existing folder", str(output))
            targets = [output / f"{Path(p).stem}.png" for p in photos]
        else:
            targets = [output]
        for target in targets:
            check_output_path(target)
            api.check_output_not_input(target, *photos)
        loaded = fast.load_model(model)
        for photo, target in zip(photos, targets):
            image = fast.stylize(loaded, photo, size=size, strength=strength, preserve_color=preserve_color)
            record = api.apply_metadata(loaded, photo, image.size, strength=strength, preserve_color=preserve_color)
            write_image(target, image, metadata=record)
            if not quiet:
                click.echo(f"stylegram: wrote {target}", err=True)


@click.command("models", context_settings=_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
def models_command(as_json: bool) -> None:
    """List the built-in models with how each was trained."""
    from .. import fast

    records = {name: fast.load_model(path).record.to_dict() for name, path in fast.builtin_models().items()}
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    for name, record in records.items():
        recipe = record["recipe"]
        painting = f"{record['title']} ({record['painting']})" if record["title"] else record["painting"]
        click.echo(
            f"{name}: {painting}; {record['steps']} steps at {recipe['size']} px, batch {recipe['batch']}, "
            f"{recipe['width']} width, style weight {recipe['loss']['style_weight']:g}, {record['seconds'] / 60:.0f} min on {record['machine']}"
        )


@click.command("export", context_settings=_HELP)
@click.argument("model")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The ONNX file to write (.onnx).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def export_command(model: str, output: Path, debug: bool) -> None:
    """Write MODEL as ONNX with dynamic height and width (needs the fast extra:
    pip install 'stylegram[fast]')."""
    from .main import _stopping

    with _stopping(debug):
        from .. import fast

        _model_output(output)
        fast.export_onnx(fast.load_model(model), output)
        click.echo(f"stylegram: wrote {output}", err=True)


def register(group: click.Group) -> None:
    """Add the fast-method commands to the ``stylegram`` group."""
    for command in (train_command, apply_command, models_command, export_command):
        group.add_command(command)

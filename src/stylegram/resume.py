"""Continuing a stopped run, and what a saved output records about the run that made it.

Every image a run writes (result, Ctrl+C image, checkpoint, partial) carries a
record (:func:`stylegram.api.run_metadata`): the settings, the iterations done, the
optimization seconds and the inputs it read, each by file name and SHA-256. From
that record :func:`plan_run` decides what a new run over the same output may do:
continue it (``resume``), or start from scratch without silently replacing
unfinished work. Front ends (CLI, web page, batch, video) all plan through here.
"""

from __future__ import annotations

import glob
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image

from .config import StyleConfig
from .errors import ImageReadError, OptionError

__all__ = ["RunPlan", "plan_run", "input_record", "fingerprint", "partial_path", "checkpoint_path", "checkpoints"]


def partial_path(output: str | os.PathLike[str]) -> Path:
    """Where a run that failed (divergence, memory) keeps its last good image:
    ``OUT-stem.partial.ext`` beside ``output``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.partial{output.suffix}")


def checkpoint_path(output: str | os.PathLike[str], step: int) -> Path:
    """The checkpoint of iteration ``step`` (1-based, over all scales):
    ``OUT-stem.stepNNNNN.ext`` beside ``output``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.step{step:05d}{output.suffix}")


def checkpoints(output: str | os.PathLike[str]) -> list[Path]:
    """The checkpoints of ``output`` that exist, in file-name (= iteration) order."""
    output = Path(output)
    pattern = f"{glob.escape(output.stem)}.step[0-9]*{glob.escape(output.suffix)}"
    return sorted(output.parent.glob(pattern))


def fingerprint(source: Any) -> dict[str, str]:
    """``{"name", "sha256"}`` of one input: the file's bytes for a path or a seekable
    binary stream (from its start); for an in-memory image, its mode, size and pixels (a PIL image)
    or its dtype, shape and values (an array).

    Raises:
        ImageReadError: A path is missing or cannot be read.
    """
    digest = hashlib.sha256()
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if not os.path.isfile(name):
            raise ImageReadError(f"file not found: {name}", name)
        try:
            with open(name, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
        except OSError as error:
            raise ImageReadError(f"{name}: cannot read the file ({error.strerror})", name) from None
    elif isinstance(source, Image.Image):
        name = "<image>"
        digest.update(f"{source.mode} {source.size}".encode())
        digest.update(source.tobytes())
    elif isinstance(source, np.ndarray):
        name = "<array>"
        digest.update(f"{source.dtype} {source.shape}".encode())
        digest.update(np.ascontiguousarray(source).tobytes())
    else:  # a seekable binary stream (an upload), read whole, its position kept
        given = getattr(source, "name", None)
        name = given if isinstance(given, str) else "<stream>"
        position = source.tell()
        source.seek(0)
        digest.update(source.read())
        source.seek(position)
    return {"name": name, "sha256": digest.hexdigest()}


def input_record(content: Any, styles: Sequence[Any], init: str | None = None) -> dict[str, Any]:
    """What a run read, for its output's record: ``{"content": {"name", "sha256"},
    "styles": [{"name", "sha256"}, ...], "init": {...} or None}``.

    Args:
        content: The content image source (a path, a binary stream, a PIL image or an
            array, as :func:`~stylegram.image.read_image` takes); read as it is.
        styles: The style image sources, in order.
        init: The ``init`` setting: a path is recorded, ``content``/``noise``/``style``
            (or ``None``) gives ``None``.

    Raises:
        ImageReadError: A path is missing or cannot be read.
    """
    start = init if init is not None and os.path.isfile(init) else None
    return {
        "content": fingerprint(content),
        "styles": [fingerprint(s) for s in styles],
        "init": fingerprint(start) if start else None,
    }


@dataclass(frozen=True)
class RunPlan:
    """What a run over an output will do: from scratch, or continuing a saved run.

    Attributes:
        config: The settings: those given over the defaults, or for a resume the
            saved settings with the given ones over them and ``init`` = the output.
        steps_done: Iterations the saved run already did (0 for a new run); pass it
            to :func:`stylegram.api.run` as ``steps_done``.
        seconds_done: Optimization seconds the saved run already spent (0.0 for a
            new run or a record that does not say), to report the total time.
    """

    config: StyleConfig
    steps_done: int = 0
    seconds_done: float = 0.0


def _read_record(output: Path) -> dict[str, Any]:
    if not output.is_file():
        return {}
    from .image import read_metadata

    try:
        return read_metadata(output)
    except ImageReadError:
        return {}  # not an image: nothing to resume or to protect


def plan_run(
    output: str | os.PathLike[str],
    options: Mapping[str, Any],
    *,
    content: Any = None,
    styles: Sequence[Any] = (),
    resume: bool = False,
    overwrite: bool = False,
    save_every: int | None = None,
) -> RunPlan:
    """The settings and the iterations already done for a run that writes ``output``.

    A new run never replaces an unfinished run saved in ``output`` (unless it starts
    from it: ``init`` = ``output``), nor, with ``save_every``, ``output``'s
    checkpoints, unless ``overwrite``. A resume continues the run saved in
    ``output`` with its settings, if it was made from the same ``content`` and
    ``styles`` (compared by SHA-256, so a renamed or moved file still matches).

    Args:
        output: The output image path.
        options: The settings given for this run, field name to value (strings as
            typed are parsed); ``None`` values count as not given.
        content: The content image source, to compare with the saved run's.
        styles: The style image sources, likewise.
        resume: Continue the run saved in ``output``.
        overwrite: Start from scratch even over unfinished work.
        save_every: The checkpoint interval this run will use, if any.

    Returns:
        A :class:`RunPlan`.

    Raises:
        ImageReadError: For a resume, ``content`` or a style is a missing file.
        OptionError: An unknown or bad setting; both ``resume`` and ``overwrite``;
            nothing to resume; a resume
            whose content or style images differ from the saved run's (the message
            names the file); a saved run that already has ``steps`` iterations; a
            setting that does not fit the saved ones (the message says which are
            saved); or work that a new run would overwrite. Messages name settings
            by ``{field}`` placeholders (``resume``, ``overwrite``, ``save_every``,
            ``output`` and config fields).
    """
    output = Path(output)
    given = {k: v for k, v in options.items() if v is not None}
    if resume and overwrite:
        raise OptionError("{resume} and {overwrite}: choose one", "resume", "overwrite")
    record = _read_record(output)
    if resume:
        return _resume(output, record, given, content, styles)
    config = StyleConfig().with_options(**given)
    if not overwrite:
        init = Path(config.init)
        continued = init.is_file() and init.resolve() == output.resolve()
        if record.get("finished") is False and not continued:
            raise OptionError(
                f"{output} holds an unfinished run ({_iterations(record.get('steps_done'))}); continue it "
                "with {resume}, or start again with {overwrite}",
                "output",
                "resume",
                "overwrite",
            )
        found = checkpoints(output)
        if save_every and found:
            raise OptionError(
                f"{{save_every}}: checkpoints of an earlier run exist ({found[0].name}...); continue it "
                "with {resume}, start again with {overwrite}, or choose another {output}",
                "save_every",
                "resume",
                "overwrite",
                "output",
            )
    return RunPlan(config)


def _resume(output: Path, record: dict[str, Any], given: dict[str, Any], content: Any, styles: Sequence[Any]) -> RunPlan:
    if not output.is_file():
        raise OptionError(f"{{resume}}: {output} does not exist; there is no run to continue", "resume")
    if "settings" not in record or "steps_done" not in record:
        raise OptionError(
            f"{{resume}}: {output} has no stylegram progress record (only PNG outputs carry one); "
            f"continue it with {{init}} {output} {{steps}} N",
            "resume",
            "init",
            "steps",
        )
    _check_same_inputs(output, record.get("inputs"), content, styles)
    saved = StyleConfig.from_dict(record["settings"])
    try:
        config = saved.with_options(**{**given, "init": str(output)})
    except OptionError as error:
        raise _with_saved_settings(error, output, saved, given) from None
    done = int(record["steps_done"])
    if done >= config.steps:
        raise OptionError(
            f"{{resume}}: {output} already has {done} of {config.steps} iterations; give a larger "
            "{steps} to continue it",
            "steps",
            "resume",
        )
    seconds = record.get("seconds")
    return RunPlan(config, done, float(seconds) if isinstance(seconds, (int, float)) else 0.0)


def _with_saved_settings(error: OptionError, output: Path, saved: StyleConfig, given: dict[str, Any]) -> OptionError:
    """``error`` with the settings it names that came from ``output``'s record, not
    from this run's options, said to be saved ones (and how to change them)."""
    from_record = [name for name in error.fields if name not in given and hasattr(saved, name)]
    if not from_record:
        return error
    shown = ", ".join(f"{{{name}}} {_typed(getattr(saved, name))}" for name in from_record)
    also = " or ".join(f"{{{name}}}" for name in from_record)
    message = f"{error.args[0]} ({shown}: saved in {output}; give {also} to change it)"
    return OptionError(message, *error.fields)


def _typed(value: Any) -> str:
    """A setting's value as a user would type it: ``(48, 64)`` -> ``48,64``,
    ``(("conv4_2", 1.0),)`` -> ``conv4_2:1``."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return f"{value[0]}:{_typed(value[1])}"
    if isinstance(value, tuple):
        return ",".join(_typed(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check_same_inputs(output: Path, saved: Any, content: Any, styles: Sequence[Any]) -> None:
    """Refuse to resume with a content or style image other than the saved run's."""
    if content is None:
        return
    if not isinstance(saved, dict) or "content" not in saved:
        warnings.warn(
            f"{output} does not record its input images (written by an older stylegram); "
            "resuming without checking that they are the same",
            stacklevel=4,
        )
        return
    current = input_record(content, styles)
    pairs = [("content image", saved["content"], current["content"])]
    saved_styles = saved.get("styles") or []
    if len(saved_styles) != len(current["styles"]):
        made = f"{len(saved_styles)} style image" + ("" if len(saved_styles) == 1 else "s")
        raise OptionError(
            f"{{resume}}: {output} was made with {made}, this run "
            f"gives {len(current['styles'])}; resume with the same images, or start again with {{overwrite}}",
            "resume",
            "overwrite",
        )
    for index, (old, new) in enumerate(zip(saved_styles, current["styles"]), 1):
        pairs.append((f"style image {index}" if len(saved_styles) > 1 else "style image", old, new))
    for role, old, new in pairs:
        if old.get("sha256") != new["sha256"]:
            raise OptionError(
                f"{{resume}}: {new['name']} is not the {role} {output} was made from ({old.get('name')}, "
                f"SHA-256 {str(old.get('sha256'))[:12]}...); resume with that image, or start again with {{overwrite}}",
                "resume",
                "overwrite",
            )


def _iterations(count: Any) -> str:
    """``1 iteration``, ``3 iterations``."""
    return "1 iteration" if count == 1 else f"{count} iterations"

"""The saved form of a trained network: one small versioned file.

A model file is a ``torch.save`` of a plain dictionary, read back with
``torch.load(weights_only=True)`` (no code is unpickled)::

    {"format": "stylegram.fast", "version": 1, "width": "half",
     "record": "<JSON text of a ModelRecord>", "state": {name: fp16 tensor}}

The weights are stored in fp16 (half the bytes; the network runs in fp32 after
loading, and fp16 rounding moves its output by well under one 8-bit level). The
record says how the model was made: the painting, the recipe, the steps, the time,
the machine, the final losses and the command that reproduces it.

Files of a newer format version than this one reads, and files that are not model
files, are refused with a :class:`ModelFileError` that names the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..errors import StylegramError
from .network import WIDTHS, TransformerNet

__all__ = [
    "BUILTIN_DIR",
    "resolve_model",
    "FORMAT",
    "FORMAT_VERSION",
    "ModelFileError",
    "ModelRecord",
    "FastModel",
    "builtin_models",
    "save_model",
    "load_model",
]

FORMAT = "stylegram.fast"
FORMAT_VERSION = 1
BUILTIN_DIR = Path(__file__).parent / "models"
"""The built-in models shipped with the package: ``NAME.pt`` each."""


def builtin_models() -> dict[str, Path]:
    """The built-in models by name (``starry_night``), sorted."""
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.pt"))}


def resolve_model(model: str | os.PathLike[str]) -> Path:
    """The file of a model: ``model`` itself when it is a file, else the built-in model
    of that name (:func:`builtin_models`).

    Raises:
        ModelFileError: Neither; the message lists the built-in models.
    """
    name = str(model)
    if Path(name).is_file():
        return Path(name)
    builtins = builtin_models()
    if name in builtins:
        return builtins[name]
    known = ", ".join(builtins) or "none"
    raise ModelFileError(f"{name}: no such model file or built-in model (built-in models: {known})", name)


class ModelFileError(StylegramError, OSError):
    """A model file is missing, not a stylegram model, corrupt, or from a newer version.

    Attributes:
        path: The offending file (a string).
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class ModelRecord:
    """How a model was made (JSON-compatible values only).

    Attributes:
        painting: The style image's file name.
        title: The painting's artist, title and year as the trainer gave them
            (``stylegram train --title``); empty when not given.
        recipe: The training settings: ``size``, ``batch``, ``width``, ``lr``, the
            loss settings, the photo folder and count, ``seed``, ``precision``.
        steps: Training steps done.
        seconds: Training wall time in seconds (encoder loading excluded).
        machine: Where it was trained (processor or GPU, thread count).
        losses: The weighted loss terms and ``total``, averaged over the last steps.
        command: The command line that reproduces it.
        stylegram: The version of stylegram that trained it.
    """

    painting: str
    recipe: dict[str, Any] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    machine: str = ""
    losses: dict[str, float] = field(default_factory=dict)
    command: str = ""
    stylegram: str = ""
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dictionary."""
        return asdict(self)


@dataclass
class FastModel:
    """A trained network and its record.

    Attributes:
        net: The network (fp32, eval mode, on the CPU unless moved).
        record: How it was made.
        path: The file it was loaded from, if any.
    """

    net: TransformerNet
    record: ModelRecord
    path: str | None = None


def save_model(path: str | os.PathLike[str], net: TransformerNet, record: ModelRecord) -> Path:
    """Write ``net`` (weights in fp16) and ``record`` to ``path`` atomically.

    Raises:
        ModelFileError: The folder does not exist or cannot be written.
    """
    target = Path(path)
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "width": net.width,
        "record": json.dumps(record.to_dict()),
        "state": {k: v.detach().to("cpu", torch.float16) for k, v in net.state_dict().items()},
    }
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise ModelFileError(f"{target}: could not write the model ({error.strerror})", str(target)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
        os.chmod(name, 0o644)  # mkstemp makes it owner-only; a model file is for sharing
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return target


def load_model(path: str | os.PathLike[str]) -> FastModel:
    """Read a model file written by :func:`save_model`, or a built-in model by name.

    Args:
        path: A model file, or the name of a built-in model (:func:`builtin_models`).

    Raises:
        ModelFileError: The file is missing (and no built-in has that name), is not a
            stylegram model file, is corrupt, or was written in a newer format
            version than this stylegram reads.
    """
    name = str(resolve_model(path))
    try:
        payload = torch.load(name, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a bad file
        reason = " ".join(str(error).split())[:120]
        raise ModelFileError(f"{name}: not a readable model file ({reason})", name) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{name}: not a stylegram fast model file", name)
    version = payload.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{name}: model format version {version} is newer than this stylegram reads "
            f"(version {FORMAT_VERSION}); upgrade stylegram",
            name,
        )
    try:
        record = ModelRecord(**json.loads(payload["record"]))
        width = payload["width"]
        if width not in WIDTHS:
            raise ValueError(f"unknown width {width!r}")
        net = TransformerNet(width)
        net.load_state_dict({k: v.float() for k, v in payload["state"].items()})
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        reason = " ".join(str(error).split())[:120]
        raise ModelFileError(f"{name}: corrupt model file ({reason})", name) from None
    return FastModel(net.eval(), record, name)

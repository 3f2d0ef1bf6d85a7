"""Training a transformation network for one painting (Johnson et al., ECCV 2016).

Each step takes a batch of random photo crops, runs them through the network, and
lowers stylegram's own perceptual loss (:func:`stylegram.losses.gatys_terms`: the
content term against the photos' own VGG19 features, Gram style terms against the
painting, relative total variation) with Adam. The loss is the very object the
optimization method uses, evaluated over the batch.

Reproducible: the network's initial weights and every random crop come from the
seed (without touching torch's process-wide generator), so the same seed gives the
same model on the same machine. Checkpoints (network, Adam state, random state) are
written every ``checkpoint_every`` steps and when the run is stopped; a run resumed
from one continues exactly as if it had not stopped.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from PIL import Image

from .._device import resolve_device, resolve_precision, seed_generator
from .._version import __version__
from ..config import MIN_SIDE, TRAIN_LOSS, LossSettings
from ..errors import Interrupted, NonFiniteLossError, OptionError
from ..events import ProgressCallback, ProgressEvent
from ..image import fit_long_side, read_image, resize, to_pil, to_tensor
from ..losses import LossInputs, gatys_terms
from ..models import encoder as vgg_encoder
from .model_file import FastModel, ModelFileError, ModelRecord
from .network import WIDTHS, TransformerNet
from .photos import PhotoCrops, photo_paths

__all__ = ["TrainSettings", "train", "checkpoint_path"]

CHECKPOINT_VERSION = 1
_LOSS_WINDOW = 50  # the record's losses: the mean of the last this-many steps


@dataclass(frozen=True)
class TrainSettings:
    """The training recipe.

    Attributes:
        size: Side of the square photo crops, in pixels (Johnson et al.: 256).
        steps: Adam steps (Johnson et al.: 40,000 at batch 4 on COCO).
        batch: Crops per step.
        width: The network's width, ``"full"`` or ``"half"`` (see :mod:`.network`).
        lr: Adam's learning rate (Johnson et al.: 1e-3).
        seed: Seeds the initial weights and the crops.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        precision: ``auto``, ``fp32`` or ``bf16``: the VGG19 loss network's autocast
            dtype (the transformation network trains in fp32).

    Raises:
        OptionError: A value out of range (``field`` names it).
    """

    size: int = 256
    steps: int = 1000
    batch: int = 4
    width: str = "half"
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.size < MIN_SIDE:
            raise OptionError(f"{{size}}: must be at least {MIN_SIDE} px, got {self.size}", "size")
        for name in ("steps", "batch"):
            if getattr(self, name) < 1:
                raise OptionError(f"{{{name}}}: must be at least 1, got {getattr(self, name)}", name)
        if self.width not in WIDTHS:
            raise OptionError(f"{{width}}: unknown value '{self.width}'; choose one of {', '.join(WIDTHS)}", "width")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise OptionError(f"{{lr}}: must be a finite number > 0, got {self.lr}", "lr")
        if not 0 <= self.seed < 2**63:
            raise OptionError(f"{{seed}}: must be a whole number from 0 to 2**63-1, got {self.seed}", "seed")


def checkpoint_path(output: str | os.PathLike[str]) -> Path:
    """Where a training run writing ``output`` keeps its checkpoint: ``OUT-stem.ckpt`` beside it."""
    path = Path(output)
    return path.with_name(f"{path.stem}.ckpt")


def _machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    processor = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    processor = line.split(":", 1)[1].strip()
                    break
    return f"{processor}, {torch.get_num_threads()} torch threads"


def train(
    painting: str | os.PathLike[str] | Image.Image,
    settings: TrainSettings | None = None,
    loss: LossSettings | None = None,
    *,
    photos: str | os.PathLike[str] | None = None,
    callback: ProgressCallback | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 100,
    resume: bool = False,
    command: str = "",
    title: str = "",
    stop: Callable[[], bool] | None = None,
) -> FastModel:
    """Train a network that paints photos in the style of ``painting``.

    Args:
        painting: The style image (path or PIL image; alpha composited onto white),
            resized to a long side of ``loss.style_scale`` x ``settings.size``.
        settings: The recipe; default :class:`TrainSettings()`.
        loss: The perceptual loss's settings; default
            :data:`~stylegram.config.TRAIN_LOSS` (content at ``conv2_2``, style weight 3).
        photos: A folder of training photos; default the shipped Kodak set.
        callback: Receives a :class:`~stylegram.events.ProgressEvent` per step;
            ``event.image()`` renders the network's current output for the first
            photo (at a long side of ``settings.size``) as a PIL image.
        checkpoint: A checkpoint file to write every ``checkpoint_every`` steps and
            when the run stops (Ctrl+C, ``stop``, a non-finite loss).
        checkpoint_every: Steps between checkpoints.
        resume: Continue from ``checkpoint`` (which must exist and match the recipe).
        command: The command line to store in the record.
        title: The painting's artist, title and year, for the record.
        stop: Checked after each step; when it returns ``True`` the run stops as on Ctrl+C.

    Returns:
        The trained :class:`~stylegram.fast.model_file.FastModel` (network on the CPU).

    Raises:
        OptionError: A bad setting, or an empty or missing photo folder.
        ImageReadError: The painting or a photo cannot be read.
        ModelFileError: ``resume`` without a usable checkpoint.
        Interrupted: Ctrl+C, SIGTERM (as KeyboardInterrupt) or ``stop``; ``step`` is the
            last step saved in the checkpoint.
        NonFiniteLossError: The loss or its gradient became NaN or infinite; the
            checkpoint keeps the last finite weights.
    """
    settings = settings or TrainSettings()
    loss = loss or TRAIN_LOSS
    paths = photo_paths(photos)
    style = read_image(painting).composited()
    crops = PhotoCrops(paths, settings.size)
    device = resolve_device(settings.device)
    dtype = resolve_precision(settings.precision, device)
    recipe = {
        **asdict(settings),
        "loss": loss.to_dict(),
        "photos": str(photos) if photos is not None else "built-in (12 Kodak photos)",
        "photo_count": len(paths),
        "precision": "bf16" if dtype == torch.bfloat16 else "fp32",
        "device": device.type,
    }
    del recipe["steps"], recipe["device"]

    generator = seed_generator(settings.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        net = TransformerNet(settings.width)
    net.to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=settings.lr)
    done, seconds_before = 0, 0.0
    if resume:
        done, seconds_before = _load_checkpoint(checkpoint, recipe, net, optimizer, generator)
        if done >= settings.steps:
            raise OptionError(
                f"{{steps}}: the checkpoint already has {done} steps; give more than {done} to continue",
                "steps",
            )

    encoder = vgg_encoder(loss.weights, loss.preprocessing, loss.network_layers, loss.pooling, str(device))
    autocast = (
        torch.autocast(device.type, dtype=dtype) if dtype != torch.float32 else contextlib.nullcontext()
    )
    with torch.no_grad(), autocast:
        target = to_tensor(resize(style, fit_long_side(*style.size, max(MIN_SIDE, round(settings.size * loss.style_scale)))), device)
        perceptual = gatys_terms(loss, [encoder(target)], [1.0])
    first = crops.photos[0]
    preview_photo = to_tensor(resize(first, fit_long_side(*first.size, settings.size)), device)

    completed, random_state = done, generator.get_state()  # the state after the last finished step

    def save() -> None:
        if checkpoint is not None:
            seconds = seconds_before + time.perf_counter() - start
            _save_checkpoint(checkpoint, recipe, net, optimizer, random_state, completed, seconds)

    def preview() -> Image.Image:
        with torch.no_grad():
            net.eval()
            image = to_pil(net(preview_photo))
            net.train()
        return image

    history: list[dict[str, float]] = []
    start = time.perf_counter()
    step_time = None
    try:
        for step in range(done + 1, settings.steps + 1):
            step_start = time.perf_counter()
            photos_batch = crops.batch(settings.batch, generator).to(device)
            with torch.no_grad(), autocast:
                content = {name: f.float() for name, f in encoder(photos_batch).items()}
            output = net(photos_batch)
            with autocast:
                features = encoder(output)
            total, terms = perceptual(LossInputs(output, features, content, photos_batch))
            optimizer.zero_grad(set_to_none=True)
            if torch.isfinite(total):
                total.backward()
            gradient = torch.nn.utils.clip_grad_norm_(net.parameters(), float("inf"))
            if not (torch.isfinite(total) and torch.isfinite(gradient)):
                save()
                raise NonFiniteLossError(
                    f"the training loss became non-finite at step {step}; lower {{lr}} or the loss weights "
                    "({style_weight}, {content_weight}, {tv_weight}); the checkpoint keeps the last finite weights",
                    step,
                )
            optimizer.step()
            completed, random_state = step, generator.get_state()
            values = {name: float(v.detach()) for name, v in terms.items()}
            values["total"] = float(total.detach())
            history = (history + [values])[-_LOSS_WINDOW:]
            now = time.perf_counter()
            seconds = now - step_start
            step_time = seconds if step_time is None else 0.9 * step_time + 0.1 * seconds
            if checkpoint is not None and step % checkpoint_every == 0 and step < settings.steps:
                save()
            if callback is not None:
                callback(
                    ProgressEvent(
                        step=step,
                        total_steps=settings.steps,
                        scale_index=0,
                        scale_count=1,
                        size=(settings.size, settings.size),
                        loss=values["total"],
                        losses={k: v for k, v in values.items() if k != "total"},
                        elapsed=seconds_before + now - start,
                        seconds_left=step_time * (settings.steps - step),
                        image=preview,
                    )
                )
            if stop is not None and stop():
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        save()
        raise Interrupted(f"stopped after {completed} of {settings.steps} training steps", completed) from None
    seconds = seconds_before + time.perf_counter() - start
    save()
    record = ModelRecord(
        painting="<image>" if isinstance(painting, Image.Image) else Path(painting).name,
        recipe=recipe,
        steps=settings.steps,
        seconds=round(seconds, 1),
        machine=_machine(device),
        losses={k: round(sum(h[k] for h in history) / len(history), 5) for k in history[0]} if history else {},
        command=command,
        stylegram=__version__,
        title=title,
    )
    return FastModel(net.cpu().eval(), record)


def _save_checkpoint(
    path: str | os.PathLike[str],
    recipe: dict[str, Any],
    net: TransformerNet,
    optimizer: torch.optim.Optimizer,
    random_state: torch.Tensor,
    step: int,
    seconds: float,
) -> None:
    """Write the training state atomically (a temporary file beside it, then a rename)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    torch.save(
        {
            "version": CHECKPOINT_VERSION,
            "recipe": recipe,
            "step": step,
            "seconds": seconds,
            "net": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "generator": random_state,
        },
        temporary,
    )
    os.replace(temporary, target)


def _load_checkpoint(
    path: str | os.PathLike[str] | None,
    recipe: dict[str, Any],
    net: TransformerNet,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> tuple[int, float]:
    """Restore the state saved by :func:`_save_checkpoint`; return ``(step, seconds)``.

    Raises:
        ModelFileError: No checkpoint, an unreadable one, or one of another recipe.
    """
    if path is None or not Path(path).is_file():
        raise ModelFileError(f"{path}: no checkpoint to resume from", str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        version = state["version"]
    except Exception as error:  # torch raises many types for a bad file
        raise ModelFileError(f"{path}: not a readable checkpoint ({' '.join(str(error).split())[:120]})", str(path)) from None
    if version != CHECKPOINT_VERSION:
        raise ModelFileError(f"{path}: checkpoint version {version} is not {CHECKPOINT_VERSION}", str(path))
    changed = sorted(k for k in set(recipe) | set(state["recipe"]) if recipe.get(k) != state["recipe"].get(k))
    if changed:
        raise ModelFileError(
            f"{path}: the checkpoint was trained with other settings ({', '.join(changed)}); "
            "resume with the same ones, or start again without --resume",
            str(path),
        )
    net.load_state_dict(state["net"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    return int(state["step"]), float(state["seconds"])

"""The options of a style transfer run: typed, validated dataclasses by concern.

:class:`OptimizerSettings`, :class:`LossSettings` and :class:`RuntimeSettings` each
define their fields once, with their defaults; :class:`StyleConfig` is all three in
one flat object. The CLI builds its
options from these fields (name, help text, metavar) and the web form its inputs,
and the Python API takes the same object, so all three always offer the same
settings. Values may be given as Python values or as the strings a user types
(``"conv1_1:1,conv2_1:0.5"``, ``"256,512"``); both are parsed and validated in
``__post_init__``, which raises :class:`~stylegram.errors.OptionError` naming the
option (``--style-weight``) and, for a misspelt choice, the closest valid one.

Standard library only, so ``stylegram --help`` starts without importing torch.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable, Sequence

from .errors import OptionError

__all__ = [
    "StyleConfig",
    "OptimizerSettings",
    "LossSettings",
    "RuntimeSettings",
    "TRAIN_LOSS",
    "DEFAULT_LR",
    "DEFAULT_SIZE",
    "MIN_SIDE",
    "option_field",
    "parse_layer_weights",
    "suggest",
]

DEFAULT_SIZE = 512
"""Long side in pixels used when ``size`` is not given and the content image is larger."""

MIN_SIDE = 32
"""Smallest image side in pixels: VGG19 halves the image four times before ``conv5_1``
and the Gram matrices there need at least 2x2 positions."""

OPTIMIZERS = ("lbfgs", "adam")
# Default learning rates by optimizer (see StyleConfig.lr; Adam measured in docs/performance.md).
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}
INITS = ("content", "noise", "style")
POOLINGS = ("max", "avg")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
WEIGHTS = ("caffe", "torchvision")
PREPROCESSINGS = ("auto", "caffe", "torchvision")


def flag(name: str) -> str:
    """The CLI spelling of a config field name: ``style_weight`` -> ``--style-weight``."""
    return "--" + name.replace("_", "-")


def suggest(value: str, choices: Sequence[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for a misspelt choice, or ``""``."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise OptionError(
            f"{{{name}}}: unknown value '{value}'; choose one of "
            f"{', '.join(choices)}{suggest(value, choices)}",
            name,
        )
    return value


def _number(name: str, text: str, kind: Callable[[str], Any]) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        raise OptionError(
            f"{{{name}}}: '{text}' is not a valid {kind.__name__}", name
        ) from None


def parse_layer_weights(name: str, text: str) -> tuple[tuple[str, float], ...]:
    """Parse ``"conv1_1:1,conv2_1:0.75,conv3_1"`` into ``(("conv1_1", 1.0), ...)``.

    A layer without ``:weight`` gets weight 1.

    Raises:
        OptionError: A weight is not a number.
    """
    pairs = []
    for item in text.split(","):
        layer, _, weight = item.strip().partition(":")
        pairs.append((layer.strip(), _number(name, weight, float) if weight else 1.0))
    return tuple(pairs)


def _parse(name: str, text: str) -> Any:
    """Turn the text a user typed for field ``name`` into its Python value."""
    if name in _INT_FIELDS:
        return _number(name, text, int)
    if name in _FLOAT_FIELDS:
        return _number(name, text, float)
    if name in ("content_layers", "style_layers"):
        return parse_layer_weights(name, text)
    if name == "scales":
        return tuple(_number(name, part, int) for part in text.split(","))
    if name == "style_blend_weights":
        return tuple(_number(name, part, float) for part in text.split(","))
    if name == "preserve_color":
        return text.strip().lower() in ("1", "true", "yes", "on")
    return text


def option_field(default: Any, help: str, metavar: str = "", choices: Sequence[str] = ()) -> Any:
    """A dataclass field that is also a command-line option: its default, help text,
    metavar and choices, read by the CLI to generate ``--flag`` options."""
    return field(default=default, metadata={"help": help, "metavar": metavar, "choices": tuple(choices)})


class _Settings:
    """What the settings dataclasses share: parsing typed text, copies, plain dicts."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, str) and f.name not in _TEXT_FIELDS:
                object.__setattr__(self, f.name, _parse(f.name, value))
            elif f.metadata["choices"] and isinstance(value, str):
                object.__setattr__(self, f.name, value.lower())  # --optimizer Adam means adam
        for f in fields(self):  # type: ignore[arg-type]
            if f.metadata["choices"]:
                _choice(f.name, getattr(self, f.name), f.metadata["choices"])
        self._validate()

    def _validate(self) -> None:
        """Check the values (each settings class checks its own fields)."""

    def with_options(self, **overrides: Any) -> Any:
        """A copy with some fields replaced (values may be strings, as typed).

        Raises:
            OptionError: An unknown option name, or a bad value.
        """
        names = [f.name for f in fields(self)]  # type: ignore[arg-type]
        for name in overrides:
            if name not in names:
                raise OptionError(f"unknown option '{name}'{suggest(name, names)}", name)
        return replace(self, **overrides)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-compatible values (for metadata and summaries)."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Any:
        """The settings back from :meth:`to_dict` (e.g. read from an output's metadata):
        JSON lists become tuples again, and names this version does not know are
        ignored, so records written by other versions still load.

        Raises:
            OptionError: A value the settings reject.
        """
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: _tuples(v) for k, v in values.items() if k in names})

    def _part(self, cls: type) -> Any:
        return cls(**{f.name: getattr(self, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class OptimizerSettings(_Settings):
    """How Gatys et al.'s optimization runs: output size, iterations, coarse-to-fine
    scales (Gatys et al. 2017), the optimizer and its learning rate, the start image.
    Sizes in pixels.

    Raises:
        OptionError: From ``__post_init__``, for a value out of range or of the wrong
            form (``field`` names it; see :meth:`~stylegram.errors.StylegramError.render`).
    """

    size: int | None = option_field(
        None,
        "Long side of the output in pixels, aspect ratio kept (short side rounded to "
        f"nearest, half up). Default: the content image's own size, reduced to {DEFAULT_SIZE} "
        "if larger; never upscaled unless asked.",
        "PIXELS",
    )
    steps: int = option_field(
        150, "Optimizer iterations in all, shared among the coarse-to-fine scales.", "N"
    )
    scales: tuple[int, ...] | None = option_field(
        None,
        "Coarse-to-fine schedule: long sides in pixels, run in turn, each scale starting "
        "from the upsampled previous result; the last is the output size. Default: "
        "chosen from --size (see the README).",
        "PX,PX,...",
    )
    optimizer: str = option_field(
        "lbfgs",
        "Optimizer: lbfgs (L-BFGS, the best picture in the fewest iterations) or adam "
        "(Adam: more iterations for the same picture, but less memory at large sizes).",
        "NAME",
        OPTIMIZERS,
    )
    lr: float | None = option_field(
        None,
        "Learning rate: Adam's step in image units (pixel values 0-1), default "
        f"{DEFAULT_LR['adam']}; for L-BFGS a factor on its own step, default {DEFAULT_LR['lbfgs']}.",
        "LR",
    )
    init: str = option_field(
        "content",
        "Starting image: content, noise, style, fast:MODEL (a trained network's painting "
        "of the photo, refined by the optimization; MODEL a file or built-in name), or the "
        "path of an image (to continue from a saved or partial result). From noise (as "
        "Gatys et al. 2016) the photo's structure comes back slowly: at 256 px even 200 "
        "iterations keep less of it than 80 from the content.",
        "content|noise|style|fast:MODEL|PATH",
    )

    def _validate(self) -> None:
        if self.size is not None and self.size < MIN_SIDE:
            raise OptionError(f"{{size}}: {self.size} px is below the minimum of {MIN_SIDE} px", "size")
        if self.steps < 1:
            raise OptionError(f"{{steps}}: must be at least 1, got {self.steps}", "steps")
        if self.lr is not None and (not math.isfinite(self.lr) or self.lr <= 0):
            raise OptionError(f"{{lr}}: must be a finite number > 0, got {self.lr}", "lr")
        if self.scales is not None:
            if not self.scales or min(self.scales) < MIN_SIDE:
                raise OptionError(
                    f"{{scales}}: every scale must be at least {MIN_SIDE} px, got {self.scales}", "scales"
                )
            if len(self.scales) > self.steps:
                raise OptionError(
                    f"{{scales}}: {len(self.scales)} scales need at least as many {{steps}}, got {self.steps}",
                    "scales",
                    "steps",
                )

    @property
    def learning_rate(self) -> float:
        """``lr`` if given, else the optimizer's default (:data:`DEFAULT_LR`).

        >>> OptimizerSettings(optimizer="adam").learning_rate
        0.02
        """
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]


@dataclass(frozen=True)
class LossSettings(_Settings):
    """The perceptual loss of Gatys et al. (CVPR 2016): the VGG19 network it reads, its
    content and style layers and the weights of its terms, the style images' blend
    and scale, and colour preservation (Gatys et al. 2017). Everything a trainer or
    the video path needs of the loss, without the optimizer's settings.

    Weights are unitless multipliers of the loss terms; each term is normalized as
    described in :mod:`stylegram.losses.functional`, so the defaults carry over
    between weight sources and image sizes.

    Raises:
        OptionError: From ``__post_init__``, for a value out of range or of the wrong form.
    """

    content_layers: tuple[tuple[str, float], ...] = option_field(
        (("conv4_2", 1.0),), "VGG19 layers for the content loss, with optional :weight.", "LAYER[:W],..."
    )
    style_layers: tuple[tuple[str, float], ...] = option_field(
        (("conv1_1", 1.0), ("conv2_1", 1.0), ("conv3_1", 1.0), ("conv4_1", 1.0), ("conv5_1", 1.0)),
        "VGG19 layers for the style loss (Gram matrices), each with its own :weight; "
        "raising the low layers' weights gives a bolder transfer sooner.",
        "LAYER[:W],...",
    )
    content_weight: float = option_field(1.0, "Weight of the content loss.", "W")
    style_weight: float = option_field(10.0, "Weight of the style loss.", "W")
    tv_weight: float = option_field(
        0.5,
        "Weight of the total variation loss (smoothness), measured relative to the content "
        "image's own variation: the term is W x TV(result) / TV(content).",
        "W",
    )
    style_blend_weights: tuple[float, ...] | None = option_field(
        None, "One weight per style image (normalized to sum 1). Default: equal.", "W,W,..."
    )
    style_scale: float = option_field(
        1.0, "Long side of each style image relative to the output's long side.", "FACTOR"
    )
    preserve_color: bool = option_field(
        False,
        "Colour preservation (Gatys et al. 2017): luminance-only transfer; the result "
        "keeps the content image's colours.",
    )
    pooling: str = option_field("max", "VGG19 pooling layers.", "KIND", POOLINGS)
    weights: str = option_field(
        "caffe",
        "VGG19 weights: caffe (embedded: the standard Caffe VGG19, 8-bit quantized), torchvision (IMAGENET1K_V1 "
        "from the torch hub cache), or the path of a .pth state dict.",
        "caffe|torchvision|PATH",
    )
    preprocessing: str = option_field(
        "auto",
        "Input normalization for a .pth given to --weights: auto (by its key layout), caffe "
        "(BGR, 0-255, mean subtracted) or torchvision (RGB, 0-1, mean/std).",
        "KIND",
        PREPROCESSINGS,
    )

    def _validate(self) -> None:
        for name in ("content_weight", "style_weight", "tv_weight", "style_scale"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise OptionError(f"{{{name}}}: must be a finite number >= 0, got {value}", name)
        if self.style_scale == 0:
            raise OptionError("{style_scale}: must be greater than 0", "style_scale")
        for name in ("content_layers", "style_layers"):
            pairs = getattr(self, name)
            if not pairs or any(not layer for layer, _ in pairs):
                raise OptionError(f"{{{name}}}: give at least one layer name", name)
            if any(not math.isfinite(w) or w < 0 for _, w in pairs):
                raise OptionError(f"{{{name}}}: layer weights must be finite and >= 0", name)
        if self.style_blend_weights is not None:
            w = self.style_blend_weights
            if any(not math.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
                raise OptionError(
                    "{style_blend_weights}: weights must be >= 0 and not all zero", "style_blend_weights"
                )

    @property
    def network_layers(self) -> tuple[str, ...]:
        """The VGG19 layers the loss reads: the content layers, then the style layers, each once.

        >>> LossSettings().network_layers
        ('conv4_2', 'conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1')
        """
        return tuple(dict.fromkeys(name for name, _ in self.content_layers + self.style_layers))

    def check_style_count(self, count: int) -> None:
        """Check ``style_blend_weights`` against the number of style images.

        Raises:
            OptionError: There are more or fewer weights than style images.
        """
        if self.style_blend_weights is not None and len(self.style_blend_weights) != count:
            raise OptionError(
                f"{{style_blend_weights}}: {_count(count, 'style image')} but "
                f"{_count(len(self.style_blend_weights), 'weight')}",
                "style_blend_weights",
            )

    def blend_weights(self, count: int) -> tuple[float, ...]:
        """The style blend weights for ``count`` style images, normalized to sum 1."""
        self.check_style_count(count)
        weights = self.style_blend_weights or (1.0,) * count
        total = sum(weights)
        return tuple(w / total for w in weights)


@dataclass(frozen=True)
class RuntimeSettings(_Settings):
    """Where and how a run computes: device, network precision and random seed.

    Raises:
        OptionError: From ``__post_init__``, for a seed out of range or an unknown choice.
    """

    seed: int = option_field(0, "Random seed: the same seed gives the same image on the same machine.", "N")
    device: str = option_field("auto", "Device: auto picks cuda, then mps, then cpu.", "NAME", DEVICES)
    precision: str = option_field(
        "auto",
        "Network precision: auto uses bf16 autocast where the device supports it fast "
        "(CUDA, CPUs with avx512_bf16/AMX), else fp32. Losses are always summed in fp32.",
        "KIND",
        PRECISIONS,
    )


    def _validate(self) -> None:
        if not 0 <= self.seed < 2**63:
            raise OptionError(f"{{seed}}: must be a whole number from 0 to 2**63-1, got {self.seed}", "seed")


@dataclass(frozen=True)
class StyleConfig(RuntimeSettings, LossSettings, OptimizerSettings):
    """Every setting of a Gatys et al. (CVPR 2016) style transfer run: the fields of
    :class:`OptimizerSettings`, :class:`LossSettings` and :class:`RuntimeSettings`
    in one flat, frozen object (``config.steps``, ``config.style_weight``), with each
    concern also available on its own as :attr:`optimization`, :attr:`loss` and
    :attr:`runtime`. Each field is defined once, in its part, with its default.

    Raises:
        OptionError: From ``__post_init__``, for any value out of range or of the
            wrong form; ``field`` is the field's name and the message names it by
            placeholder (see :meth:`~stylegram.errors.StylegramError.render`).
    """

    def _validate(self) -> None:
        for part in (OptimizerSettings, LossSettings, RuntimeSettings):
            part._validate(self)

    @property
    def optimization(self) -> OptimizerSettings:
        """The optimizer's settings alone."""
        return self._part(OptimizerSettings)

    @property
    def loss(self) -> LossSettings:
        """The perceptual loss's settings alone (what a trainer needs)."""
        return self._part(LossSettings)

    @property
    def runtime(self) -> RuntimeSettings:
        """Device, precision and seed alone."""
        return self._part(RuntimeSettings)


def _count(number: int, noun: str) -> str:
    """``1 style image``, ``3 style images``."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _tuples(value: Any) -> Any:
    """Nested JSON lists as nested tuples."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


_INT_FIELDS = ("size", "steps", "seed")
_FLOAT_FIELDS = ("content_weight", "style_weight", "tv_weight", "lr", "style_scale")
_TEXT_FIELDS = ("optimizer", "init", "pooling", "weights", "preprocessing", "device", "precision")


TRAIN_LOSS = LossSettings(content_layers=(("conv2_2", 1.0),), style_weight=3.0)
"""The perceptual loss a fast network trains with unless told otherwise
(``stylegram train``, :func:`stylegram.fast.train`): content at ``conv2_2``, as
Johnson et al. (ECCV 2016) take it at relu2_2, and style weight 3; the rest as the
optimization's. A deep content layer (``conv4_2``, the optimization's) let the network
redraw the photo's shapes; measured in docs/fast.md ("Choosing the recipe")."""

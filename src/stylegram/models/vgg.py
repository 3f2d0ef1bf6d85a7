"""VGG19 with the layer names of the field, truncated at the deepest layer needed.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition" (ICLR 2015), configuration E, as used by Gatys et al. (CVPR 2016).

Layer names: ``conv1_1, relu1_1, conv1_2, relu1_2, pool1, ..., conv5_4, relu5_4,
pool5``. Following the Caffe model definition, where each ReLU works in
place on its convolution's output blob, the feature called ``convX_Y`` is the
*rectified* activation, the same tensor as ``reluX_Y``. This is what "conv4_2" means
in the paper and in most style transfer code.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import torch
from torch import nn

from ..errors import OptionError
from ..config import suggest

__all__ = ["VGG19", "LAYER_NAMES", "CONV_LAYERS", "check_layers", "activation_elements"]

_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def _layer_table() -> list[tuple[str, int, int]]:
    """(name, in_channels, out_channels) for every layer; channels 0 for relu/pool."""
    table, channels = [], 3
    for block, (width, count) in enumerate(_BLOCKS, start=1):
        for index in range(1, count + 1):
            table.append((f"conv{block}_{index}", channels, width))
            table.append((f"relu{block}_{index}", 0, 0))
            channels = width
        table.append((f"pool{block}", 0, 0))
    return table


_TABLE = _layer_table()
LAYER_NAMES: tuple[str, ...] = tuple(name for name, _, _ in _TABLE)
"""All 37 layer names in network order."""
CONV_LAYERS: tuple[str, ...] = tuple(name for name in LAYER_NAMES if name.startswith("conv"))
"""The 16 convolution layers, the keys of a weights state dict (``conv1_1.weight`` ...)."""


def check_layers(layers: Iterable[str], field: str) -> None:
    """Check that every name is a VGG19 layer.

    Raises:
        OptionError: An unknown name, with the closest valid one suggested.
    """
    for layer in layers:
        if layer not in LAYER_NAMES:
            raise OptionError(f"{{{field}}}: unknown VGG19 layer '{layer}'{suggest(layer, LAYER_NAMES)}", field)


def activation_elements(layers: Iterable[str]) -> float:
    """Activation values per input pixel of VGG19 run up to the deepest of ``layers``.

    The sum over every convolution and pooling output (ReLUs work in place) of its
    channels divided by its downsampling area ``4**k``: 320 for ``conv1_1`` to
    ``conv5_1``. Used to estimate the memory a run needs at a given size.

    >>> activation_elements(["conv1_1"])
    64.0

    Raises:
        OptionError: An unknown layer name.
    """
    layers = tuple(layers)
    check_layers(layers, "layers")
    last = max(_output_index(name) for name in layers)
    total, area, channels = 0.0, 1, 3
    for name, _, cout in _TABLE[: last + 1]:
        if name.startswith("conv"):
            channels = cout
            total += channels / area
        elif name.startswith("pool"):
            area *= 4
            total += channels / area
    return total


def _output_index(name: str) -> int:
    """Index of the module whose output is the feature ``name`` (conv maps to its relu)."""
    return LAYER_NAMES.index(name.replace("conv", "relu") if name.startswith("conv") else name)


class VGG19(nn.Module):
    """A frozen VGG19 feature extractor returning named activations.

    Args:
        state: Convolution weights keyed ``conv1_1.weight``, ``conv1_1.bias``, ... (float).
        preprocessing: Module mapping RGB 0-1 to the input the weights expect.
        layers: The features the caller will ask for; the network is built only up to
            the deepest of them.
        pooling: ``"max"`` (as trained) or ``"avg"`` (Gatys et al. found it gives
            slightly smoother results).

    Input of :meth:`forward`: ``(B, 3, H, W)`` float RGB in 0-1, H and W at least 32.
    Output: ``{name: (B, C, H / 2**k, W / 2**k)}`` for the requested names.

    Raises:
        OptionError: An unknown layer name, or a pooling other than max or avg.
    """

    def __init__(
        self, state: Mapping[str, torch.Tensor], preprocessing: nn.Module, layers: Iterable[str], pooling: str = "max"
    ) -> None:
        super().__init__()
        layers = tuple(layers)
        check_layers(layers, "layers")
        self.layers = layers
        self.preprocessing = preprocessing
        last = max(_output_index(name) for name in layers)
        pools = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}
        if pooling not in pools:
            raise OptionError(f"{{pooling}}: unknown value '{pooling}'; choose one of max, avg", "pooling")
        pool = pools[pooling]
        self.body = nn.ModuleDict()
        for name, cin, cout in _TABLE[: last + 1]:
            if name.startswith("conv"):
                conv = nn.Conv2d(cin, cout, kernel_size=3, padding=1)
                conv.weight.data.copy_(state[f"{name}.weight"])
                conv.bias.data.copy_(state[f"{name}.bias"])
                self.body[name] = conv
            elif name.startswith("relu"):
                self.body[name] = nn.ReLU(inplace=True)
            else:
                self.body[name] = pool(kernel_size=2, stride=2)
        self.requires_grad_(False)
        self.eval()
        self._wanted = {_output_index(name): name for name in layers}

    def forward(self, rgb: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.preprocessing(rgb)
        out: dict[str, torch.Tensor] = {}
        for index, module in enumerate(self.body.values()):
            x = module(x)
            if index in self._wanted:
                out[self._wanted[index]] = x
        # A feature asked for under both names (conv4_2 and relu4_2) is the same tensor.
        for name in self.layers:
            out.setdefault(name, out[self._wanted[_output_index(name)]])
        return out

"""Models and weights: VGG19 with named layers, weight sources, their preprocessing."""

from .encoder import encoder
from .preprocessing import CaffePreprocessing, TorchvisionPreprocessing, preprocessing
from .vgg import CONV_LAYERS, LAYER_NAMES, VGG19, activation_elements, check_layers
from .weights import WEIGHTS, WeightsSpec, load_weights, torchvision_hub_path

__all__ = [
    "CONV_LAYERS",
    "LAYER_NAMES",
    "VGG19",
    "WEIGHTS",
    "CaffePreprocessing",
    "TorchvisionPreprocessing",
    "activation_elements",
    "WeightsSpec",
    "check_layers",
    "encoder",
    "load_weights",
    "preprocessing",
    "torchvision_hub_path",
]

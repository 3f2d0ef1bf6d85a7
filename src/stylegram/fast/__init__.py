"""Fast style transfer: a feed-forward network trained once per painting.

Johnson, Alahi & Fei-Fei (ECCV 2016) with instance normalization (Ulyanov et al.
2016). :func:`train` learns a painting, :func:`load_model` reads a model file or a
built-in model by name, :func:`stylize` applies it (PIL in, PIL out).
"""

from .export import export_onnx
from .model_file import (
    FORMAT_VERSION,
    FastModel,
    ModelFileError,
    ModelRecord,
    builtin_models,
    load_model,
    resolve_model,
    save_model,
)
from .network import TransformerNet
from .photos import photo_paths
from .stylize import stylize
from .train import TrainSettings, checkpoint_path, train

__all__ = [
    "FORMAT_VERSION",
    "FastModel",
    "ModelFileError",
    "ModelRecord",
    "TrainSettings",
    "TransformerNet",
    "builtin_models",
    "checkpoint_path",
    "export_onnx",
    "load_model",
    "photo_paths",
    "resolve_model",
    "save_model",
    "stylize",
    "train",
]

"""ONNX export of a trained network, with dynamic batch, height and width."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import StylegramError
from .model_file import FastModel

__all__ = ["export_onnx", "ONNX_OPSET"]

ONNX_OPSET = 17


def export_onnx(model: FastModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model``'s network as ONNX (opset :data:`ONNX_OPSET`).

    The graph takes ``input``: ``(B, 3, H, W)`` float32 RGB 0-1 and returns
    ``output``: ``(B, 3, H, W)`` float32 RGB 0-1; B, H and W are dynamic (each side
    at least 8 px). Traced on a 64x80 image.

    Raises:
        StylegramError: The ``onnx`` package (the fast extra) is not installed.
    """
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ModuleNotFoundError:
        raise StylegramError("ONNX export needs onnx: pip install 'stylegram[fast]'") from None
    target = Path(path)
    net = model.net.float().eval().cpu()
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        torch.onnx.export(
            net,
            (torch.rand(1, 3, 64, 80),),
            str(temporary),
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 2: "height", 3: "width"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target

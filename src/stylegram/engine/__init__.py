"""The optimization engine: Gatys et al. losses wired to VGG19, L-BFGS/Adam, coarse-to-fine."""

from .gatys import GatysLoss, TransferResult, transfer
from .schedule import default_scales, scale_sizes, split_steps

__all__ = ["GatysLoss", "TransferResult", "default_scales", "scale_sizes", "split_steps", "transfer"]

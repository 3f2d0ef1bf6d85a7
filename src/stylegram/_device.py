"""Resolving ``auto`` device and precision, and the seeded generator."""

from __future__ import annotations

import functools
import warnings

import torch

from .errors import OptionError

__all__ = ["resolve_device", "resolve_precision", "seed_generator"]


def resolve_device(name: str) -> torch.device:
    """The torch device for ``auto|cpu|cuda|mps``; ``auto`` prefers cuda, then mps, then cpu.

    Raises:
        OptionError: The device asked for is not available on this machine.
    """
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available[name]:
        raise OptionError(f"{{device}}: {name} is not available on this machine; use cpu or auto", "device")
    return torch.device(name)


@functools.lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """Whether this CPU runs bf16 matrix products natively (avx512_bf16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = info.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The autocast dtype for the network: ``torch.bfloat16`` or ``torch.float32``.

    ``auto`` picks bf16 on CUDA devices that support it and on CPUs with avx512_bf16
    or AMX (about 1.7x faster per VGG19 iteration on such a CPU); fp32 elsewhere
    (MPS, older CPUs), where bf16 is emulated and slower. ``bf16`` asked for on a CPU
    without them is honoured (PyTorch emulates it) with a warning that it is slower.

    Raises:
        OptionError: ``bf16`` asked for on MPS or on a CUDA device without bf16.
    """
    if name == "fp32":
        return torch.float32
    supported = {
        "cuda": device.type == "cuda" and torch.cuda.is_bf16_supported(),
        "cpu": device.type == "cpu" and cpu_has_fast_bf16(),
    }.get(device.type, False)
    if name == "bf16":
        if device.type != "cpu" and not supported:
            raise OptionError(f"{{precision}}: bf16 is not supported on {device.type}; use fp32", "precision")
        if not supported:
            warnings.warn(
                "precision bf16: this CPU has no avx512_bf16 or AMX, so bf16 is emulated and usually "
                "slower than fp32",
                stacklevel=2,
            )
        return torch.bfloat16
    return torch.bfloat16 if supported else torch.float32


def seed_generator(seed: int) -> torch.Generator:
    """A CPU random generator seeded with ``seed`` (for the noise start).

    Nothing process-wide is touched: Python's and torch's global generators keep
    their state, so a library call never changes another part of the program's
    random streams, and concurrent runs (a web server) stay reproducible.
    """
    return torch.Generator().manual_seed(seed)

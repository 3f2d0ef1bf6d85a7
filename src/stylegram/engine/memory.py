"""How much memory a run needs at a given size, checked before optimizing.

A run at W x H pixels holds VGG19's activations, their gradients and the optimizer's
state for the final (largest) scale. :func:`estimate_memory` gives the peak in bytes,
calibrated against the peak resident set size measured on CPU (see the table in
``docs/inputs.md``); :func:`check_memory` compares it with what the device has free
and raises :class:`~stylegram.errors.OutOfMemoryError` with the largest ``--size``
that fits, at once, instead of a raw out-of-memory traceback minutes later.

The memory available is read from ``/proc/meminfo`` (``MemAvailable``) and the
cgroup limit on CPU, and from ``torch.cuda.mem_get_info`` on CUDA. The environment
variable ``STYLEGRAM_MEMORY_LIMIT`` (bytes, or with a suffix ``K``, ``M``, ``G``,
``T``; binary units) replaces that figure on any device: to keep a server within a
budget, or to test the check on a large machine.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import torch

from ..config import MIN_SIDE, StyleConfig
from ..errors import OptionError, OutOfMemoryError
from ..image.convert import fit_long_side
from ..models import activation_elements

__all__ = [
    "estimate_memory",
    "available_memory",
    "check_memory",
    "largest_side",
    "memory_error",
    "is_out_of_memory",
    "MEMORY_LIMIT_VARIABLE",
]

MEMORY_LIMIT_VARIABLE = "STYLEGRAM_MEMORY_LIMIT"

_FIXED_CPU = 560 * 2**20
"""Bytes of a CPU process besides the per-pixel part: the torch runtime and the VGG19
weights (410-430 MiB resident once loaded, torch 2.13) plus the allocator's slack;
fitted with :data:`_ACTIVATION_FACTOR` to the peaks measured at 256, 512 and 768 px."""

_FIXED_CUDA = 600 * 2**20
"""Bytes on a CUDA device besides the activations: the weights, the CUDA context's
workspace and the caching allocator's slack (an allowance, not a measurement)."""

_ACTIVATION_FACTOR = 1.8
"""Bytes per activation value and per float32 byte, fitted to measured peaks:
forward outputs plus the gradient buffers and max-pooling indices alive during the
backward pass."""

_LBFGS_BYTES = 2 * 50 * 3 * 4
"""L-BFGS history per pixel: 50 pairs of float32 (step, gradient-change) images."""

_ADAM_BYTES = 2 * 3 * 4
"""Adam state per pixel: two float32 moment images."""

_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def estimate_memory(
    size: tuple[int, int], layers: Sequence[str], *, optimizer: str = "lbfgs", device_type: str = "cpu"
) -> int:
    """The peak memory in bytes of a run whose output is ``size`` = ``(width, height)`` px.

    ``fixed + W * H * (1.8 * activation_values_per_pixel * 4 + optimizer_state)``,
    where the activation values per pixel come from
    :func:`~stylegram.models.activation_elements` (320 for the default layers) and the
    optimizer state is 1200 bytes per pixel for L-BFGS (its full 50-pair history, so
    after 50 iterations at the final scale) and 24 for Adam. On CPU this is the
    process's peak resident memory (``fixed`` 560 MiB); on CUDA the device memory
    (``fixed`` 600 MiB, an allowance). The same under bf16 autocast: on a CPU
    without native bf16 the peak at 384 px was 933 MiB in bf16 against 888 MiB in
    fp32, so no saving is counted on (it may overestimate where bf16 is native).

    >>> round(estimate_memory((512, 512), ["conv5_1"]) / 2**30, 2)
    1.4
    """
    per_pixel = _ACTIVATION_FACTOR * activation_elements(layers) * 4
    per_pixel += _LBFGS_BYTES if optimizer == "lbfgs" else _ADAM_BYTES
    fixed = _FIXED_CUDA if device_type == "cuda" else _FIXED_CPU
    return int(fixed + size[0] * size[1] * per_pixel)


def _parse_bytes(text: str) -> int:
    number = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = number[-1:] if number[-1:] in _UNITS else ""
    try:
        value = float(number[: len(number) - len(unit)])
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value <= 0:
        raise OptionError(
            f"{MEMORY_LIMIT_VARIABLE}: '{text}' is not a memory size (e.g. 8G, 512M, 1000000)"
        )
    return int(value * _UNITS[unit])


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as file:
            text = file.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cpu_available() -> int | None:
    """``MemAvailable`` plus this process's resident memory (already counted in the
    estimate), capped by a cgroup v2 memory limit; ``None`` where unknown."""
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    statm = _read_statm_rss()
    available += statm
    limit, used = _read_int("/sys/fs/cgroup/memory.max"), _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        available = min(available, limit - used + statm)
    return available


def _read_statm_rss() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def available_memory(device: torch.device) -> int | None:
    """Bytes a run may use on ``device``: ``STYLEGRAM_MEMORY_LIMIT`` if set, else the
    free memory the system reports; ``None`` where it cannot be known (MPS). On CUDA
    that is the device's free memory plus what this process's caching allocator holds
    but no tensor uses (reserved minus allocated), so a long-lived server that ran a
    job before does not refuse the next one that fits.

    Raises:
        OptionError: ``STYLEGRAM_MEMORY_LIMIT`` is set to something that is not a size.
    """
    text = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if text:
        return _parse_bytes(text)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free + cached)
    if device.type == "cpu":
        return _cpu_available()
    return None


def largest_side(
    size: tuple[int, int], fits: int, layers: Sequence[str], *, optimizer: str = "lbfgs", device_type: str = "cpu"
) -> int | None:
    """The largest long side in pixels, below ``max(size)``, whose run at ``size``'s
    aspect ratio needs at most ``fits`` bytes (:func:`estimate_memory` with the same
    arguments); ``None`` if not even ``MIN_SIDE`` pixels fit."""
    width, height = size

    def need(side: int) -> int:
        fitted = fit_long_side(width, height, side)
        return estimate_memory(fitted, layers, optimizer=optimizer, device_type=device_type)

    low, high = MIN_SIDE, max(size) - 1
    if high < low or need(low) > fits:
        return None
    while low < high:  # binary search for the last side that fits
        middle = (low + high + 1) // 2
        low, high = (middle, high) if need(middle) <= fits else (low, middle - 1)
    return low


def memory_error(
    size: tuple[int, int], config: StyleConfig, device: torch.device, available: int | None
) -> OutOfMemoryError:
    """The :class:`OutOfMemoryError` for a run at ``size`` that does not fit: the size,
    the estimate, the memory available and the largest ``--size`` that fits."""
    layers = config.network_layers
    need = estimate_memory(size, layers, optimizer=config.optimizer, device_type=device.type)
    gib = 2**30
    message = f"out of memory: {size[0]}x{size[1]} px needs about {need / gib:.1f} GiB on {device.type}"
    if available is not None:
        message += f", {available / gib:.1f} GiB available"
        side = largest_side(size, available, layers, optimizer=config.optimizer, device_type=device.type)
        message += f"; use {{size}} {side} or smaller" if side else "; not even the smallest size fits"
    else:
        message += "; use a smaller {size}"
    return OutOfMemoryError(message)


def check_memory(size: tuple[int, int], config: StyleConfig, device: torch.device) -> None:
    """Check, before any model is loaded, that a run at ``size`` fits on ``device``.

    Args:
        size: Output ``(width, height)`` in pixels (the largest scale).
        config: The run's settings (layers and optimizer count).
        device: Where the run will happen.

    Raises:
        OutOfMemoryError: The estimate exceeds :func:`available_memory`; the message
            names the size, the estimate, the memory available and the largest
            ``--size`` that fits.
        OptionError: ``STYLEGRAM_MEMORY_LIMIT`` is malformed.
    """
    available = available_memory(device)
    layers = config.network_layers
    need = estimate_memory(size, layers, optimizer=config.optimizer, device_type=device.type)
    if available is not None and need > available:
        raise memory_error(size, config, device, available)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an allocation failure: ``MemoryError``,
    ``torch.OutOfMemoryError`` or a ``RuntimeError`` saying the allocator failed."""
    if isinstance(error, (MemoryError, torch.OutOfMemoryError)):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)

"""The memory estimate, the check before optimizing, and out-of-memory during a run."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from stylegram.config import StyleConfig
from stylegram.engine.memory import (
    available_memory,
    check_memory,
    estimate_memory,
    is_out_of_memory,
    largest_side,
)
from stylegram.errors import OptionError, OutOfMemoryError

LAYERS = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1", "conv4_2"]
CPU = torch.device("cpu")


def test_estimate_matches_the_calibration():
    # Peak RSS measured on CPU (torch 2.13, fp32, L-BFGS after 60 iterations at 256 px):
    # 791 MiB; after 4 iterations (history of 4 pairs) at 512 px: 1164 MiB, 768 px: 1992 MiB;
    # after 2 iterations at 384 px: 888 MiB in fp32 and 933 MiB under bf16 autocast.
    full_history_256 = estimate_memory((256, 256), LAYERS) / 2**20
    assert 0.75 * 791 < full_history_256 < 1.25 * 791
    for side, iterations, measured in ((512, 4, 1164), (768, 4, 1992), (384, 2, 888), (384, 2, 933)):
        short_history = 1200 - iterations * 24  # bytes per pixel of L-BFGS history not yet filled
        estimate = (estimate_memory((side, side), LAYERS) - side * side * short_history) / 2**20
        assert 0.75 * measured < estimate < 1.25 * measured


def test_estimate_scales_with_pixels_optimizer_and_depth():
    small, large = estimate_memory((100, 100), LAYERS), estimate_memory((200, 200), LAYERS)
    assert large > small
    assert estimate_memory((512, 512), LAYERS, optimizer="adam") < estimate_memory((512, 512), LAYERS)
    assert estimate_memory((512, 512), ["conv1_1"]) < estimate_memory((512, 512), LAYERS)


@pytest.mark.parametrize(("text", "expected"), [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5GiB", 3 * 2**29), ("1000", 1000)])
def test_memory_limit_variable(monkeypatch, text, expected):
    monkeypatch.setenv("STYLEGRAM_MEMORY_LIMIT", text)
    assert available_memory(CPU) == expected


@pytest.mark.parametrize("text", ["lots", "-1G", "0", "nanG"])
def test_memory_limit_variable_malformed(monkeypatch, text):
    monkeypatch.setenv("STYLEGRAM_MEMORY_LIMIT", text)
    with pytest.raises(OptionError, match="STYLEGRAM_MEMORY_LIMIT: .* is not a memory size"):
        available_memory(CPU)


def test_available_memory_on_this_machine(monkeypatch):
    monkeypatch.delenv("STYLEGRAM_MEMORY_LIMIT", raising=False)
    available = available_memory(CPU)
    assert available is None or available > 100 * 2**20


def test_largest_side_fits_and_the_next_does_not():
    budget = 2 * 2**30
    side = largest_side((3000, 2000), budget, LAYERS)
    fits = estimate_memory((side, round(side * 2 / 3)), LAYERS)
    too_big = estimate_memory((side + 1, round((side + 1) * 2 / 3)), LAYERS)
    assert fits <= budget < too_big
    assert largest_side((3000, 2000), 2**20, LAYERS) is None


def test_check_memory_rejects_with_estimate_and_largest_size(monkeypatch):
    monkeypatch.setenv("STYLEGRAM_MEMORY_LIMIT", "2G")
    config = StyleConfig()
    check_memory((512, 341), config, CPU)
    with pytest.raises(OutOfMemoryError, match=r"^out of memory: 8000x6000 px needs about \d+\.\d GiB on cpu, "
                       r"2\.0 GiB available; use size (\d+) or smaller$") as info:
        check_memory((8000, 6000), config, CPU)
    assert isinstance(info.value, MemoryError) and info.value.exit_code == 2
    side = int(str(info.value).rsplit("size ", 1)[1].split()[0])
    check_memory((side, side * 3 // 4), config, CPU)  # the suggestion fits


def test_is_out_of_memory():
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 bytes"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_out_of_memory_during_the_run_keeps_the_best_image(monkeypatch):
    from stylegram import api
    from stylegram.engine import gatys

    calls = []
    real = gatys.GatysLoss.__call__

    def failing(self, image):
        calls.append(1)
        if len(calls) == 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(self, image)

    monkeypatch.setattr(gatys.GatysLoss, "__call__", failing)
    monkeypatch.setenv("STYLEGRAM_MEMORY_LIMIT", "64G")
    content = Image.new("RGB", (64, 48), (200, 40, 40))
    with pytest.raises(OutOfMemoryError, match=r"^out of memory: 64x48 px needs about .* 64\.0 GiB available") as info:
        api.run(content, Image.new("RGB", (64, 64), (0, 0, 255)), steps=5, size=64, device="cpu")
    partial = info.value.partial
    assert partial.size == (64, 48)
    assert partial.getpixel((30, 20))[0] > 100  # the content-initialised image, not black



def test_out_of_memory_while_building_targets_is_reported(monkeypatch):
    from stylegram import api
    from stylegram.engine import gatys

    def failing(self, *args):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 99 bytes")

    monkeypatch.setattr(gatys.GatysLoss, "__init__", failing)
    monkeypatch.setenv("STYLEGRAM_MEMORY_LIMIT", "64G")
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    with pytest.raises(OutOfMemoryError, match=r"^out of memory: 64x48 px needs about") as info:
        api.run(image, image, steps=2, size=64, device="cpu")
    assert info.value.partial is None


def test_other_runtime_errors_are_not_taken_for_memory(monkeypatch):
    from stylegram import api
    from stylegram.engine import gatys

    def failing(self, *args):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(gatys.GatysLoss, "__init__", failing)
    image = Image.new("RGB", (64, 48))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        api.run(image, image, steps=2, size=64, device="cpu")


def test_cuda_uses_the_free_device_memory(monkeypatch):
    monkeypatch.delenv("STYLEGRAM_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (3 * 2**30, 80 * 2**30))
    assert available_memory(torch.device("cuda")) == 3 * 2**30
    with pytest.raises(OutOfMemoryError, match=r"on cuda, 3\.0 GiB available; use size \d+ or smaller"):
        check_memory((4096, 4096), StyleConfig(), torch.device("cuda"))
    assert available_memory(torch.device("mps")) is None  # not checked there

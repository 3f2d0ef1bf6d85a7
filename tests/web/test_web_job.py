"""Streaming a run from a worker thread, and stopping it (no browser)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stylegram import StyleConfig, api
from stylegram.errors import Interrupted
from stylegram.web.job import stream

from stylegram.examples import FOLDER as EXAMPLES


@pytest.fixture(scope="module")
def inputs_and_config():
    config = StyleConfig(size=48, steps=3)
    return api.load_inputs(EXAMPLES / "tubingen.jpg", [EXAMPLES / "starry_night.jpg"], config), config


def test_updates_follow_the_run_and_end_with_the_result(inputs_and_config):
    inputs, config = inputs_and_config
    updates = list(stream(inputs, config, stop=threading.Event(), preview_interval=0.0))
    steps = [u.event.step for u in updates if u.event is not None]
    assert steps == sorted(steps) and steps[-1] == 3
    previews = [u.preview for u in updates if u.preview is not None]
    assert previews and all(p.size == inputs.size for p in previews)  # one scale at 48 px
    assert updates[-1].result is not None and updates[-1].result.image.size == inputs.size
    assert all(u.result is None for u in updates[:-1])


def test_stop_ends_the_run_with_the_image_so_far(inputs_and_config):
    inputs, config = inputs_and_config
    config = config.with_options(steps=500)
    stop = threading.Event()
    seen = []
    with pytest.raises(Interrupted) as raised:
        for update in stream(inputs, config, stop=stop):
            if update.event is not None:
                seen.append(update.event.step)
                stop.set()
    assert seen and raised.value.step < 500
    assert raised.value.partial is not None and raised.value.partial.size == inputs.size


def test_a_run_waits_for_the_device_slot(inputs_and_config):
    inputs, config = inputs_and_config
    slot = threading.Semaphore(1)
    slot.acquire()
    updates = stream(inputs, config, stop=threading.Event(), device_slot=slot, heartbeat=0.05)
    assert next(updates).event is None  # a heartbeat: nothing can run while the slot is held
    slot.release()
    assert list(updates)[-1].result is not None

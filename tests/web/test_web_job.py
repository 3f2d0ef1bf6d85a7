"""Streaming a run from a worker thread, and stopping it (no browser)."""

from __future__ import annotations

import threading

import pytest

from stylegram import StyleConfig, api
from stylegram.errors import Cancelled
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
    with pytest.raises(Cancelled) as raised:
        for update in stream(inputs, config, stop=stop):
            if update.event is not None:
                seen.append(update.event.step)
                stop.set()
    assert seen and raised.value.step < 500
    assert raised.value.partial is not None and raised.value.partial.size == inputs.size


class _Slot:
    """A device slot that records when it is taken and that the test opens by hand."""

    def __init__(self) -> None:
        self.open, self.taken = threading.Event(), threading.Event()

    def __enter__(self) -> None:
        self.taken.set()
        self.open.wait()

    def __exit__(self, *exc: object) -> None:
        pass


def test_a_run_waits_for_the_device_slot(inputs_and_config):
    inputs, config = inputs_and_config
    slot = _Slot()
    updates = stream(inputs, config, stop=threading.Event(), device_slot=slot, heartbeat=0.05)
    first = next(updates)
    assert slot.taken.wait(10) and first.event is None  # waiting on the slot: no iteration yet
    for _ in range(3):
        assert next(updates).event is None  # still nothing while the slot is closed
    slot.open.set()
    assert list(updates)[-1].result is not None


def test_a_job_stopped_while_it_waits_never_starts(inputs_and_config):
    inputs, config = inputs_and_config
    slot, stop = _Slot(), threading.Event()
    updates = stream(inputs, config, stop=stop, device_slot=slot, heartbeat=0.05)
    next(updates)
    stop.set()
    slot.open.set()
    with pytest.raises(Cancelled) as raised:
        list(updates)
    assert raised.value.partial is None and raised.value.step == 0


class _WatchedSlot:
    """A free device slot that records when the run lets it go."""

    def __init__(self) -> None:
        self.freed = threading.Event()

    def __enter__(self) -> None:
        self.freed.clear()

    def __exit__(self, *exc: object) -> None:
        self.freed.set()


def test_closing_the_stream_stops_the_run_and_frees_the_device(inputs_and_config):
    inputs, config = inputs_and_config
    slot, stop = _WatchedSlot(), threading.Event()
    updates = stream(inputs, config.with_options(steps=500), stop=stop, device_slot=slot)
    assert any(update.event is not None for update in updates)  # stops at the first iteration
    updates.close()  # what Gradio does when the visitor's tab closes
    assert stop.is_set()
    assert slot.freed.wait(120)  # the worker ended after its iteration; the bound only catches a hang

"""Streaming a run from a worker thread, stopping it, and the jobs' stop flags (no browser).

Every wait here is on an event or a state; a timeout only bounds a test that broke.
"""

from __future__ import annotations

import threading

import pytest

from stylegram import Cancelled, StyleConfig, api
from stylegram.examples import FOLDER as EXAMPLES
from stylegram.web.job import JobBoard, stream

BOUND = 120  # seconds: only reached when the behaviour under test is broken


@pytest.fixture(scope="module")
def inputs_and_config():
    config = StyleConfig(size=48, steps=3)
    return api.load_inputs(EXAMPLES / "tubingen.jpg", [EXAMPLES / "starry_night.jpg"], config), config


class WatchedSlot:
    """A one-run device slot that records when a run waits for it, holds it and frees it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting, self.held, self.freed = threading.Event(), threading.Event(), threading.Event()

    def __enter__(self) -> None:
        self.waiting.set()
        self.lock.acquire()
        self.held.set()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
        self.freed.set()


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


def test_a_stop_set_before_the_start_runs_nothing(inputs_and_config):
    inputs, config = inputs_and_config
    stop = threading.Event()
    stop.set()
    updates = stream(inputs, config, stop=stop, heartbeat=BOUND)
    with pytest.raises(Cancelled) as raised:
        assert all(u.event is None for u in updates)
    assert raised.value.partial is None and raised.value.step == 0


def test_a_run_waits_for_the_device_slot(inputs_and_config):
    inputs, config = inputs_and_config
    slot = WatchedSlot()
    slot.lock.acquire()  # another run holds the device
    updates = stream(inputs, config, stop=threading.Event(), device_slot=slot, heartbeat=0.05)
    assert next(updates).event is None
    assert slot.waiting.wait(BOUND) and not slot.held.is_set()  # the worker is blocked on the slot
    slot.lock.release()
    events = []
    for update in updates:
        if update.event is not None:
            assert slot.held.is_set()  # no iteration ran before the slot was free
            events.append(update)
    assert events[-1].result is not None and slot.freed.is_set()


def test_closing_the_stream_frees_the_device(inputs_and_config):
    inputs, config = inputs_and_config
    slot = WatchedSlot()
    stop = threading.Event()
    updates = stream(inputs, config.with_options(steps=500), stop=stop, device_slot=slot)
    for update in updates:
        if update.event is not None:
            break
    updates.close()  # what Gradio does when the visitor's tab closes
    assert stop.is_set()
    assert slot.freed.wait(BOUND)  # the worker stopped after its iteration and let the device go
    assert slot.lock.acquire(blocking=False)


def test_after_a_double_start_cancel_reaches_the_running_job(inputs_and_config):
    inputs, config = inputs_and_config
    board = JobBoard()
    board.submit("visitor")
    board.submit("visitor")  # Start pressed twice: two jobs of one session
    running = board.begin("visitor")  # the first one's turn
    assert board.state("visitor") == (1, 1)
    with pytest.raises(Cancelled) as raised:
        for update in stream(inputs, config.with_options(steps=500), stop=running):
            if update.event is not None and not running.is_set():
                assert board.cancel("visitor") == (1, 1)
    assert 1 <= raised.value.step < 500
    board.end("visitor", running)
    waiting = board.begin("visitor")
    assert waiting is not running and waiting.is_set()  # the second job will not start
    board.end("visitor", waiting)
    assert board.state("visitor") == (0, 0)


def test_jobs_of_other_sessions_are_not_cancelled():
    board = JobBoard()
    mine, theirs = board.submit("me"), board.submit("them")
    assert board.cancel("me") == (0, 1)
    assert mine.is_set() and not theirs.is_set()
    board.forget("them")  # their tab closed while the job waited
    assert theirs.is_set() and board.state("them") == (0, 0)
    assert board.cancel("nobody") == (0, 0)

"""Cancelling a run through its stop signal: a distinct outcome from Ctrl+C."""

import threading

import pytest

from stylegram import run
from stylegram.errors import Cancelled, Interrupted


def test_setting_stop_ends_the_run_after_that_iteration_with_the_best_image(small_content, small_style):
    stop, steps = threading.Event(), []

    def on_event(event):
        steps.append(event.step)
        if event.step == 2:
            stop.set()

    with pytest.raises(Cancelled) as caught:
        run(small_content, small_style, steps=8, callback=on_event, stop=stop)
    assert steps == [1, 2]
    assert caught.value.step == 2
    assert not isinstance(caught.value, Interrupted)
    assert caught.value.partial.size == (96, 72)


def test_a_stop_set_before_the_start_runs_nothing(small_content, small_style):
    stop, steps = threading.Event(), []
    stop.set()
    with pytest.raises(Cancelled) as caught:
        run(small_content, small_style, steps=4, callback=steps.append, stop=stop)
    assert steps == [] and caught.value.step == 0 and caught.value.partial is None


def test_a_stop_between_scales_keeps_the_coarse_result(small_content, small_style):
    stop, sizes = threading.Event(), []

    def on_event(event):
        sizes.append(event.size)
        if event.step == 4:  # the last iteration of the coarse scale
            stop.set()

    with pytest.raises(Cancelled) as caught:
        run(small_content, small_style, steps=6, scales=(48, 96), callback=on_event, stop=stop)
    assert sizes == [(48, 36)] * 4
    assert caught.value.step == 4 and caught.value.partial.size == (96, 72)


def test_keyboard_interrupt_is_still_interrupted(small_content, small_style):
    def on_event(event):
        raise KeyboardInterrupt

    with pytest.raises(Interrupted) as caught:
        run(small_content, small_style, steps=4, callback=on_event, stop=threading.Event())
    assert not isinstance(caught.value, Cancelled)

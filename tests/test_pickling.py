"""Everything that crosses a process boundary (batch workers, Ray) pickles: every
public exception and the progress events."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
from PIL import Image

import stylegram
from stylegram import errors


def _roundtrip(value):
    return pickle.loads(pickle.dumps(value))


def test_every_public_exception_pickles_with_its_message_and_attributes():
    partial = Image.new("RGB", (4, 3), (10, 20, 30))
    made = []
    for name in errors.__all__:
        cls = getattr(errors, name)
        params = inspect.signature(cls.__init__).parameters
        kwargs = {"step": 7} if "step" in params else {"path": "a.png"} if "path" in params else {}
        if "field" in params:
            kwargs = {"field": "style_weight"}
        error = cls(f"{name}: the message", **kwargs)
        error.partial = partial
        made.append(error)
    assert {type(e).__name__ for e in made} == set(errors.__all__)
    for error in made:
        back = _roundtrip(error)
        assert type(back) is type(error)
        assert str(back) == str(error)
        for attribute in ("step", "path", "field", "fields"):
            assert getattr(back, attribute, None) == getattr(error, attribute, None)
        assert np.array_equal(np.asarray(back.partial), np.asarray(partial))


def test_progress_events_pickle_with_their_preview(small_content, small_style):
    events = []
    stylegram.run(small_content, small_style, steps=2, size=48, callback=events.append)
    assert len(events) == 2
    for event in events:
        back = _roundtrip(event)
        assert back == event
        assert np.array_equal(np.asarray(back.image()), np.asarray(event.image()))
        assert back.image().size == event.size

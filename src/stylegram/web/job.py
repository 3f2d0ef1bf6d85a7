"""One style transfer run in a worker thread, streamed as progress updates.

The engine runs synchronously and reports through its callback
(:class:`~stylegram.events.ProgressEvent`). :func:`stream` runs
:func:`stylegram.api.run` in a worker thread, passes the events through a
:class:`queue.Queue` and yields them, so that a front end (the Gradio page) can
show them while the run goes on. ``stop`` is handed to the engine as its stop
signal: once set, the run ends after its current iteration with
:class:`~stylegram.errors.Cancelled` carrying the best image so far (nothing raises
``KeyboardInterrupt`` in a worker thread). No gradio here.
"""

from __future__ import annotations

import queue
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, ContextManager, Iterator

from PIL import Image

from .. import api
from ..config import StyleConfig
from ..errors import Cancelled
from ..events import ProgressEvent

__all__ = ["Update", "stream"]

@dataclass(frozen=True)
class Update:
    """What happened since the previous update.

    Attributes:
        event: The latest progress event, or ``None`` before the first iteration
            (loading the network, or waiting for the device).
        preview: The current image (``RGB`` PIL, at the current scale's size) if one
            was rendered since the previous update, else ``None``.
        result: The finished run; set on the last update only.
    """

    event: ProgressEvent | None
    preview: Image.Image | None = None
    result: api.StyleResult | None = None


_FINISHED = object()


def stream(
    inputs: api.Inputs,
    config: StyleConfig,
    *,
    stop: threading.Event,
    device_slot: ContextManager[Any] | None = None,
    preview_interval: float = 0.5,
    heartbeat: float = 1.0,
) -> Iterator[Update]:
    """Run a style transfer in a worker thread and yield its progress.

    Closing the generator early (the page was closed) sets ``stop``, so the worker
    ends after its current iteration.

    Args:
        inputs: The images, from :func:`stylegram.api.load_inputs`.
        config: The run's settings.
        stop: Set it (from any thread) to end the run after the current iteration.
        device_slot: Held by the worker for the whole run (e.g. a
            :class:`threading.Semaphore` that bounds the runs sharing a device);
            ``None`` for no bound.
        preview_interval: Seconds between two rendered previews (rendering copies
            the image); the first and the last iteration always get one.
        heartbeat: Seconds after which an update without news is yielded, so that
            the consumer stays responsive while the network loads.

    Yields:
        :class:`Update` objects; the last one carries the result.

    Raises:
        Cancelled: ``stop`` was set; ``partial`` holds the best image so far
            (``None`` when the run had not started).
        StylegramError: Any error of :func:`stylegram.api.run`.
    """
    items: queue.Queue[Any] = queue.Queue()
    last_preview = [-preview_interval]

    def on_event(event: ProgressEvent) -> None:
        now = time.monotonic()
        preview = None
        if now - last_preview[0] >= preview_interval or event.step == event.total_steps:
            preview, last_preview[0] = event.image(), now
        items.put((event, preview))

    def work() -> None:
        try:
            with device_slot or nullcontext():
                if stop.is_set():
                    raise Cancelled("cancelled before it started", 0)
                result = api.run(None, None, config, callback=on_event, inputs=inputs, stop=stop)  # type: ignore[arg-type]
            items.put((_FINISHED, result))
        except BaseException as error:  # noqa: BLE001 - handed over to the consumer thread
            items.put((_FINISHED, error))

    worker = threading.Thread(target=work, name="stylegram-web-run", daemon=True)
    worker.start()
    event = None
    try:
        while True:
            try:
                batch = [items.get(timeout=heartbeat)]
            except queue.Empty:
                yield Update(event)
                continue
            while not items.empty():
                batch.append(items.get_nowait())
            preview = None
            for first, second in batch:
                if first is _FINISHED:
                    if isinstance(second, BaseException):
                        raise second
                    yield Update(event, preview, second)
                    return
                event, preview = first, second if second is not None else preview
            yield Update(event, preview)
    finally:
        stop.set()

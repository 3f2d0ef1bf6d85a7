"""One style transfer run in a worker thread, streamed as progress updates, and the
stop flags of a server's jobs.

The engine runs synchronously and reports through its callback
(:class:`~stylegram.events.ProgressEvent`). :func:`stream` runs
:func:`stylegram.api.run` in a worker thread, passes the events through a
:class:`queue.Queue` and yields them, so that a front end (the Gradio page) can
show them while the run goes on. Each job has its own stop flag (a
:class:`threading.Event`, the engine's ``stop=`` signal): setting it ends the run with
:class:`~stylegram.errors.Cancelled` carrying the best image so far.
:class:`JobBoard` keeps those flags per job, grouped by the visitor's session.
No gradio here.
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
from ..events import ProgressEvent

__all__ = ["JobBoard", "Update", "stream"]


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
        stop: This job's stop flag: set it (from any thread) to end the run after the
            current iteration, or before it starts.
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


class JobBoard:
    """The stop flags of a server's jobs, one per job, grouped by visitor session.

    A Start registers a job (:meth:`submit`) before it waits in the queue; when its
    turn comes the job takes its flag (:meth:`begin`) and gives it back at the end
    (:meth:`end`). Cancel sets the flags of every job of the session (:meth:`cancel`),
    so after a double Start both the running and the waiting job stop. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, list[threading.Event]] = {}
        self._running: dict[str, list[threading.Event]] = {}

    def submit(self, session: str) -> threading.Event:
        """Register a new job of ``session`` that waits for its turn; returns its flag."""
        stop = threading.Event()
        with self._lock:
            self._waiting.setdefault(session, []).append(stop)
        return stop

    def begin(self, session: str) -> threading.Event:
        """The flag of ``session``'s oldest waiting job, now running (a new flag if
        none was submitted, e.g. a call through the HTTP API without the page)."""
        with self._lock:
            waiting = self._waiting.get(session) or []
            stop = waiting.pop(0) if waiting else threading.Event()
            if not waiting:
                self._waiting.pop(session, None)
            self._running.setdefault(session, []).append(stop)
        return stop

    def end(self, session: str, stop: threading.Event) -> None:
        """Forget the job of ``session`` whose flag is ``stop`` (it has ended)."""
        with self._lock:
            for jobs in (self._running, self._waiting):
                flags = jobs.get(session, [])
                if stop in flags:
                    flags.remove(stop)
                if not flags:
                    jobs.pop(session, None)

    def state(self, session: str) -> tuple[int, int]:
        """``(running, waiting)``: how many jobs of ``session`` run and wait now."""
        with self._lock:
            return len(self._running.get(session, [])), len(self._waiting.get(session, []))

    def busy(self) -> int:
        """How many jobs run now, over all sessions."""
        with self._lock:
            return sum(len(flags) for flags in self._running.values())

    def cancel(self, session: str) -> tuple[int, int]:
        """Set the flag of every job of ``session``; returns ``(running, waiting)``
        as they were: running jobs stop after their current iteration, waiting ones
        will not start. Their flags stay registered until each job ends."""
        with self._lock:
            running, waiting = self._running.get(session, []), self._waiting.get(session, [])
            for stop in (*running, *waiting):
                stop.set()
            return len(running), len(waiting)

    def forget(self, session: str) -> None:
        """The session ended (its tab closed): cancel its jobs and drop the waiting ones."""
        self.cancel(session)
        with self._lock:
            self._waiting.pop(session, None)

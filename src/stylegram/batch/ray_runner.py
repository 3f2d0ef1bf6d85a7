"""The ``ray`` engine: the batch's jobs spread over the workers of a Ray cluster.

Each worker is a Ray actor, one process that keeps its VGG19 (or fast model) between
jobs (both are cached per process) and runs each job with
:func:`~stylegram.batch.runner.run_job`, which writes the output atomically itself,
so the output folder must be one every node sees (a shared filesystem). One GPU per
worker when the cluster has GPUs (``num_gpus=1``), else its share of the CPUs.

- Optimization jobs go to a pool of actors, one job at a time each.
- Fast jobs (a fraction of a second each) stream through Ray Data: a dataset with one
  row per job, :meth:`ray.data.Dataset.map_batches` over an actor pool of the same
  size, a few jobs per call, so Ray's per-call cost is shared by several photos.

A worker that dies during a job (its process killed, its node lost) is restarted by
Ray and the job is run again from the start (``max_restarts`` / ``max_task_retries``);
a write that the death interrupted left only a temporary file beside the output,
which is removed, never a partial output.

This is the only module of stylegram that imports Ray (``pip install 'stylegram[ray]'``).

Reference: Moritz et al., "Ray: A Distributed Framework for Emerging AI
Applications" (OSDI 2018); Ray's actor fault tolerance:
https://docs.ray.io/en/latest/ray-core/fault_tolerance/actors.html
"""

from __future__ import annotations

import collections
import logging
import os
import pickle
import socket
import time
import warnings
from typing import TYPE_CHECKING, Any, Generator, Sequence

import numpy as np
import ray
import ray.data

from ..errors import OptionError, StylegramError
from .jobs import Job
from .runner import remove_temporaries, run_job, worker_name
from .summary import JobOutcome

if TYPE_CHECKING:
    from ..api import StopSignal

__all__ = ["run_on_ray", "Painter", "RETRIES", "FAST_BATCH", "start_workers"]

RETRIES = 2
"""How many times a job whose worker died is run again (and the worker restarted)."""

FAST_BATCH = 4
"""Fast jobs per Ray Data call (:meth:`ray.data.Dataset.map_batches` batch size)."""

_POLL_SECONDS = 0.5  # how often a stop signal is looked at while jobs run
_KILL_SECONDS = 30.0  # the longest wait for killed workers to end
_REACH_SECONDS = 5.0  # how long a cluster's address may take to answer at all
_TOKEN_SETUP_LOGGER = "ray._private.authentication.authentication_token_setup"  # Ray's token-mode notices


class _FastPainter:
    """A Ray Data actor for fast jobs: each call runs a batch of them, one after another."""

    def __init__(self, cpus: int) -> None:
        import torch

        torch.set_num_threads(max(1, cpus))  # the CPUs Ray gave this worker, no more

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``batch["job"]``: pickled :class:`Job` values; returns their pickled outcomes."""
        outcomes = [pickle.dumps(run_job(pickle.loads(job))) for job in batch["job"]]
        return {"outcome": np.array(outcomes, dtype=object)}


class _Painter:
    """A worker: one process that runs jobs one after another."""

    def __init__(self, cpus: int) -> None:
        import torch

        torch.set_num_threads(max(1, cpus))  # the CPUs Ray gave this worker, no more

    def pid(self) -> str:
        """``host:pid`` of this worker's process."""
        return worker_name()

    def run(self, job: Job) -> JobOutcome:
        """Run ``job`` (:func:`~stylegram.batch.runner.run_job`) here."""
        return run_job(job)


Painter = ray.remote(max_restarts=RETRIES, max_task_retries=RETRIES)(_Painter)
"""The Ray actor class of a worker (restarted after a death, its job retried)."""


def _worker_shape(count: int | None, limit: int) -> tuple[int, int, dict[str, int]]:
    """How many workers to start on the connected cluster (``count``, default one per
    GPU or one per CPU when it has no GPU, at most ``limit``), the torch threads of
    each, and the resources each asks for (one GPU, or its share of the CPUs)."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    cpus = max(1, int(resources.get("CPU", 1)))
    count = max(1, min(count or gpus or cpus, limit))
    threads = max(1, cpus // count)
    return count, threads, {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": threads}


def start_workers(count: int | None, limit: int) -> list[Any]:
    """Start workers on the connected cluster: ``count`` of them (default one per GPU,
    or one per CPU when it has no GPU), at most ``limit``. Each asks for one GPU when
    the cluster has GPUs, else for its share of the CPUs, and uses that many threads."""
    count, threads, options = _worker_shape(count, limit)
    return [Painter.options(**options).remote(threads) for _ in range(count)]


def _check_reachable(address: str) -> None:
    """Refuse at once an address where nothing listens (Ray itself retries for
    minutes): ``HOST:PORT`` or ``ray://HOST:PORT`` must accept a TCP connection.
    ``auto`` and other forms are left to Ray.

    Raises:
        OptionError: Nothing answers at ``address``.
    """
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit() or not host:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=_REACH_SECONDS).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OptionError(f"{{address}}: no Ray cluster answers at {address} ({reason})", "address") from None


def _connect(address: str | None) -> bool:
    """Join ``address`` (or start a local instance) unless connected; whether we did."""
    if ray.is_initialized():
        return False
    if address:
        _check_reachable(address)
    elif "RAY_ADDRESS" not in os.environ:
        # A new local instance, ours for this run: Ray turns token authentication on for
        # it and warns that it did, a line that asks nothing of the user; keep it off.
        logging.getLogger(_TOKEN_SETUP_LOGGER).setLevel(logging.ERROR)
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as error:
        raise OptionError(f"{{address}}: cannot join the Ray cluster at {address} ({error})", "address") from None
    return True


def _submit(idle: list[Any], queue: collections.deque[Job], running: dict[Any, tuple[Any, Job]]) -> None:
    """Give each idle worker the next job."""
    while idle and queue:
        actor = idle.pop()
        job = queue.popleft()
        running[actor.run.remote(job)] = (actor, job)


def _outcome(ref: Any, running: dict[Any, tuple[Any, Job]], idle: list[Any]) -> JobOutcome:
    """The outcome of the ended job ``ref``; its worker goes back to ``idle`` unless it is dead."""
    actor, job = running.pop(ref)
    try:
        outcome: JobOutcome = ray.get(ref)
    except ray.exceptions.RayActorError as error:  # died more than RETRIES times
        remove_temporaries(job.output)
        cause = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return JobOutcome(job, "failed", error=StylegramError(f"its Ray worker died ({cause})"))
    except ray.exceptions.RayTaskError as error:  # escaped run_job: a failure it does not know
        outcome = JobOutcome(job, "failed", error=StylegramError(str(error).strip().splitlines()[0]))
    idle.append(actor)
    return outcome


def _on_actors(jobs: Sequence[Job], workers: int | None, stop: StopSignal | None) -> Generator[JobOutcome, None, None]:
    """Run ``jobs`` on a pool of :data:`Painter` actors, one job at a time each."""
    queue = collections.deque(jobs)
    running: dict[Any, tuple[Any, Job]] = {}
    actors: list[Any] = []
    try:
        actors += start_workers(workers, len(jobs))
        idle = list(actors)
        while queue or running:
            _submit(idle, queue, running)
            if not running:  # every worker is gone
                for job in queue:
                    yield JobOutcome(job, "failed", error=StylegramError("no Ray worker left to run the job"))
                return
            ready, _ = ray.wait(list(running), num_returns=1, timeout=_POLL_SECONDS)
            if stop is not None and stop.is_set():
                return
            ended = [_outcome(ref, running, idle) for ref in ready]
            _submit(idle, queue, running)  # the workers go on while the outcomes are reported
            yield from ended
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if running:  # wait for the killed workers to be gone before tidying after them
            ray.wait(list(running), num_returns=len(running), timeout=_KILL_SECONDS)
        for _, job in running.values():
            remove_temporaries(job.output)


def _on_ray_data(jobs: Sequence[Job], workers: int | None, stop: StopSignal | None) -> Generator[JobOutcome, None, None]:
    """Run the fast ``jobs`` through Ray Data: ``map_batches`` of :class:`_FastPainter`
    over an actor pool, :data:`FAST_BATCH` jobs per call, each call's outcomes together
    as it ends. A stop is looked at between calls; then the jobs whose outputs the
    workers had already written in this run are reported ``ok`` (without their
    seconds), and those in progress are abandoned. A batch whose worker died more than
    :data:`RETRIES` times is skipped (Ray Data's ``max_errored_blocks``) and its jobs
    are failed; the others go on."""
    blocks = -(-len(jobs) // FAST_BATCH)
    count, threads, options = _worker_shape(workers, blocks)  # no more workers than blocks: none idle
    dataset = ray.data.from_items([{"job": pickle.dumps(job)} for job in jobs], override_num_blocks=blocks)
    dataset.context.enable_progress_bars = False  # stylegram reports the progress
    dataset.context.max_errored_blocks = len(jobs)
    with warnings.catch_warnings():
        # Ray Data's default is to restart a dead worker forever; Ray 2.60 takes the
        # limit only as a remote argument, which it warns is deprecated: not the
        # user's concern, so not on their terminal (revisit when the pin moves).
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated", category=DeprecationWarning)
        painted = dataset.map_batches(
            _FastPainter,
            fn_constructor_args=(threads,),
            batch_size=FAST_BATCH,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=count),
            max_restarts=RETRIES,
            max_task_retries=RETRIES,
            **options,
        )
    ended: set[str] = set()
    quiet = logging.getLogger("ray.data")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # no per-dataset execution log on the user's terminal
    batches = painted.iter_batches(batch_size=None, batch_format="numpy")  # each call's jobs together
    begun = time.time()
    stopped = False
    try:
        for batch in batches:
            outcomes: list[JobOutcome] = [pickle.loads(outcome) for outcome in batch["outcome"]]
            ended.update(outcome.job.output for outcome in outcomes)
            yield from outcomes
            if stop is not None and stop.is_set():
                stopped = True
                break
    finally:
        del batches  # ends the dataset's run: Ray Data stops its actors
        quiet.setLevel(level)
        for job in jobs:
            if job.output not in ended:
                remove_temporaries(job.output)
    for job in jobs:
        if job.output in ended:
            continue
        if stopped:  # finished by a worker but not yet reported when the batch stopped
            if job.is_done() and os.path.getmtime(job.output) >= begun:  # not an --overwrite's old one
                yield JobOutcome(job, "ok")
        else:
            yield JobOutcome(job, "failed", error=StylegramError(f"its Ray worker died more than {RETRIES} times"))


def run_on_ray(
    jobs: Sequence[Job],
    *,
    address: str | None = None,
    workers: int | None = None,
    stop: StopSignal | None = None,
) -> Generator[JobOutcome, None, None]:
    """Run ``jobs`` on Ray's workers, yielding each outcome as its job ends: the fast
    jobs first, through Ray Data, then the optimizations, on actors.

    Joins the cluster at ``address`` unless this process is already connected (then
    uses that one, and stays connected); ``None`` starts a local instance. Closing
    the generator (the batch stopped) stops the workers and removes the temporary
    files of the writes they were in.

    Raises:
        OptionError: The cluster at ``address`` cannot be joined.
    """
    joined = _connect(address)
    try:
        fast = [job for job in jobs if job.method == "fast"]
        if fast:
            yield from _on_ray_data(fast, workers, stop)
        rest = [job for job in jobs if job.method != "fast"]
        if rest and not (stop is not None and stop.is_set()):
            yield from _on_actors(rest, workers, stop)
    finally:
        if joined:
            ray.shutdown()

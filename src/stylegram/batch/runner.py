"""Running a batch: skip what is done, run the rest on an engine, report every job.

:func:`run_job` is one job from start to written output; it runs in this process for
the ``local`` engine and inside the workers for ``ray`` (:mod:`.ray_runner`, imported
only when that engine is chosen). :func:`run_batch` is the loop around either: it
never lets one job's failure stop the others, writes the summary file as jobs end,
reports progress, and stops cleanly on Ctrl+C or a stop signal, leaving every output
either complete or not there (outputs are written atomically by
:func:`~stylegram.image.write_image`).
"""

from __future__ import annotations

import functools
import glob
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generator, Sequence

from ..errors import Cancelled, Interrupted, OptionError, StylegramError
from .jobs import Job, check_outputs
from .summary import BatchCallback, BatchProgress, BatchSummary, JobOutcome, SummaryFile

if TYPE_CHECKING:
    from ..api import StopSignal

__all__ = ["run_job", "run_batch", "ENGINES", "remove_temporaries", "worker_name"]

ENGINES = ("local", "ray")
"""``local``: one job after another in this process; ``ray``: the jobs spread over
the workers of a Ray cluster (:mod:`stylegram.batch.ray_runner`)."""


def worker_name() -> str:
    """``host:pid`` of this process, as recorded in :attr:`JobOutcome.worker`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def remove_temporaries(output: str | os.PathLike[str]) -> None:
    """Remove what a process killed while writing ``output`` left beside it: the
    temporary files of :func:`~stylegram.image.write_image` (``.NAME.XXXXXXXXXXXX.tmp``),
    which a completed write renames over ``output``. Call it only while no one is
    writing ``output``."""
    target = Path(output)
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        leftover.unlink(missing_ok=True)


def _fast_model(model: str) -> Any:
    """A fast model loaded once per process (a worker reuses it for every photo), and
    again when its file changed (a model retrained under the same name).

    Raises:
        ModelFileError: The model is neither a file nor a built-in, or cannot be read.
    """
    from ..fast import resolve_model

    path = resolve_model(model)
    info = path.stat()
    return _load_model(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=8)
def _load_model(path: str, mtime_ns: int, size: int) -> Any:
    from .. import fast

    return fast.load_model(path)


def run_job(job: Job, stop: StopSignal | None = None) -> JobOutcome:
    """Run one job and write its output atomically with its run record: an
    optimization (:func:`stylegram.api.run`) or, for the ``fast`` method, one pass of
    its model's network (:func:`stylegram.fast.stylize`; the model loaded once per
    process).

    A failure of the job (a bad image, a bad setting for this photo, running out of
    memory, any unexpected exception) is returned as a ``failed`` outcome, never
    raised, and leaves no output.

    Raises:
        Interrupted: Ctrl+C during the run (nothing is written).
        Cancelled: ``stop`` was set (nothing is written).
    """
    from .. import api
    from ..image import write_image

    start = time.perf_counter()
    remove_temporaries(job.output)
    try:
        api.check_output_not_input(job.output, job.content, *job.styles)
        if job.method == "fast":
            from .. import fast

            model = _fast_model(job.model)
            image = fast.stylize(model, job.content, size=job.config.size, preserve_color=job.config.preserve_color)
            record = api.apply_metadata(model, job.content, image.size, strength=1.0, preserve_color=job.config.preserve_color)
        else:
            result = api.run(job.content, list(job.styles), job.config, stop=stop)
            image, record = result.image, result.metadata()
        write_image(job.output, image, metadata=job.metadata(record))
    except (Interrupted, Cancelled):
        raise
    except StylegramError as error:
        error.partial = None  # the outcome crosses processes: no image with it
        return JobOutcome(job, "failed", time.perf_counter() - start, error, worker_name())
    except Exception as error:  # noqa: BLE001 - one job's bug must not stop the batch
        wrapped = StylegramError(f"{type(error).__name__}: {error}")
        return JobOutcome(job, "failed", time.perf_counter() - start, wrapped, worker_name())
    return JobOutcome(job, "ok", time.perf_counter() - start, None, worker_name())


def _run_locally(jobs: Sequence[Job], stop: StopSignal | None) -> Generator[JobOutcome, None, None]:
    for job in jobs:
        if stop is not None and stop.is_set():
            return
        yield run_job(job, stop)


def run_batch(
    jobs: Sequence[Job],
    *,
    engine: str = "local",
    address: str | None = None,
    workers: int | None = None,
    summary: str | os.PathLike[str] | None = None,
    callback: BatchCallback | None = None,
    stop: StopSignal | None = None,
    overwrite: bool = False,
) -> BatchSummary:
    """Run every job that is not done yet and report each one.

    Jobs whose output already holds their result (:meth:`Job.is_done`) are
    ``skipped``; the others run on ``engine``. A failed job is recorded and the
    batch goes on. Ctrl+C (``KeyboardInterrupt``) or ``stop`` ends the batch after
    abandoning the jobs in progress: they and the jobs not started are ``stopped``,
    nothing half-written is left, and the summary is returned with ``stopped=True``
    (a rerun continues from there).

    Args:
        jobs: From :func:`~stylegram.batch.plan_jobs` or
            :func:`~stylegram.batch.read_manifest`; output folders are created.
        engine: One of :data:`ENGINES`.
        address: For ``ray``: the cluster to join (``auto``, ``ray://host:10001``,
            ``host:6379``); ``None`` joins the instance this process already started,
            or starts a local one.
        workers: For ``ray``: worker count; default one per GPU of the cluster, or one
            per CPU when it has none.
        summary: Path of the JSON-lines summary file (one line per job), or ``None``.
        callback: Called with a :class:`BatchProgress` after every job.
        stop: Anything with ``is_set()``; once set, the batch stops.
        overwrite: Run every job, even those already done.

    Returns:
        A :class:`BatchSummary` with one outcome per job.

    Raises:
        OptionError: An unknown engine, two jobs with the same output, Ray not
            installed for ``ray``, or a cluster that cannot be joined at ``address``.
        OutputPathError: The summary file or an output folder cannot be created.
    """
    if engine not in ENGINES:
        raise OptionError(f"{{engine}}: unknown value '{engine}'; choose one of {', '.join(ENGINES)}", "engine")
    check_outputs(jobs)
    _make_folders(jobs)
    result = BatchSummary(path=Path(summary) if summary is not None else None)
    start = time.perf_counter()
    counts = {"ran": 0, "failed": 0, "skipped": 0}
    first_end: list[float] = []  # when the first job run ended: the time-left clock starts there

    def record(outcome: JobOutcome) -> None:
        result.outcomes.append(outcome)
        file.write(outcome)
        if outcome.status == "stopped":
            return
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        now = time.perf_counter()
        if outcome.status in ("ok", "failed"):
            counts["ran"] += 1
            first_end[:] = first_end or [now]
        if callback is not None:
            left = len(jobs) - len(result.outcomes)
            # From the second job run on: the first one's time holds the start-up (the
            # encoder's loading, Ray's workers), which the rest do not pay again.
            per_job = (now - first_end[0]) / (counts["ran"] - 1) if counts["ran"] > 1 else None
            callback(
                BatchProgress(
                    done=len(result.outcomes),
                    total=len(jobs),
                    failed=counts["failed"],
                    skipped=counts["skipped"],
                    elapsed=now - start,
                    seconds_left=per_job * left if per_job is not None else None,
                    outcome=outcome,
                )
            )

    with SummaryFile(summary) as file:
        todo = []
        for job in jobs:
            if not overwrite and job.is_done():
                record(JobOutcome(job, "skipped"))
            else:
                todo.append(job)
        ended: set[str] = set()
        outcomes = _engine(engine, todo, address, workers, stop)
        try:
            for outcome in outcomes:
                ended.add(outcome.job.output)
                record(outcome)
        except (KeyboardInterrupt, Interrupted, Cancelled):
            pass  # the jobs not ended are recorded as stopped below
        finally:
            outcomes.close()  # a Ray engine lets its workers go
        for job in todo:
            if job.output not in ended:
                result.stopped = True
                record(JobOutcome(job, "stopped"))
    result.seconds = time.perf_counter() - start
    return result


def _engine(
    engine: str, jobs: Sequence[Job], address: str | None, workers: int | None, stop: StopSignal | None
) -> Generator[JobOutcome, None, None]:
    if engine == "local" or not jobs:
        return _run_locally(jobs, stop)
    try:
        from .ray_runner import run_on_ray
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("ray", "pyarrow", "pandas"):
            raise
        raise OptionError(f"{{engine}}: {error.name} is not installed: pip install 'stylegram[ray]'", "engine") from None
    return run_on_ray(jobs, address=address, workers=workers, stop=stop)


def _make_folders(jobs: Sequence[Job]) -> None:
    from ..errors import OutputPathError

    for folder in sorted({Path(job.output).parent for job in jobs}):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputPathError(f"{folder}: cannot create the output folder ({error.strerror})", str(folder)) from None

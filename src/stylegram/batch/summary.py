"""What a batch reports: each job's outcome, progress over the batch, the summary file.

Every job ends in one :class:`JobOutcome`: ``ok`` (written now), ``skipped`` (its
output was already done), ``failed`` (with the error) or ``stopped`` (the batch was
stopped before it finished). The summary file has one JSON object per line, one per
job, appended as each job ends, so a batch killed outright still leaves the lines of
the jobs it finished.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from ..errors import StylegramError
from .jobs import Job

__all__ = ["JobOutcome", "BatchProgress", "BatchSummary", "BatchCallback", "STATUSES", "SummaryFile"]

STATUSES = ("ok", "skipped", "failed", "stopped")


@dataclass(frozen=True)
class JobOutcome:
    """How one job ended.

    Attributes:
        job: The job.
        status: ``ok``, ``skipped``, ``failed`` or ``stopped``.
        seconds: Wall time of the job in seconds (reading, painting, writing), 0 when
            it did not run.
        error: Why it failed (an unexpected exception is wrapped in a
            :class:`~stylegram.errors.StylegramError` naming its type), else ``None``.
        worker: ``host:pid`` of the process that ran it, or ``None``.
    """

    job: Job
    status: str
    seconds: float = 0.0
    error: StylegramError | None = None
    worker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary file's line: ``content``, ``styles``, ``output``, ``method``,
        ``model`` (the fast method's, else ``null``), ``status``, ``error`` (message with setting names, or ``null``), ``seconds``,
        ``worker``."""
        return {
            "content": self.job.content,
            "styles": list(self.job.styles),
            "output": self.job.output,
            "method": self.job.method,
            "model": self.job.model,
            "status": self.status,
            "error": str(self.error) if self.error is not None else None,
            "seconds": round(self.seconds, 3),
            "worker": self.worker,
        }


@dataclass(frozen=True)
class BatchProgress:
    """The state of a batch after a job ended.

    Attributes:
        done: Jobs ended so far (any status but ``stopped``).
        total: Jobs in the batch.
        failed: Jobs failed so far.
        skipped: Jobs skipped so far (already done).
        elapsed: Seconds since the batch started.
        seconds_left: Estimated seconds to the end: the wall time per job run since
            the first one ended (so start-up is not counted and parallel workers are)
            times the jobs left; ``None`` before two jobs ran.
        outcome: The job that just ended.
    """

    done: int
    total: int
    failed: int
    skipped: int
    elapsed: float
    seconds_left: float | None
    outcome: JobOutcome


BatchCallback = Callable[[BatchProgress], None]


@dataclass
class BatchSummary:
    """Every job's outcome, in the order the jobs ended.

    Attributes:
        outcomes: One :class:`JobOutcome` per job.
        seconds: Wall time of the batch in seconds.
        stopped: ``True`` when the batch was stopped (Ctrl+C, ``stop``) before its end.
        path: The summary file written, or ``None``.
    """

    outcomes: list[JobOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False
    path: Path | None = None

    def having(self, status: str) -> list[JobOutcome]:
        """The outcomes with ``status`` (one of :data:`STATUSES`)."""
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[JobOutcome]:
        """The failed jobs' outcomes."""
        return self.having("failed")

    @property
    def ok(self) -> bool:
        """Whether every job is done (written now or skipped): none failed or stopped."""
        return all(o.status in ("ok", "skipped") for o in self.outcomes)


class SummaryFile:
    """The summary file, one JSON line per job, each flushed as the job ends.

    Raises:
        OutputPathError: From :meth:`open`, when the file cannot be created.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        self._file: TextIO | None = None

    def __enter__(self) -> SummaryFile:
        from ..errors import OutputPathError

        if self.path is not None:
            try:
                self._file = open(self.path, "w", encoding="utf-8")
            except OSError as error:
                raise OutputPathError(f"{self.path}: cannot write the summary ({error.strerror})", str(self.path)) from None
        return self

    def write(self, outcome: JobOutcome) -> None:
        """Append ``outcome``'s line (one write, then flushed to disk)."""
        if self._file is not None:
            self._file.write(json.dumps(outcome.to_dict()) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

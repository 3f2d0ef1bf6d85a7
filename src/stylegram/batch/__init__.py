"""Batch jobs: many photos x many styles, on this machine or across a Ray cluster.

>>> from stylegram.batch import plan_jobs, run_batch                       # doctest: +SKIP
>>> jobs = plan_jobs(["photos/"], ["starry_night.jpg"], "out", StyleConfig(size=256))  # doctest: +SKIP
>>> summary = run_batch(jobs, summary="out/batch-summary.jsonl")         # doctest: +SKIP
>>> [o.job.output for o in summary.failed]                               # doctest: +SKIP

Ray is imported only when ``run_batch(..., engine="ray")`` runs
(:mod:`stylegram.batch.ray_runner`; ``pip install 'stylegram[ray]'``).
"""

from .jobs import IMAGE_SUFFIXES, METHODS, Job, check_outputs, expand_paths, output_name, plan_jobs, read_manifest
from .runner import ENGINES, run_batch, run_job
from .summary import STATUSES, BatchCallback, BatchProgress, BatchSummary, JobOutcome

__all__ = [
    "ENGINES",
    "IMAGE_SUFFIXES",
    "METHODS",
    "STATUSES",
    "BatchCallback",
    "BatchProgress",
    "BatchSummary",
    "Job",
    "JobOutcome",
    "check_outputs",
    "expand_paths",
    "output_name",
    "plan_jobs",
    "read_manifest",
    "run_batch",
    "run_job",
]

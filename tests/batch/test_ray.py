"""The ``ray`` engine on a local Ray instance (2 CPUs, started once for this module):
the same pixels and records as the local engine, a corrupt photo that fails alone,
and a worker killed during a job (an actor's, or a Ray Data worker's for the fast
method) that leaves no broken output and the job done."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylegram import StyleConfig
from stylegram.batch import BatchProgress, plan_jobs, run_batch
from stylegram.image import read_metadata

from .conftest import TINY, leftovers

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with 2 CPUs, shared by this module's tests."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def _same_results(a: Path, b: Path) -> None:
    assert np.array_equal(_pixels(a), _pixels(b)), f"{a} and {b} differ"
    record_a, record_b = read_metadata(a), read_metadata(b)
    assert record_a.pop("seconds") > 0 and record_b.pop("seconds") > 0  # the only field that differs
    assert record_a == record_b


def test_ray_workers_write_the_pixels_of_the_local_engine_and_a_corrupt_photo_fails_alone(local_ray, photos, corrupt, styles, tmp_path):
    local = run_batch(plan_jobs([photos], styles[:1], tmp_path / "local", TINY))
    summary = run_batch(
        plan_jobs([photos], styles[:1], tmp_path / "ray", TINY), engine="ray", workers=2, summary=tmp_path / "ray.jsonl"
    )
    statuses = {Path(o.job.output).name: o.status for o in summary.outcomes}
    assert statuses == {"broken_starry.png": "failed", "prime_starry.png": "ok", "street_starry.png": "ok"}
    assert statuses == {Path(o.job.output).name: o.status for o in local.outcomes}
    assert "broken.jpg: image file is truncated or corrupt" in str(summary.failed[0].error)
    for name in ("prime_starry.png", "street_starry.png"):
        _same_results(tmp_path / "local" / name, tmp_path / "ray" / name)
    assert {o.worker for o in summary.outcomes} != {o.worker for o in local.outcomes}  # ran in the workers
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == ["prime_starry.png", "street_starry.png"]
    lines = [json.loads(line) for line in (tmp_path / "ray.jsonl").read_text().splitlines()]
    assert sorted(line["status"] for line in lines) == ["failed", "ok", "ok"]

    done = plan_jobs([photos / "prime.png", photos / "street.jpg"], styles[:1], tmp_path / "ray", TINY)
    assert [o.status for o in run_batch(done, engine="ray").outcomes] == ["skipped", "skipped"]


def test_fast_jobs_on_ray_workers_give_the_local_engines_pixels_and_records(local_ray, photos, tmp_path):
    jobs = {where: plan_jobs([photos], [], tmp_path / where, TINY, method="fast", models=["starry_night"]) for where in ("local", "ray")}
    local = run_batch(jobs["local"])
    remote = run_batch(jobs["ray"], engine="ray", workers=2)
    assert [o.status for o in remote.outcomes] == [o.status for o in local.outcomes] == ["ok", "ok"]
    assert {o.worker for o in remote.outcomes}.isdisjoint({o.worker for o in local.outcomes})  # ran in the workers
    for name in ("prime_starry_night.png", "street_starry_night.png"):
        a, b = tmp_path / "local" / name, tmp_path / "ray" / name
        assert np.array_equal(_pixels(a), _pixels(b)) and read_metadata(a) == read_metadata(b)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kill_once_busy(pid: int, killed: list[int]) -> None:
    """SIGKILL ``pid`` once it has spent 0.2 s of CPU on the job it was just given
    (between jobs a worker is idle), so the kill lands inside that job."""
    start = _cpu_seconds(pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _cpu_seconds(pid) - start >= 0.2:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.01)


def test_a_worker_killed_during_a_job_leaves_no_broken_output_and_the_job_completes(local_ray, photos, styles, tmp_path):
    longer = TINY.with_options(steps=10)  # a job: over a second of CPU
    jobs = plan_jobs([photos], styles[:1], tmp_path / "ray", longer)
    killed: list[int] = []
    killers: list[threading.Thread] = []

    def kill_the_worker_in_its_next_job(event: BatchProgress) -> None:
        if not killers:  # the worker already holds the second job
            pid = int(event.outcome.worker.rsplit(":", 1)[1])
            killers.append(threading.Thread(target=_kill_once_busy, args=(pid, killed)))
            killers[0].start()

    summary = run_batch(jobs, engine="ray", workers=1, callback=kill_the_worker_in_its_next_job, summary=tmp_path / "ray.jsonl")
    killers[0].join()
    assert len(killed) == 1, "the second job ended before the worker was killed in it"
    first, second = summary.outcomes
    assert (first.status, second.status) == ("ok", "ok")
    assert int(second.worker.rsplit(":", 1)[1]) != killed[0]  # done again by the restarted worker
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == ["prime_starry.png", "street_starry.png"]
    assert not leftovers(tmp_path / "ray")
    lines = [json.loads(line) for line in (tmp_path / "ray.jsonl").read_text().splitlines()]
    assert [line["status"] for line in lines] == ["ok", "ok"]
    local = run_batch(plan_jobs([Path(second.job.content)], styles[:1], tmp_path / "local", longer))
    _same_results(Path(local.outcomes[0].job.output), Path(second.job.output))


def _fast_workers() -> list[int]:
    """The pids of the processes running ``_FastPainter`` batches (Ray Data's workers;
    one may be an earlier dataset's, on its way out)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"MapBatches(_FastPainter)" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue  # a process that ended while we looked
    return pids


def test_a_ray_data_worker_killed_inside_its_batch_of_fast_jobs_leaves_no_broken_output(local_ray, photos, tmp_path):
    for name in ("copy1", "copy2"):
        shutil.copy(photos / "street.jpg", photos / f"{name}.jpg")
    big = StyleConfig(size=1024)  # a fast job: about a second of CPU
    jobs = plan_jobs([photos], [], tmp_path / "ray", big, method="fast", models=["starry_night"])
    assert len(jobs) == 4  # one Ray Data batch (FAST_BATCH)
    killed: list[int] = []

    def kill_once_the_first_output_is_written() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if list((tmp_path / "ray").glob("*.png")):  # the worker is on the batch's next job
                for pid in _fast_workers():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_once_the_first_output_is_written)
    killer.start()
    summary = run_batch(jobs, engine="ray", workers=1, summary=tmp_path / "ray.jsonl")
    killer.join()
    assert killed
    assert [o.status for o in summary.outcomes] == ["ok"] * 4
    assert not set(killed) & {int(o.worker.rsplit(":", 1)[1]) for o in summary.outcomes}  # the batch ran again
    assert len(list((tmp_path / "ray").glob("*.png"))) == 4 and not leftovers(tmp_path / "ray")
    local = run_batch(plan_jobs([photos / "prime.png"], [], tmp_path / "local", big, method="fast", models=["starry_night"]))
    a, b = Path(local.outcomes[0].job.output), tmp_path / "ray" / "prime_starry_night.png"
    assert np.array_equal(_pixels(a), _pixels(b)) and read_metadata(a) == read_metadata(b)


def test_a_fast_batch_stopped_on_ray_data_lists_what_it_wrote_and_a_rerun_paints_the_rest(local_ray, photos, tmp_path):
    for index in range(10):
        shutil.copy(photos / "street.jpg", photos / f"copy{index}.jpg")
    jobs = plan_jobs([photos], [], tmp_path / "ray", StyleConfig(size=768), method="fast", models=["starry_night"])
    stop = threading.Event()  # set at the first batch's end: the worker is then in the next one
    summary = run_batch(jobs, engine="ray", workers=1, stop=stop, callback=lambda event: stop.set())
    assert summary.stopped
    statuses = {Path(o.job.output).name: o.status for o in summary.outcomes}
    written = sorted(p.name for p in (tmp_path / "ray").iterdir())
    assert written and not leftovers(tmp_path / "ray")
    assert sorted(name for name, status in statuses.items() if status == "ok") == written  # every output listed
    assert set(statuses.values()) == {"ok", "stopped"} and len(statuses) == 12
    again = run_batch(jobs, engine="ray", workers=1)
    assert sorted(Path(o.job.output).name for o in again.outcomes if o.status == "skipped") == written
    assert sum(o.status == "ok" for o in again.outcomes) == 12 - len(written)

"""The local engine on real files: outputs with their run record, a corrupt photo that
fails alone, reruns that skip what is done, and stops that leave nothing half-written."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import pytest

from stylegram.batch import BatchProgress, Job, plan_jobs, read_manifest, run_batch, run_job
from stylegram.image import read_metadata

from .conftest import TINY, leftovers


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_corrupt_photo_fails_alone_and_the_others_are_written_with_their_record(photos, corrupt, styles, tmp_path):
    out = tmp_path / "out"
    jobs = plan_jobs([photos], styles[:1], out, TINY)
    events: list[BatchProgress] = []
    summary = run_batch(jobs, summary=out / "summary.jsonl", callback=events.append)

    assert [(Path(o.job.output).name, o.status) for o in summary.outcomes] == [
        ("broken_starry.png", "failed"),
        ("prime_starry.png", "ok"),
        ("street_starry.png", "ok"),
    ]
    assert not summary.ok and not summary.stopped
    assert "broken.jpg: image file is truncated or corrupt" in str(summary.failed[0].error)
    assert sorted(p.name for p in out.iterdir()) == ["prime_starry.png", "street_starry.png", "summary.jsonl"]
    record = read_metadata(out / "street_starry.png")
    assert record["finished"] is True and record["settings"]["size"] == 64 and record["steps_done"] == 2
    assert record["batch"] == {"method": "optimize"}
    assert record["inputs"]["content"]["name"] == str(photos / "street.jpg")
    assert record["inputs"]["styles"][0]["sha256"] == hashlib.sha256(styles[0].read_bytes()).hexdigest()

    lines = _lines(out / "summary.jsonl")
    assert [line["status"] for line in lines] == ["failed", "ok", "ok"]
    assert lines[0]["error"].startswith(str(corrupt)) and lines[1]["error"] is None
    assert lines[2]["output"] == str(out / "street_starry.png") and lines[2]["seconds"] > 0
    assert [(e.done, e.total, e.failed) for e in events] == [(1, 3, 1), (2, 3, 1), (3, 3, 1)]
    # The clock starts when the first job ends: its time holds the start-up.
    assert events[0].seconds_left is None and events[1].seconds_left > 0 and events[-1].seconds_left == 0


def test_a_rerun_skips_finished_jobs_and_a_changed_option_reruns_only_its_jobs(photos, styles, tmp_path):
    out = tmp_path / "out"
    manifest = photos / "jobs.csv"
    manifest.write_text(f"content,style,style_weight\nstreet.jpg,{styles[0]},\nprime.png,{styles[0]},\n")
    first = run_batch(read_manifest(manifest, out, TINY))
    assert [o.status for o in first.outcomes] == ["ok", "ok"]
    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    again = run_batch(read_manifest(manifest, out, TINY), summary=out / "summary.jsonl")
    assert [o.status for o in again.outcomes] == ["skipped", "skipped"] and again.ok
    assert [line["status"] for line in _lines(out / "summary.jsonl")] == ["skipped", "skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".png"} == written

    manifest.write_text(f"content,style,style_weight\nstreet.jpg,{styles[0]},\nprime.png,{styles[0]},25\n")
    changed = run_batch(read_manifest(manifest, out, TINY))
    assert {Path(o.job.output).name: o.status for o in changed.outcomes} == {
        "street_starry.png": "skipped",
        "prime_starry.png": "ok",
    }
    assert read_metadata(out / "prime_starry.png")["settings"]["style_weight"] == 25.0
    assert (out / "street_starry.png").stat().st_mtime_ns == written["street_starry.png"]


def test_an_output_from_other_images_or_settings_is_not_done_and_a_moved_photo_still_is(photos, styles, tmp_path):
    out = tmp_path / "out"
    [job] = plan_jobs([photos / "street.jpg"], styles[:1], out, TINY)
    assert not job.is_done()
    assert run_batch([job]).ok and job.is_done()
    assert not plan_jobs([photos / "street.jpg"], styles[:1], out, TINY.with_options(seed=1))[0].is_done()
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(photos / "street.jpg", moved / "street.jpg")
    assert plan_jobs([moved / "street.jpg"], styles[:1], out, TINY)[0].is_done()  # the same bytes
    shutil.copy(photos / "prime.png", photos / "street.jpg")  # other bytes under the same name
    assert not job.is_done()
    assert [o.status for o in run_batch([job]).outcomes] == ["ok"]


class _StopAfter:
    """A stop signal that is set from its ``calls``-th look on (the engine looks after
    every iteration), so a run stops in its middle."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def is_set(self) -> bool:
        self.calls -= 1
        return self.calls < 0


def test_a_stop_in_the_middle_of_a_job_leaves_nothing_half_written(photos, styles, tmp_path):
    out = tmp_path / "out"
    jobs = plan_jobs([photos], styles[:1], out, TINY)
    summary = run_batch(jobs, summary=out / "summary.jsonl", stop=_StopAfter(2))
    assert summary.stopped and not summary.ok
    assert [o.status for o in summary.outcomes] == ["stopped", "stopped"]
    assert sorted(p.name for p in out.iterdir()) == ["summary.jsonl"]
    assert [line["status"] for line in _lines(out / "summary.jsonl")] == ["stopped", "stopped"]


def test_ctrl_c_between_jobs_stops_the_batch_and_a_rerun_continues_it(photos, styles, tmp_path):
    out = tmp_path / "out"
    jobs = plan_jobs([photos], styles[:1], out, TINY)

    def interrupt(event: BatchProgress) -> None:
        raise KeyboardInterrupt

    stopped = run_batch(jobs, callback=interrupt)
    assert stopped.stopped and [o.status for o in stopped.outcomes] == ["ok", "stopped"]
    assert sorted(p.name for p in out.iterdir()) == ["prime_starry.png"] and not leftovers(out)
    resumed = run_batch(jobs)
    assert [o.status for o in resumed.outcomes] == ["skipped", "ok"]


def test_a_stop_set_from_another_thread_before_the_start_runs_nothing(photos, styles, tmp_path):
    stop = threading.Event()
    stop.set()
    summary = run_batch(plan_jobs([photos], styles, tmp_path / "out", TINY), stop=stop)
    assert [o.status for o in summary.outcomes] == ["stopped"] * 4
    assert list((tmp_path / "out").iterdir()) == []


def test_an_output_that_is_an_input_fails_that_job_only(photos, styles):
    victim = photos / "prime.png"
    before = victim.read_bytes()
    outcome = run_job(Job(str(victim), (str(styles[0]),), str(victim), TINY))
    assert outcome.status == "failed" and "this run also uses that file" in str(outcome.error)
    assert victim.read_bytes() == before


def test_an_unknown_engine_is_refused(photos, styles, tmp_path):
    with pytest.raises(Exception, match=r"engine: unknown value 'spark'; choose one of local, ray"):
        run_batch(plan_jobs([photos], styles[:1], tmp_path, TINY), engine="spark")


def test_a_fast_batch_paints_each_photo_once_and_a_rerun_skips_it_until_the_model_changes(photos, corrupt, tmp_path):
    from stylegram.fast import ModelRecord, TransformerNet, builtin_models, save_model

    model = tmp_path / "mine.pt"
    model.write_bytes(builtin_models()["starry_night"].read_bytes())
    out = tmp_path / "out"
    first = run_batch(plan_jobs([photos], [], out, TINY, method="fast", models=[str(model)]), summary=out / "s.jsonl")
    assert [(Path(o.job.output).name, o.status) for o in first.outcomes] == [
        ("broken_mine.png", "failed"),
        ("prime_mine.png", "ok"),
        ("street_mine.png", "ok"),
    ]
    assert "broken.jpg: image file is truncated or corrupt" in str(first.failed[0].error)
    record = read_metadata(out / "street_mine.png")
    assert record["method"] == "fast" and record["finished"] is True and record["size"] == [64, 43]
    assert record["model"]["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert record["batch"] == {"method": "fast", "model": str(model), "size": 64, "preserve_color": False}
    assert [line["model"] for line in _lines(out / "s.jsonl")] == [str(model)] * 3

    again = run_batch(plan_jobs([photos / "street.jpg"], [], out, TINY, method="fast", models=[str(model)]))
    assert [o.status for o in again.outcomes] == ["skipped"]
    save_model(model, TransformerNet("half"), ModelRecord("other.png"))  # retrained under the same name
    retrained = run_batch(plan_jobs([photos / "street.jpg"], [], out, TINY, method="fast", models=[str(model)]))
    assert [o.status for o in retrained.outcomes] == ["ok"]
    assert read_metadata(out / "street_mine.png")["model"]["painting"] == "other.png"

"""``stylegram batch`` in-process: exit codes, the failure list, progress lines, reruns,
and one-line refusals of bad input before any job runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TINY_ARGS = ("--size", "64", "--steps", "2")
SRC = Path(__file__).resolve().parents[2] / "src"


def test_a_batch_with_a_corrupt_photo_exits_3_listing_it_and_a_rerun_exits_0(cli, photos, corrupt, styles, tmp_path):
    out = tmp_path / "out"
    result = cli("batch", photos, "--style", styles[0], "-o", out, *TINY_ARGS)
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0].startswith("stylegram: [1/3] failed broken_starry.png (")
    assert lines[2].startswith("stylegram: [3/3] ok street_starry.png (") and "1 failed" in lines[2]
    assert f"stylegram: failed: {out / 'broken_starry.png'}: {corrupt}: image file is truncated or corrupt" in result.stderr
    assert "2 of 3 jobs done (2 written, 0 skipped), 1 failed" in lines[-1]
    assert lines[-1].endswith(f"summary: {out / 'batch-summary.jsonl'}")
    summary = [json.loads(line) for line in (out / "batch-summary.jsonl").read_text().splitlines()]
    assert [s["status"] for s in summary] == ["failed", "ok", "ok"]

    corrupt.unlink()
    again = cli("batch", photos, "--style", styles[0], "-o", out, *TINY_ARGS, "--quiet")
    assert again.exit_code == 0
    assert again.stderr.splitlines() == [
        f"stylegram: 2 of 2 jobs done (0 written, 2 skipped), 0 failed, in 0 s; summary: {out / 'batch-summary.jsonl'}"
    ]


def test_a_fast_batch_paints_every_photo_with_the_model_and_a_rerun_skips_them(cli, photos, tmp_path):
    out = tmp_path / "out"
    result = cli("batch", photos, "--method", "fast", "--model", "starry_night", "-o", out, "--size", "64")
    assert result.exit_code == 0, result.stderr
    assert "2 of 2 jobs done (2 written, 0 skipped), 0 failed" in result.stderr.splitlines()[-1]
    assert sorted(p.name for p in out.glob("*.png")) == ["prime_starry_night.png", "street_starry_night.png"]
    again = cli("batch", photos, "--method", "fast", "--model", "starry_night", "-o", out, "--size", "64", "-q")
    assert again.exit_code == 0 and "(0 written, 2 skipped)" in again.stderr


def test_a_failure_that_names_its_output_names_it_once(cli, photos, tmp_path):
    out = tmp_path / "out"
    (out / "street_starry_night.png").mkdir(parents=True)  # where the job would write: a folder
    result = cli("batch", photos, "--method", "fast", "--model", "starry_night", "-o", out, "--size", "64", "-q")
    assert result.exit_code == 3
    failed = [line for line in result.stderr.splitlines() if line.startswith("stylegram: failed: ")]
    assert failed == [f"stylegram: failed: {out / 'street_starry_night.png'}: could not write the image (Is a directory)"]


def test_a_ray_address_where_nothing_listens_is_refused_at_once(cli, photos, styles, tmp_path):
    pytest.importorskip("ray")
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("batch", photos, "--style", styles[0], "-o", tmp_path / "out", "--engine", "ray", "--address", f"127.0.0.1:{port}")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"stylegram: error: --address: no Ray cluster answers at 127.0.0.1:{port} (Connection refused)"]
    assert not list((tmp_path / "out").glob("*.png"))


@pytest.mark.parametrize(
    "args, message",
    [
        (("--style", "S"), "stylegram: error: PHOTOS: give the photos to paint"),
        (("P",), "stylegram: error: --style: give at least one style image"),
        (("P", "--style", "S", "--steps", "0"), "stylegram: error: --steps: must be at least 1, got 0"),
        (("P", "--method", "fast"), "stylegram: error: --model: the fast method needs a trained model"),
        (("P", "--style", "S", "--method", "fast", "--model", "starry_night"), "stylegram: error: --style: the fast method paints in its model's style"),
        (("P", "--method", "fast", "--model", "starry_nite"), "stylegram: error: --model: starry_nite: no such model file or built-in model"),
        (("P", "--style", "S", "--manifest", "M"), "stylegram: error: --manifest: give either a manifest or PHOTOS"),
        (("nothing/*.jpg", "--style", "S"), "stylegram: error: PHOTOS: pattern nothing/*.jpg matches no files"),
        (("P", "--style", "S", "--init", "nosie"), "stylegram: error: --init: 'nosie' is not content, noise, style"),
    ],
)
def test_bad_input_exits_2_with_one_line_before_any_job(cli, photos, styles, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    args = tuple(str(photos) if a == "P" else str(styles[0]) if a == "S" else str(tmp_path / "m.csv") if a == "M" else a for a in args)
    result = cli("batch", *args, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message)
    assert not (tmp_path / "out").exists()


def test_the_main_command_still_runs_by_default_beside_batch(cli):
    result = cli("--help")
    assert result.exit_code == 0 and "batch" in result.stdout


# SIGTERM only: Ctrl+C takes the same path (130, "Ctrl+C"); each case starts a process.
@pytest.mark.parametrize("sig, code, name", [(signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_during_a_job_stops_the_batch_with_nothing_half_written(photos, styles, tmp_path, sig, code, name):
    out = tmp_path / "out"
    manifest = photos / "jobs.csv"
    manifest.write_text(f"content,style,steps\nstreet.jpg,{styles[0]},2\nprime.png,{styles[0]},500\n")
    command = [sys.executable, "-m", "stylegram", "batch", "--manifest", str(manifest), "-o", str(out), "--size", "64"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(SRC)})
    first = process.stderr.readline()
    assert first.startswith("stylegram: [1/2] ok street_starry.png"), first
    process.send_signal(sig)  # the second job (500 iterations) has just started
    rest = process.stderr.read()
    assert process.wait(timeout=120) == code
    assert rest.splitlines()[-1] == f"stylegram: {name}: stopped; run the same command to continue"
    assert sorted(p.name for p in out.iterdir()) == ["batch-summary.jsonl", "street_starry.png"]
    lines = [json.loads(line) for line in (out / "batch-summary.jsonl").read_text().splitlines()]
    assert [line["status"] for line in lines] == ["ok", "stopped"]


def test_a_batch_on_a_local_ray_instance_it_starts_itself_says_nothing_about_tokens(photos, tmp_path):
    # Ray 2.60 turns token authentication on for a new local instance and warns that it
    # did; stylegram keeps that notice off, so the user's terminal has only our lines.
    pytest.importorskip("ray")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "stylegram", "batch", str(photos), "--method", "fast", "--model", "starry_night",
               "-o", str(out), "--size", "64", "--engine", "ray", "--workers", "1", "-q"]
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_AUTH_MODE", "RAY_ADDRESS")}
    done = subprocess.run(command, capture_output=True, text=True, env={**env, "PYTHONPATH": str(SRC)}, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Token authentication" not in done.stderr
    assert sorted(p.name for p in out.glob("*.png")) == ["prime_starry_night.png", "street_starry_night.png"]

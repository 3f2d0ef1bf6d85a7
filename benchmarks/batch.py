"""Batch throughput: jobs per minute with the local engine and with Ray (2 workers).

Builds ``--photos`` copies of the bundled photo (each resized a little differently,
so each is its own job and its own SHA-256) x the two bundled/case style images
(``--method fast``: x the built-in model, once per photo), and runs the same jobs three ways into fresh folders, all with the same settings:

- ``local``: one job after another in this process (torch with all its threads);
- ``local-1thread``: the same with one torch thread (a Ray worker's share here);
- ``ray``: a local Ray instance (``ray.init(num_cpus=2)``) with 2 workers (for the fast
  method, Ray Data's ``map_batches`` over a pool of 2 actors), one CPU
  and one torch thread each. Ray's start-up is timed apart (``ray_init_seconds``);
  the batch time includes starting the workers and each loading VGG19 (or the model);
- ``ray-actors`` (fast method only): the same jobs on the optimization's per-job
  actors, one photo per call, to show what Ray Data's batching gains.

Prints one JSON object: per way, seconds, jobs per minute and mean seconds per job
(the jobs' own wall time, from the summary). Example (about 3 minutes on 2 cores)::

    nice -n 10 python benchmarks/batch.py --photos 4 --size 128 --steps 20
    nice -n 10 python benchmarks/batch.py --method fast --photos 40 --size 512
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from stylegram import StyleConfig
from stylegram.batch import plan_jobs, run_batch
from stylegram.examples import CONTENT, STYLE

from compare import _machine  # noqa: E402  (next to this script)

CASE_STYLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "cases" / "base_style_256x256.png"


def _photos(folder: Path, count: int) -> list[Path]:
    made = []
    with Image.open(CONTENT) as image:
        for i in range(count):
            path = folder / f"photo{i}.png"
            image.resize((400 - 8 * i, 300 - 6 * i), Image.Resampling.LANCZOS).save(path)
            made.append(path)
    return made


def _outcomes(jobs: list, **engine: object) -> list:
    return run_batch(jobs, **engine).outcomes


def _on_ray_actors(jobs: list) -> list:
    from stylegram.batch.ray_runner import _on_actors

    Path(jobs[0].output).parent.mkdir()
    return list(_on_actors(jobs, 2, None))


def _measure(name: str, jobs_from: callable, run: callable, **engine: object) -> dict[str, object]:
    jobs = jobs_from(name)
    start = time.perf_counter()
    outcomes = run(jobs, **engine)
    seconds = time.perf_counter() - start
    ran = [o for o in outcomes if o.status == "ok"]
    assert len(ran) == len(jobs), [str(o.error) for o in outcomes if o.status != "ok"]
    return {
        "jobs": len(jobs),
        "seconds": round(seconds, 2),
        "jobs_per_minute": round(60 * len(jobs) / seconds, 2),
        "mean_job_seconds": round(sum(o.seconds for o in ran) / len(ran), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--method", choices=("optimize", "fast"), default="optimize")
    args = parser.parse_args()
    config = StyleConfig(size=args.size, steps=args.steps)
    root = Path(tempfile.mkdtemp(prefix="stylegram-batch-bench-"))
    try:
        photos = _photos(root, args.photos)
        styles = [Path(STYLE), CASE_STYLE]

        def jobs_from(name: str) -> list:
            if args.method == "fast":
                return plan_jobs(photos, [], root / name, config, method="fast", models=["starry_night"])
            return plan_jobs(photos, styles, root / name, config)

        results: dict[str, object] = {
            "settings": {"method": args.method, "photos": args.photos,
                         "styles_or_models": 1 if args.method == "fast" else len(styles), "size": args.size,
                         "steps": args.steps},
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        }
        results["machine"] = _machine(torch.get_num_threads())
        results["local"] = _measure("local", jobs_from, _outcomes)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        results["local-1thread"] = _measure("local-1thread", jobs_from, _outcomes)
        torch.set_num_threads(threads)

        import ray

        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        results["ray_init_seconds"] = round(time.perf_counter() - start, 2)
        try:
            results["ray"] = _measure("ray", jobs_from, _outcomes, engine="ray", workers=2)
            if args.method == "fast":
                results["ray-actors"] = _measure("ray-actors", jobs_from, _on_ray_actors)
        finally:
            ray.shutdown()
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()

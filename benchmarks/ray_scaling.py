"""The commit recipe with the local executor against Ray in local mode, on one machine;
prints one JSON line.

    python benchmarks/ray_scaling.py REPO [--max-commits 2000] [--workers 2] [--rounds 3]

Each round builds with a fresh output directory (nothing cached), in this order: local
process pool; Ray with a running instance (as on a cluster: the instance is started once,
before each timing); then the whole command in a child process, local and `--executor
ray` (which starts and stops its own instance). Medians over the rounds; the ratios are
Ray's seconds over the local executor's, in-process and as commands. The datasets are
checked to be byte-identical."""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ray

from repomill.code.settings import IndexConfig
from repomill.curate.settings import CurateConfig
from repomill.engine.settings import EngineConfig
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.registry import RECIPES
from repomill.recipes.run import run_recipe
from repomill.sources import open_source


def dataset_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((out / "dataset").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(out)).encode() + path.read_bytes())
    return digest.hexdigest()


def build(repo: str, out: Path, settings: CommitsConfig, workers: int, engine: str) -> float:
    started = time.perf_counter()
    run_recipe(RECIPES["commits"], open_source(Path(repo)), settings, IndexConfig(workers=workers),
               CurateConfig(), None, out, False, EngineConfig(executor=engine))  # fmt: skip
    return time.perf_counter() - started


def command(repo: str, out: Path, max_commits: int, workers: int, engine: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "repomill.cli", "build", "commits", repo, "--out",
                    str(out), "--quiet", "--executor", engine, "--workers", str(workers),
                    "--max-commits", str(max_commits)], check=True)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo")
    parser.add_argument("--max-commits", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = CommitsConfig(max_commits=args.max_commits)
    seconds: dict[str, list[float]] = {"local": [], "ray": [], "local_command": [],
                                       "ray_command": []}  # fmt: skip
    digests = set()
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            out = Path(tmp) / f"local-{n}"
            seconds["local"].append(build(args.repo, out, settings, args.workers, "local"))
            digests.add(dataset_digest(out))
            out = Path(tmp) / f"ray-{n}"
            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR")  # fmt: skip
            try:
                seconds["ray"].append(build(args.repo, out, settings, args.workers, "ray"))
            finally:
                ray.shutdown()
            digests.add(dataset_digest(out))
            for engine in ("local", "ray"):
                out = Path(tmp) / f"{engine}-command-{n}"
                seconds[f"{engine}_command"].append(
                    command(args.repo, out, args.max_commits, args.workers, engine)
                )
                digests.add(dataset_digest(out))
        examples = json.loads((Path(tmp) / "local-0" / "manifest.json").read_text())["counts"]
    medians = {name: round(statistics.median(values), 2) for name, values in seconds.items()}
    print(json.dumps({
        "repo": args.repo, "max_commits": args.max_commits, "workers": args.workers,
        "rounds": args.rounds, "examples": examples["examples"],
        "seconds_median": medians, "seconds": seconds,
        "ray_over_local": round(medians["ray"] / medians["local"], 3),
        "ray_command_over_local_command": round(
            medians["ray_command"] / medians["local_command"], 3),
        "datasets_identical": len(digests) == 1,
    }))  # fmt: skip


if __name__ == "__main__":
    main()

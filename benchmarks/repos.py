"""`repomill build commits --repos FILE` over several repositories, with the local executor
and with `--executor ray`; prints one JSON line.

    python benchmarks/repos.py REPO... [--max-commits 500] [--workers 2]

Each REPO is cloned (bare, locally) into a folder named after it (`fetch`'s mirrors,
`OWNER+NAME/repo`, get NAME), which names its rows in the dataset. Each command runs in a
child process with a fresh output directory; then the local build is run again on the same
directory, where every repository's shards are cached: a re-run with nothing changed.
Reports seconds, rows per
repository, the copies removed across them, and whether the two executors' datasets are
byte-identical."""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def dataset_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((out / "dataset").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(out)).encode() + path.read_bytes())
    return digest.hexdigest()


def clone(repo: str, tmp: Path) -> str:
    path = Path(repo).resolve()
    name = path.parent.name.split("+")[-1] if path.name == "repo" else path.name
    subprocess.run(["git", "clone", "--quiet", "--bare", str(path), str(tmp / name)], check=True)
    subprocess.run(["git", "-C", str(tmp / name), "remote", "remove", "origin"], check=True)
    return name


def build(listing: Path, out: Path, max_commits: int, workers: int, engine: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "repomill.cli", "build", "commits", "--repos",
                    str(listing), "--out", str(out), "--quiet", "--executor", engine,
                    "--workers", str(workers), "--max-commits", str(max_commits)],
                   check=True)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+")
    parser.add_argument("--max-commits", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "repos.txt"
        listing.write_text("".join(f"{clone(repo, Path(tmp))}\n" for repo in args.repos))
        seconds, digests = {}, {}
        for engine in ("local", "ray"):
            out = Path(tmp) / engine
            seconds[engine] = round(build(listing, out, args.max_commits, args.workers, engine), 2)
            digests[engine] = dataset_digest(out)
        out = Path(tmp) / "local"
        seconds["local_rerun_cached"] = round(
            build(listing, out, args.max_commits, args.workers, "local"), 2
        )
        counts = json.loads((out / "manifest.json").read_text())["counts"]
    (_, rows), (_, kept), _ = counts["funnel"]
    print(json.dumps({
        "repos": args.repos, "max_commits_each": args.max_commits, "workers": args.workers,
        "seconds": seconds, "ray_over_local": round(seconds["ray"] / seconds["local"], 3),
        "examples": counts["examples"], "splits": counts["splits"],
        "per_repo": counts["repos"], "copies_across_repos": rows - kept,
        "datasets_identical": digests["local"] == digests["ray"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()

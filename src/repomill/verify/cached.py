"""Verification as a cached step: each response's verdict is stored under a hash of all
that decides it (language, code, tests, every `Limits` field, the unsafe flag, the runner's
definition and `RUNNER_VERSION`, a stamp of the toolchain and of the sandbox's mode), so a
re-run of a build runs only the tests it has not run before. A key the cache does not hold
is verified in the sandbox like any other; a hit is the verdict of an identical run.

The store is one SQLite file (WAL, one table) used from the calling thread only: workers
(threads here, or an executor's workers: Ray actors on a cluster, each keeping its warm
sandboxes) run `verify_response` and hand verdicts back, the caller reads and writes. Several
processes may share the file. Verdicts that come from sandbox trouble rather than from the
tests (`sandbox_trouble`) are returned but never stored. A damaged file is moved aside and
started again, an unusable one is left alone; either way the build goes on, verifies what
it cannot trust and says so in one warning."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from repomill.engine.executors import Executor
from repomill.engine.keys import canonical_json, stable_hash
from repomill.engine.progress import progress_bar
from repomill.engine.stage import ShardResult, Stage
from repomill.engine.store import TextStore
from repomill.verify import sandbox, seccomp, tools
from repomill.verify.runners import RUNNER_VERSION, RUNNERS, Library
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import Verdict, verify_response

# First words of the errors the sandbox's own tools print when they cannot start a run.
_TROUBLE = ("bwrap: ", "prlimit: ", "setpriv: ", "sh: ", "/bin/sh: ", "/usr/bin/sh: ")


class Job(NamedTuple):
    language: str
    code: str
    tests: str
    library: Library | None = None  # code the tests may import (grounded tasks)


@dataclass
class VerifyStats:
    cached: int = 0  # jobs answered from the cache (duplicates of a hit included)
    executed: int = 0  # distinct jobs verified in the sandbox now
    not_stored: int = 0  # of those, verdicts left out of the cache (sandbox trouble)


def verify_all(jobs: list[Job], limits: Limits, unsafe_no_sandbox: bool = False,
               workers: int = 1, cache_path: Path | None = None,
               stats: VerifyStats | None = None, show_progress: bool = False,
               executor: Executor | None = None) -> list[Verdict]:  # fmt: skip
    """The verdict of each job, in job order. Jobs the cache at `cache_path` (None: no
    cache) does not hold run in a pool of `workers` threads, or on `executor`'s workers
    when one is given, each distinct job once, under a progress bar when `show_progress`."""
    stats = stats if stats is not None else VerifyStats()
    stamps = {language: _environment(language) for language in {job.language for job in jobs}}
    keys = [verdict_key(job, limits, unsafe_no_sandbox, stamps[job.language]) for job in jobs]
    cache = VerdictCache(cache_path)
    try:
        verdicts = cache.get_many(keys)
        stats.cached = sum(key in verdicts for key in keys)
        todo = {key: job for key, job in zip(keys, jobs, strict=True) if key not in verdicts}

        def done(key: str, verdict: Verdict) -> None:
            verdicts[key] = verdict
            if sandbox_trouble(verdict):
                stats.not_stored += 1
            else:
                cache.put(key, verdict)

        if executor is None:
            _run(todo, limits, unsafe_no_sandbox, workers, done, show_progress)
        else:
            _run_on(executor, todo, limits, unsafe_no_sandbox, done, show_progress)
        stats.executed = len(todo)
    finally:
        cache.close()
    return [verdicts[key] for key in keys]


def verdict_key(job: Job, limits: Limits, unsafe_no_sandbox: bool, environment: str) -> str:
    # a library by its content and layout, not by the folder it was exported to
    library = [job.library.stamp, job.library.root] if job.library else []
    return stable_hash("verdict", str(RUNNER_VERSION), job.language, job.code, job.tests,
                       canonical_json(asdict(limits)), str(bool(unsafe_no_sandbox)),
                       environment, *library)  # fmt: skip


def sandbox_trouble(verdict: Verdict) -> bool:
    """Whether the run failed because the sandbox could not start it (bwrap, prlimit or the
    control-group shell reporting an error, a missing interpreter), not because of the
    tests. Output that merely looks so is only left uncached: it is verified again."""
    execution = verdict.execution
    if execution is None or execution.status != "failed":
        return False  # a pass, a timeout or a limit's kill is the tests' own verdict
    first = next((line for line in execution.stderr.splitlines() if line.strip()), "")
    return first.startswith(_TROUBLE)


def _run(todo: dict[str, Job], limits: Limits, unsafe: bool, workers: int,
         done: Callable[[str, Verdict], None], show_progress: bool) -> None:  # fmt: skip
    """Verify each job in parallel sandboxes; `done` is called in this thread."""
    if not todo:
        return
    progress = progress_bar("verify", show_progress, keep=True)
    bar = progress.add_task("", total=len(todo))
    # a hung run is killed by its timeout
    with progress, ThreadPoolExecutor(max(1, workers)) as pool:
        futures = {pool.submit(verify_response, job.language, job.code, job.tests, limits,
                               unsafe, job.library): key for key, job in todo.items()}  # fmt: skip
        try:
            for future in as_completed(futures):
                done(futures[future], future.result())
                progress.advance(bar)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


JOBS_PER_SHARD = 4  # small: a run takes from milliseconds to the wall limit


@dataclass(frozen=True)
class VerifyStage(Stage):
    """Verifies a shard of jobs, one after another, on an executor's worker."""

    name: ClassVar[str] = "verify"
    limits: Limits
    unsafe: bool

    def process(self, items: list[Job]) -> ShardResult:
        return ShardResult(records=[verify_response(job.language, job.code, job.tests,
                                                    self.limits, self.unsafe,
                                                    job.library).to_json()
                                    for job in items])  # fmt: skip


def _run_on(executor: Executor, todo: dict[str, Job], limits: Limits, unsafe: bool,
            done: Callable[[str, Verdict], None], show_progress: bool) -> None:  # fmt: skip
    """`_run` with the jobs in shards on `executor`: as many run at once as it has workers."""
    if not todo:
        return
    keys = list(todo)
    shards = [keys[i : i + JOBS_PER_SHARD] for i in range(0, len(keys), JOBS_PER_SHARD)]
    progress = progress_bar("verify", show_progress, keep=True)
    bar = progress.add_task("", total=len(keys))
    with progress:
        results = executor.map(VerifyStage(limits, unsafe), [[todo[k] for k in s] for s in shards])
        for index, result in results:
            for key, verdict in zip(shards[index], result.records, strict=True):
                done(key, Verdict.from_json(verdict))
            progress.advance(bar, len(shards[index]))


def _environment(language: str) -> str:
    """What of this machine decides a verdict besides the job: the sandbox's mode and the
    runner's definition and tools (path, size and time of each binary: a package upgrade
    changes them), all read without running anything."""
    mode = {"bwrap": sandbox.bwrap_path() is not None, "root": os.geteuid() == 0,
            "seccomp": seccomp.filter_program() is not None}  # fmt: skip
    runner = RUNNERS.get(language)
    if runner is None:
        return canonical_json(mode)  # verify_response rejects the language itself
    binaries = [_stamp(tool) for tool in (runner.command[0], *runner.requires)]
    node = _node_packages() if runner.needs_node_tools else None
    return canonical_json({**mode, "runner": asdict(runner), "binaries": binaries,
                           "node": node})  # fmt: skip


def _stamp(path: str) -> list[Any]:
    try:
        info = os.stat(path)
    except OSError:
        return [path, None]
    return [os.path.realpath(path), info.st_size, info.st_mtime_ns]


def _node_packages() -> dict[str, Any]:
    """The installed versions of the tool directory's npm packages (None: not installed
    yet, then the first run installs them and the next build verifies again once)."""
    found: dict[str, Any] = {"wanted": list(tools.NPM_PACKAGES)}
    for spec in tools.NPM_PACKAGES:
        name = spec.rsplit("@", 1)[0]
        package = tools.tools_dir() / "node" / "node_modules" / name / "package.json"
        try:
            found[name] = json.loads(package.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError, AttributeError):
            found[name] = None
    return found


class VerdictCache:
    """Verdicts by key in a `TextStore`; not shared between threads."""

    def __init__(self, path: Path | None):
        """`path` None keeps nothing (every job is verified)."""
        self.path = path
        self._store = TextStore(path, "verdicts", "verification cache", "verifying",
                                column="verdict")  # fmt: skip

    def get_many(self, keys: list[str]) -> dict[str, Verdict]:
        found = {}
        for key, text in self._store.get_many(keys).items():
            verdict = _decode(text)
            if verdict is not None:
                found[key] = verdict
        return found

    def put(self, key: str, verdict: Verdict) -> None:
        self._store.put(key, json.dumps(verdict.to_json(), ensure_ascii=False,
                                        separators=(",", ":")))  # fmt: skip

    def close(self) -> None:
        self._store.close()


def _decode(text: str) -> Verdict | None:
    try:
        return Verdict.from_json(json.loads(text))
    except ValueError:  # json's errors included
        return None
